import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

const context: ChangeContext = { actor: "test", channel: "api" };

/** A deleted customer, and A and B merged into a new one. */
async function goneCustomers(hub: Hub) {
  const key = (alternateID: string) => ({
    alternateKeys: [{ typeCode: "TWCUSTID", alternateID }],
  });
  const deleted = await hub.customers.add(key("DEL"), context);
  const a = await hub.customers.add(key("A"), context);
  const b = await hub.customers.add(key("B"), context);
  const merged = await hub.customers.merge(
    { source: { customerID: a.customerID }, targets: [{ customerID: b.customerID }] },
    context,
  );
  await hub.customers.delete({ customerID: deleted.customerID }, context);
  return {
    deleted: deleted.customerID,
    a: a.customerID,
    b: b.customerID,
    merged: merged.customerID,
  };
}

describe.each(engines)("requests naming a customer no longer active, on $name", (engine) => {
  it("says the customer a Delete or an Update names by CustomerID was deleted, or merged into whom", async () => {
    const hub = await engine.freshHub();
    const dataDir = tempDir();
    const { deleted, a, b, merged } = await goneCustomers(hub);
    const file = join(dataDir, "gone.xml");
    writeFileSync(
      file,
      `<Customers>
<Customer Action="Delete"><CustomerID>${deleted}</CustomerID></Customer>
<Customer Action="Delete"><CustomerID>${b}</CustomerID></Customer>
<Customer Action="Update"><CustomerID>${a}</CustomerID><Affiliation Action="Add"><RetailStoreID>101</RetailStoreID></Affiliation></Customer>
<Customer Action="Delete"><CustomerID>999999</CustomerID></Customer>
</Customers>
`,
    );
    const summary = await importFile(hub, file, { channel: "cli", actor: "test", dataDir });
    expect(summary).toMatchObject({ total: 4, failed: 4 });
    const rows = (await hub.imports.show(summary.importId)).rows;
    const none = "No active customer matches the request's CustomerID or alternate keys";
    expect(rows.map((row) => [row.errorCodes, row.message])).toEqual([
      [["CUSTOMER_NOT_FOUND"], `${none}: customer ${deleted} was deleted.`],
      [["CUSTOMER_NOT_FOUND"], `${none}: customer ${b} was merged into customer ${merged}.`],
      [["CUSTOMER_NOT_FOUND"], `${none}: customer ${a} was merged into customer ${merged}.`],
      [["CUSTOMER_NOT_FOUND"], `${none}.`],
    ]);
    await hub.close();
  });

  it("says the customer a card association names by CustomerID was deleted, or merged into whom", async () => {
    const hub = await engine.freshHub();
    const { deleted, b, merged } = await goneCustomers(hub);
    await hub.cards.add({ cardNumber: "7200000000000001" });
    const none = "No active customer matches the request's CustomerID or alternate key";
    for (const [customerID, message] of [
      [b, `${none}: customer ${b} was merged into customer ${merged}.`],
      [deleted, `${none}: customer ${deleted} was deleted.`],
      ["999999", `${none}.`],
    ] as const) {
      await expect(
        hub.cards.associate({ cardNumber: "7200000000000001", customerID }, context),
      ).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND", message });
    }
    await hub.close();
  });
});
