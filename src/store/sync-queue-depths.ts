/**
 * How deep the data-sync queues are: in all, per destination, and in flight, for the status
 * commands and the metrics.
 */
import type { Queryable } from "./database.js";

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
