/**
 * Every batch of an import looks up who holds its alternate keys. The look-up must probe the
 * active-key index once per key, whatever the planner believes of the table's size: a server's
 * statistics lag a table an import is growing, and a plan that sorts the whole key table for each
 * batch made each batch cost time in proportion to the customers already stored.
 */
import { describe, expect, it } from "vitest";
import { findKeyHolders, KEY_HOLDERS } from "../../src/store/customers.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";

/** Customers 1..n, each holding the active key TWCUSTID:K<id>. */
async function addCustomers(hub: Hub, from: number, to: number): Promise<void> {
  await hub.db.exec(
    `INSERT INTO customers (customer_id, valid, record)
       SELECT g, true, '{}' FROM generate_series(${from}, ${to}) g;
     INSERT INTO customer_alternate_keys (customer_id, type_code, alternate_id)
       SELECT g, 'TWCUSTID', 'K' || g FROM generate_series(${from}, ${to}) g;`,
  );
}

const wanted = (ids: readonly number[]): [string[], string[]] => [
  ids.map(() => "TWCUSTID"),
  ids.map((id) => `K${id}`),
];

describe.each(engines)("alternate key look-up on $name", (engine) => {
  it("probes the key index per key even when the statistics say the table is small", async () => {
    const hub = await engine.freshHub();
    await addCustomers(hub, 1, 2_000);
    await hub.db.exec("ANALYZE customer_alternate_keys");
    // The table grows tenfold after its statistics were gathered, as during a large import.
    await addCustomers(hub, 2_001, 20_000);

    const batch = Array.from({ length: 500 }, (_, at) => 19_000 + at * 2);
    const plan = (
      await hub.db.query<{ "QUERY PLAN": string }>(`EXPLAIN ${KEY_HOLDERS}`, wanted(batch))
    )
      .map((row) => row["QUERY PLAN"])
      .join("\n");
    expect(plan).toMatch(/Index (Only )?Scan using customer_alternate_keys_active_idx/);
    expect(plan).not.toMatch(/Seq Scan on customer_alternate_keys/);
    expect(plan).not.toMatch(/Sort/);
    await hub.close();
  });

  it("finds the active holder of each key and nothing for keys no active customer holds", async () => {
    const hub = await engine.freshHub();
    await addCustomers(hub, 1, 3);
    await hub.db.exec(
      "UPDATE customer_alternate_keys SET active = false WHERE customer_id = 2;" +
        "INSERT INTO customers (customer_id, valid, record) VALUES (4, true, '{}');" +
        "INSERT INTO customer_alternate_keys (customer_id, type_code, alternate_id) " +
        "VALUES (4, 'TWCUSTID', 'K2'), (4, 'EMAIL', 'K1')",
    );
    const holders = await findKeyHolders(hub.db, [
      { typeCode: "TWCUSTID", alternateID: "K1" },
      { typeCode: "TWCUSTID", alternateID: "K2" },
      { typeCode: "TWCUSTID", alternateID: "K2" },
      { typeCode: "EMAIL", alternateID: "K1" },
      { typeCode: "TWCUSTID", alternateID: "K9" },
    ]);
    expect(Object.fromEntries(holders)).toEqual({
      "TWCUSTID\u0000K1": "1",
      "TWCUSTID\u0000K2": "4",
      "EMAIL\u0000K1": "4",
    });
    await hub.close();
  });
});
