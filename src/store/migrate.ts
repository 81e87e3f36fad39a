/**
 * Numbered plain-SQL migrations (`migrations/NNNN_name.sql`), applied in order, each in its own
 * transaction under a transaction-scoped advisory lock, and recorded in `custhub_migrations`.
 * Running it twice, or from two processes at once, applies each migration exactly once: the
 * second process waits on the lock and then finds the work recorded.
 */
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CusthubError } from "../domain/errors.js";
import type { Database } from "./database.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
/** Any fixed number: every custhub process agrees on it. */
const MIGRATION_LOCK_KEY = 7_311_000_001;

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export async function listMigrations(): Promise<Migration[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((file) =>
    /^\d{4}_[a-z0-9_]+\.sql$/.test(file),
  );
  files.sort();
  return Promise.all(
    files.map(async (file) => ({
      id: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: await readFile(MIGRATIONS_DIR + file, "utf8"),
    })),
  );
}

export interface MigrationReport {
  applied: string[];
  current: number;
}

const numbered = (id: number): string => String(id).padStart(4, "0");

/**
 * Refuses a database a newer custhub has migrated: this one does not know its schema, and would
 * read and write it as if it were its own.
 */
function checkNotNewer(migration: number, latestMigration: number): void {
  if (migration <= latestMigration) return;
  throw new CusthubError(
    "GENERAL_ERROR",
    `The database is at migration ${numbered(migration)}, newer than the latest this custhub knows, ${numbered(latestMigration)}: a newer custhub has migrated it. Run the newer custhub: this one does not know that schema and changes nothing in it.`,
    { migration, latestMigration },
  );
}

export async function migrate(db: Database): Promise<MigrationReport> {
  const migrations = await listMigrations();
  checkNotNewer(await currentMigration(db), migrations.at(-1)?.id ?? 0);
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS custhub_migrations (
           id integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const done = await tx.query("SELECT 1 FROM custhub_migrations WHERE id = $1", [migration.id]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO custhub_migrations (id, name) VALUES ($1, $2)", [
        migration.id,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(`${numbered(migration.id)}_${migration.name}`);
  }
  return { applied, current: migrations.at(-1)?.id ?? 0 };
}

/** The newest migration applied to this database, 0 when none. */
export async function currentMigration(db: Database): Promise<number> {
  const [row] = await db
    .query<{ id: number | null }>("SELECT max(id) AS id FROM custhub_migrations")
    .catch(() => [{ id: null }]);
  return row?.id ?? 0;
}
