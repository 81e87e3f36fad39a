/**
 * Customer Merge as one transaction: resolve the duplicates, build the new customer by the merge
 * logic of seeds/003, retire the duplicates, move their cards, and queue `DELETE` for each
 * duplicate and `CREATE` for the new customer (seeds/001 Table H-1, mergeCustomers). The
 * duplicates' queued transaction messages go on as the new customer's, after its `CREATE`
 * (`requeueMergedTransactions`): their transactions move to it.
 */
import { CusthubError } from "../domain/errors.js";
import {
  applyMergeOverride,
  type MergeParticipant,
  type SkippedParticipant,
} from "../domain/merge-override.js";
import { chooseSource, mergeCustomers } from "../domain/merge.js";
import type { MergeRules } from "../domain/merge-rules.js";
import { canonicalCustomerID } from "../domain/customer.js";
import type { CustomerResponse } from "../domain/customer-response.js";
import { moveCards } from "../store/cards.js";
import { readWriteReference, unknownKeyTypes } from "../store/reference-data.js";
import { unknownKeyTypeNote } from "../domain/request-keys.js";
import { moveTransactions } from "../store/transactions.js";
import {
  allocateCustomerIds,
  findKeyHolders,
  inheritCreateDate,
  keyId,
  loadCustomers,
} from "../store/customers.js";
import { retryingDeadlocks, type Database } from "../store/database.js";
import {
  journalBlocks,
  queuesChanges,
  writeCustomerChanges,
  type ChangeContext,
} from "./customer-changes.js";

/** One duplicate: by CustomerID, which wins, or by an alternate key. */
export interface MergeParty {
  customerID?: string | undefined;
  alternateKey?: { typeCode: string; alternateID: string } | undefined;
}

/** One source and at least one target, or at least two targets (seeds/003 Requirements). */
export interface MergeRequest {
  source?: MergeParty | undefined;
  targets: MergeParty[];
  /** The block of the import file the request came from (`ChangeContext.importId`). */
  block?: number | undefined;
}

export interface MergeOutcome {
  customerID: string;
  mergedFrom: string[];
  /** Customers the Customer Merge Override left out, and why. */
  skipped: SkippedParticipant[];
  record: CustomerResponse;
}

function describeParty(party: MergeParty, role: string, unknownTypes: ReadonlySet<string>): string {
  if (party.customerID) return `${role} CustomerID ${party.customerID}`;
  const typeCode = party.alternateKey?.typeCode.trim().toUpperCase();
  if (typeCode === undefined) return `${role} (no key)`;
  return unknownTypes.has(typeCode)
    ? `${role} ${typeCode} key (${unknownKeyTypeNote(typeCode)})`
    : `${role} ${typeCode} key`;
}

/**
 * Refuses a merge that names one customer twice, saying which parties name whom. When they all
 * name one customer that a merge made, the request was merged already (a file imported again).
 */
function assertDistinct(participants: readonly MergeParticipant[]): void {
  const byCustomer = new Map<string, MergeParticipant[]>();
  for (const participant of participants) {
    const id = participant.customer?.customerID;
    if (id !== undefined) byCustomer.set(id, [...(byCustomer.get(id) ?? []), participant]);
  }
  const clash = [...byCustomer.values()].find((named) => named.length > 1);
  if (!clash) return;
  const customer = clash[0]!.customer!;
  const names = clash.map((participant) => participant.described);
  const already =
    clash.length === participants.length && customer.mergedFrom !== undefined
      ? " (the result of an earlier merge: they are merged already)"
      : "";
  throw new CusthubError(
    "MERGE_CUSTOMER_CREATION_EXCEPTION",
    `The ${names.slice(0, -1).join(", ")} and ${names.at(-1)} name the same customer, ${customer.customerID}${already}.`,
    { customerID: customer.customerID, roles: clash.map((participant) => participant.role) },
  );
}

/**
 * Refuses a party that names no one: no CustomerID, and no alternate key with both a type and an
 * id. The import refuses such a block as it reads it; a request from elsewhere is refused alike,
 * before anything is looked up, whatever the Customer Merge Override says of a customer not found
 * (the party meant somebody, and which one is the request's to say).
 */
function assertNamed(parties: readonly { party: MergeParty; role: string }[]): void {
  for (const { party, role } of parties) {
    if (party.customerID?.trim()) continue;
    const key = party.alternateKey;
    const typeCode = key?.typeCode.trim();
    if (typeCode && key!.alternateID.trim()) continue;
    throw new CusthubError(
      "CUSTOMER_NOT_FOUND",
      !key
        ? `The ${role} names no CustomerID and no alternate key.`
        : !typeCode
          ? `The ${role}'s alternate key has no type code, and it names no CustomerID.`
          : `The ${role}'s alternate key (${typeCode.toUpperCase()}) has no alternate ID, and it names no CustomerID.`,
      { role },
    );
  }
}

export async function mergeCustomerRecords(
  db: Database,
  request: MergeRequest,
  context: ChangeContext,
  rules: MergeRules,
): Promise<MergeOutcome> {
  const parties = [
    ...(request.source ? [{ party: request.source, role: "source" }] : []),
    ...request.targets.map((party, index) => ({ party, role: `target ${index + 1}` })),
  ];
  assertNamed(parties);
  if (request.targets.length === 0 || parties.length < 2) {
    throw new CusthubError(
      "MERGE_CUSTOMER_CREATION_EXCEPTION",
      "A merge needs a source and at least one target, or at least two targets.",
      { targets: request.targets.length },
    );
  }
  return retryingDeadlocks(() =>
    db.transaction(async (tx) => {
      const keys = parties.flatMap(({ party }) =>
        !party.customerID && party.alternateKey
          ? [
              {
                typeCode: party.alternateKey.typeCode.trim().toUpperCase(),
                alternateID: party.alternateKey.alternateID.trim(),
              },
            ]
          : [],
      );
      const holders = await findKeyHolders(tx, keys);
      // A key of a type not in the managed list names no one: that party is not found, as the
      // merge's error table has it, and the Customer Merge Override decides as for any other. The
      // message says why, so the type can be added.
      const unknown = new Set(
        await unknownKeyTypes(
          tx,
          keys
            .filter((key) => !holders.has(keyId(key.typeCode, key.alternateID)))
            .map((key) => key.typeCode),
        ),
      );
      const ids = parties.map(({ party }) => {
        if (party.customerID) return canonicalCustomerID(party.customerID);
        const key = party.alternateKey;
        return key
          ? holders.get(keyId(key.typeCode.trim().toUpperCase(), key.alternateID.trim()))
          : undefined;
      });
      const stored = await loadCustomers(
        tx,
        ids.filter((id): id is string => id !== undefined),
        { forUpdate: true },
      );
      const participants: MergeParticipant[] = parties.map(({ party, role }, index) => ({
        role,
        described: describeParty(party, role, unknown),
        customer: ids[index] === undefined ? undefined : stored.get(ids[index]!)?.state,
      }));
      assertDistinct(participants);
      // "Customer Merge Override" (seeds/003): who is merged, left out, or refuses the merge.
      const chosen = applyMergeOverride(participants, rules);
      const customers = [...(chosen.source ? [chosen.source] : []), ...chosen.targets];
      // "If no Source customer is specified, Customer Engagement will choose a source based on the
      // Duplicate Customer Rules configured for the organization." (seeds/003)
      const source = chosen.source ?? chooseSource(customers, rules.duplicateRules);
      const targets = customers.filter((customer) => customer !== source);
      const [newID] = await allocateCustomerIds(tx, 1);
      // The attribute types and whether changes are queued, in one read.
      const reference = await readWriteReference(tx);
      const uniqueAttributes = new Set(
        reference.attributeTypes.flatMap((type) => (type.unique ? [type.name.toUpperCase()] : [])),
      );
      const { merged, retired } = mergeCustomers(
        newID!,
        source,
        targets,
        rules,
        new Date().toISOString(),
        uniqueAttributes,
      );
      const records = await writeCustomerChanges(
        tx,
        [
          ...retired.map((applied) => ({
            applied,
            change: "DELETE" as const,
            existing: true,
            operation: "Merge",
            mergedInto: newID!,
          })),
          { applied: merged, change: "CREATE" as const, existing: false, operation: "Merge" },
        ],
        context,
        queuesChanges(reference),
      );
      const mergedFrom = customers.map((customer) => customer.customerID);
      await moveCards(tx, mergedFrom, newID!);
      await moveTransactions(tx, mergedFrom, newID!);
      await inheritCreateDate(tx, newID!, mergedFrom);
      if (request.block !== undefined) {
        await journalBlocks(tx, context, [{ block: request.block, customerID: newID! }]);
      }
      return {
        customerID: newID!,
        mergedFrom: customers.map((customer) => customer.customerID),
        skipped: chosen.skipped,
        record: records.at(-1)!,
      };
    }),
  );
}
