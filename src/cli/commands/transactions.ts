import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { CusthubError, toError } from "../../domain/errors.js";
import { withHub } from "../context.js";
import { printResult } from "../output.js";

const cli = { actor: "cli", channel: "cli" } as const;

/** The JSON document in the file; `INVALID_REQUEST` (exit 2) when it cannot be read or parsed. */
async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CusthubError("INVALID_REQUEST", `Cannot read ${file}: ${toError(error).message}`, {
      file,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CusthubError("INVALID_REQUEST", `${file} is not JSON: ${toError(error).message}`, {
      file,
    });
  }
}

export function registerTransactions(program: Command): void {
  const transactions = program
    .command("transactions")
    .description("PosLog transactions posted for customers");
  transactions
    .command("post")
    .argument("<file>", "a JSON file holding one transaction in the TransactionType shape")
    .option(
      "--json",
      "print one JSON document: {retailTransactionId, customerID, created, counted, record}",
    )
    .description(
      "postTransaction: store it, count it in its customer's activity summaries, queue both",
    )
    .action(async (file: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const posted = await hub.transactions.post(await readJson(file), cli);
        const summary = posted.record.entityInformation.individual.lifetimeActivitySummary;
        printResult(options, posted, () =>
          [
            `${posted.created ? "posted" : "already posted"} transaction ${posted.retailTransactionId} for customer ${posted.customerID}${posted.counted ? "" : " (void: not counted)"}`,
            `lifetime: ${summary.totalTransactionCount} transaction(s), sales ${summary.totalSalesAmount}, returns ${summary.totalReturnsAmount}`,
          ].join("\n"),
        );
      });
    });
  transactions
    .command("get")
    .argument("<retailTransactionId>", "the transaction's retail transaction id")
    .option("--json", "print one JSON document")
    .description("a posted transaction, as given, with its customer")
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      await withHub(command, options, async (hub) => {
        const stored = await hub.transactions.get(id);
        const { contentHash: _hash, ...shown } = stored;
        printResult(options, shown, () => JSON.stringify(shown, null, 2));
      });
    });
}
