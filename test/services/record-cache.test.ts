/**
 * The record cache never answers with a record older than a write its process has heard of: the
 * rules, a property over any interleaving of reads and writes, and on each engine the writes of
 * this process, of raw SQL, of another process, and a lost notification connection.
 */
import fc from "fast-check";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import { openHub, type Hub } from "../../src/services/hub.js";
import { RecordCache } from "../../src/services/record-cache.js";
import { engines } from "../support/databases.js";
import { waitFor } from "../support/wait.js";

const api: ChangeContext = { actor: "tester", channel: "api" };

describe("RecordCache", () => {
  it.each([
    {
      rule: "a fill begun before a write of its customer is dropped",
      run: (cache: RecordCache) => {
        const begun = cache.begin();
        cache.changed(["1"]);
        cache.fill("1", "old", begun);
      },
      expected: { "1": undefined },
    },
    {
      rule: "a write of another customer does not drop the fill",
      run: (cache: RecordCache) => {
        const begun = cache.begin();
        cache.changed(["2"]);
        cache.fill("1", "one", begun);
      },
      expected: { "1": "one" },
    },
    {
      rule: "a fill begun after the write is kept",
      run: (cache: RecordCache) => {
        cache.changed(["1"]);
        cache.fill("1", "new", cache.begin());
      },
      expected: { "1": "new" },
    },
    {
      rule: "a write drops what is kept",
      run: (cache: RecordCache) => {
        cache.fill("1", "one", cache.begin());
        cache.changed(["3", "1"]);
      },
      expected: { "1": undefined },
    },
    {
      rule: "nothing is kept while writes may go unheard",
      run: (cache: RecordCache) => {
        cache.fill("1", "one", cache.begin());
        cache.lost();
        cache.fill("2", "two", cache.begin());
      },
      expected: { "1": undefined, "2": undefined },
    },
    {
      rule: "a fill begun before the connection came back is dropped",
      run: (cache: RecordCache) => {
        cache.lost();
        const begun = cache.begin();
        cache.restored();
        cache.fill("1", "one", begun);
        cache.fill("2", "two", cache.begin());
      },
      expected: { "1": undefined, "2": "two" },
    },
  ])("$rule", ({ run, expected }) => {
    const cache = new RecordCache(1 << 20);
    run(cache);
    for (const [id, text] of Object.entries(expected)) expect(cache.get(id)).toBe(text);
  });

  it("keeps within its bytes, making room from the least recently read", () => {
    const text = "x".repeat(900); // 1,000 bytes an entry with its 4-character id and the overhead
    const cache = new RecordCache(3_000);
    for (const id of ["1001", "1002", "1003"]) cache.fill(id, text, cache.begin());
    expect(cache.get("1001")).toBe(text); // now the most recently read
    cache.fill("1004", text, cache.begin());
    expect(cache.get("1002")).toBeUndefined();
    expect(cache.get("1001")).toBe(text);
    expect(cache.stats()).toMatchObject({ entries: 3, bytes: 3_000 });
    cache.fill("1005", "y".repeat(5_000), cache.begin()); // larger than the whole cache
    expect(cache.get("1005")).toBeUndefined();
  });

  it("over any interleaving of reads and writes, answers the latest version or nothing", () => {
    const ids = ["1", "2", "3"];
    const step = fc.oneof(
      fc.record({ kind: fc.constant("write" as const), id: fc.constantFrom(...ids) }),
      fc.record({ kind: fc.constant("startRead" as const), id: fc.constantFrom(...ids) }),
      fc.record({ kind: fc.constant("finishRead" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("get" as const), id: fc.constantFrom(...ids) }),
      fc.record({ kind: fc.constantFrom("lost" as const, "restored" as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.nat({ max: 4_000 }), (steps, bytes) => {
        const cache = new RecordCache(200 + bytes);
        const version = new Map(ids.map((id) => [id, 0]));
        const text = (id: string) => `${id}@${version.get(id)!}`;
        const reads: { id: string; text: string; begun: number }[] = [];
        for (const action of steps) {
          if (action.kind === "write") {
            version.set(action.id, version.get(action.id)! + 1);
            cache.changed([action.id]);
          } else if (action.kind === "startRead") {
            const begun = cache.begin();
            reads.push({ id: action.id, text: text(action.id), begun });
          } else if (action.kind === "finishRead") {
            if (reads.length === 0) continue;
            const [read] = reads.splice(action.at % reads.length, 1);
            cache.fill(read!.id, read!.text, read!.begun);
          } else if (action.kind === "get") {
            const cached = cache.get(action.id);
            if (cached !== undefined) expect(cached).toBe(text(action.id));
          } else {
            cache[action.kind]();
          }
        }
      }),
    );
  });
});

describe.each(engines)("records kept by the server on $name", (engine) => {
  let hub: Hub;
  let cache: RecordCache;
  beforeEach(async () => {
    hub = await engine.freshHub();
    cache = await hub.keepRecords(1 << 20);
  });
  afterEach(async () => hub.close());

  const fresh = async (customerID: string) => JSON.stringify(await hub.customers.get(customerID));

  it("answers a read after this process's write with the written record at once", async () => {
    const { customerID } = await hub.customers.add(
      { individual: { names: { FIRST: "Ann", LAST: "Lee" } } },
      api,
    );
    const first = (await hub.customers.getJson(customerID)).text;
    // On a server the write's own notification arrives a moment later and may drop the first fill.
    await waitFor(async () => {
      const hits = cache.stats().hits;
      expect((await hub.customers.getJson(customerID)).text).toBe(first);
      return cache.stats().hits > hits;
    });
    expect(cache.stats().entries).toBe(1);

    await hub.customers.update({ customerID, individual: { names: { LAST: "Park" } } }, api);
    const after = (await hub.customers.getJson(customerID)).text;
    expect(after).not.toBe(first);
    expect(after).toBe(await fresh(customerID));
    expect(after).toContain("Park");
  });

  it("hears a write made with plain SQL, outside custhub's code", async () => {
    const { customerID } = await hub.customers.add({ individual: { names: { FIRST: "Bo" } } }, api);
    await hub.customers.getJson(customerID);
    await hub.db.query(
      "UPDATE customers SET response_text = replace(response_text, 'Bo', 'Cy') WHERE customer_id = $1::bigint",
      [customerID],
    );
    await waitFor(async () => (await hub.customers.getJson(customerID)).text.includes("Cy"));
  });

  if (engine.name !== "postgres") return;

  const schemaOf = async (of: Hub) =>
    (await of.db.query<{ schema: string }>("SELECT current_schema() AS schema"))[0]!.schema;

  it("hears another process's write through the server's notifications", async () => {
    const { customerID } = await hub.customers.add({ individual: { names: { FIRST: "Di" } } }, api);
    await hub.customers.getJson(customerID);
    const other = await openHub(
      { dataDir: "", databaseUrl: process.env.TEST_DATABASE_URL },
      { schema: await schemaOf(hub), poolSize: 2, migrate: false },
    );
    try {
      await other.customers.update({ customerID, individual: { names: { LAST: "Eve" } } }, api);
    } finally {
      await other.close();
    }
    await waitFor(async () => (await hub.customers.getJson(customerID)).text.includes("Eve"));
    expect((await hub.customers.getJson(customerID)).text).toBe(await fresh(customerID));
  });

  it("keeps nothing while the notification connection is lost, and again once it is back", async () => {
    const { customerID } = await hub.customers.add(
      { individual: { names: { FIRST: "Fay" } } },
      api,
    );
    await hub.customers.getJson(customerID);
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const channel = `${await schemaOf(hub)}.customers`;
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`,
        [`LISTEN "${channel}"`],
      );
      expect(killed.rowCount).toBeGreaterThan(0);
      await waitFor(async () => !cache.stats().trusted);
      expect(cache.stats().entries).toBe(0);
      // Written while unheard: the read goes to the database.
      await admin.query(
        `UPDATE "${await schemaOf(hub)}".customers SET response_text = replace(response_text, 'Fay', 'Gus') WHERE customer_id = $1::bigint`,
        [customerID],
      );
      expect((await hub.customers.getJson(customerID)).text).toContain("Gus");
      await waitFor(async () => cache.stats().trusted);
      await hub.customers.getJson(customerID);
      expect(cache.stats().entries).toBe(1);
    } finally {
      await admin.end();
    }
  });
});
