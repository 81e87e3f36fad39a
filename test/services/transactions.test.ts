import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toDataSyncMessage } from "../../src/domain/sync-messages.js";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { readTransactionPending } from "../../src/store/transactions.js";
import { engines } from "../support/databases.js";

const pos: ChangeContext = { actor: "pos", channel: "api" };

/** The data-sync document's TransactionType example payload (seeds/001), as is. */
const exampleText = readFileSync(
  new URL("../fixtures/transaction-example.json", import.meta.url),
  "utf8",
);
const example = (): Record<string, unknown> => JSON.parse(exampleText) as Record<string, unknown>;

interface Line {
  type: string;
  quantity?: number;
  voidFlag?: boolean;
}

/** A transaction shaped as the example, with the parts the summaries read replaced. */
function transaction(
  id: string,
  customerId: string,
  businessDate: string,
  subtotal: number,
  lines: Line[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const base = example();
  const template = (base.lineItems as Record<string, unknown>[])[0]!;
  return {
    ...base,
    retailTransactionId: id,
    customerId,
    businessDate,
    subtotal,
    lineItems: lines.map((line, index) => ({
      ...template,
      lineItemSequence: index + 1,
      lineItemTypeCode: line.type,
      ...(line.quantity === undefined ? {} : { quantity: line.quantity }),
      ...(line.voidFlag === undefined ? {} : { voidFlag: line.voidFlag }),
      custId: customerId,
    })),
    ...extra,
  };
}

interface Totals {
  lifetime: [sales: string, returns: string, count: string, sold: string, returned: string];
  ytd: [sales: string, returns: string, count: string, sold: string, returned: string];
  first: string | null;
  last: string | null;
}

/**
 * Transactions posted in order to one customer, and the summaries after each. Reads as: the
 * transaction (date, subtotal, lines) → lifetime and year-to-date (sales, returns, transactions,
 * items sold, items returned), first and last purchase dates.
 */
const STEPS: {
  name: string;
  date: string;
  subtotal: number;
  lines: Line[];
  void?: true;
  after: Totals;
}[] = [
  {
    name: "a sale of two lines, one with a quantity, with tender and tax lines",
    date: "2024-03-10",
    subtotal: 100.1,
    lines: [{ type: "Sale", quantity: 2 }, { type: "Sale" }, { type: "Tender" }, { type: "Tax" }],
    after: {
      lifetime: ["100.1", "0", "1", "3", "0"],
      ytd: ["100.1", "0", "1", "3", "0"],
      first: "2024-03-10",
      last: "2024-03-10",
    },
  },
  {
    name: "a second sale adds exactly (0.2 more: no floating-point drift)",
    date: "2024-05-01",
    subtotal: 0.2,
    lines: [{ type: "SALE" }],
    after: {
      lifetime: ["100.3", "0", "2", "4", "0"],
      ytd: ["100.3", "0", "2", "4", "0"],
      first: "2024-03-10",
      last: "2024-05-01",
    },
  },
  {
    name: "a return (negative subtotal) adds to returns, not to the purchase dates",
    date: "2024-06-01",
    subtotal: -25.5,
    lines: [{ type: "Return" }, { type: "Tender" }],
    after: {
      lifetime: ["100.3", "25.5", "3", "4", "1"],
      ytd: ["100.3", "25.5", "3", "4", "1"],
      first: "2024-03-10",
      last: "2024-05-01",
    },
  },
  {
    name: "a void line counts no item",
    date: "2024-06-02",
    subtotal: 10,
    lines: [
      { type: "Sale", voidFlag: true },
      { type: "Sale", quantity: 1.5 },
    ],
    after: {
      lifetime: ["110.3", "25.5", "4", "5.5", "1"],
      ytd: ["110.3", "25.5", "4", "5.5", "1"],
      first: "2024-03-10",
      last: "2024-06-02",
    },
  },
  {
    name: "a voided transaction counts for nothing",
    date: "2024-07-01",
    subtotal: 999,
    lines: [{ type: "Sale" }],
    void: true,
    after: {
      lifetime: ["110.3", "25.5", "4", "5.5", "1"],
      ytd: ["110.3", "25.5", "4", "5.5", "1"],
      first: "2024-03-10",
      last: "2024-06-02",
    },
  },
  {
    name: "the next year starts year to date afresh",
    date: "2025-01-02",
    subtotal: 50,
    lines: [{ type: "Sale" }],
    after: {
      lifetime: ["160.3", "25.5", "5", "6.5", "1"],
      ytd: ["50", "0", "1", "1", "0"],
      first: "2024-03-10",
      last: "2025-01-02",
    },
  },
  {
    name: "a late transaction of the past year counts in the lifetime only, and moves the first purchase",
    date: "2023-12-31",
    subtotal: 7.25,
    lines: [{ type: "Sale" }],
    after: {
      lifetime: ["167.55", "25.5", "6", "7.5", "1"],
      ytd: ["50", "0", "1", "1", "0"],
      first: "2023-12-31",
      last: "2025-01-02",
    },
  },
  {
    name: "a return by its lines alone (positive subtotal, return lines only)",
    date: "2025-02-01",
    subtotal: 12,
    lines: [{ type: "Return", quantity: 2 }],
    after: {
      lifetime: ["167.55", "37.5", "7", "7.5", "3"],
      ytd: ["50", "12", "2", "1", "2"],
      first: "2023-12-31",
      last: "2025-01-02",
    },
  },
];

describe.each(engines)("posting transactions on $name", (engine) => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await engine.freshHub();
  });
  afterEach(async () => hub.close());

  it("drops a deleted customer's queued transaction messages with its other rows (seeds/001)", async () => {
    await hub.settings.set("DataSyncEnabled", "Yes");
    const kept = await hub.customers.add({ orgName: "Kept" }, pos);
    const gone = await hub.customers.add({ orgName: "Gone" }, pos);
    await hub.transactions.post(
      transaction("D-1", kept.customerID, "2026-02-01", 5, [{ type: "Sale" }]),
      pos,
    );
    await hub.transactions.post(
      transaction("D-2", gone.customerID, "2026-02-01", 5, [{ type: "Sale" }]),
      pos,
    );
    await hub.customers.delete({ customerID: gone.customerID }, pos);
    expect((await readTransactionPending(hub.db)).map((row) => row.uniqueId)).toEqual(["D-1"]);
  });

  it("moves a merged customer's transactions, and their totals, to the merged customer", async () => {
    const first = await hub.customers.add({ orgName: "First" }, pos);
    const second = await hub.customers.add({ orgName: "Second" }, pos);
    await hub.transactions.post(
      transaction("M-1", first.customerID, "2026-02-01", 20, [{ type: "Sale" }]),
      pos,
    );
    await hub.transactions.post(
      transaction("M-2", second.customerID, "2026-03-01", 5, [{ type: "Sale" }]),
      pos,
    );
    const merged = await hub.customers.merge(
      { source: { customerID: first.customerID }, targets: [{ customerID: second.customerID }] },
      pos,
    );
    for (const id of ["M-1", "M-2"]) {
      expect((await hub.transactions.get(id)).customerID).toBe(merged.customerID);
    }
    expect(merged.record.entityInformation.individual.lifetimeActivitySummary).toMatchObject({
      totalSalesAmount: "25",
      totalTransactionCount: "2",
    });
  });

  it("stores the document's example transaction and counts it for its customer", async () => {
    const customer = await hub.customers.add({ orgName: "Example" }, pos);
    await hub.settings.set("DataSyncEnabled", "Yes");
    const payload = { ...example(), customerId: customer.customerID };
    const posted = await hub.transactions.post(payload, pos);
    expect(posted).toMatchObject({
      retailTransactionId: "99901000022017110710000100",
      customerID: customer.customerID,
      created: true,
      counted: true,
    });
    expect(posted.record.firstPurchaseDate).toBe("2017-11-07");
    expect(posted.record.lastPurchaseDate).toBe("2017-11-07");
    expect(posted.record.entityInformation.individual.lifetimeActivitySummary).toEqual({
      totalReturnsAmount: "0",
      totalSalesAmount: "1325",
      totalTransactionCount: "1",
      totalItemsSoldCount: "1",
      totalItemsReturnedCount: "0",
    });
    const stored = await hub.transactions.get("99901000022017110710000100");
    expect(stored.transaction).toEqual(payload);
    expect(stored.customerID).toBe(customer.customerID);

    // Both queues: the transaction's CREATE (Table H-3) and the customer's UPDATE (Table H-1).
    const transactions = await readTransactionPending(hub.db);
    expect(
      transactions.map((row) => [row.objName, row.uniqueId, row.action, row.customerID]),
    ).toEqual([["Transaction", "99901000022017110710000100", "CREATE", customer.customerID]]);
    expect(JSON.parse(transactions[0]!.json!)).toEqual(payload);
    // The sync job makes it a POSTRN message (Table H-5) whose payload is the transaction's JSON.
    const message = toDataSyncMessage({
      objName: transactions[0]!.objName,
      method: transactions[0]!.action,
      uniqueId: transactions[0]!.uniqueId,
      json: transactions[0]!.json,
      messageId: "7",
    });
    expect(message).toMatchObject({ action: "POSTRNCRE", type: "POSTRN", uniqueId: "7" });
    expect(JSON.parse(message.payload)).toEqual(payload);
    // The queued JSON keeps the posted property order, as the sync message must.
    expect(Object.keys(JSON.parse(transactions[0]!.json!) as object)).toEqual(Object.keys(payload));
    const customers = await readCustomerPending(hub.db, customer.customerID);
    expect(customers.map((row) => [row.objName, row.action])).toEqual([["Customer", "UPDATE"]]);
    expect(customers[0]!.jsonObject).toEqual(posted.record);
    // The transaction's row comes first: the customer's UPDATE reflects it.
    expect(Number(transactions[0]!.id)).toBeLessThan(Number(customers[0]!.id));

    const history = await hub.customers.history(customer.customerID);
    expect(history.at(-1)).toMatchObject({ operation: "postTransaction", actor: "pos" });
  });

  it("moves the summaries exactly, transaction after transaction", async () => {
    const customer = await hub.customers.add({ orgName: "Steps" }, pos);
    let n = 0;
    for (const step of STEPS) {
      n += 1;
      const posted = await hub.transactions.post(
        transaction(`T-${n}`, customer.customerID, step.date, step.subtotal, step.lines, {
          voidFlag: step.void ?? false,
        }),
        pos,
      );
      expect(posted.counted, step.name).toBe(!step.void);
      const record = await hub.customers.get(customer.customerID);
      const individual = record.entityInformation.individual;
      const lifetime = individual.lifetimeActivitySummary;
      const ytd = individual.yearToDateActivitySummary;
      expect(
        {
          lifetime: [
            lifetime.totalSalesAmount,
            lifetime.totalReturnsAmount,
            lifetime.totalTransactionCount,
            lifetime.totalItemsSoldCount,
            lifetime.totalItemsReturnedCount,
          ],
          ytd: [
            ytd.yearToDateSalesAmount,
            ytd.yearToDateReturnsAmount,
            ytd.yearToDateTransactionCount,
            ytd.yearToDateItemsSoldCount,
            ytd.yearToDateItemsReturnedCount,
          ],
          first: record.firstPurchaseDate,
          last: record.lastPurchaseDate,
        },
        step.name,
      ).toEqual(step.after);
    }
  });

  it("queues nothing for the customer when sync is off, and no customer UPDATE for a voided transaction", async () => {
    const customer = await hub.customers.add({ orgName: "Quiet" }, pos);
    await hub.transactions.post(transaction("Q-1", customer.customerID, "2024-01-01", 5, []), pos);
    expect(await readTransactionPending(hub.db)).toEqual([]);
    expect(await readCustomerPending(hub.db)).toEqual([]);

    await hub.settings.set("DataSyncEnabled", "true");
    const voided = await hub.transactions.post(
      transaction("Q-2", customer.customerID, "2024-01-02", 5, [{ type: "Sale" }], {
        voidFlag: true,
      }),
      pos,
    );
    expect(voided.counted).toBe(false);
    expect((await readTransactionPending(hub.db)).map((row) => row.uniqueId)).toEqual(["Q-2"]);
    expect(await readCustomerPending(hub.db)).toEqual([]);
  });

  it("treats the same transaction posted again as a retry, and other content under its id as a conflict", async () => {
    const customer = await hub.customers.add({ orgName: "Retry" }, pos);
    await hub.settings.set("DataSyncEnabled", "Yes");
    const payload = transaction("R-1", customer.customerID, "2024-04-04", 40, [{ type: "Sale" }]);
    const first = await hub.transactions.post(payload, pos);
    const again = await hub.transactions.post(structuredClone(payload), pos);
    expect(again).toEqual({ ...first, created: false });
    expect(
      (await hub.customers.get(customer.customerID)).entityInformation.individual
        .lifetimeActivitySummary.totalTransactionCount,
    ).toBe("1");
    expect(await readTransactionPending(hub.db)).toHaveLength(1);
    expect(await readCustomerPending(hub.db)).toHaveLength(1);

    await expect(hub.transactions.post({ ...payload, subtotal: 41 }, pos)).rejects.toMatchObject({
      code: "TRANSACTION_ALREADY_EXISTS",
    });
  });

  it("finds the customer by customerKey when there is no customerId, and refuses a transaction naming none or an unknown one", async () => {
    const customer = await hub.customers.add(
      { orgName: "Keyed", alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "X-9" }] },
      pos,
    );
    const byKey = await hub.transactions.post(
      transaction("K-1", "", "2024-02-02", 3, [{ type: "Sale" }], {
        customerId: null,
        customerKey: { typeCode: "xstore_id", alternateID: "X-9" },
      }),
      pos,
    );
    expect(byKey.customerID).toBe(customer.customerID);
    // A customerId sent as a JSON number is taken as its digits; the transaction is kept as sent.
    const byNumber = await hub.transactions.post(
      transaction("K-2", "", "2024-02-02", 3, [{ type: "Sale" }], {
        customerId: Number(customer.customerID),
      }),
      pos,
    );
    expect(byNumber.customerID).toBe(customer.customerID);
    expect((await hub.transactions.get("K-2")).transaction).toMatchObject({
      customerId: Number(customer.customerID),
    });

    const cases: [string, Record<string, unknown>, string, string][] = [
      ["no customer", { customerId: null, customerKey: null }, "INVALID_REQUEST", "customerId"],
      ["customerId not digits", { customerId: "C-1" }, "INVALID_REQUEST", "customerId"],
      ["customerId a fraction", { customerId: 10.5 }, "INVALID_REQUEST", "customerId"],
      ["unknown customer", { customerId: "987654" }, "CUSTOMER_NOT_FOUND", ""],
      [
        "unknown key",
        { customerId: null, customerKey: { typeCode: "XSTORE_ID", alternateID: "none" } },
        "CUSTOMER_NOT_FOUND",
        "",
      ],
      ["bad date", { businessDate: "2024-02-30" }, "INVALID_DATE_FORMAT", "businessDate"],
      ["no subtotal", { subtotal: "12" }, "INVALID_REQUEST", "subtotal"],
      ["bad id", { retailTransactionId: "a b" }, "INVALID_REQUEST", "retailTransactionId"],
      [
        "bad quantity",
        { lineItems: [{ lineItemTypeCode: "Sale", quantity: -1 }] },
        "INVALID_REQUEST",
        "lineItems[0].quantity",
      ],
    ];
    for (const [name, change, code, field] of cases) {
      const payload = {
        ...transaction(`BAD-${name.replace(/ /g, "-")}`, customer.customerID, "2024-02-03", 1, []),
        ...change,
      };
      const failure = await hub.transactions.post(payload, pos).then(
        () => undefined,
        (error: unknown) => error as { code: string; details: { field?: string } },
      );
      expect(failure?.code, name).toBe(code);
      if (field) expect(failure?.details.field, name).toBe(field);
    }
    await expect(hub.transactions.get("BAD-no-customer")).rejects.toMatchObject({
      code: "TRANSACTION_NOT_FOUND",
    });
  });

  it("counts two transactions posted at once for one customer, both", async () => {
    const customer = await hub.customers.add({ orgName: "Busy" }, pos);
    await Promise.all(
      [1, 2, 3, 4].map((n) =>
        hub.transactions.post(
          transaction(`C-${n}`, customer.customerID, "2024-09-09", n, [{ type: "Sale" }]),
          pos,
        ),
      ),
    );
    const summary = (await hub.customers.get(customer.customerID)).entityInformation.individual
      .lifetimeActivitySummary;
    expect(summary.totalTransactionCount).toBe("4");
    expect(summary.totalSalesAmount).toBe("10");
  });
});
