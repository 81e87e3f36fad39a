/**
 * Data-subject requests (SPEC 9): everything held on a customer, and its erasure. The erasure is
 * one transaction: the record loses its personal data, its queued messages are dropped, and the
 * erasure itself is queued as `CUSTOMERDEL` so the receivers forget the person too.
 */
import { CusthubError } from "../domain/errors.js";
import { toCustomerResponse, type CustomerResponse } from "../domain/customer-response.js";
import { eraseCustomer } from "../domain/erase.js";
import { canonicalCustomerID, type CustomerState } from "../domain/customer.js";
import { loadCustomers, readHistory, type HistoryEntry } from "../store/customers.js";
import {
  readQueuedMessages,
  scrubCustomerTraces,
  type QueuedMessage,
} from "../store/data-subject.js";
import type { Database } from "../store/database.js";
import { dataSyncEnabled, writeCustomerChanges, type ChangeContext } from "./customer-changes.js";

export interface CustomerExport {
  exportedAt: string;
  record: CustomerResponse;
  /** What the record shape leaves out: status, entries' history, validation findings, merges. */
  stored: CustomerState;
  history: HistoryEntry[];
  queuedMessages: QueuedMessage[];
}

async function stateOf(db: Database, customerID: string): Promise<CustomerState> {
  const state = (await loadCustomers(db, [customerID])).get(customerID)?.state;
  if (!state)
    throw new CusthubError("CUSTOMER_NOT_FOUND", `No customer with customerID ${customerID}.`, {
      customerID,
    });
  return state;
}

export async function exportCustomer(db: Database, given: string): Promise<CustomerExport> {
  const customerID = canonicalCustomerID(given);
  const stored = await stateOf(db, customerID);
  return {
    exportedAt: new Date().toISOString(),
    record: toCustomerResponse(stored),
    stored,
    history: await readHistory(db, customerID),
    queuedMessages: await readQueuedMessages(db, customerID),
  };
}

export async function eraseCustomerData(
  db: Database,
  given: string,
  context: ChangeContext,
): Promise<{ customerID: string; erasedAt: string; queued: boolean }> {
  const customerID = canonicalCustomerID(given);
  return db.transaction(async (tx) => {
    const state = (await loadCustomers(tx, [customerID], { forUpdate: true })).get(
      customerID,
    )?.state;
    if (!state)
      throw new CusthubError("CUSTOMER_NOT_FOUND", `No customer with customerID ${customerID}.`, {
        customerID,
      });
    const erasedAt = new Date().toISOString();
    const applied = eraseCustomer(state, erasedAt);
    const queued = await dataSyncEnabled(tx);
    // "DELETE" drops the customer's pending and in-progress rows and its dead letters (sync on or
    // off), then queues CUSTOMERDEL when changes are queued.
    await writeCustomerChanges(
      tx,
      [{ applied, change: "DELETE", existing: true, operation: "erase" }],
      context,
      queued,
    );
    await scrubCustomerTraces(
      tx,
      customerID,
      state.alternateKeys.map((key) => `${key.typeCode}:${key.alternateID}`),
    );
    return { customerID, erasedAt, queued };
  });
}
