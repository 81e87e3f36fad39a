import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHub, type Hub } from "../../src/services/hub.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { readTransactionPending } from "../../src/store/transactions.js";
import { runCli } from "../support/cli.js";
import { createServerDatabase, serverUrl } from "../support/server-database.js";

interface Store {
  env: NodeJS.ProcessEnv;
  dir: string;
  /** A hub on the same store, between CLI runs (PGlite admits one process at a time). */
  direct<T>(work: (hub: Hub) => Promise<T>): Promise<T>;
  tearDown(): Promise<void>;
}

async function embeddedStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), "custhub-ops-cli-"));
  return {
    env: { CUSTHUB_DATA_DIR: dir },
    dir,
    async direct(work) {
      const hub = await openHub({ dataDir: dir, databaseUrl: undefined }, { purpose: "test" });
      try {
        return await work(hub);
      } finally {
        await hub.close();
      }
    },
    tearDown: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function serverStore(): Promise<Store> {
  const database = await createServerDatabase();
  const dir = mkdtempSync(join(tmpdir(), "custhub-ops-cli-"));
  return {
    env: { CUSTHUB_DATA_DIR: dir, DATABASE_URL: database.url },
    dir,
    async direct(work) {
      const hub = await openHub({ dataDir: dir, databaseUrl: database.url });
      try {
        return await work(hub);
      } finally {
        await hub.close();
      }
    },
    async tearDown() {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const stores = [
  { name: "pglite", setUp: embeddedStore },
  ...(serverUrl ? [{ name: "postgres", setUp: serverStore }] : []),
];

const api = { actor: "test", channel: "api" } as const;

describe.each(stores)("customer operation commands on $name", ({ setUp }) => {
  let store: Store;
  let customerID: string;
  const cli = (...args: string[]) => runCli(args, store.env);
  /** Runs a command with --json that must succeed; its one JSON document. */
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cli(...args, "--json");
    expect(result.stderr, args.join(" ")).toBe("");
    expect(result.code, args.join(" ")).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  /** Runs a command with --json that must fail; its exit code and error code. */
  const failure = async (...args: string[]) => {
    const result = await cli(...args, "--json");
    const body = JSON.parse(result.stdout) as { error: { code: string } };
    expect(result.stderr).toContain(`error ${body.error.code}`);
    return [result.code, body.error.code];
  };

  beforeAll(async () => {
    store = await setUp();
    customerID = await store.direct(async (hub) => {
      const { customerID: id } = await hub.customers.add({ orgName: "Cli Customer" }, api);
      await hub.cards.add({ cardNumber: "9000000000000001", expirationDate: "2099-12-31" });
      await hub.cards.associate({ cardNumber: "9000000000000001", customerID: id }, api);
      await hub.settings.set("DataSyncEnabled", "Yes");
      return id;
    });
  });
  afterAll(async () => store.tearDown());

  it("changes a card's status and expiration, refusing what its status does not allow", async () => {
    const number = "9000000000000001";
    const blocked = await json<{ card: { status: string }; record: { customerID: string } }>(
      "cards",
      "block",
      number,
    );
    expect(blocked.card.status).toBe("BLOCKED");
    expect(blocked.record.customerID).toBe(customerID);
    expect(await failure("cards", "activate", number)).toEqual([1, "ACCOUNT_BLOCKED"]);
    expect((await json<{ card: { status: string } }>("cards", "unblock", number)).card.status).toBe(
      "ACTIVE",
    );
    const reset = await json<{ card: { expirationDate: string } }>(
      "cards",
      "reset-expiration",
      number,
      "--expires",
      "2100-06-30",
    );
    expect(reset.card.expirationDate).toBe("2100-06-30");
    expect(await failure("cards", "reset-expiration", number, "--expires", "2000-01-01")).toEqual([
      2,
      "INVALID_REQUEST",
    ]);
    expect((await cli("cards", "reset-expiration", number)).code).toBe(2);
    const human = await cli("cards", "deactivate", number);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("INACTIVE");
    expect(human.stdout).not.toContain(number);
    expect(
      (await json<{ card: { status: string } }>("cards", "activate", number)).card.status,
    ).toBe("ACTIVE");
  });

  it("defines card programs, lists them, and switches one off and on", async () => {
    const added = await json<{ code: string; kind: string; expiryDate: string }>(
      "card-programs",
      "add",
      "CLI-GOLD",
      "--kind",
      "loyalty",
      "--expires",
      "2099-12-31",
    );
    expect(added).toMatchObject({ code: "CLI-GOLD", kind: "LOYALTY", expiryDate: "2099-12-31" });
    expect(await failure("card-programs", "add", "CLI-GOLD", "--kind", "tender")).toEqual([
      1,
      "ALREADY_EXISTS",
    ]);
    expect(await failure("card-programs", "add", "CLI-X", "--kind", "gift")).toEqual([
      2,
      "INVALID_REQUEST",
    ]);
    expect(await failure("card-programs", "deactivate", "NONE")).toEqual([1, "PROGRAM_NOT_FOUND"]);
    const off = await cli("card-programs", "deactivate", "CLI-GOLD");
    expect(off.code).toBe(0);
    expect(off.stdout).toContain("card program CLI-GOLD (LOYALTY): inactive, until 2099-12-31");
    const listed = await cli("card-programs", "list");
    expect(listed.stdout).toMatch(/CLI-GOLD\s+LOYALTY\s+inactive\s+2099-12-31/);
    expect((await json<{ active: boolean }>("card-programs", "activate", "CLI-GOLD")).active).toBe(
      true,
    );
  });

  it("exits 2 for a date that is not a real YYYY-MM-DD, as for any bad input", async () => {
    const notReal = [2, "INVALID_DATE_FORMAT"];
    expect(await failure("cards", "add", "9000000000000099", "--expires", "2031-02-30")).toEqual(
      notReal,
    );
    expect(
      await failure("cards", "reset-expiration", "9000000000000001", "--expires", "2031-02-30"),
    ).toEqual(notReal);
    expect(
      await failure(
        "card-programs",
        "add",
        "CLI-DATE",
        "--kind",
        "loyalty",
        "--effective",
        "2020-13-01",
      ),
    ).toEqual(notReal);
    const example = JSON.parse(
      readFileSync(new URL("../fixtures/transaction-example.json", import.meta.url), "utf8"),
    ) as Record<string, unknown>;
    const file = join(store.dir, "bad-date-transaction.json");
    writeFileSync(file, JSON.stringify({ ...example, businessDate: "2017-02-30" }));
    expect(await failure("transactions", "post", file)).toEqual(notReal);
  });

  it("defines segments and adds and removes the customer by the segment's id or name", async () => {
    const vip = await json<{ segmentId: string; name: string }>(
      "segments",
      "add",
      "VIP",
      "--description",
      "the best",
    );
    expect(vip.name).toBe("VIP");
    const added = await json<{ change: string; record: { customerSegments: unknown } }>(
      "customers",
      "segment",
      "add",
      customerID,
      "vip",
    );
    expect(added.change).toBe("UPDATE");
    expect(added.record.customerSegments).toEqual({
      segment: [{ segmentId: vip.segmentId, segmentName: "VIP" }],
    });
    expect(await json("segments", "list")).toEqual({
      items: [expect.objectContaining({ segmentId: vip.segmentId, customerCount: 1 })],
    });
    expect((await cli("segments", "list")).stdout).toMatch(/SEGMENT ID\s+NAME\s+CUSTOMERS/);
    await json("customers", "segment", "remove", customerID, vip.segmentId);
    expect(await failure("customers", "segment", "remove", customerID, vip.segmentId)).toEqual([
      1,
      "CUSTOMER_NOT_IN_SEGMENT",
    ]);
    expect(await failure("customers", "segment", "add", customerID, "Nope")).toEqual([
      1,
      "SEGMENT_NOT_FOUND",
    ]);
  });

  it("sets franchisees and associate assignments", async () => {
    const set = await json<{ record: { franchisees: unknown } }>(
      "customers",
      "franchisee",
      "set",
      customerID,
      "2",
      "North Region",
    );
    expect(set.record.franchisees).toEqual({
      franchisee: [{ franchiseeId: 2, franchiseeName: "North Region" }],
    });
    expect((await cli("customers", "franchisee", "set", customerID, "two", "X")).code).toBe(2);
    expect(await failure("customers", "franchisee", "remove", customerID, "3")).toEqual([
      1,
      "FRANCHISEE_NOT_FOUND",
    ]);
    const assigned = await json<{ record: { associateAssignments: unknown } }>(
      "customers",
      "associates",
      "set",
      customerID,
      "stylist=E-1@99901",
      "TAILOR=E-2",
    );
    expect(assigned.record.associateAssignments).toEqual({
      associateAssignment: [
        { role: "STYLIST", associateID: "E-1", retailStoreID: "99901" },
        { role: "TAILOR", associateID: "E-2", retailStoreID: null },
      ],
    });
    expect((await cli("customers", "associates", "set", customerID, "nobody")).code).toBe(2);
  });

  it("posts a transaction file, once, and refuses files it cannot read", async () => {
    const example = JSON.parse(
      readFileSync(new URL("../fixtures/transaction-example.json", import.meta.url), "utf8"),
    ) as Record<string, unknown>;
    const file = join(store.dir, "transaction.json");
    writeFileSync(file, JSON.stringify({ ...example, customerId: customerID }));
    const posted = await json<{ created: boolean; record: { lastPurchaseDate: string } }>(
      "transactions",
      "post",
      file,
    );
    expect(posted).toMatchObject({ created: true, record: { lastPurchaseDate: "2017-11-07" } });
    const again = await cli("transactions", "post", file);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already posted");
    const stored = await json<{ customerID: string; transaction: unknown }>(
      "transactions",
      "get",
      "99901000022017110710000100",
    );
    expect(stored).toMatchObject({
      customerID,
      transaction: { ...example, customerId: customerID },
    });

    const notJson = join(store.dir, "broken.json");
    writeFileSync(notJson, "{ not json");
    expect(await failure("transactions", "post", notJson)).toEqual([2, "INVALID_REQUEST"]);
    expect(await failure("transactions", "post", join(store.dir, "missing.json"))).toEqual([
      2,
      "INVALID_REQUEST",
    ]);

    const queued = await store.direct(async (hub) => ({
      transactions: await readTransactionPending(hub.db),
      customer: await readCustomerPending(hub.db, customerID),
    }));
    expect(queued.transactions.map((row) => [row.uniqueId, row.action])).toEqual([
      ["99901000022017110710000100", "CREATE"],
    ]);
    expect(queued.customer.at(-1)).toMatchObject({ action: "UPDATE" });
  });
});
