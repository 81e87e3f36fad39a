/**
 * The data-sync queues' order (seeds/001 "Data Sync Job"): moving pending rows into the progress
 * queue, and queueing a manual run's current records at its end, both under one append lock so
 * that a customer's progress rows keep the order of its changes. The rest of the job's work on
 * the queues sits beside this file: claims and outcomes (sync-deliveries.ts), destination pauses
 * (sync-pauses.ts), dead letters (sync-dead-letters.ts), job runs and their results
 * (sync-job-runs.ts), queue depths (sync-queue-depths.ts) and upkeep (sync-queue-upkeep.ts). Each
 * function is one round trip or one short transaction; the batches travel as arrays through
 * `unnest`. Design: docs/sync.md.
 */
import { compareIds } from "../domain/ids.js";
import type { Database, Queryable } from "./database.js";

/** Any fixed number: every custhub process agrees on it. Serializes moves into the progress queue. */
export const PROGRESS_APPEND_LOCK_KEY = 7_311_000_002;

/**
 * On a PostgreSQL server the job's own bookkeeping (moves, claims, outcomes) commits without
 * waiting for the WAL flush. A server crash can then forget the last few of those commits, never
 * a customer change: rows come back unclaimed, or undelivered, and are sent again, which
 * at-least-once delivery (with `Idempotency-Key`) allows. The WAL is written in order, so a later
 * commit never survives an earlier lost one, and a customer's order holds. It is what lets a
 * worker claim and record thousands of messages a second instead of waiting on a disk flush each
 * time. PGlite has no WAL writer of its own and lives in the worker's process: a killed worker
 * would take every unflushed commit with it, so there each commit waits for the disk.
 * Claims and outcomes are single statements (one round trip), so the setting travels inside them.
 */
export function commitMode(db: Database): string {
  return `set_config('synchronous_commit', '${db.kind === "postgres" ? "off" : "on"}', true)`;
}

/** The destination of the rows written before there were several: the data-sync endpoint. */
export const DEFAULT_DESTINATION = "datasync";

/**
 * The newest pending row when a run starts; the run moves nothing newer, so a run ends even while
 * changes keep arriving. Both pending queues share one id sequence (0002_data_sync.sql).
 */
export async function pendingHighWater(db: Queryable): Promise<string> {
  const [row] = await db.query<{ high: string }>(
    `SELECT greatest((SELECT coalesce(max(id), 0) FROM data_sync_cust_pending_queue),
                     (SELECT coalesce(max(id), 0) FROM data_sync_trn_pending_queue))::text AS high`,
  );
  return row?.high ?? "0";
}

/**
 * Moves the `batchSize` oldest pending rows of both queues (none newer than `highWater`) into the
 * progress queue and removes them from the pending queues, in one statement, so in one
 * transaction (seeds/001: "moves records in batches from the pending queues into the progress
 * queue"). Each pending row fans out to one progress row per destination in `destinations` (the
 * enabled ones): each destination then works its own rows. Moves are serialized by an advisory
 * lock and number their progress rows in pending order, so a customer's progress rows are in the
 * order of its changes, per destination, whatever the number of workers. A transaction is ordered
 * with its customer's messages (SPEC 6: order per customer). With no destination nothing moves.
 */
export async function movePendingBatch(
  db: Database,
  batchSize: number,
  highWater: string,
  destinations: readonly string[] = [DEFAULT_DESTINATION],
): Promise<number> {
  if (destinations.length === 0) return 0;
  return db.transaction(async (tx) => {
    await tx.query(`SELECT ${commitMode(db)}, pg_advisory_xact_lock($1)`, [
      PROGRESS_APPEND_LOCK_KEY,
    ]);
    return movePending(tx, { batchSize, highWater, destinations, customers: null });
  });
}

/**
 * The move itself, inside a transaction holding the append lock. `customers` limits it to the
 * rows of those customers (their customer rows, and transactions whose customer they are): a
 * manual run moves them before it queues their current record, so none of their older changes
 * can arrive after it.
 */
async function movePending(
  tx: Queryable,
  move: {
    batchSize: number;
    highWater: string;
    destinations: readonly string[];
    customers: readonly string[] | null;
  },
): Promise<number> {
  const [row] = await tx.query<{ moved: number }>(
    `WITH batch AS (
       SELECT id, source_queue FROM (
         (SELECT id, 'customer' AS source_queue FROM data_sync_cust_pending_queue
           WHERE id <= $2::bigint AND ($4::text[] IS NULL OR unique_id = ANY($4::text[]))
           ORDER BY id LIMIT $1)
         UNION ALL
         (SELECT id, 'transaction' AS source_queue FROM data_sync_trn_pending_queue
           WHERE id <= $2::bigint
             AND ($4::text[] IS NULL OR coalesce(customer_id, unique_id) = ANY($4::text[]))
           ORDER BY id LIMIT $1)
       ) oldest ORDER BY id LIMIT $1
     ), moved_customers AS (
       DELETE FROM data_sync_cust_pending_queue q USING batch
        WHERE batch.source_queue = 'customer' AND q.id = batch.id
       RETURNING 'customer' AS source_queue, q.id, q.obj_name, q.unique_id, q.action,
                 q.json_object, q.created_at, q.unique_id AS ordering_key
     ), moved_transactions AS (
       DELETE FROM data_sync_trn_pending_queue q USING batch
        WHERE batch.source_queue = 'transaction' AND q.id = batch.id
       RETURNING 'transaction' AS source_queue, q.id, q.obj_name, q.unique_id, q.action,
                 q.json_object, q.created_at, coalesce(q.customer_id, q.unique_id) AS ordering_key
     ), numbered AS (
       SELECT nextval('data_sync_progress_queue_id_seq') AS progress_id, f.*
         FROM (SELECT m.*, d.destination
                 FROM (SELECT * FROM moved_customers UNION ALL SELECT * FROM moved_transactions) m
                 CROSS JOIN unnest($3::text[]) WITH ORDINALITY AS d (destination, ord)
                ORDER BY m.id, d.ord) f
     ), inserted AS (
       INSERT INTO data_sync_progress_queue
              (id, destination, source_queue, source_id, obj_name, unique_id, action, json_object,
               message_id, ordering_key, enqueued_at)
       SELECT progress_id, destination, source_queue, id, obj_name, unique_id, action, json_object,
              progress_id::text, ordering_key, created_at
         FROM numbered
       RETURNING 1
     )
     SELECT ((SELECT count(*) FROM moved_customers)
             + (SELECT count(*) FROM moved_transactions))::int AS moved`,
    [move.batchSize, move.highWater, [...move.destinations], move.customers],
  );
  return row?.moved ?? 0;
}

/**
 * A customer's current state, queued for one destination by a manual run: its record as an
 * UPDATE, or, for a customer deleted, merged away or erased, the DELETE the outbox sent.
 */
export interface ManualUpdate {
  customerID: string;
  /** The `CustomerResponseType` JSON text; null: a DELETE. */
  json: string | null;
}

/**
 * Queues the customers' current records as UPDATE rows (DELETE rows for those gone) for
 * `destination` only (the documents' manual execution), at the end of its progress queue. Their pending changes are moved first
 * (fanned out to `enabled`), so that none of them can reach a destination after the current
 * record. Returns the new progress rows' ids.
 */
export async function queueManualUpdates(
  db: Database,
  destination: string,
  enabled: readonly string[],
  updates: readonly ManualUpdate[],
): Promise<string[]> {
  if (updates.length === 0) return [];
  const customers = updates.map((update) => update.customerID);
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [PROGRESS_APPEND_LOCK_KEY]);
    const highWater = await pendingHighWater(tx);
    if (enabled.length > 0) {
      while (
        (await movePending(tx, {
          batchSize: 10_000,
          highWater,
          destinations: enabled,
          customers,
        })) > 0
      );
    }
    // "Send now": their rows already queued for this destination stop waiting out a retry delay.
    await tx.query(
      `UPDATE data_sync_progress_queue SET next_attempt_at = now()
        WHERE destination = $1 AND ordering_key = ANY($2::text[]) AND next_attempt_at > now()`,
      [destination, customers],
    );
    const rows = await tx.query<{ id: string }>(
      `WITH numbered AS (
         SELECT nextval('data_sync_progress_queue_id_seq') AS progress_id, u.*
           FROM (SELECT * FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u (customer_id, json, ord)
                 ORDER BY ord) u
       )
       INSERT INTO data_sync_progress_queue
              (id, destination, source_queue, source_id, obj_name, unique_id, action, json_object,
               message_id, ordering_key)
       SELECT progress_id, $1, 'customer', 0, 'Customer', customer_id,
              CASE WHEN json IS NULL THEN 'DELETE' ELSE 'UPDATE' END, json,
              progress_id::text, customer_id
         FROM numbered
       RETURNING id::text AS id`,
      [destination, customers, updates.map((update) => update.json)],
    );
    return rows.map((row) => row.id).sort(compareIds);
  });
}
