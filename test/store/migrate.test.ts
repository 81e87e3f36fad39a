import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openHub } from "../../src/services/hub.js";
import { openDatabase, type Queryable } from "../../src/store/database.js";
import { currentMigration, listMigrations, migrate } from "../../src/store/migrate.js";
import { engines } from "../support/databases.js";

const serverUrl = process.env.TEST_DATABASE_URL;

const schemaName = (): string => `t_${randomBytes(6).toString("hex")}`;

const migrationNames = async (): Promise<string[]> =>
  (await listMigrations()).map(({ id, name }) => `${String(id).padStart(4, "0")}_${name}`);

const latestMigration = async (): Promise<number> => (await listMigrations()).at(-1)?.id ?? 0;

/** How many times each migration is recorded: every id exactly once when all is well. */
async function recordedMigrations(db: Queryable): Promise<{ id: number; times: number }[]> {
  return db.query<{ id: number; times: number }>(
    "SELECT id, count(*)::int AS times FROM custhub_migrations GROUP BY id ORDER BY id",
  );
}

async function migrationCount(db: Queryable): Promise<number> {
  const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM custhub_migrations");
  return row?.n ?? -1;
}

/** The tables of `schema`, each with how many times it is there. */
async function tablesOf(db: Queryable, schema: string): Promise<{ name: string; times: number }[]> {
  return db.query<{ name: string; times: number }>(
    `SELECT table_name AS name, count(*)::int AS times
       FROM information_schema.tables
      WHERE table_schema = $1 AND table_type = 'BASE TABLE'
      GROUP BY table_name ORDER BY table_name`,
    [schema],
  );
}

const EXPECTED_TABLES = [
  "alternate_key_types",
  "attribute_type_values",
  "attribute_types",
  "custhub_migrations",
  "customer_alternate_keys",
  "customer_history",
  "customers",
  "data_sync_cust_pending_queue",
  "data_sync_progress_queue",
  "data_sync_trn_pending_queue",
  "settings",
];

/** Every table exists exactly once, and the customer master's tables are among them. */
function expectTablesOnce(tables: { name: string; times: number }[]): void {
  expect(tables.filter((table) => table.times !== 1)).toEqual([]);
  expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
}

describe.each(engines)("migrations on $name", (engine) => {
  it("applies nothing to a migrated hub and keeps currentMigration at the latest", async () => {
    const hub = await engine.freshHub();
    const latest = await latestMigration();
    expect(latest).toBeGreaterThanOrEqual(1);
    expect(await currentMigration(hub.db)).toBe(latest);

    expect(await hub.migrate()).toEqual({ applied: [], current: latest });
    expect(await migrate(hub.db)).toEqual({ applied: [], current: latest });
    expect(await currentMigration(hub.db)).toBe(latest);
    expect(await migrationCount(hub.db)).toBe((await listMigrations()).length);
    expect((await hub.health()).migration).toBe(latest);
  });

  it("refuses a database a newer custhub migrated, naming both migrations, and applies nothing", async () => {
    const hub = await engine.freshHub();
    const latest = await latestMigration();
    const newer = latest + 1;
    await hub.db.query(
      "INSERT INTO custhub_migrations (id, name) VALUES ($1, 'from_a_newer_one')",
      [newer],
    );
    const pad = (id: number) => String(id).padStart(4, "0");
    const refusal = await migrate(hub.db).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toMatchObject({
      code: "GENERAL_ERROR",
      message: expect.stringMatching(
        new RegExp(
          `database is at migration ${pad(newer)}, newer than the latest this custhub knows, ${pad(latest)}: .*Run the newer custhub`,
        ),
      ),
      details: { migration: newer, latestMigration: latest },
    });
    expect(await migrationCount(hub.db)).toBe((await listMigrations()).length + 1);
    expect(await hub.health()).toMatchObject({ migration: newer, latestMigration: latest });
  });

  it("runs migrate twice at once on a migrated hub safely", async () => {
    const hub = await engine.freshHub();
    const latest = await latestMigration();
    const reports = await Promise.all([migrate(hub.db), migrate(hub.db)]);
    expect(reports).toEqual([
      { applied: [], current: latest },
      { applied: [], current: latest },
    ]);
    expect(await migrationCount(hub.db)).toBe((await listMigrations()).length);
  });

  it("runs migrate twice at once on an empty schema: each migration applied and recorded once", async () => {
    // On PostgreSQL the two runs go over two pool connections; PGlite queues their transactions.
    const schema = schemaName();
    const db = await openDatabase({
      databaseUrl: engine.name === "postgres" ? serverUrl : undefined,
      schema,
    });
    try {
      expect(await currentMigration(db)).toBe(0);
      const reports = await Promise.all([migrate(db), migrate(db)]);
      const latest = await latestMigration();
      expect(reports.map((report) => report.current)).toEqual([latest, latest]);
      // Between them the two runs applied every migration, and none twice.
      expect(reports.flatMap((report) => report.applied).sort()).toEqual(await migrationNames());

      expect(await migrationCount(db)).toBe((await listMigrations()).length);
      expect(await recordedMigrations(db)).toEqual(
        (await listMigrations()).map(({ id }) => ({ id, times: 1 })),
      );
      expect(await currentMigration(db)).toBe(latest);
      expectTablesOnce(await tablesOf(db, schema));
    } finally {
      if (engine.name === "postgres") await db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await db.close();
    }
  });

  it("opens two hubs at once on a brand new schema (PostgreSQL) or one data dir in turn (PGlite)", async () => {
    const latest = await latestMigration();
    const count = (await listMigrations()).length;
    if (engine.name === "postgres") {
      // Two processes starting against the same new schema: both must come up, migrated once.
      // (allSettled rather than all, so a hub that did open is closed even when the other fails.)
      const schema = schemaName();
      const settled = await Promise.allSettled([
        openHub({ dataDir: "", databaseUrl: serverUrl }, { schema }),
        openHub({ dataDir: "", databaseUrl: serverUrl }, { schema }),
      ]);
      const hubs = settled.flatMap((result) =>
        result.status === "fulfilled" ? [result.value] : [],
      );
      try {
        expect(
          settled.map((result) =>
            result.status === "fulfilled" ? "opened" : `failed: ${String(result.reason)}`,
          ),
        ).toEqual(["opened", "opened"]);
        for (const hub of hubs) {
          expect(await currentMigration(hub.db)).toBe(latest);
          expect(await migrationCount(hub.db)).toBe(count);
        }
        const [first] = hubs;
        if (!first) throw new Error("no hub opened");
        expect(await recordedMigrations(first.db)).toEqual(
          (await listMigrations()).map(({ id }) => ({ id, times: 1 })),
        );
        expectTablesOnce(await tablesOf(first.db, schema));
      } finally {
        const admin = await openDatabase({ databaseUrl: serverUrl });
        await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.close();
        await Promise.all(hubs.map((hub) => hub.close()));
      }
    } else {
      // PGlite is in-process: its files belong to one instance at a time. The first hub migrates
      // the new database; the second, opened after the first closed, finds nothing to apply.
      const dataDir = mkdtempSync(join(tmpdir(), "custhub-migrate-"));
      try {
        const first = await openHub({ dataDir, databaseUrl: undefined });
        try {
          expect(first.db.kind).toBe("pglite");
          expect(await currentMigration(first.db)).toBe(latest);
        } finally {
          await first.close();
        }
        const second = await openHub({ dataDir, databaseUrl: undefined });
        try {
          expect(await second.migrate()).toEqual({ applied: [], current: latest });
          expect(await migrationCount(second.db)).toBe(count);
          expectTablesOnce(await tablesOf(second.db, "public"));
        } finally {
          await second.close();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});
