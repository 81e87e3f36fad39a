/** What an import records of each block: its counts, and a review row when it failed or warned. */
import { valuesNotWritten } from "../domain/customer.js";
import type { ImportProgress, ReviewRow } from "../services/imports.js";
import type { Outcome } from "./block-outcomes.js";
import { reviewCodes } from "./error-tables.js";
import type { FailuresFile } from "./failures-file.js";
import { keyOf, type PendingBlock } from "./pending-block.js";

/** Counts one block's outcome; returns its review row when it failed or warned. */
export async function countBlockOutcome(
  item: PendingBlock,
  outcome: Outcome,
  progress: ImportProgress,
  failures: FailuresFile,
): Promise<ReviewRow | null> {
  const action = item.action;
  const counts = (progress.byAction[action ?? "unknown"] ??= { succeeded: 0, failed: 0 });
  progress.total += 1;
  const base = { blockNumber: item.block.number, line: item.block.line, action, key: keyOf(item) };
  if (!outcome.ok) {
    progress.failed += 1;
    counts.failed += 1;
    await failures.add(item.block.source);
    return {
      ...base,
      outcome: "failed",
      errorCodes: reviewCodes(action, outcome.error.code),
      message: outcome.error.message,
    };
  }
  progress.succeeded += 1;
  counts.succeeded += 1;
  const notWritten = valuesNotWritten(outcome.validationIssues);
  const notices = outcome.notices ?? [];
  const codes = [
    ...(item.block.emptyTags.length > 0 ? ["EMPTY_XML_TAG"] : []),
    ...notWritten.map((issue) => issue.code),
    ...new Set(notices.map((notice) => notice.code)),
  ];
  if (codes.length === 0) return null;
  progress.warnings += 1;
  const messages = [
    ...(item.block.emptyTags.length > 0
      ? [`Empty XML tags: ${[...new Set(item.block.emptyTags)].join(", ")}.`]
      : []),
    ...notWritten.map((issue) => issue.message),
    ...notices.map((notice) => notice.message),
  ];
  return {
    ...base,
    // The customer the block wrote, in the form the failed rows name a customer by.
    key: `CustomerID:${outcome.customerID}`,
    outcome: "warning",
    errorCodes: codes,
    message: messages.join(" "),
  };
}
