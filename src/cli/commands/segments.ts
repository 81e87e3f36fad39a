import type { Command } from "commander";
import { withHub } from "../context.js";
import { printResult, table } from "../output.js";

export function registerSegments(program: Command): void {
  const segments = program
    .command("segments")
    .description("segment definitions: the segments customers are added to");
  segments
    .command("add")
    .argument("<name>", "the segment's name (not only digits; unique, any case)")
    .option("--description <text>", "what the segment is for")
    .option("--json", "print one JSON document")
    .description("define a segment; prints its segmentId")
    .action(
      async (name: string, options: { description?: string; json?: boolean }, command: Command) => {
        await withHub(command, options, async (hub) => {
          const segment = await hub.segments.create({ name, description: options.description });
          printResult(
            options,
            segment,
            () => `added segment ${segment.segmentId}: ${segment.name}`,
          );
        });
      },
    );
  segments
    .command("list")
    .option("--json", "print one JSON document")
    .description("the segments, each with its number of active customers")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const items = await hub.segments.list();
        printResult(options, { items }, () =>
          table(
            ["SEGMENT ID", "NAME", "CUSTOMERS", "DESCRIPTION"],
            items.map((item) => [
              item.segmentId,
              item.name,
              String(item.customerCount),
              item.description ?? "",
            ]),
          ),
        );
      });
    });
}
