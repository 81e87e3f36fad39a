import type { Command } from "commander";
import { withHub } from "../context.js";
import { io } from "../io.js";
import { printResult } from "../output.js";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("apply the schema migrations the database does not have yet (safe to repeat)")
    .option("--json", "print one JSON document")
    .action(async (options: { json?: boolean }, command: Command) => {
      // Opening the hub for this command applied the pending migrations: the report names them.
      // A running server's hub applied its own at its start, so a command it runs reports none.
      await withHub(command, options, async (hub) => {
        const atOpen = io().server ? [] : hub.migratedAtOpen;
        const report = await hub.migrate();
        const health = await hub.health();
        const result = {
          applied: [...atOpen, ...report.applied],
          current: health.migration,
          database: health.database,
        };
        printResult(options, result, () =>
          result.applied.length === 0
            ? `database is current (migration ${health.migration})`
            : `applied ${result.applied.join(", ")}; database is at migration ${health.migration}`,
        );
      });
    });
}
