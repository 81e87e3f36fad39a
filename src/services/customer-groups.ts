/**
 * How `applyBatch` cuts many requests into groups it can apply together, and when a request that
 * failed is run again or fails with what the database said.
 */
import { savingFailed, sqlStateOf } from "./database-failures.js";
import { canonicalCustomerID } from "../domain/customer.js";
import { CusthubError, isCusthubError, toError } from "../domain/errors.js";
import type { CustomerRequest } from "../domain/requests.js";
import { FULL_BATCH } from "../store/customers.js";
import { isDeadlock } from "../store/database.js";
import type { CustomerOperation } from "./customers.js";

/**
 * Requests applied together in one transaction; more per group is faster, fewer replays less.
 * A full group is written with the statements the server keeps prepared.
 */
export const GROUP_SIZE = FULL_BATCH;

/** How many times one request runs at most when another writer keeps taking its key first. */
export const MAX_ATTEMPTS = 3;

/** Whether a unique index refused the write: only the active-alternate-key index can. */
const isUniqueViolation = (error: unknown): boolean => sqlStateOf(error) === "23505";

/**
 * Whether running the request again finds what refused it: an AddorUpdate's key taken meanwhile;
 * or any request rolled back for a deadlock (two writers giving the same new keys in another order
 * wait on each other in the active-key index), which runs again as if the other writer came first.
 */
export const converges = (operation: CustomerOperation, error: unknown): boolean =>
  (operation.action === "AddorUpdate" && isUniqueViolation(error)) || isDeadlock(error);

export function asCusthubError(error: unknown): CusthubError {
  if (isCusthubError(error)) return error;
  const cause = toError(error);
  if (isUniqueViolation(cause)) {
    return new CusthubError(
      "CUSTOMER_ALREADY_EXISTS",
      "An alternate key of the request is held by another active customer.",
      {},
      { cause },
    );
  }
  return savingFailed(cause);
}

/** The operation with its CustomerID as stored (`canonicalCustomerID`); itself when it is so. */
export function withCanonicalID(operation: CustomerOperation): CustomerOperation {
  const given = operation.request.customerID;
  if (given === undefined || given === null) return operation;
  const customerID = canonicalCustomerID(given);
  return customerID === given
    ? operation
    : { ...operation, request: { ...operation.request, customerID } };
}

/**
 * Splits operations into groups of at most `groupSize` in which no two refer to the same customer
 * (by customerID or alternate key), keeping their order, so each group can be applied as one set of statements.
 */
export function groupIndependent(
  operations: readonly CustomerOperation[],
  groupSize: number,
): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let seen = new Set<string>();
  operations.forEach((operation, index) => {
    const refs = referencesOf(operation.request);
    if (current.length >= groupSize || refs.some((ref) => seen.has(ref))) {
      groups.push(current);
      current = [];
      seen = new Set();
    }
    current.push(index);
    for (const ref of refs) seen.add(ref);
  });
  if (current.length > 0) groups.push(current);
  return groups;
}

function referencesOf(request: CustomerRequest): string[] {
  const refs = (request.alternateKeys ?? []).map(
    (key) =>
      `k:${(key.typeCode ?? "").trim().toUpperCase()}\u0000${(key.alternateID ?? "").trim()}`,
  );
  const id = request.customerID;
  if (id) refs.push(`c:${id}`);
  return refs;
}
