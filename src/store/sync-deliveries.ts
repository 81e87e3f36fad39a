/**
 * Deliveries on the data-sync progress queue (seeds/001 "Data Sync Job"): claiming deliverable
 * rows under a lease, and recording what each delivery did (delivered, retried, dead-lettered,
 * released) in one statement. Design: docs/sync.md.
 */
import type { Database } from "./database.js";
import { compareIds } from "../domain/ids.js";
import { commitMode, DEFAULT_DESTINATION } from "./sync-queue.js";
import { type DestinationPause, type PauseRequest, pauseUpsert } from "./sync-pauses.js";
import type { RunResult } from "./sync-job-runs.js";

export interface ClaimedRow {
  id: string;
  /**
   * The destination this row is queued for (each destination has its own rows); always set on a
   * claimed row, optional so that rows built by hand (tests of a destination) need not name it.
   */
  destination?: string;
  sourceQueue: string;
  objName: string;
  uniqueId: string;
  action: string;
  /** The queued JSON object as text, exactly as stored; null for a delete. */
  json: string | null;
  messageId: string;
  orderingKey: string;
  /** Failed attempts so far. */
  attempts: number;
  /** When the change was queued (epoch ms). */
  enqueuedAt: number;
}

export interface RetryOutcome {
  id: string;
  status: number | null;
  error: string;
  /** Delay before the next attempt. */
  delayMs: number;
}

export interface DeadOutcome {
  id: string;
  status: number | null;
  error: string;
}

/** What a worker reports back for the rows it claimed. */
export interface DeliveryOutcomes {
  delivered: string[];
  retry: RetryOutcome[];
  dead: DeadOutcome[];
  /** Claimed but not sent (the run stopped): free again at once, no attempt counted. */
  released: string[];
  /** Per-delivery results kept for review (manual runs, destinations that ask for it). */
  results?: RunResult[];
  /** The receiver asked to slow down (a 429, a 503 with Retry-After): pause the destination. */
  pause?: PauseRequest;
}

/**
 * Claims up to `limit` deliverable rows for `worker` for `leaseSeconds`. Deliverable: due, not
 * leased, the oldest row of its customer (an earlier row that is failing or in flight makes the
 * later ones wait), no hold on the customer, and the destination not paused (a receiver that asked
 * any worker to slow down, `pauseDestination`); all of it within one destination's rows, so
 * another destination's failing or slow rows never hold these back. SKIP LOCKED lets workers on
 * one server claim side by side without taking the same row. `orderingKeys` limits the claim to
 * those customers (a manual run for chosen customers).
 */
export async function claimDeliverable(
  db: Database,
  worker: string,
  limit: number,
  leaseSeconds: number,
  destination: string = DEFAULT_DESTINATION,
  orderingKeys: readonly string[] | null = null,
): Promise<ClaimedRow[]> {
  const rows = await db.query<{
    id: string;
    destination: string;
    source_queue: string;
    obj_name: string;
    unique_id: string;
    action: string;
    json: string | null;
    message_id: string;
    ordering_key: string;
    attempts: number;
    enqueued_ms: number;
  }>(
    `WITH commit_mode AS MATERIALIZED (SELECT ${commitMode(db)}),
     candidates AS (
       SELECT p.id FROM data_sync_progress_queue p
        WHERE p.destination = $4
          AND p.next_attempt_at <= now()
          AND (p.lease_until IS NULL OR p.lease_until <= now())
          AND ($5::text[] IS NULL OR p.ordering_key = ANY($5::text[]))
          AND NOT EXISTS (SELECT 1 FROM data_sync_destination_pauses pause
                           WHERE pause.destination = $4 AND pause.paused_until > now())
          AND NOT EXISTS (SELECT 1 FROM data_sync_progress_queue earlier
                           WHERE earlier.destination = p.destination
                             AND earlier.ordering_key = p.ordering_key AND earlier.id < p.id)
          AND NOT EXISTS (SELECT 1 FROM data_sync_ordering_holds hold
                           WHERE hold.destination = p.destination
                             AND hold.ordering_key = p.ordering_key AND hold.hold_until > now())
        ORDER BY p.id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
     )
     UPDATE data_sync_progress_queue p
        SET lease_owner = $1, lease_until = now() + make_interval(secs => $3)
       FROM candidates c, commit_mode
      WHERE p.id = c.id
     RETURNING p.id::text AS id, p.destination, p.source_queue, p.obj_name, p.unique_id, p.action,
               p.json_object::text AS json, p.message_id, p.ordering_key, p.attempts,
               (extract(epoch FROM p.enqueued_at) * 1000)::float8 AS enqueued_ms`,
    [worker, limit, leaseSeconds, destination, orderingKeys === null ? null : [...orderingKeys]],
  );
  return rows
    .map((row) => ({
      id: row.id,
      destination: row.destination,
      sourceQueue: row.source_queue,
      objName: row.obj_name,
      uniqueId: row.unique_id,
      action: row.action,
      json: row.json,
      messageId: row.message_id,
      orderingKey: row.ordering_key,
      attempts: row.attempts,
      enqueuedAt: row.enqueued_ms,
    }))
    .sort((a, b) => compareIds(a.id, b.id));
}

/**
 * Records the outcomes of `worker`'s deliveries in one transaction: delivered rows removed (HTTP
 * 200, seeds/001), failed rows kept with attempts, status, error and next attempt time, rows out
 * of attempts moved to the dead letters, unsent rows released. Rows whose lease another worker
 * took over meanwhile are left to that worker, except that a delivered row is removed anyway.
 */
export async function recordOutcomes(
  db: Database,
  worker: string,
  outcomes: DeliveryOutcomes,
  /** Also answer whether this destination is paused (by another worker's answer, say). */
  destination: string | null = null,
): Promise<Pick<DestinationPause, "pausedUntil" | "reason"> | null> {
  const { delivered, retry, dead, released, pause } = outcomes;
  const results = outcomes.results ?? [];
  const finished = [...delivered, ...retry.map((item) => item.id), ...dead.map((item) => item.id)];
  const empty = finished.length === 0 && released.length === 0 && results.length === 0;
  if (empty && !pause) return null;
  // One statement, so one round trip and one transaction. The session CTE names this worker, so
  // the deletions of its own rows leave no ordering hold (the trigger in 0002_data_sync.sql runs
  // at the end of the statement, after the main query has read the CTE).
  const [answer] = await db.query<{ paused_until: Date | null; reason: string | null }>(
    `WITH session AS MATERIALIZED (
       SELECT set_config('custhub.sync_worker', $1, true) AS worker, ${commitMode(db)}
     ), delivered AS (
       DELETE FROM data_sync_progress_queue WHERE id = ANY($2::bigint[])
     ), retried AS (
       UPDATE data_sync_progress_queue p
          SET attempts = p.attempts + 1, last_status = f.status, last_error = f.error,
              last_attempt_at = now(),
              next_attempt_at = now() + f.delay_ms * interval '1 millisecond',
              lease_owner = NULL, lease_until = NULL
         FROM unnest($3::bigint[], $4::int[], $5::text[], $6::bigint[]) AS f (id, status, error, delay_ms)
        WHERE p.id = f.id AND p.lease_owner = $1
     ), dead AS (
       DELETE FROM data_sync_progress_queue p
        USING unnest($7::bigint[], $8::int[], $9::text[]) AS f (id, status, error)
        WHERE p.id = f.id AND p.lease_owner = $1
       RETURNING p.*, f.status AS final_status, f.error AS final_error
     ), buried AS (
       INSERT INTO data_sync_dead_letters
              (destination, source_queue, source_id, obj_name, unique_id, action, json_object,
               message_id, ordering_key, enqueued_at, attempts, last_status, last_error)
       SELECT destination, source_queue, source_id, obj_name, unique_id, action, json_object,
              message_id, ordering_key, enqueued_at, attempts + 1, final_status, final_error
         FROM dead ORDER BY id
     ), released AS (
       UPDATE data_sync_progress_queue SET lease_owner = NULL, lease_until = NULL
        WHERE id = ANY($10::bigint[]) AND lease_owner = $1
     ), holds AS (
       DELETE FROM data_sync_ordering_holds WHERE progress_id = ANY($11::bigint[])
     ), results AS (
       INSERT INTO sync_run_results
              (run_id, destination, unique_id, obj_name, action, message_id, outcome, status, error)
       SELECT * FROM unnest($12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[],
                            $17::text[], $18::text[], $19::int[], $20::text[])
     ), paused AS (
       ${pauseUpsert(21)}
     )
     SELECT pause.paused_until, pause.reason
       FROM session LEFT JOIN data_sync_destination_pauses pause
         ON pause.destination = $25 AND pause.paused_until > now()`,
    [
      worker,
      delivered,
      retry.map((item) => item.id),
      retry.map((item) => item.status),
      retry.map((item) => item.error),
      retry.map((item) => Math.round(item.delayMs)),
      dead.map((item) => item.id),
      dead.map((item) => item.status),
      dead.map((item) => item.error),
      released,
      finished,
      results.map((item) => item.runId),
      results.map((item) => item.destination),
      results.map((item) => item.uniqueId),
      results.map((item) => item.objName),
      results.map((item) => item.action),
      results.map((item) => item.messageId),
      results.map((item) => item.outcome),
      results.map((item) => item.status),
      results.map((item) => item.error),
      pause?.destination ?? null,
      pause ? Math.round(pause.delayMs) : null,
      pause?.status ?? null,
      pause?.reason ?? null,
      destination,
    ],
  );
  if (!answer?.paused_until || answer.reason === null) return null;
  return { pausedUntil: new Date(answer.paused_until).toISOString(), reason: answer.reason };
}
