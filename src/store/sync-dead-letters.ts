/**
 * The data-sync dead letters: messages out of attempts, listed for review and moved back to their
 * destination's progress queue on request. Design: docs/sync.md.
 */
import type { Database, Queryable } from "./database.js";
import { PROGRESS_APPEND_LOCK_KEY } from "./sync-queue.js";

export interface DeadLetter {
  id: string;
  destination: string;
  messageId: string;
  objName: string;
  action: string;
  /** The customerID or retail transaction id. */
  uniqueId: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  enqueuedAt: string;
  deadAt: string;
}

/** The dead letters, oldest first: of one destination, or of all. */
export async function listDeadLetters(
  db: Queryable,
  limit: number,
  destination: string | null = null,
): Promise<DeadLetter[]> {
  const rows = await db.query<{
    id: string;
    destination: string;
    message_id: string;
    obj_name: string;
    action: string;
    unique_id: string;
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    enqueued_at: Date;
    dead_at: Date;
  }>(
    `SELECT id::text AS id, destination, message_id, obj_name, action, unique_id, attempts,
            last_status, last_error, enqueued_at, dead_at
       FROM data_sync_dead_letters
      WHERE $2::text IS NULL OR destination = $2
      ORDER BY data_sync_dead_letters.id LIMIT $1`,
    [limit, destination],
  );
  return rows.map((row) => ({
    id: row.id,
    destination: row.destination,
    messageId: row.message_id,
    objName: row.obj_name,
    action: row.action,
    uniqueId: row.unique_id,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    enqueuedAt: new Date(row.enqueued_at).toISOString(),
    deadAt: new Date(row.dead_at).toISOString(),
  }));
}

/**
 * Moves dead letters (the given ids, or all with `null`) back to the progress queue with their
 * attempts reset and their message id kept, so the receiver can tell a re-sent message by its
 * `uniqueId`. Each goes back to its own destination's queue, in its own place: its progress id
 * is its message id again (the id it had when it was moved), so it goes before every newer
 * message of its customer still queued, and an old record never overwrites a newer one at the
 * receiver that way. A message id that is not a free progress id (none should be) takes a new id
 * at the end. `destination` limits the re-queue to that destination's dead letters. Returns the
 * ids moved.
 */
export async function requeueDeadLetters(
  db: Database,
  ids: readonly string[] | null,
  destination: string | null = null,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [PROGRESS_APPEND_LOCK_KEY]);
    const rows = await tx.query<{ id: string }>(
      `WITH requeued AS (
         DELETE FROM data_sync_dead_letters
          WHERE ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
            AND ($2::text IS NULL OR destination = $2)
         RETURNING *
       ), numbered AS (
         SELECT CASE WHEN r.message_id ~ '^[0-9]{1,18}$'
                      AND NOT EXISTS (SELECT 1 FROM data_sync_progress_queue q
                                       WHERE q.id = r.message_id::bigint)
                     THEN r.message_id::bigint
                     ELSE nextval('data_sync_progress_queue_id_seq') END AS progress_id, r.*
           FROM (SELECT * FROM requeued ORDER BY id) r
       ), inserted AS (
         INSERT INTO data_sync_progress_queue
                (id, destination, source_queue, source_id, obj_name, unique_id, action, json_object,
                 message_id, ordering_key, enqueued_at)
         SELECT progress_id, destination, source_queue, source_id, obj_name, unique_id, action,
                json_object, message_id, ordering_key, enqueued_at
           FROM numbered
       )
       SELECT id::text AS id FROM numbered ORDER BY numbered.id`,
      [ids, destination],
    );
    return rows.map((row) => row.id);
  });
}
