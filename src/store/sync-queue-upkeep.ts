/**
 * Upkeep of the data-sync queues: ordering holds whose lease has ended, and the embedded
 * database's queue space.
 */
import type { Database, Queryable } from "./database.js";

/** Drops holds whose lease has ended: their delivery can no longer be in flight. */
export async function dropExpiredHolds(db: Queryable): Promise<void> {
  await db.query("DELETE FROM data_sync_ordering_holds WHERE hold_until <= now()");
}

/** The queues rows pass through: each row delivered leaves a dead row version behind. */
const QUEUE_TABLES = [
  "data_sync_cust_pending_queue",
  "data_sync_trn_pending_queue",
  "data_sync_progress_queue",
  "data_sync_ordering_holds",
];

/** Queue rows moved, delivered or dead-lettered before the embedded database's queues are vacuumed. */
export const QUEUE_VACUUM_ROWS = 1_000;

/** Rows each embedded database's queues took in or gave up since they were last vacuumed. */
const churnedRows = new WeakMap<Database, number>();

/**
 * On the embedded database, which has no autovacuum, makes the space of delivered queue rows
 * reusable (VACUUM) once `QUEUE_VACUUM_ROWS` rows have passed through since the last time;
 * otherwise the queue files grow by everything ever queued (docs/sync.md, "Queue upkeep on the
 * embedded database"). A server's autovacuum does this itself. Resolves with whether it did.
 */
export async function reclaimQueueSpace(db: Database, rows: number): Promise<boolean> {
  if (db.kind !== "pglite") return false;
  const churned = (churnedRows.get(db) ?? 0) + rows;
  if (churned < QUEUE_VACUUM_ROWS) {
    churnedRows.set(db, churned);
    return false;
  }
  churnedRows.set(db, 0);
  await db.exec(`VACUUM ${QUEUE_TABLES.join(", ")}`);
  return true;
}
