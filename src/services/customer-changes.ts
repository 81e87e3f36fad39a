/**
 * Writing changed customers: the one path every operation that changes a customer takes, so the
 * customer, its alternate keys, its history row and (with `DataSyncEnabled`, or any other
 * destination enabled) its pending-queue row are always written together, in the caller's
 * transaction (seeds/001 Table H-1; SPEC 6).
 */
import type { Applied } from "../domain/apply-request.js";
import { isValid } from "../domain/customer.js";
import { toCustomerResponse, type CustomerResponse } from "../domain/customer-response.js";
import { searchTermsOf } from "../domain/search-terms.js";
import { resolveSettings } from "../domain/settings.js";
import { insertHistory, saveCustomers } from "../store/customers.js";
import type { Queryable } from "../store/database.js";
import { journalAppliedBlocks, type AppliedBlock } from "../store/import-journal.js";
import {
  dropQueuedForCustomers,
  enqueueCustomerChanges,
  requeueMergedTransactions,
  type MergedAway,
} from "../store/outbox.js";
import { readWriteReference, type WriteReference } from "../store/reference-data.js";

/** Who made a change and through which door; written into the history row. */
export interface ChangeContext {
  actor: string;
  channel: "api" | "batch" | "cli" | "ui" | "job";
  /**
   * The import whose blocks the changes apply: each block applied is journaled in the same
   * transaction, so a resumed import skips it (docs/import.md, "Interrupted imports").
   */
  importId?: string | undefined;
}

export interface CustomerChange {
  applied: Applied;
  /** The pending-queue action: CREATE, UPDATE or DELETE. */
  change: "CREATE" | "UPDATE" | "DELETE";
  /** Whether the customer was stored before this change. */
  existing: boolean;
  /** The operation's name for the history row: `Add`, `Update`, `associateCardToCustomer`, ... */
  operation: string;
  /**
   * A DELETE of a customer merged away: the customer it was merged into, which takes over its
   * transactions and so their queued messages (`requeueMergedTransactions`).
   */
  mergedInto?: string | undefined;
}

/**
 * Whether changes are queued: `DataSyncEnabled` (the data-sync endpoint), or any other
 * destination enabled (`custhub destinations enable`; docs/sync.md "Destinations").
 */
export async function dataSyncEnabled(tx: Queryable): Promise<boolean> {
  return queuesChanges(await readWriteReference(tx));
}

/** `dataSyncEnabled` for reference data already read. */
export function queuesChanges(reference: WriteReference): boolean {
  return resolveSettings(reference.settings).DataSyncEnabled || reference.anyDestinationEnabled;
}

/** Writes the changes; returns each customer's record as the API and the sync payload show it. */
export async function writeCustomerChanges(
  tx: Queryable,
  changes: readonly CustomerChange[],
  context: ChangeContext,
  queueForSync: boolean,
): Promise<CustomerResponse[]> {
  if (changes.length === 0) return [];
  const records = changes.map((item) => toCustomerResponse(item.applied.state));
  // Rendered once: stored for reads, and queued as the sync payload.
  const texts = records.map((record) => JSON.stringify(record));
  await saveCustomers(
    tx,
    changes.map(({ applied }, at) => ({
      state: applied.state,
      responseText: texts[at]!,
      valid: isValid(applied.state),
      search: searchTermsOf(applied.state),
      deletedAlternateKeys: applied.deletedAlternateKeys,
    })),
    new Set(changes.filter((item) => item.existing).map((item) => item.applied.state.customerID)),
  );
  await insertHistory(
    tx,
    changes.map((item) => ({
      customerID: item.applied.state.customerID,
      actor: context.actor,
      channel: context.channel,
      operation: item.operation,
      changes: { fields: item.applied.changedFields },
    })),
  );
  // "all records related to the customer in the pending and in progress queues will also be
  // deleted" before its DELETE is queued (seeds/001), and its dead letters with them. Also while
  // nothing is queued: rows queued before the sync was switched off must not go out, or be
  // re-queued, for a customer deleted meanwhile.
  // A merge moves the merged-away customers' transactions to the new customer: their messages are
  // kept, and go on as the new customer's once its CREATE is queued.
  const mergedAway: MergedAway[] = changes.flatMap((item) =>
    item.change === "DELETE" && item.mergedInto !== undefined
      ? [{ customerID: item.applied.state.customerID, mergedInto: item.mergedInto }]
      : [],
  );
  await dropQueuedForCustomers(
    tx,
    changes.filter((item) => item.change === "DELETE").map((item) => item.applied.state.customerID),
    mergedAway.map((item) => item.customerID),
  );
  // Callers pass `dataSyncEnabled(tx)`: DataSyncEnabled, or any other destination enabled.
  if (queueForSync) {
    await enqueueCustomerChanges(
      tx,
      changes.map((item) => ({ customerID: item.applied.state.customerID, action: item.change })),
    );
  }
  await requeueMergedTransactions(tx, mergedAway);
  return records;
}

/** Journals the import blocks these changes applied, in the caller's transaction (`importId`). */
export async function journalBlocks(
  tx: Queryable,
  context: ChangeContext,
  blocks: readonly AppliedBlock[],
): Promise<void> {
  if (context.importId !== undefined) await journalAppliedBlocks(tx, context.importId, blocks);
}
