/**
 * The data-sync queues as the job works them (seeds/001 "Data Sync Job"): moving pending rows into
 * the progress queue, claiming deliverable rows under a lease, recording what each delivery did,
 * dead letters, and the job runs. Each function is one round trip or one short transaction; the
 * batches travel as arrays through `unnest`. Design: docs/sync.md.
 */
import type { Database, Queryable } from "./database.js";

/** Any fixed number: every custhub process agrees on it. Serializes moves into the progress queue. */
const PROGRESS_APPEND_LOCK_KEY = 7_311_000_002;

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
function commitMode(db: Database): string {
  return `set_config('synchronous_commit', '${db.kind === "postgres" ? "off" : "on"}', true)`;
}

/** The destination of the rows written before there were several: the data-sync endpoint. */
export const DEFAULT_DESTINATION = "datasync";

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

/** A pause a worker asks for: the destination takes no message for `delayMs` from now. */
export interface PauseRequest {
  destination: string;
  delayMs: number;
  /** The receiver's status that asked for it. */
  status: number | null;
  /** Why, in custhub's words: the message and its customer, the status (never the receiver's words). */
  reason: string;
}

/** A destination paused because its receiver asked to slow down (migration 0017). */
export interface DestinationPause {
  destination: string;
  /** No message goes to the destination before this instant (ISO 8601). */
  pausedUntil: string;
  pausedAt: string;
  status: number | null;
  reason: string;
}

export type RunResultOutcome = "sent" | "skipped" | "failed" | "dead";

/** What one delivery of a run did, as `sync_run_results` keeps it. */
export interface RunResult {
  runId: string;
  destination: string;
  uniqueId: string;
  objName: string;
  action: string;
  messageId: string;
  outcome: RunResultOutcome;
  status: number | null;
  error: string | null;
}

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

/** Orders bigint ids given as decimal strings. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
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

/**
 * Pauses a destination for some milliseconds from now, with the status and reason that asked for
 * it (parameters `$first` to `$first+3`), unless it is paused longer already: two workers told to
 * wait keep the longer wait. Nothing when the destination parameter is null.
 */
function pauseUpsert(first: number): string {
  const [destination, delayMs, status, reason] = [0, 1, 2, 3].map((at) => `$${first + at}`);
  return `INSERT INTO data_sync_destination_pauses AS p
         (destination, paused_until, paused_at, status, reason)
       SELECT ${destination}::text, now() + ${delayMs}::bigint * interval '1 millisecond', now(),
              ${status}::int, ${reason}::text
        WHERE ${destination}::text IS NOT NULL
       ON CONFLICT (destination) DO UPDATE
         SET paused_until = excluded.paused_until, paused_at = excluded.paused_at,
             status = excluded.status, reason = excluded.reason
       WHERE p.paused_until < excluded.paused_until
       RETURNING 1`;
}

/** Pauses a destination (see `PauseRequest`); a longer pause already stored stands. */
export async function pauseDestination(db: Queryable, pause: PauseRequest): Promise<void> {
  await db.query(pauseUpsert(1), [
    pause.destination,
    Math.round(pause.delayMs),
    pause.status,
    pause.reason,
  ]);
}

/** The destinations paused now, by name. */
export async function activePauses(db: Queryable): Promise<Map<string, DestinationPause>> {
  return readPauses(db, null);
}

/** The destination's pause, while it holds; null when it is not paused. */
export async function destinationPause(
  db: Queryable,
  destination: string,
): Promise<DestinationPause | null> {
  return (await readPauses(db, destination)).get(destination) ?? null;
}

/** The pauses that hold now: of every destination, or of the one named. */
async function readPauses(
  db: Queryable,
  destination: string | null,
): Promise<Map<string, DestinationPause>> {
  const rows = await db.query<{
    destination: string;
    paused_until: Date;
    paused_at: Date;
    status: number | null;
    reason: string;
  }>(
    `SELECT destination, paused_until, paused_at, status, reason
       FROM data_sync_destination_pauses
      WHERE paused_until > now() AND ($1::text IS NULL OR destination = $1)`,
    [destination],
  );
  return new Map(
    rows.map((row) => [
      row.destination,
      {
        destination: row.destination,
        pausedUntil: new Date(row.paused_until).toISOString(),
        pausedAt: new Date(row.paused_at).toISOString(),
        status: row.status,
        reason: row.reason,
      },
    ]),
  );
}

/**
 * Ends a destination's pause now (an operator who knows the receiver is back), and makes due now
 * its messages that wait because the receiver asked to slow down (a 429, a 503): the next run
 * sends them in order. Whether a pause was on.
 */
export async function resumeDestination(db: Queryable, destination: string): Promise<boolean> {
  const [row] = await db.query<{ active: boolean }>(
    `WITH ended AS (
       DELETE FROM data_sync_destination_pauses WHERE destination = $1
       RETURNING paused_until > now() AS active
     ), due AS (
       UPDATE data_sync_progress_queue SET next_attempt_at = now()
        WHERE destination = $1 AND last_status IN (429, 503) AND next_attempt_at > now()
     )
     SELECT coalesce((SELECT active FROM ended), false) AS active`,
    [destination],
  );
  return row?.active ?? false;
}

/** Drops holds whose lease has ended: their delivery can no longer be in flight. */
export async function dropExpiredHolds(db: Queryable): Promise<void> {
  await db.query("DELETE FROM data_sync_ordering_holds WHERE hold_until <= now()");
}

export interface SyncQueueDepths {
  customerPending: number;
  transactionPending: number;
  progress: number;
  /** Progress rows under a live lease: being sent right now. */
  inFlight: number;
  /** Progress rows that failed at least once and wait for their next attempt. */
  retrying: number;
  deadLetters: number;
}

/** The queue depths; the progress and dead-letter counts of one destination, or of all. */
export async function syncQueueDepths(
  db: Queryable,
  destination: string | null = null,
): Promise<SyncQueueDepths> {
  const [row] = await db.query<Record<keyof SyncQueueDepths, number>>(
    `WITH p AS (SELECT * FROM data_sync_progress_queue WHERE $1::text IS NULL OR destination = $1)
     SELECT (SELECT count(*) FROM data_sync_cust_pending_queue)::int AS "customerPending",
            (SELECT count(*) FROM data_sync_trn_pending_queue)::int AS "transactionPending",
            (SELECT count(*) FROM p)::int AS progress,
            (SELECT count(*) FROM p WHERE lease_until > now())::int AS "inFlight",
            (SELECT count(*) FROM p WHERE attempts > 0)::int AS retrying,
            (SELECT count(*) FROM data_sync_dead_letters
              WHERE $1::text IS NULL OR destination = $1)::int AS "deadLetters"`,
    [destination],
  );
  return {
    customerPending: row?.customerPending ?? 0,
    transactionPending: row?.transactionPending ?? 0,
    progress: row?.progress ?? 0,
    inFlight: row?.inFlight ?? 0,
    retrying: row?.retrying ?? 0,
    deadLetters: row?.deadLetters ?? 0,
  };
}

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

export type JobRunOutcome = "running" | "succeeded" | "failed" | "stopped" | "abandoned";

export interface JobRunCounts {
  moved: number;
  delivered: number;
  failed: number;
  deadLettered: number;
}

export interface JobRun extends JobRunCounts {
  id: string;
  destination: string;
  worker: string;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: JobRunOutcome;
  error: string | null;
}

/**
 * Records the start of a run. Runs still `running` whose heartbeat is older than `staleSeconds`
 * belonged to a worker that died; they are marked `abandoned` on the way.
 */
export async function startJobRun(
  db: Queryable,
  worker: string,
  trigger: string,
  staleSeconds: number,
  destination: string = DEFAULT_DESTINATION,
): Promise<string> {
  await db.query(
    `UPDATE data_sync_job_runs SET outcome = 'abandoned', finished_at = heartbeat_at,
            error = 'the worker stopped reporting (killed or cut off)'
      WHERE outcome = 'running' AND heartbeat_at < now() - make_interval(secs => $1)`,
    [staleSeconds],
  );
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO data_sync_job_runs (worker, trigger, destination) VALUES ($1, $2, $3)
     RETURNING id::text AS id`,
    [worker, trigger, destination],
  );
  if (!row) throw new Error("INSERT ... RETURNING gave no row");
  return row.id;
}

/** Saves the counts so far and shows the run is alive. */
export async function heartbeatJobRun(
  db: Queryable,
  runId: string,
  counts: JobRunCounts,
): Promise<void> {
  await db.query(
    `UPDATE data_sync_job_runs
        SET heartbeat_at = now(), moved = $2, delivered = $3, failed = $4, dead_lettered = $5
      WHERE id = $1`,
    [runId, counts.moved, counts.delivered, counts.failed, counts.deadLettered],
  );
}

export async function finishJobRun(
  db: Queryable,
  runId: string,
  outcome: Exclude<JobRunOutcome, "running" | "abandoned">,
  counts: JobRunCounts,
  error: string | null,
): Promise<JobRun> {
  const [row] = await db.query<JobRunRow>(
    `UPDATE data_sync_job_runs
        SET finished_at = now(), heartbeat_at = now(), outcome = $2, moved = $3, delivered = $4,
            failed = $5, dead_lettered = $6, error = $7
      WHERE id = $1
     RETURNING ${JOB_RUN_COLUMNS}`,
    [runId, outcome, counts.moved, counts.delivered, counts.failed, counts.deadLettered, error],
  );
  if (!row) throw new Error(`job run ${runId} is gone`);
  return toJobRun(row);
}

/** The newest runs first: of one destination, or of all. */
export async function listJobRuns(
  db: Queryable,
  limit: number,
  destination: string | null = null,
): Promise<JobRun[]> {
  const rows = await db.query<JobRunRow>(
    `SELECT ${JOB_RUN_COLUMNS} FROM data_sync_job_runs
      WHERE $2::text IS NULL OR destination = $2
      ORDER BY data_sync_job_runs.id DESC LIMIT $1`,
    [limit, destination],
  );
  return rows.map(toJobRun);
}

export async function getJobRun(db: Queryable, runId: string): Promise<JobRun | null> {
  const [row] = await db.query<JobRunRow>(
    `SELECT ${JOB_RUN_COLUMNS} FROM data_sync_job_runs WHERE id = $1::bigint`,
    [runId],
  );
  return row ? toJobRun(row) : null;
}

/**
 * The id goes out as text (a bigint may pass 2^53), under its own name: an `ORDER BY id` would then
 * sort that text ("9" after "10"), so every query over these columns orders by
 * `data_sync_job_runs.id`, the column.
 */
const JOB_RUN_COLUMNS = `id::text AS id, destination, worker, trigger, started_at, finished_at, outcome, moved,
  delivered, failed, dead_lettered, error`;

interface JobRunRow {
  id: string;
  destination: string;
  worker: string;
  trigger: string;
  started_at: Date;
  finished_at: Date | null;
  outcome: JobRunOutcome;
  moved: number;
  delivered: number;
  failed: number;
  dead_lettered: number;
  error: string | null;
}

function toJobRun(row: JobRunRow): JobRun {
  return {
    id: row.id,
    destination: row.destination,
    worker: row.worker,
    trigger: row.trigger,
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
    outcome: row.outcome,
    moved: row.moved,
    delivered: row.delivered,
    failed: row.failed,
    deadLettered: row.dead_lettered,
    error: row.error,
  };
}

/** A stored per-delivery result of a run (`sync_run_results`). */
export interface StoredRunResult {
  uniqueId: string;
  objName: string;
  action: string;
  messageId: string;
  outcome: RunResultOutcome;
  status: number | null;
  error: string | null;
  at: string;
}

/** The results a run kept, in the order they were written. */
export async function listRunResults(db: Queryable, runId: string): Promise<StoredRunResult[]> {
  const rows = await db.query<{
    unique_id: string;
    obj_name: string;
    action: string;
    message_id: string;
    outcome: RunResultOutcome;
    status: number | null;
    error: string | null;
    at: Date;
  }>(
    `SELECT unique_id, obj_name, action, message_id, outcome, status, error, at
       FROM sync_run_results WHERE run_id = $1::bigint ORDER BY id`,
    [runId],
  );
  return rows.map((row) => ({
    uniqueId: row.unique_id,
    objName: row.obj_name,
    action: row.action,
    messageId: row.message_id,
    outcome: row.outcome,
    status: row.status,
    error: row.error,
    at: new Date(row.at).toISOString(),
  }));
}

/** One destination's queue state, for `custhub destinations list`. */
export interface DestinationQueueStats {
  destination: string;
  /** Progress rows waiting for it. */
  progress: number;
  inFlight: number;
  /** Rows that failed at least once and wait for their next attempt. */
  failing: number;
  deadLetters: number;
}

export async function destinationQueueStats(
  db: Queryable,
): Promise<Map<string, DestinationQueueStats>> {
  const rows = await db.query<DestinationQueueStats>(
    `WITH p AS (
       SELECT destination, count(*)::int AS progress,
              count(*) FILTER (WHERE lease_until > now())::int AS "inFlight",
              count(*) FILTER (WHERE attempts > 0)::int AS failing
         FROM data_sync_progress_queue GROUP BY destination
     ), d AS (
       SELECT destination, count(*)::int AS dead FROM data_sync_dead_letters GROUP BY destination
     )
     SELECT coalesce(p.destination, d.destination) AS destination,
            coalesce(p.progress, 0) AS progress, coalesce(p."inFlight", 0) AS "inFlight",
            coalesce(p.failing, 0) AS failing, coalesce(d.dead, 0) AS "deadLetters"
       FROM p FULL JOIN d ON d.destination = p.destination`,
  );
  return new Map(rows.map((row) => [row.destination, row]));
}

/** Each destination's newest run. */
export async function lastJobRuns(db: Queryable): Promise<Map<string, JobRun>> {
  const rows = await db.query<JobRunRow>(
    `SELECT DISTINCT ON (destination) ${JOB_RUN_COLUMNS}
       FROM data_sync_job_runs ORDER BY destination, data_sync_job_runs.id DESC`,
  );
  return new Map(rows.map((row) => [row.destination, toJobRun(row)]));
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
