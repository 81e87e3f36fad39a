/** Reads send the record rendered when it was written: always the same text a render gives now. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";

const api: ChangeContext = { actor: "tester", channel: "api" };

describe.each(engines)("the stored record text on $name", (engine) => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await engine.freshHub();
  });
  afterEach(async () => hub.close());

  const same = async (customerID: string) =>
    expect((await hub.customers.getJson(customerID)).text).toBe(
      JSON.stringify(await hub.customers.get(customerID)),
    );

  it("follows every kind of write, and is rendered for rows written before it was kept", async () => {
    const { customerID } = await hub.customers.add(
      {
        individual: {
          names: { FIRST: "mR ann", LAST: "lee" },
          emails: [{ emailAddress: "a#b.com" }],
        },
        alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "T1" }],
      },
      api,
    );
    await same(customerID);
    await hub.customers.update({ customerID, notes: [{ text: "called" }] }, api);
    await same(customerID);
    const other = await hub.customers.add({ individual: { names: { FIRST: "Bo" } } }, api);
    const merged = await hub.customers.merge(
      { source: { customerID }, targets: [{ customerID: other.customerID }] },
      api,
    );
    await same(merged.customerID);
    await same(customerID); // retired, inactive, pointing at the merged one
    await hub.customers.erase(merged.customerID, api);
    await same(merged.customerID);
    await hub.db.query("UPDATE customers SET response_text = NULL");
    await same(merged.customerID);
    await expect(hub.customers.getJson("424242")).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });
  });
});
