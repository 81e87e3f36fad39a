/**
 * The customer operations: add, add-or-update, update, delete, get, look up, find.
 *
 * Every change writes the customer, its history row and (with `DataSyncEnabled`) its pending-queue
 * row in one transaction. Many requests (a batch file, a bulk API call) go through `applyBatch`:
 * it applies a whole group in one transaction with one statement per table, and when that group
 * fails in the database it replays its requests one by one, so one bad request never loses or
 * rolls back another (SPEC 4). Design notes: docs/storage.md.
 */
import type { AttributeType } from "../domain/attributes.js";
import type { RecordCache } from "./record-cache.js";
import {
  journalBlocks,
  queuesChanges,
  writeCustomerChanges,
  type ChangeContext,
} from "./customer-changes.js";
import { WriteCoalescer } from "./write-coalescer.js";
import { savingFailed, sqlStateOf } from "./database-failures.js";
import { mergeCustomerRecords, type MergeOutcome, type MergeRequest } from "./customer-merge.js";
import { eraseCustomerData, exportCustomer, type CustomerExport } from "./data-subject.js";
import { mergeRulesFrom } from "../domain/merge-rules.js";
import {
  applyUpdate,
  createCustomer,
  deactivateCustomer,
  mergeAddOrUpdate,
  type ApplyContext,
  type Applied,
} from "../domain/apply-request.js";
import { identifyingKeys, requestedAlternateKeys } from "../domain/request-keys.js";
import {
  canonicalCustomerID,
  fateOf,
  valuesNotWritten,
  type AlternateKey,
  type CustomerState,
  type ValidationIssue,
} from "../domain/customer.js";
import { toCustomerResponse, type CustomerResponse } from "../domain/customer-response.js";
import { CusthubError, isCusthubError, toError } from "../domain/errors.js";
import type { CustomerRef, CustomerRequest } from "../domain/requests.js";
import { emailTerm, nameTerms, phoneTerm, postalCodeTerm } from "../domain/search-terms.js";
import { resolveSettings } from "../domain/settings.js";
import {
  allocateCustomerIds,
  FULL_BATCH,
  findCustomers,
  findKeyHolders,
  keyId,
  loadCustomers,
  loadResponseText,
  readHistory,
  type HistoryEntry,
  type StoredCustomer,
} from "../store/customers.js";
import {
  analyzedCustomers,
  refreshStatistics,
  staleAfter,
  statisticsStale,
} from "../store/customer-statistics.js";
import { isDeadlock, type Database, type Queryable } from "../store/database.js";
import { readStoredSettings, readWriteReference } from "../store/reference-data.js";

/** The request types of seeds/003 that change a customer. */
export type CustomerAction = "Add" | "AddorUpdate" | "Update" | "Delete";

export interface CustomerOperation {
  action: CustomerAction;
  request: CustomerRequest;
  /** The block of the import file the request came from (`ChangeContext.importId`). */
  block?: number | undefined;
}

export type { ChangeContext };

export type OperationOutcome =
  | {
      ok: true;
      customerID: string;
      /**
       * The pending-queue action this change stands for; null when the request left the
       * customer exactly as it was, so nothing was written or queued.
       */
      change: "CREATE" | "UPDATE" | "DELETE" | null;
      record: CustomerResponse;
      /** Findings stored with the customer: invalid fields and values not written. */
      validationIssues: ValidationIssue[];
    }
  | { ok: false; error: CusthubError };

export interface FindOptions {
  email?: string | undefined;
  phone?: string | undefined;
  name?: string | undefined;
  postalCode?: string | undefined;
  alternateKey?: AlternateKey | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface FindPage {
  items: CustomerResponse[];
  nextCursor: string | null;
}

/**
 * Requests applied together in one transaction; more per group is faster, fewer replays less.
 * A full group is written with the statements the server keeps prepared.
 */
export const GROUP_SIZE = FULL_BATCH;
const MAX_PAGE = 500;

interface Planned {
  index: number;
  operation: CustomerOperation;
  outcome?: OperationOutcome;
  applied?: Applied;
  change?: "CREATE" | "UPDATE" | "DELETE";
  existing?: boolean;
  /** Refers to a customer an earlier request of the group changes: applied after the group. */
  deferred?: boolean;
}

/** A record as `getJson` reads it. */
export interface RecordText {
  text: string;
  /** Null for an active customer; for an inactive one, the customer it was merged into, if any. */
  inactive: { mergedInto: string | null } | null;
}

export class CustomerService {
  /**
   * Customers this process created outside imports since it last gathered statistics, and how
   * many make them stale (embedded database only; `#keepStatistics`). Zero: not yet looked up.
   */
  #createdSinceAnalyze = 0;
  #staleAfter = 0;
  /** Records kept in memory for `getJson` (`Hub.keepRecords`; `custhub serve`). */
  recordCache: RecordCache | undefined;
  /** Single writes (the API's) arriving together go to the database together. */
  readonly #writes: WriteCoalescer<CustomerOperation, ChangeContext, OperationOutcome>;

  constructor(private readonly db: Database) {
    this.#writes = new WriteCoalescer(
      (operations, context) => this.applyBatch(operations, context),
      (context) => `${context.channel}\u0000${context.actor}`,
      // One session on the embedded database; a few connections' worth on a server.
      { maxInFlight: db.kind === "pglite" ? 1 : 2, maxBatch: 200 },
    );
  }

  add(request: CustomerRequest, context: ChangeContext): Promise<OperationOutcome & { ok: true }> {
    return this.one({ action: "Add", request }, context);
  }

  addOrUpdate(
    request: CustomerRequest,
    context: ChangeContext,
  ): Promise<OperationOutcome & { ok: true }> {
    return this.one({ action: "AddorUpdate", request }, context);
  }

  update(
    request: CustomerRequest,
    context: ChangeContext,
  ): Promise<OperationOutcome & { ok: true }> {
    return this.one({ action: "Update", request }, context);
  }

  delete(ref: CustomerRef, context: ChangeContext): Promise<OperationOutcome & { ok: true }> {
    const request: CustomerRequest =
      "customerID" in ref
        ? { customerID: ref.customerID }
        : { alternateKeys: [{ ...ref.alternateKey }] };
    return this.one({ action: "Delete", request }, context);
  }

  /**
   * Customer Merge: the duplicates become one new customer (seeds/003 "Customer Merge"); the
   * merge configuration options come from the settings.
   */
  async merge(request: MergeRequest, context: ChangeContext): Promise<MergeOutcome> {
    const rules = mergeRulesFrom(resolveSettings(await readStoredSettings(this.db)));
    return mergeCustomerRecords(this.db, request, context, rules);
  }

  /**
   * After a bulk write of `changed` customers (an import): gathers the planner's statistics of
   * the customer tables again when the write moved them, and on the embedded database, which has
   * no autovacuum, makes the dead rows' space reusable too (docs/storage.md, "Upkeep after an
   * import"). Without statistics a search after a large import walks the whole table. Resolves
   * with whether it did.
   */
  async refreshStatistics(changed: number): Promise<boolean> {
    if (!(await statisticsStale(this.db, changed))) return false;
    await refreshStatistics(this.db, { reclaim: this.db.kind === "pglite" });
    return true;
  }

  /** Everything held on the customer, for a data-subject request (SPEC 9). */
  export(customerID: string): Promise<CustomerExport> {
    return exportCustomer(this.db, customerID);
  }

  /** Erases the customer's personal data, keeping an anonymous shell; queued as CUSTOMERDEL. */
  erase(customerID: string, context: ChangeContext): ReturnType<typeof eraseCustomerData> {
    return eraseCustomerData(this.db, customerID, context);
  }

  /** One operation; its failure is thrown as the `CusthubError` it is. */
  private async one(
    operation: CustomerOperation,
    context: ChangeContext,
  ): Promise<OperationOutcome & { ok: true }> {
    const outcome = await this.#writes.submit(operation, context);
    if (!outcome.ok) throw outcome.error;
    return outcome;
  }

  /**
   * Applies many operations, each with the semantics of its own transaction, and returns one
   * outcome per operation in the same order.
   */
  async applyBatch(
    operations: readonly CustomerOperation[],
    context: ChangeContext,
  ): Promise<OperationOutcome[]> {
    const outcomes: OperationOutcome[] = new Array(operations.length);
    // From here on a request's CustomerID is as stored: trimmed, without leading zeros.
    operations = operations.map(withCanonicalID);
    for (const group of groupIndependent(operations)) {
      const planned: Planned[] = group.map((index) => ({ index, operation: operations[index]! }));
      try {
        await this.applyGroup(planned, context);
      } catch (groupError) {
        if (planned.length === 1) {
          planned[0]!.outcome = converges(planned[0]!.operation, groupError)
            ? await this.applyAlone(planned[0]!, context)
            : { ok: false, error: asCusthubError(groupError) };
        } else {
          // The group failed in the database (a key taken meanwhile by another writer, say):
          // replay each request on its own so only the culprit fails.
          for (const single of planned) single.outcome = await this.applyAlone(single, context);
        }
      }
      for (const item of planned.filter((candidate) => candidate.deferred && !candidate.outcome)) {
        const [outcome] = await this.applyBatch([item.operation], context);
        item.outcome = outcome!;
      }
      for (const item of planned) outcomes[item.index] = item.outcome!;
    }
    return outcomes;
  }

  /**
   * One request in a transaction of its own. An AddorUpdate whose key another writer took while
   * it ran (the active-key index refused it) runs again: it now finds that customer and updates
   * it, as AddorUpdate promises (seeds/003). So does any request the database rolled back to
   * break a deadlock. Other requests fail with what the database said.
   */
  private async applyAlone(item: Planned, context: ChangeContext): Promise<OperationOutcome> {
    for (let attempt = 1; ; attempt += 1) {
      const alone: Planned = { index: item.index, operation: item.operation };
      try {
        await this.applyGroup([alone], context);
        return alone.outcome!;
      } catch (error) {
        if (attempt < MAX_ATTEMPTS && converges(item.operation, error)) continue;
        return { ok: false, error: asCusthubError(error) };
      }
    }
  }

  /**
   * The embedded database has no autovacuum, so nothing else ever gathers the planner's
   * statistics for customers created through the API (imports gather their own): once the
   * customers created since the last time pass autovacuum's rule, they are gathered again
   * (ANALYZE; a bounded sample, under a second even for a large table). A server's autovacuum
   * does this itself (docs/storage.md, "Upkeep after an import").
   */
  async #keepStatistics(created: number, context: ChangeContext): Promise<void> {
    if (this.db.kind !== "pglite" || context.importId !== undefined || created === 0) return;
    this.#createdSinceAnalyze += created;
    if (this.#createdSinceAnalyze <= this.#staleAfter) return;
    if (await statisticsStale(this.db, this.#createdSinceAnalyze)) {
      await refreshStatistics(this.db, { reclaim: false });
      this.#createdSinceAnalyze = 0;
    }
    this.#staleAfter = staleAfter(await analyzedCustomers(this.db));
  }

  private async applyGroup(planned: Planned[], context: ChangeContext): Promise<void> {
    await this.#applyGroup(planned, context);
    // Growth is what leaves statistics far off (a table analyzed while small); updates seldom
    // move them much, and analyzing on them would stall a busy embedded database's writes.
    const created = planned.filter(
      (item) => item.outcome?.ok === true && item.outcome.change === "CREATE",
    ).length;
    await this.#keepStatistics(created, context);
  }

  async #applyGroup(planned: Planned[], context: ChangeContext): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { applyContext, dataSyncEnabled: syncEnabled } = await loadApplyContext(tx);
      const lookups = collectLookups(planned, applyContext);
      const found = await findKeyHolders(tx, lookups.keys);
      const candidateIds = new Set(lookups.customerIDs);
      for (const holder of found.values()) candidateIds.add(holder);
      const stored = await loadCustomers(tx, [...candidateIds], { forUpdate: true });
      const holders = stillHeld(found, stored);

      const creations: Planned[] = [];
      const claimed = new Set<string>();
      for (const item of planned) {
        // A request naming a customer an earlier request of the group changes (by the same or
        // another key, or its CustomerID: a Delete by CustomerID, then an Add of the key it freed)
        // must see that change: it is not decided now, but applied after the group. The customers
        // it names are then claimed too: a later request of the group must not change them before
        // it runs (delete the one it updates, free a key it would find taken).
        if (namesAny(item.operation, claimed, holders, applyContext)) {
          item.deferred = true;
          for (const customerID of namedCustomers(item.operation, holders, applyContext)) {
            claimed.add(customerID);
          }
          continue;
        }
        try {
          decide(item, stored, holders, applyContext);
          if (item.existing) claimed.add(item.applied!.state.customerID);
          if (item.change === "CREATE") creations.push(item);
        } catch (error) {
          if (!isCusthubError(error)) throw error;
          item.outcome = { ok: false, error };
        }
      }
      const ids = await allocateCustomerIds(tx, creations.length);
      creations.forEach((item, at) => {
        // A request the rules refuse fails alone: the rest of the group stands (its id is skipped).
        try {
          item.applied = createCustomer(ids[at]!, item.operation.request, applyContext);
        } catch (error) {
          if (!isCusthubError(error)) throw error;
          item.outcome = { ok: false, error };
        }
      });

      // A stored customer the request leaves exactly as it was is not written again: no history
      // row, nothing queued ("that information is not updated", seeds/003). A re-imported file
      // sends nothing.
      const unchanged = new Set(
        planned.filter(
          (item) =>
            item.applied !== undefined &&
            item.change === "UPDATE" &&
            leftAsItWas(stored.get(item.applied.state.customerID)?.state, item.applied),
        ),
      );
      const done = planned.filter((item) => item.applied !== undefined && !unchanged.has(item));
      const records = await writeCustomerChanges(
        tx,
        done.map((item) => ({
          applied: item.applied!,
          change: item.change!,
          existing: item.existing === true,
          operation: item.operation.action,
        })),
        context,
        syncEnabled,
      );
      await journalBlocks(
        tx,
        context,
        [...done, ...unchanged].flatMap(({ operation, applied }) => {
          if (operation.block === undefined) return [];
          const warnings = valuesNotWritten(applied!.state.validationIssues);
          return [
            {
              block: operation.block,
              customerID: applied!.state.customerID,
              ...(warnings.length > 0 ? { warnings } : {}),
            },
          ];
        }),
      );
      done.forEach((item, at) => {
        item.outcome = {
          ok: true,
          customerID: item.applied!.state.customerID,
          change: item.change!,
          record: records[at]!,
          validationIssues: item.applied!.state.validationIssues,
        };
      });
      for (const item of unchanged) {
        item.outcome = {
          ok: true,
          customerID: item.applied!.state.customerID,
          change: null,
          record: toCustomerResponse(item.applied!.state),
          validationIssues: item.applied!.state.validationIssues,
        };
      }
    });
  }

  async get(customerID: string): Promise<CustomerResponse> {
    return toCustomerResponse(await this.getState(customerID));
  }

  /**
   * The customer's record as JSON text, exactly `JSON.stringify(get(customerID))`: the text kept
   * when the customer was written, sent as it is (reads pay no parsing or rendering); from the
   * record cache when one is kept (`Hub.keepRecords`). The record's shape has no word for a
   * deleted or merged-away customer, so `inactive` says so; only active customers are cached.
   */
  async getJson(customerID: string): Promise<RecordText> {
    customerID = canonicalCustomerID(customerID);
    const cache = this.recordCache;
    const cached = cache?.get(customerID);
    if (cached !== undefined) return { text: cached, inactive: null };
    const begun = cache?.begin() ?? 0;
    const stored = await loadResponseText(this.db, customerID);
    const text = stored?.text ?? JSON.stringify(await this.get(customerID));
    if (stored === undefined || stored.active) {
      cache?.fill(customerID, text, begun);
      return { text, inactive: null };
    }
    return { text, inactive: { mergedInto: stored.mergedInto } };
  }

  /** The stored record with what the response shape leaves out: validation findings, inactive state. */
  async getState(customerID: string): Promise<CustomerState> {
    customerID = canonicalCustomerID(customerID);
    const found = (await loadCustomers(this.db, [customerID])).get(customerID);
    if (!found) {
      throw new CusthubError("CUSTOMER_NOT_FOUND", `No customer with customerID ${customerID}.`, {
        customerID,
      });
    }
    return found.state;
  }

  async getByAlternateKey(typeCode: string, alternateID: string): Promise<CustomerResponse> {
    const key = { typeCode: typeCode.trim().toUpperCase(), alternateID: alternateID.trim() };
    const holder = (await findKeyHolders(this.db, [key])).get(keyId(key.typeCode, key.alternateID));
    if (!holder) {
      throw new CusthubError(
        "CUSTOMER_NOT_FOUND",
        `No active customer holds alternate key ${key.typeCode}.`,
        { typeCode: key.typeCode },
      );
    }
    return this.get(holder);
  }

  async history(customerID: string): Promise<HistoryEntry[]> {
    await this.getState(customerID);
    return readHistory(this.db, customerID);
  }

  /** Customers matching every given criterion, a page at a time (cursor: the last customerID). */
  async find(options: FindOptions): Promise<FindPage> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), MAX_PAGE);
    if (options.alternateKey) {
      try {
        const record = await this.getByAlternateKey(
          options.alternateKey.typeCode,
          options.alternateKey.alternateID,
        );
        return { items: [record], nextCursor: null };
      } catch (error) {
        if (isCusthubError(error) && error.code === "CUSTOMER_NOT_FOUND")
          return { items: [], nextCursor: null };
        throw error;
      }
    }
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const states = await findCustomers(this.db, {
      email: options.email === undefined ? undefined : emailTerm(options.email),
      phone: options.phone === undefined ? undefined : phoneTerm(options.phone),
      postalCode: options.postalCode === undefined ? undefined : postalCodeTerm(options.postalCode),
      nameTokens: options.name === undefined ? undefined : nameTerms(options.name),
      after,
      limit: limit + 1,
    });
    const page = states.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toCustomerResponse),
      nextCursor: states.length > limit && last ? encodeCursor(last.customerID) : null,
    };
  }
}

/** Whether applying the request left the stored customer exactly as it was. */
function leftAsItWas(before: CustomerState | undefined, applied: Applied): boolean {
  return (
    before !== undefined &&
    applied.changedFields.length === 0 &&
    applied.deletedAlternateKeys.length === 0 &&
    JSON.stringify(before) === JSON.stringify(applied.state)
  );
}

function encodeCursor(customerID: string): string {
  return Buffer.from(`c:${customerID}`).toString("base64url");
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, "base64url").toString();
  const match = /^c:(\d{1,18})$/.exec(decoded);
  if (!match)
    throw new CusthubError("INVALID_REQUEST", "The cursor is not one this API returned.", {
      cursor,
    });
  return match[1]!;
}

/** How many times one request runs at most when another writer keeps taking its key first. */
const MAX_ATTEMPTS = 3;

/** Whether a unique index refused the write: only the active-alternate-key index can. */
const isUniqueViolation = (error: unknown): boolean => sqlStateOf(error) === "23505";

/**
 * Whether running the request again finds what refused it: an AddorUpdate's key taken meanwhile;
 * or any request rolled back for a deadlock (two writers giving the same new keys in another order
 * wait on each other in the active-key index), which runs again as if the other writer came first.
 */
const converges = (operation: CustomerOperation, error: unknown): boolean =>
  (operation.action === "AddorUpdate" && isUniqueViolation(error)) || isDeadlock(error);

function asCusthubError(error: unknown): CusthubError {
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

async function loadApplyContext(
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
function collectLookups(
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
function decide(
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

/** The operation with its CustomerID as stored (`canonicalCustomerID`); itself when it is so. */
function withCanonicalID(operation: CustomerOperation): CustomerOperation {
  const given = operation.request.customerID;
  if (given === undefined || given === null) return operation;
  const customerID = canonicalCustomerID(given);
  return customerID === given
    ? operation
    : { ...operation, request: { ...operation.request, customerID } };
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
function namesAny(
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
function namedCustomers(
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
function stillHeld(
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

/**
 * Splits operations into groups in which no two refer to the same customer (by customerID or
 * alternate key), keeping their order, so each group can be applied as one set of statements.
 */
function groupIndependent(operations: readonly CustomerOperation[]): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let seen = new Set<string>();
  operations.forEach((operation, index) => {
    const refs = referencesOf(operation.request);
    if (current.length >= GROUP_SIZE || refs.some((ref) => seen.has(ref))) {
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
