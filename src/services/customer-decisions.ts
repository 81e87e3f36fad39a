/**
 * What each request of a group does to which customer (seeds/003), decided in memory inside the
 * group's transaction: the customers and keys it may refer to, the customer it names, and the
 * checks that an alternate key belongs to one active customer only.
 */
import type { AttributeType } from "../domain/attributes.js";
import { queuesChanges } from "./customer-changes.js";
import {
  applyUpdate,
  deactivateCustomer,
  mergeAddOrUpdate,
  type ApplyContext,
  type Applied,
} from "../domain/apply-request.js";
import { identifyingKeys, requestedAlternateKeys } from "../domain/request-keys.js";
import { fateOf, type AlternateKey, type CustomerState } from "../domain/customer.js";
import { CusthubError } from "../domain/errors.js";
import type { CustomerRequest } from "../domain/requests.js";
import { resolveSettings } from "../domain/settings.js";
import { keyId, type StoredCustomer } from "../store/customers.js";
import type { Queryable } from "../store/database.js";
import { readWriteReference } from "../store/reference-data.js";
import type { CustomerAction, CustomerOperation, OperationOutcome } from "./customers.js";

export interface Planned {
  index: number;
  operation: CustomerOperation;
  outcome?: OperationOutcome;
  applied?: Applied;
  change?: "CREATE" | "UPDATE" | "DELETE";
  existing?: boolean;
  /** Refers to a customer an earlier request of the group changes: applied after the group. */
  deferred?: boolean;
}

export async function loadApplyContext(
  tx: Queryable,
): Promise<{ applyContext: ApplyContext; dataSyncEnabled: boolean }> {
  const reference = await readWriteReference(tx);
  const settings = resolveSettings(reference.settings);
  const now = new Date();
  return {
    dataSyncEnabled: queuesChanges(reference),
    applyContext: {
      attributeTypes: new Map<string, AttributeType>(
        reference.attributeTypes.map((type) => [type.name.toUpperCase(), type]),
      ),
      alternateKeyTypes: new Set(reference.alternateKeyTypes),
      today: now.toISOString().slice(0, 10),
      now: now.toISOString(),
      validate: settings.CustomerValidationEnabled,
    },
  };
}

/** Every customerID and alternate key the group's requests may refer to. */
export function collectLookups(
  planned: readonly Planned[],
  context: ApplyContext,
): { customerIDs: string[]; keys: AlternateKey[] } {
  const customerIDs: string[] = [];
  const keys: AlternateKey[] = [];
  for (const { operation } of planned) {
    const id = operation.request.customerID;
    if (id && operation.action !== "Add") customerIDs.push(id);
    try {
      keys.push(
        ...requestedAlternateKeys(operation.request, context).map(({ typeCode, alternateID }) => ({
          typeCode,
          alternateID,
        })),
      );
    } catch {
      // A malformed key fails its own request in `decide`, with the document's code.
    }
  }
  return { customerIDs, keys };
}

/** Works out what a request does to which customer, and applies it in memory. */
export function decide(
  item: Planned,
  stored: ReadonlyMap<string, StoredCustomer>,
  holders: ReadonlyMap<string, string>,
  context: ApplyContext,
): void {
  const { action, request } = item.operation;
  if (action === "Add") {
    const keys = requestedAlternateKeys(request, context).filter(
      (key) => key.updateType !== "DELETE",
    );
    assertKeysFree(keys, holders, null);
    item.change = "CREATE";
    return;
  }
  const target = findTarget(action, request, stored, holders, context);
  if (!target) {
    if (action === "AddorUpdate") {
      // "If the customer is not found, a new Customer ID will be generated" (seeds/003).
      const keys = requestedAlternateKeys(request, context).filter(
        (key) => key.updateType !== "DELETE",
      );
      assertKeysFree(keys, holders, null);
      item.change = "CREATE";
      return;
    }
    if (!request.customerID && identifyingKeys(request, action, context).length === 0) {
      throw namesNoCustomer(action);
    }
    throw notFound(request, false, stored.get(request.customerID ?? "")?.state);
  }
  item.existing = true;
  const holderOf = (key: AlternateKey): string | undefined =>
    holders.get(keyId(key.typeCode, key.alternateID));
  const named = action === "AddorUpdate" ? [] : identifyingKeys(request, action, context);
  if (action === "Delete") {
    // "A deleted customer is considered to not be in the system if the <CustomerID> or
    // <AlternateID> in the request do not match those in the database" (seeds/003): every key
    // the request names must be the customer's own, or none is deleted.
    if (named.some((key) => holderOf(key) !== target.customerID)) throw notFound(request, true);
    item.applied = deactivateCustomer(target);
    item.change = "DELETE";
    return;
  }
  // An Update that names its customer by keys alone, keys that name different customers,
  // changes none: which one it meant is not the file's to tell. A key no one holds does not count.
  // Given a CustomerID, that is the customer: its `Old` key may be another's by now (an earlier
  // import of the same file gave it up, and a new customer took it).
  if (
    !request.customerID &&
    named.some((key) => ![undefined, target.customerID].includes(holderOf(key)))
  ) {
    throw notFound(request, true);
  }
  const applied =
    action === "Update"
      ? applyUpdate(target, request, context)
      : mergeAddOrUpdate(target, request, context);
  assertKeysFree(applied.state.alternateKeys, holders, target.customerID);
  item.applied = applied;
  item.change = "UPDATE";
}

function findTarget(
  action: Exclude<CustomerAction, "Add">,
  request: CustomerRequest,
  stored: ReadonlyMap<string, StoredCustomer>,
  holders: ReadonlyMap<string, string>,
  context: ApplyContext,
): CustomerState | null {
  const id = request.customerID;
  if (id) {
    const byId = stored.get(id)?.state;
    if (byId?.active) return byId;
    // Only AddorUpdate looks further: "try to locate the customer to update based on the Customer
    // ID and Alternate Keys" (seeds/003). An Update or Delete whose CustomerID names no active
    // customer would otherwise change whoever holds its key now: a Delete file imported again,
    // once the key has passed to a new customer, deleted that one.
    if (action !== "AddorUpdate") return null;
  }
  for (const key of identifyingKeys(request, action, context)) {
    const holder = holders.get(keyId(key.typeCode, key.alternateID));
    const byKey = holder === undefined ? undefined : stored.get(holder)?.state;
    if (byKey?.active) return byKey;
  }
  return null;
}

/** Whether the operation names, by CustomerID or by a key it holds, one of `customers`. */
export function namesAny(
  operation: CustomerOperation,
  customers: ReadonlySet<string>,
  holders: ReadonlyMap<string, string>,
  context: ApplyContext,
): boolean {
  if (customers.size === 0) return false;
  return namedCustomers(operation, holders, context).some((named) => customers.has(named));
}

/** The customers holding the keys the request gives; none when a key is malformed. */
function keyHolders(
  request: CustomerRequest,
  holders: ReadonlyMap<string, string>,
  context: ApplyContext,
): string[] {
  try {
    return requestedAlternateKeys(request, context).flatMap((key) => {
      const holder = holders.get(keyId(key.typeCode, key.alternateID));
      return holder === undefined ? [] : [holder];
    });
  } catch {
    return []; // A malformed key fails the request when it is applied (`decide`).
  }
}

/**
 * An Update or a Delete with nothing to find its customer by: "You must use <CustomerID> or
 * <AlternateID> to identify the correct customer" (seeds/003). An Update's key that is only to be
 * added, deleted or set names no one.
 */
function namesNoCustomer(action: "Update" | "Delete"): CusthubError {
  const keys =
    action === "Update" ? "no alternate key (one without UpdateType, or Old)" : "no alternate key";
  return new CusthubError(
    "CUSTOMER_NOT_FOUND",
    `The ${action} names no CustomerID and ${keys} to find its customer by.`,
    { customerID: null },
  );
}

/**
 * The customers the operation names: by its CustomerID (not an Add's, which the document has
 * ignored), and the holders of its keys.
 */
export function namedCustomers(
  { action, request }: CustomerOperation,
  holders: ReadonlyMap<string, string>,
  context: ApplyContext,
): string[] {
  const byId = action !== "Add" && request.customerID ? [request.customerID] : [];
  return [...byId, ...keyHolders(request, holders, context)];
}

/** `gone`: the customer the request's CustomerID names, no longer active; the message says so. */
function notFound(request: CustomerRequest, mismatch = false, gone?: CustomerState): CusthubError {
  const fate = gone ? `: customer ${gone.customerID} ${fateOf(gone)}` : "";
  return new CusthubError(
    "CUSTOMER_NOT_FOUND",
    mismatch
      ? "The request's CustomerID and alternate keys do not all name one active customer."
      : `No active customer matches the request's CustomerID or alternate keys${fate}.`,
    {
      customerID: request.customerID ?? null,
      alternateKeyTypes: (request.alternateKeys ?? []).map((key) => key.typeCode ?? null),
    },
  );
}

/**
 * The key holders whose locked rows still hold their key. Holders are found before their rows
 * are locked: a writer that deleted the holder, or took the key from it, meanwhile has committed
 * once the lock is ours, and the key is then free, as if that writer had come first.
 */
export function stillHeld(
  found: ReadonlyMap<string, string>,
  stored: ReadonlyMap<string, StoredCustomer>,
): Map<string, string> {
  const holders = new Map<string, string>();
  for (const [key, holder] of found) {
    const state = stored.get(holder)?.state;
    if (
      state?.active &&
      state.alternateKeys.some((held) => keyId(held.typeCode, held.alternateID) === key)
    ) {
      holders.set(key, holder);
    }
  }
  return holders;
}

/** An alternate key may belong to one active customer only (seeds/003, CUSTOMER_ALREADY_EXISTS). */
function assertKeysFree(
  keys: readonly AlternateKey[],
  holders: ReadonlyMap<string, string>,
  owner: string | null,
): void {
  for (const key of keys) {
    const holder = holders.get(keyId(key.typeCode, key.alternateID));
    if (holder !== undefined && holder !== owner) {
      throw new CusthubError(
        "CUSTOMER_ALREADY_EXISTS",
        `A customer with the same ${key.typeCode} alternate key already exists (customerID ${holder}).`,
        { typeCode: key.typeCode, customerID: holder },
      );
    }
  }
}
