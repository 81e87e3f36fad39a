/**
 * The customer operations: add, add-or-update, update, delete, get, look up, find.
 *
 * Every change writes the customer, its history row and (with `DataSyncEnabled`) its pending-queue
 * row in one transaction. Many requests (a batch file, a bulk API call) go through `applyBatch`:
 * it applies a whole group in one transaction with one statement per table, and when that group
 * fails in the database it replays its requests one by one, so one bad request never loses or
 * rolls back another (SPEC 4). What each request of a group does is decided in
 * customer-decisions.ts, how they are grouped and replayed in customer-groups.ts, how a group is
 * written in customer-group-write.ts; the reads are in customer-reads.ts. Design notes: docs/storage.md.
 */
import type { RecordCache } from "./record-cache.js";
import type { ChangeContext } from "./customer-changes.js";
import { WriteCoalescer } from "./write-coalescer.js";
import {
  findCustomerPage,
  readCustomer,
  readCustomerByKey,
  readCustomerHistory,
  readCustomerState,
  readRecordText,
  type FindOptions,
  type FindPage,
  type RecordText,
} from "./customer-reads.js";
import {
  asCusthubError,
  converges,
  GROUP_SIZE,
  groupIndependent,
  MAX_ATTEMPTS,
  withCanonicalID,
} from "./customer-groups.js";
import type { Planned } from "./customer-decisions.js";
import { writeCustomerGroup } from "./customer-group-write.js";
import { mergeCustomerRecords, type MergeOutcome, type MergeRequest } from "./customer-merge.js";
import { eraseCustomerData, exportCustomer, type CustomerExport } from "./data-subject.js";
import { mergeRulesFrom } from "../domain/merge-rules.js";
import type { CustomerState, ValidationIssue } from "../domain/customer.js";
import type { CustomerResponse } from "../domain/customer-response.js";
import type { CusthubError } from "../domain/errors.js";
import type { CustomerRef, CustomerRequest } from "../domain/requests.js";
import { resolveSettings } from "../domain/settings.js";
import type { HistoryEntry } from "../store/customers.js";
import {
  analyzedCustomers,
  refreshStatistics,
  staleAfter,
  statisticsStale,
} from "../store/customer-statistics.js";
import type { Database } from "../store/database.js";
import { readStoredSettings } from "../store/reference-data.js";

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
    for (const group of groupIndependent(operations, GROUP_SIZE)) {
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
    await writeCustomerGroup(this.db, planned, context);
    // Growth is what leaves statistics far off (a table analyzed while small); updates seldom
    // move them much, and analyzing on them would stall a busy embedded database's writes.
    const created = planned.filter(
      (item) => item.outcome?.ok === true && item.outcome.change === "CREATE",
    ).length;
    await this.#keepStatistics(created, context);
  }

  get(customerID: string): Promise<CustomerResponse> {
    return readCustomer(this.db, customerID);
  }

  /** The customer's record as JSON text, from the record cache when one is kept (`readRecordText`). */
  getJson(customerID: string): Promise<RecordText> {
    return readRecordText(this.db, this.recordCache, customerID);
  }

  getState(customerID: string): Promise<CustomerState> {
    return readCustomerState(this.db, customerID);
  }

  getByAlternateKey(typeCode: string, alternateID: string): Promise<CustomerResponse> {
    return readCustomerByKey(this.db, typeCode, alternateID);
  }

  history(customerID: string): Promise<HistoryEntry[]> {
    return readCustomerHistory(this.db, customerID);
  }

  find(options: FindOptions): Promise<FindPage> {
    return findCustomerPage(this.db, options);
  }
}
