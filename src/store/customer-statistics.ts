/**
 * The planner's statistics of the customer tables after a bulk write: when they are stale, and
 * gathering them again (with the space upkeep the embedded database needs).
 */
import type { Database, Queryable } from "./database.js";

/** The tables a bulk write of customers fills, and searches and the sync job then read. */
const BULK_WRITTEN_TABLES = [
  "customers",
  "customer_alternate_keys",
  "data_sync_cust_pending_queue",
];

/**
 * Whether `changed` customer rows are enough to have moved the planner's statistics of the
 * customer tables: autovacuum's own rule (50 rows and 10 % of the table), or the table has none.
 */
export async function statisticsStale(db: Queryable, changed: number): Promise<boolean> {
  const tuples = await analyzedCustomers(db);
  return tuples < 0 || changed > staleAfter(tuples);
}

/** Customer rows as the statistics last counted them; -1 when they never did. */
export async function analyzedCustomers(db: Queryable): Promise<number> {
  const [row] = await db.query<{ tuples: number }>(
    "SELECT reltuples::float8 AS tuples FROM pg_class WHERE oid = 'customers'::regclass",
  );
  return row?.tuples ?? -1;
}

/** Changed rows past which statistics counting `tuples` rows are stale (autovacuum's rule). */
export function staleAfter(tuples: number): number {
  return 50 + 0.1 * Math.max(tuples, 0);
}

/**
 * The statistics target of the embedded database's `ANALYZE`: it samples 300 rows per unit, 9,000
 * rows here instead of PostgreSQL's 30,000. The sample is held in the process's WASM memory, which
 * never shrinks again; 9,000 customer rows are about 16 MB of it instead of about 56 MB, and still
 * give the searches their index plans (docs/storage.md, "Upkeep after an import").
 */
export const EMBEDDED_STATISTICS_TARGET = 30;

/**
 * Gathers the planner's statistics of the customer tables again (ANALYZE). With `reclaim`, also
 * makes the space of the row versions the write left dead reusable (VACUUM), for a database
 * without autovacuum (the embedded one): otherwise every later write extends the files.
 */
export async function refreshStatistics(
  db: Database,
  { reclaim }: { reclaim: boolean },
): Promise<void> {
  const command = `${reclaim ? "VACUUM (ANALYZE)" : "ANALYZE"} ${BULK_WRITTEN_TABLES.join(", ")}`;
  if (db.kind === "postgres") {
    await db.exec(command);
    return;
  }
  // The embedded database has one session, so the setting holds for exactly this command. VACUUM
  // cannot run in a transaction, so it cannot be SET LOCAL.
  await db.exec(`SET default_statistics_target = ${EMBEDDED_STATISTICS_TARGET}`);
  try {
    await db.exec(command);
  } finally {
    await db.exec("RESET default_statistics_target");
  }
}
