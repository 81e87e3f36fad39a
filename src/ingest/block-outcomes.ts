/**
 * The outcomes of a group of blocks, applied in file order through the services: each block
 * keeps its own outcome, and only a failure that is not the block's own stops the import.
 */
import { isCusthubError, type CusthubError } from "../domain/errors.js";
import type { ValidationIssue } from "../domain/customer.js";
import type { Hub } from "../services/hub.js";
import type { AppliedBlock } from "../services/imports.js";
import type { ChangeContext } from "../services/customer-changes.js";
import { refusedTheData, savingFailed } from "../services/database-failures.js";
import type { CardAssociation } from "../services/cards.js";
import type { MergeRequest } from "../services/customer-merge.js";
import type { PendingBlock } from "./pending-block.js";

/** What the review needs of a block's outcome: applied now, or by an earlier run (resumed). */
export type Outcome =
  | {
      ok: true;
      customerID: string;
      validationIssues: readonly ValidationIssue[];
      /** What the block left undone though it succeeded: warned in the review. */
      notices?: readonly { code: string; message: string }[];
    }
  | { ok: false; error: CusthubError };

/**
 * The group's outcomes, its blocks applied in file order: each run of customer operations
 * together (`applyBatch`), each card association and merge on its own between them, so a block
 * after a merge sees the merge done.
 */
export async function applyInOrder(
  hub: Hub,
  pending: readonly PendingBlock[],
  context: ChangeContext,
  applied: ReadonlyMap<number, AppliedBlock>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(pending.length);
  let run: number[] = [];
  const applyRun = async (): Promise<void> => {
    if (run.length === 0) return;
    const results = await hub.customers.applyBatch(
      run.map((at) => pending[at]!.operation!),
      context,
    );
    run.forEach((at, index) => (outcomes[at] = results[index]!));
    run = [];
  };
  for (const [at, item] of pending.entries()) {
    const earlier = applied.get(item.block.number);
    if (earlier) {
      // An earlier run of this import applied it: counted as it went then, not applied again.
      outcomes[at] = {
        ok: true,
        customerID: earlier.customerID,
        validationIssues: earlier.warnings ?? [],
      };
    } else if (item.operation) {
      run.push(at);
    } else if (item.association) {
      await applyRun();
      outcomes[at] = await associate(hub, item.association, context);
    } else if (item.merge) {
      await applyRun();
      outcomes[at] = await merge(hub, item.merge, context);
    } else {
      outcomes[at] = { ok: false, error: item.parseError! };
    }
  }
  await applyRun();
  return outcomes;
}

/** Card associations are few and each locks its card: one transaction each, in file order. */
async function associate(
  hub: Hub,
  association: CardAssociation,
  context: ChangeContext,
): Promise<Outcome> {
  try {
    const record = await hub.cards.associate(association, context);
    return { ok: true, customerID: record.customerID, validationIssues: [] };
  } catch (error) {
    return refusedBlock(error);
  }
}

/** A merge touches several customers and their cards: one transaction each, in file order. */
async function merge(hub: Hub, request: MergeRequest, context: ChangeContext): Promise<Outcome> {
  try {
    const merged = await hub.customers.merge(request, context);
    // Customers the Customer Merge Override left out are the review's to tell: a file has no
    // other answer.
    const notices = merged.skipped.map((skipped) => ({
      code: "MERGE_PARTY_SKIPPED",
      message: `The Customer Merge Override left out the ${
        skipped.customerID ? `${skipped.role} (CustomerID ${skipped.customerID})` : skipped.named
      }: ${skipped.reason}.`,
    }));
    return { ok: true, customerID: merged.customerID, validationIssues: [], notices };
  } catch (error) {
    return refusedBlock(error);
  }
}

/**
 * The outcome of a block the service refused, or the database refused the data of (a value it
 * cannot hold, a constraint): the block fails alone, in custhub's words. Any other failure (the
 * database lost, a bug) is rethrown: it stops the import, which `imports resume` takes up.
 */
function refusedBlock(error: unknown): Outcome {
  if (!isCusthubError(error) && !refusedTheData(error)) throw error;
  return { ok: false, error: savingFailed(error) };
}
