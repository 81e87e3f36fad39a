/**
 * Writers at the same time on one customer (the API serves many requests at once; on PostgreSQL
 * several processes write): each change is read, decided and written under the customer's row
 * lock, so none is lost.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";

const api: ChangeContext = { actor: "tester", channel: "api" };
const WRITERS = 12;

describe.each(engines)("concurrent writes to one customer on $name", (engine) => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await engine.freshHub();
  });
  afterEach(async () => hub.close());

  it("keeps every note and every transaction total when they arrive together", async () => {
    const added = await hub.customers.add(
      { individual: { names: { FIRST: "Ann", LAST: "Lee" } } },
      api,
    );
    const customerID = added.customerID;
    await Promise.all(
      Array.from({ length: WRITERS }, (_, index) =>
        index % 2 === 0
          ? hub.customers.update(
              { customerID, notes: [{ text: `note ${index}`, type: "COMMENT" }] },
              api,
            )
          : hub.transactions.post(
              {
                retailTransactionId: `T-${index}`,
                customerId: customerID,
                businessDate: "2026-03-01",
                subtotal: 10,
                lineItems: [{ lineItemTypeCode: "Sale", quantity: 1 }],
              },
              api,
            ),
      ),
    );
    const state = await hub.customers.getState(customerID);
    expect(state.notes.map((note) => note.text).sort()).toEqual(
      Array.from({ length: WRITERS / 2 }, (_, index) => `note ${index * 2}`).sort(),
    );
    expect(Number(state.lifetimeActivitySummary.totalTransactionCount)).toBe(WRITERS / 2);
  });
});
