import type { Command } from "commander";
import { PROGRAM_KINDS, type CardProgram } from "../../domain/cards.js";
import { withHub } from "../context.js";
import { printResult, table } from "../output.js";

interface AddOptions {
  kind: string;
  effective?: string;
  expires?: string;
  inactive?: boolean;
  json?: boolean;
}

const describeProgram = (program: CardProgram): string =>
  `card program ${program.code} (${program.kind}): ${program.active ? "active" : "inactive"}` +
  `${program.effectiveDate ? `, from ${program.effectiveDate}` : ""}` +
  `${program.expiryDate ? `, until ${program.expiryDate}` : ""}`;

/**
 * `custhub card-programs`: the tender, award and loyalty programs a card's `--program` names, whose
 * status and dates Card Customer Association checks (seeds/003; docs/import.md).
 */
export function registerCardPrograms(program: Command): void {
  const programs = program
    .command("card-programs")
    .description("the card programs that cards name, checked when a card is associated");
  programs
    .command("add")
    .argument("<code>", "the program's code, as cards name it with --program")
    .requiredOption("--kind <kind>", PROGRAM_KINDS.join("|").toLowerCase())
    .option("--effective <YYYY-MM-DD>", "the first day the program is in effect")
    .option("--expires <YYYY-MM-DD>", "the last day the program is in effect")
    .option("--inactive", "define the program inactive")
    .option("--json", "print one JSON document")
    .description("define a card program")
    .action(async (code: string, options: AddOptions, command: Command) => {
      await withHub(command, options, async (hub) => {
        const added = await hub.cards.addProgram({
          code,
          kind: options.kind,
          effectiveDate: options.effective,
          expiryDate: options.expires,
          active: options.inactive !== true,
        });
        printResult(options, added, () => `added ${describeProgram(added)}`);
      });
    });
  programs
    .command("list")
    .option("--json", "print one JSON document")
    .description("list the card programs")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const all = await hub.cards.programs();
        printResult(options, all, () =>
          table(
            ["CODE", "KIND", "STATUS", "EFFECTIVE", "EXPIRES"],
            all.map((each) => [
              each.code,
              each.kind,
              each.active ? "active" : "inactive",
              each.effectiveDate ?? "",
              each.expiryDate ?? "",
            ]),
          ),
        );
      });
    });
  for (const [name, active] of [
    ["activate", true],
    ["deactivate", false],
  ] as const) {
    programs
      .command(name)
      .argument("<code>", "the program's code")
      .option("--json", "print one JSON document")
      .description(
        active
          ? "make the program active again"
          : "make the program inactive: its cards are refused PROGRAM_INACTIVE",
      )
      .action(async (code: string, options: { json?: boolean }, command: Command) => {
        await withHub(command, options, async (hub) => {
          const changed = await hub.cards.setProgramActive(code, active);
          printResult(options, changed, () => describeProgram(changed));
        });
      });
  }
}
