/**
 * Customer Merge as one transaction: resolve the duplicates, build the new customer by the merge
 * logic of seeds/003, retire the duplicates, move their cards, and queue `DELETE` for each
 * duplicate and `CREATE` for the new customer (seeds/001 Table H-1, mergeCustomers).
 */
import { CusthubError } from "../domain/errors.js";
import { chooseSource, mergeCustomers, type MergeRules } from "../domain/merge.js";
import type { CustomerState } from "../domain/customer.js";
import type { CustomerResponse } from "../domain/customer-response.js";
import { moveCards } from "../store/cards.js";
import { moveTransactions } from "../store/transactions.js";
import { allocateCustomerIds, findKeyHolders, keyId, loadCustomers } from "../store/customers.js";
import type { Database } from "../store/database.js";
import { dataSyncEnabled, writeCustomerChanges, type ChangeContext } from "./customer-changes.js";

/** One duplicate: by CustomerID, which wins, or by an alternate key. */
export interface MergeParty {
  customerID?: string | undefined;
  alternateKey?: { typeCode: string; alternateID: string } | undefined;
}

/** One source and at least one target, or at least two targets (seeds/003 Requirements). */
export interface MergeRequest {
  source?: MergeParty | undefined;
  targets: MergeParty[];
}

export interface MergeOutcome {
  customerID: string;
  mergedFrom: string[];
  record: CustomerResponse;
}

const describeParty = (party: MergeParty, role: string): string =>
  party.customerID
    ? `${role} CustomerID ${party.customerID}`
    : `${role} ${party.alternateKey?.typeCode ?? "(no key)"} key`;

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
  if (request.targets.length === 0 || parties.length < 2) {
    throw new CusthubError(
      "MERGE_CUSTOMER_CREATION_EXCEPTION",
      "A merge needs a source and at least one target, or at least two targets.",
      { targets: request.targets.length },
    );
  }
  return db.transaction(async (tx) => {
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
    const ids = parties.map(({ party }) => {
      if (party.customerID) return party.customerID.trim();
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
    const customers: CustomerState[] = parties.map(({ party, role }, index) => {
      const customer = ids[index] === undefined ? undefined : stored.get(ids[index]!)?.state;
      if (!customer?.active) {
        throw new CusthubError(
          "CUSTOMER_NOT_FOUND",
          `No active customer matches the ${describeParty(party, role)}.`,
          {
            role,
          },
        );
      }
      return customer;
    });
    if (new Set(customers.map((customer) => customer.customerID)).size !== customers.length) {
      throw new CusthubError(
        "MERGE_CUSTOMER_CREATION_EXCEPTION",
        "The merge names the same customer more than once.",
        { customerIDs: customers.map((customer) => customer.customerID) },
      );
    }
    // "If no Source customer is specified, Customer Engagement will choose a source based on the
    // Duplicate Customer Rules configured for the organization." (seeds/003)
    const source = request.source ? customers[0]! : chooseSource(customers, rules.duplicateRules);
    const targets = customers.filter((customer) => customer !== source);
    const [newID] = await allocateCustomerIds(tx, 1);
    const { merged, retired } = mergeCustomers(
      newID!,
      source,
      targets,
      rules,
      new Date().toISOString(),
    );
    const records = await writeCustomerChanges(
      tx,
      [
        ...retired.map((applied) => ({
          applied,
          change: "DELETE" as const,
          existing: true,
          operation: "Merge",
        })),
        { applied: merged, change: "CREATE" as const, existing: false, operation: "Merge" },
      ],
      context,
      await dataSyncEnabled(tx),
    );
    const mergedFrom = customers.map((customer) => customer.customerID);
    await moveCards(tx, mergedFrom, newID!);
    await moveTransactions(tx, mergedFrom, newID!);
    return {
      customerID: newID!,
      mergedFrom: customers.map((customer) => customer.customerID),
      record: records.at(-1)!,
    };
  });
}
