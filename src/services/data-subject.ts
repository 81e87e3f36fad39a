/**
 * Data-subject requests (SPEC 9): everything held on a customer, and its erasure. The erasure is
 * one transaction: the record loses its personal data, its queued messages are dropped, and the
 * erasure itself is queued as `CUSTOMERDEL` so the receivers forget the person too. A customer made
 * by a merge holds the same person as the duplicates it was made of, whose retired records keep
 * their data: the export includes them, and the erasure erases them too (docs/customer-record.md "Data-subject requests").
 */
import { CusthubError } from "../domain/errors.js";
import { toCustomerResponse, type CustomerResponse } from "../domain/customer-response.js";
import { eraseCustomer } from "../domain/erase.js";
import { canonicalCustomerID, type CustomerState } from "../domain/customer.js";
import { loadCustomers, readHistory, type HistoryEntry } from "../store/customers.js";
import {
  importFilesHolding,
  keyNames,
  readKeyRows,
  readQueuedMessages,
  readRunResults,
  readTransactionsOf,
  scrubCustomerTraces,
  type HeldImportFile,
  type HeldKeyRow,
  type HeldRunResult,
  type HeldTransaction,
  type QueuedMessage,
} from "../store/data-subject.js";
import type { Database, Queryable } from "../store/database.js";
import { dataSyncEnabled, writeCustomerChanges, type ChangeContext } from "./customer-changes.js";

export interface CustomerExport {
  exportedAt: string;
  record: CustomerResponse;
  /** What the record shape leaves out: status, entries' history, validation findings, merges. */
  stored: CustomerState;
  /** Its alternate key rows, inactive ones too (the record lists only the active). */
  alternateKeyRows: { typeCode: string; alternateID: string; active: boolean }[];
  history: HistoryEntry[];
  queuedMessages: QueuedMessage[];
  /** What the sync's runs did with its messages and its transactions', receivers' words kept. */
  runResults: HeldRunResult[];
  /** Its posted transactions, as posted. */
  transactions: HeldTransaction[];
  /** The duplicates merged into it (seeds/003 Merge), each exported the same way. */
  mergedCustomers: Omit<CustomerExport, "exportedAt" | "importFiles">[];
  /** Import files on disk that may hold its data; custhub does not edit them. */
  importFiles: HeldImportFile[];
}

export interface CustomerErasure {
  customerID: string;
  erasedAt: string;
  queued: boolean;
  /** The duplicates merged into it, erased with it. */
  mergedCustomers: string[];
  /** When the erased customer was itself merged away: the customer its data went to. */
  mergedInto: string | null;
  /** Import files on disk that may still hold its data: the operator's to delete or redact. */
  importFiles: HeldImportFile[];
}

async function stateOf(db: Database, customerID: string): Promise<CustomerState> {
  const state = (await loadCustomers(db, [customerID])).get(customerID)?.state;
  if (!state)
    throw new CusthubError("CUSTOMER_NOT_FOUND", `No customer with customerID ${customerID}.`, {
      customerID,
    });
  return state;
}

/** The customers merged into this one, and into those, in the order they were merged. */
async function mergedFamily(db: Queryable, state: CustomerState): Promise<CustomerState[]> {
  const found: CustomerState[] = [];
  const seen = new Set([state.customerID]);
  let next = state.mergedFrom ?? [];
  while (next.length > 0) {
    const fresh = next.filter((id) => !seen.has(id));
    for (const id of fresh) seen.add(id);
    const loaded = await loadCustomers(db, fresh);
    const states = fresh.flatMap((id) => {
      const merged = loaded.get(id)?.state;
      return merged ? [merged] : [];
    });
    found.push(...states);
    next = states.flatMap((merged) => merged.mergedFrom ?? []);
  }
  return found;
}

/** One customer's part of an export; `keyRows` are the key rows of all it is exported with. */
async function exportOne(
  db: Database,
  stored: CustomerState,
  keyRows: readonly HeldKeyRow[],
): Promise<Omit<CustomerExport, "exportedAt" | "importFiles" | "mergedCustomers">> {
  return {
    record: toCustomerResponse(stored),
    stored,
    alternateKeyRows: keyRows
      .filter((row) => row.customerID === stored.customerID)
      .map(({ typeCode, alternateID, active }) => ({ typeCode, alternateID, active })),
    history: await readHistory(db, stored.customerID),
    queuedMessages: await readQueuedMessages(db, stored.customerID),
    runResults: await readRunResults(db, stored.customerID),
    transactions: await readTransactionsOf(db, stored.customerID),
  };
}

export async function exportCustomer(db: Database, given: string): Promise<CustomerExport> {
  const customerID = canonicalCustomerID(given);
  const stored = await stateOf(db, customerID);
  const family = await mergedFamily(db, stored);
  const ids = [customerID, ...family.map((merged) => merged.customerID)];
  const keyRows = await readKeyRows(db, ids);
  return {
    exportedAt: new Date().toISOString(),
    ...(await exportOne(db, stored, keyRows)),
    mergedCustomers: await Promise.all(
      family.map(async (merged) => ({
        ...(await exportOne(db, merged, keyRows)),
        mergedCustomers: [],
      })),
    ),
    importFiles: await importFilesHolding(db, ids, keyNames(keyRows)),
  };
}

export async function eraseCustomerData(
  db: Database,
  given: string,
  context: ChangeContext,
): Promise<CustomerErasure> {
  const customerID = canonicalCustomerID(given);
  return db.transaction(async (tx) => {
    const state = (await loadCustomers(tx, [customerID], { forUpdate: true })).get(
      customerID,
    )?.state;
    if (!state)
      throw new CusthubError("CUSTOMER_NOT_FOUND", `No customer with customerID ${customerID}.`, {
        customerID,
      });
    const family = await mergedFamily(tx, state);
    const merged = family.map((one) => one.customerID);
    const ids = [customerID, ...merged];
    if (merged.length > 0) await loadCustomers(tx, merged, { forUpdate: true });
    // Read before the keys go: the review rows and files that name the customer by one.
    const keys = keyNames(await readKeyRows(tx, ids));
    const importFiles = await importFilesHolding(tx, ids, keys);
    const erasedAt = new Date().toISOString();
    const queued = await dataSyncEnabled(tx);
    // "DELETE" drops the customer's pending and in-progress rows and its dead letters (sync on or
    // off), then queues CUSTOMERDEL when changes are queued.
    await writeCustomerChanges(
      tx,
      [
        {
          applied: eraseCustomer(state, erasedAt),
          change: "DELETE",
          existing: true,
          operation: "erase",
        },
      ],
      context,
      queued,
    );
    // The retired duplicates had their CUSTOMERDEL queued when they were merged away.
    await writeCustomerChanges(
      tx,
      family.map((one) => ({
        applied: eraseCustomer(one, erasedAt),
        change: "DELETE" as const,
        existing: true,
        operation: "erase",
      })),
      context,
      false,
    );
    await scrubCustomerTraces(tx, ids, keys, erasedAt);
    return {
      customerID,
      erasedAt,
      queued,
      mergedCustomers: merged,
      mergedInto: state.mergedInto ?? null,
      importFiles,
    };
  });
}
