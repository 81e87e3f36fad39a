import { describe, expect, it } from "vitest";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { engines } from "../support/databases.js";

const context: ChangeContext = { actor: "test", channel: "cli" };

describe.each(engines)("data-subject requests on $name", (engine) => {
  it("exports everything held on a customer, then erases the personal data and queues CUSTOMERDEL", async () => {
    const hub = await engine.freshHub();
    await hub.settings.set("DataSyncEnabled", true);
    const { customerID } = await hub.customers.add(
      {
        individual: {
          names: { FIRST: "Erin", LAST: "Private" },
          emails: [{ emailAddress: "erin@private.example" }],
          birthDate: "1980-02-03",
        },
        alternateKeys: [{ typeCode: "EMAIL", alternateID: "erin@private.example" }],
        notes: [{ text: "likes blue" }],
      },
      context,
    );
    await hub.customers.update({ customerID, orgName: "Acme" }, context);
    const exported = await hub.customers.export(customerID);
    expect(exported.record.entityInformation.individual.name.name[0]).toEqual({
      location: "FIRST",
      value: "Erin",
    });
    expect(exported.history.map((row) => row.operation)).toEqual(["Add", "Update"]);
    expect(exported.queuedMessages.map((message) => message.action)).toEqual(["CREATE", "UPDATE"]);

    const erased = await hub.customers.erase(customerID, context);
    expect(erased).toMatchObject({ customerID, queued: true });
    const after = await hub.customers.export(customerID);
    const text = JSON.stringify(after);
    for (const personal of [
      "Erin",
      "Private",
      "erin@private.example",
      "1980-02-03",
      "likes blue",
      "Acme",
    ]) {
      expect(text).not.toContain(personal);
    }
    expect(after.stored.active).toBe(true);
    expect(after.stored.erasedAt).toBe(erased.erasedAt);
    expect(
      (await readCustomerPending(hub.db, customerID)).map((row) => [row.action, row.jsonObject]),
    ).toEqual([["DELETE", null]]);
    await expect(
      hub.customers.getByAlternateKey("EMAIL", "erin@private.example"),
    ).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    const keyRows = await hub.db.query(
      "SELECT alternate_id FROM customer_alternate_keys WHERE customer_id = $1::bigint",
      [customerID],
    );
    expect(keyRows).toEqual([]);
    await expect(hub.customers.erase("999999", context)).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });
  });
});
