/**
 * The vocabulary of the sync job, one line each (docs/sync.md has the design):
 *
 * - pending row: a change announced in `data_sync_cust_pending_queue` / `data_sync_trn_pending_queue`,
 *   written in the same transaction as the change (seeds/001 "Pending Queues").
 * - progress row: a pending row the job moved into `data_sync_progress_queue` to deliver.
 * - job run: one pass of the job: the progress queue first, then pending rows moved in batches,
 *   each progress row POSTed (seeds/001 "Data Sync Job"); recorded in `data_sync_job_runs`.
 * - worker: a process running job runs; several may share one PostgreSQL server.
 * - claim: a worker taking due progress rows (`FOR UPDATE SKIP LOCKED`) under a lease.
 * - lease: the owner and expiry written on a claimed row; when it ends the row is free again.
 * - ordering key: the customer a row belongs to; its rows are delivered one at a time, in order.
 * - hold: what keeps a customer's next message waiting when the row in flight was deleted.
 * - message: `{action, payload, type, uniqueId}` (Table H-5), POSTed in `{"messages": [...]}`.
 * - destination: a receiver of messages (the data-sync endpoint, Datanuum, NewBase, SocialHub);
 *   each progress row, dead letter and job run is one destination's (docs/sync.md "Destinations").
 * - fan-out: a move turns each pending row into one progress row per enabled destination.
 * - dead letter: a message that failed `DataSyncMaxAttempts` times, set aside until re-queued.
 */
import type { RetryPolicy } from "./backoff.js";

/**
 * A pino-compatible logger subset. The job logs counts, ids, statuses and codes: never payloads,
 * secrets, or a receiver's words, which may echo the customer's data (docs/sync.md "What is logged").
 */
export interface SyncLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: SyncLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** How a job run works, resolved from the settings (plus overrides in tests and benchmarks). */
export interface JobTuning {
  /** Pending rows moved per transaction (DataSyncBatchSize). */
  batchSize: number;
  /** Failed deliveries before the dead letters (DataSyncMaxAttempts). */
  maxAttempts: number;
  /** Messages in flight at once (DataSyncConcurrency). */
  concurrency: number;
  /** Connect timeout, and response timeout, of each request (DataSyncTimeoutSeconds). */
  timeoutMs: number;
  /** How long claimed rows stay this worker's (DataSyncLeaseSeconds). */
  leaseSeconds: number;
  retry: RetryPolicy;
  /** Failed deliveries in a row after which the run stops: the receiver looks down. */
  stopAfterConsecutiveFailures: number;
  /** The longest a run claims new work; what is left waits for the next run. */
  maxRunMs: number;
  /** How long delivery outcomes may wait before they are written, in one transaction. */
  flushIntervalMs: number;
}
