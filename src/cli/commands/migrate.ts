import type { Command } from "commander";
import { withHub } from "../context.js";
import { printResult } from "../output.js";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("apply the schema migrations the database does not have yet (safe to repeat)")
    .option("--json", "print one JSON document")
    .action(async (options: { json?: boolean }, command: Command) => {
      // Opening the hub applies pending migrations; the report says which ran.
      await withHub(command, options, async (hub) => {
        const report = await hub.migrate();
        const health = await hub.health();
        const result = {
          applied: report.applied,
          current: health.migration,
          database: health.database,
        };
        printResult(options, result, () =>
          report.applied.length === 0
            ? `database is current (migration ${health.migration})`
            : `applied ${report.applied.join(", ")}; database is at migration ${health.migration}`,
        );
      });
    });
}
