/**
 * One change to one existing customer, in the caller's transaction: lock the customer, apply a
 * pure change, and write it through `writeCustomerChanges` (customer, history row, and with
 * `DataSyncEnabled` its `UPDATE` in the pending queue; seeds/001 Table H-1). A change that leaves
 * the customer as it was writes and queues nothing.
 */
import type { Applied } from "../domain/apply-request.js";
import { canonicalCustomerID, fateOf, type CustomerState } from "../domain/customer.js";
import { toCustomerResponse, type CustomerResponse } from "../domain/customer-response.js";
import { CusthubError } from "../domain/errors.js";
import { loadCustomerForUpdate } from "../store/customer-lock.js";
import type { Queryable } from "../store/database.js";
import { dataSyncEnabled, writeCustomerChanges, type ChangeContext } from "./customer-changes.js";

/** What a customer operation answers: the queue action it stood for (null: no change), the record. */
export interface CustomerEditOutcome {
  customerID: string;
  change: "UPDATE" | null;
  record: CustomerResponse;
}

/** The active customer with this id, locked; `CUSTOMER_NOT_FOUND` otherwise. */
export async function lockActiveCustomer(
  tx: Queryable,
  customerID: string,
): Promise<CustomerState> {
  const state = await loadCustomerForUpdate(tx, canonicalCustomerID(customerID));
  if (!state) {
    throw new CusthubError("CUSTOMER_NOT_FOUND", `No customer with customerID ${customerID}.`, {
      customerID,
    });
  }
  if (!state.active) throw inactiveCustomer(state);
  return state;
}

/**
 * `CUSTOMER_NOT_FOUND` for a customer kept inactive: deleted, or merged into another, which the
 * message and `details.mergedInto` name so the caller can go on with that one.
 */
export function inactiveCustomer(state: CustomerState): CusthubError {
  return new CusthubError("CUSTOMER_NOT_FOUND", `Customer ${state.customerID} ${fateOf(state)}.`, {
    customerID: state.customerID,
    ...(state.mergedInto === undefined ? {} : { mergedInto: state.mergedInto }),
  });
}

/** Writes the change made to `state` (if any) as the Table H-1 `operation`. */
export async function writeCustomerEdit(
  tx: Queryable,
  state: CustomerState,
  applied: Applied | null,
  operation: string,
  context: ChangeContext,
): Promise<CustomerEditOutcome> {
  if (!applied) {
    return { customerID: state.customerID, change: null, record: toCustomerResponse(state) };
  }
  const [record] = await writeCustomerChanges(
    tx,
    [{ applied, change: "UPDATE", existing: true, operation }],
    context,
    await dataSyncEnabled(tx),
  );
  return { customerID: state.customerID, change: "UPDATE", record: record! };
}

/** Locks the customer, applies `edit`, writes the outcome: the whole of most operations. */
export async function editCustomer(
  tx: Queryable,
  customerID: string,
  operation: string,
  context: ChangeContext,
  edit: (state: CustomerState) => Applied | null,
): Promise<CustomerEditOutcome> {
  const state = await lockActiveCustomer(tx, customerID);
  return writeCustomerEdit(tx, state, edit(state), operation, context);
}
