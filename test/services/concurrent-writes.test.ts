/**
 * Writers at the same time on one customer (the API serves many requests at once; on PostgreSQL
 * several processes write): each change is read, decided and written under the customer's row
 * lock, so none is lost.
 */
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";
import { waitFor } from "../support/wait.js";

const api: ChangeContext = { actor: "tester", channel: "api" };
const WRITERS = 12;

/** A second session on the hub's schema, as another process writing beside ours has. */
async function otherSession(hub: Hub, settings = ""): Promise<pg.Client> {
  const [{ schema }] = (await hub.db.query<{ schema: string }>(
    "SELECT current_schema() AS schema",
  )) as [{ schema: string }];
  const other = new pg.Client({
    connectionString: process.env.TEST_DATABASE_URL,
    options: `-c search_path=${schema} ${settings}`.trim(),
  });
  await other.connect();
  return other;
}

/** Polls until some session waits on a lock `other` holds. */
async function waitUntilWaitedOn(other: pg.Client): Promise<void> {
  const [{ pid }] = (await other.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows as [
    { pid: number },
  ];
  await waitFor(async () => {
    const { rows } = await other.query(
      "SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid))",
      [pid],
    );
    return rows.length > 0;
  });
}

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

// Two sessions at once: only a server has them.
describe.each(engines.filter((engine) => engine.name === "postgres"))(
  "a key given up while a write waits on $name",
  (engine) => {
    it("lets a write take a key whose holder was deleted while the write waited for its lock", async () => {
      const hub = await engine.freshHub();
      const key = { typeCode: "TWCUSTID", alternateID: "HELD" };
      const holder = await hub.customers.add({ alternateKeys: [key] }, api);
      const other = await otherSession(hub);
      try {
        // Another writer deletes the holder: its transaction holds the row while ours arrives.
        await other.query("BEGIN");
        await other.query("SELECT 1 FROM customers WHERE customer_id = $1::bigint FOR UPDATE", [
          holder.customerID,
        ]);
        const write = hub.customers.addOrUpdate(
          { alternateKeys: [key], individual: { names: { FIRST: "New" } } },
          api,
        );
        write.catch(() => undefined);
        // Ours has found the key's holder and waits for its row.
        await waitUntilWaitedOn(other);
        await other.query(
          `UPDATE customers SET active = false,
                  record = jsonb_set(jsonb_set(record::jsonb, '{active}', 'false'), '{alternateKeys}', '[]')::text
            WHERE customer_id = $1::bigint`,
          [holder.customerID],
        );
        await other.query(
          "UPDATE customer_alternate_keys SET active = false WHERE customer_id = $1::bigint",
          [holder.customerID],
        );
        await other.query("COMMIT");
        // As if the delete had come first: the key is free, and the write makes a new customer.
        const written = await write;
        expect(written.change).toBe("CREATE");
        expect(written.customerID).not.toBe(holder.customerID);
        expect((await hub.customers.getByAlternateKey("TWCUSTID", "HELD")).customerID).toBe(
          written.customerID,
        );
      } finally {
        await other.end();
        await hub.close();
      }
    });

    it("updates the customer that took an AddorUpdate's key while it was written, not 409", async () => {
      const hub = await engine.freshHub();
      const taker = await hub.customers.add(
        { alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "TAKER" }] },
        api,
      );
      const other = await otherSession(hub);
      try {
        // Another writer gives the key to a customer and has not committed yet: ours finds no
        // holder, and its insert of the key waits on the other's row in the active-key index.
        await other.query("BEGIN");
        await other.query(
          "INSERT INTO customer_alternate_keys (customer_id, type_code, alternate_id) VALUES ($1, 'TWCUSTID', 'RACE')",
          [taker.customerID],
        );
        await other.query(
          `UPDATE customers SET record = jsonb_set(record::jsonb, '{alternateKeys}',
                  record::jsonb->'alternateKeys' || '[{"typeCode": "TWCUSTID", "alternateID": "RACE"}]')::text
            WHERE customer_id = $1::bigint`,
          [taker.customerID],
        );
        const write = hub.customers.addOrUpdate(
          {
            alternateKeys: [{ typeCode: "TWCUSTID", alternateID: "RACE" }],
            individual: { names: { FIRST: "Rae", LAST: "Cer" } },
          },
          api,
        );
        write.catch(() => undefined);
        await waitUntilWaitedOn(other);
        await other.query("COMMIT");
        const written = await write;
        expect(written.change).toBe("UPDATE");
        expect(written.customerID).toBe(taker.customerID);
        const state = await hub.customers.getState(taker.customerID);
        expect(state.individual.names.FIRST).toBe("Rae");
      } finally {
        await other.end();
        await hub.close();
      }
    });
    it("writes a request again that the database rolled back to break a deadlock", async () => {
      const hub = await engine.freshHub();
      const key = (typeCode: string) => ({ typeCode, alternateID: "CROSSED" });
      const taker = await hub.customers.add({ alternateKeys: [key("XSTORE_ID")] }, api);
      // Ours notices the deadlock first, and is the one rolled back.
      const other = await otherSession(hub, "-c deadlock_timeout=60s");
      try {
        // Another writer gives the customer the two keys ours adds, in the other order: it
        // holds the EMAIL key, ours takes the TWCUSTID key and waits for the EMAIL key.
        await other.query("BEGIN");
        await other.query(
          "INSERT INTO customer_alternate_keys (customer_id, type_code, alternate_id) VALUES ($1, 'EMAIL', 'CROSSED')",
          [taker.customerID],
        );
        await other.query(
          `UPDATE customers SET record = jsonb_set(record::jsonb, '{alternateKeys}',
                  record::jsonb->'alternateKeys' || '[{"typeCode": "EMAIL", "alternateID": "CROSSED"},
                                                      {"typeCode": "TWCUSTID", "alternateID": "CROSSED"}]')::text
            WHERE customer_id = $1::bigint`,
          [taker.customerID],
        );
        const write = hub.customers.addOrUpdate(
          {
            alternateKeys: [key("TWCUSTID"), key("EMAIL")],
            individual: { names: { FIRST: "Dee", LAST: "Lock" } },
          },
          api,
        );
        write.catch(() => undefined);
        await waitUntilWaitedOn(other);
        // The other writer now waits for ours: a deadlock, which PostgreSQL breaks.
        await other.query(
          "INSERT INTO customer_alternate_keys (customer_id, type_code, alternate_id) VALUES ($1, 'TWCUSTID', 'CROSSED')",
          [taker.customerID],
        );
        await other.query("COMMIT");
        // As if the other had come first: the keys are the customer's, which ours updates.
        const written = await write;
        expect(written).toMatchObject({ change: "UPDATE", customerID: taker.customerID });
        expect((await hub.customers.getState(taker.customerID)).individual.names.FIRST).toBe("Dee");
      } finally {
        await other.end();
        await hub.close();
      }
    });
  },
);
