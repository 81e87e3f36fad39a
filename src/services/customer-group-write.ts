/**
 * How one group of customer requests is written: in one transaction, with one statement per
 * table. Each request is decided against the customers as stored, those that reach a customer an
 * earlier request of the group changes are deferred, and a request the rules refuse fails alone
 * (SPEC 4; docs/storage.md).
 */
import { journalBlocks, writeCustomerChanges, type ChangeContext } from "./customer-changes.js";
import {
  collectLookups,
  decide,
  loadApplyContext,
  namedCustomers,
  namesAny,
  stillHeld,
  type Planned,
} from "./customer-decisions.js";
import { createCustomer, type Applied } from "../domain/apply-request.js";
import { valuesNotWritten, type CustomerState } from "../domain/customer.js";
import { toCustomerResponse } from "../domain/customer-response.js";
import { isCusthubError } from "../domain/errors.js";
import { allocateCustomerIds, findKeyHolders, loadCustomers } from "../store/customers.js";
import type { Database } from "../store/database.js";

/** Writes the group, setting each request's outcome, or `deferred` for one applied after it. */
export async function writeCustomerGroup(
  db: Database,
  planned: Planned[],
  context: ChangeContext,
): Promise<void> {
  await db.transaction(async (tx) => {
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

/** Whether applying the request left the stored customer exactly as it was. */
function leftAsItWas(before: CustomerState | undefined, applied: Applied): boolean {
  return (
    before !== undefined &&
    applied.changedFields.length === 0 &&
    applied.deletedAlternateKeys.length === 0 &&
    JSON.stringify(before) === JSON.stringify(applied.state)
  );
}
