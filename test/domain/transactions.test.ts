import { describe, expect, it } from "vitest";
import { emptyCustomer } from "../../src/domain/customer.js";
import {
  addDecimals,
  applyTransaction,
  checkTransaction,
  decimalOf,
  transactionEffect,
} from "../../src/domain/transactions.js";

describe("decimal strings", () => {
  it.each([
    ["0", "0", "0"],
    ["12.50", "0.5", "13"],
    ["0.1", "0.2", "0.3"],
    ["100.1", "0.2", "100.3"],
    ["1325", "79.5", "1404.5"],
    ["-5", "2.25", "-2.75"],
    ["2.25", "-2.25", "0"],
    ["999999999999.99", "0.01", "1000000000000"],
  ])("%s + %s = %s", (a, b, sum) => {
    expect(addDecimals(a, b)).toBe(sum);
  });

  it.each([
    [1325.0, "1325"],
    [79.5, "79.5"],
    [-25.5, "-25.5"],
    [0, "0"],
    [1e-7, "0.0000001"],
    [1e12, "1000000000000"],
  ])("reads the number %s as %s", (value, text) => {
    expect(decimalOf(value)).toBe(text);
  });
});

describe("transaction effect", () => {
  const base = {
    retailTransactionId: "T1",
    businessDate: "2024-03-01",
    customerId: "1000",
    subtotal: 10,
  };

  it.each([
    [
      "sale lines",
      { lineItems: [{ lineItemTypeCode: "Sale", quantity: 2 }] },
      ["10", "0", "2", "0", true],
    ],
    ["no lines", {}, ["10", "0", "0", "0", true]],
    ["negative subtotal", { subtotal: -4 }, ["0", "4", "0", "0", false]],
    [
      "return lines only",
      { lineItems: [{ lineItemTypeCode: "RETURN" }] },
      ["0", "10", "0", "1", false],
    ],
    [
      "an exchange, net sale",
      { lineItems: [{ lineItemTypeCode: "Sale" }, { lineItemTypeCode: "Return" }] },
      ["10", "0", "1", "1", true],
    ],
    ["a zero sale with no items", { subtotal: 0 }, ["0", "0", "0", "0", false]],
    [
      "void and other lines",
      {
        lineItems: [
          { lineItemTypeCode: "Sale", voidFlag: true },
          { lineItemTypeCode: "Tender" },
          { lineItemTypeCode: "Tax", quantity: 9 },
        ],
      },
      ["10", "0", "0", "0", true],
    ],
  ])("%s", (_name, change, [sales, returns, sold, returned, purchase]) => {
    const effect = transactionEffect(checkTransaction({ ...base, ...change }));
    expect([
      effect.salesAmount,
      effect.returnsAmount,
      effect.itemsSold,
      effect.itemsReturned,
      effect.purchase,
    ]).toEqual([sales, returns, sold, returned, purchase]);
  });

  it("counts a voided transaction in nothing", () => {
    const effect = transactionEffect(checkTransaction({ ...base, voidFlag: true }));
    expect(effect.counted).toBe(false);
    expect(applyTransaction(emptyCustomer("1000"), effect)).toBeNull();
  });

  it("takes the transaction's year for a customer with none, keeping its year-to-date figures", () => {
    const state = emptyCustomer("1000");
    state.yearToDateActivitySummary.totalSalesAmount = "5";
    state.yearToDateActivitySummary.totalTransactionCount = "1";
    const applied = applyTransaction(state, transactionEffect(checkTransaction(base)))!;
    expect(applied.state.yearToDateYear).toBe(2024);
    expect(applied.state.yearToDateActivitySummary).toMatchObject({
      totalSalesAmount: "15",
      totalTransactionCount: "2",
    });
    expect(applied.changedFields).toEqual([
      "lifetimeActivitySummary",
      "yearToDateActivitySummary",
      "firstPurchaseDate",
      "lastPurchaseDate",
    ]);
    // The input is left as it was.
    expect(state.yearToDateYear).toBeNull();
  });
});
