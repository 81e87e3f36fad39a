/**
 * The data-sync job runs (`data_sync_job_runs`) and the per-delivery results a run keeps
 * (`sync_run_results`). Design: docs/sync.md.
 */
import type { Queryable } from "./database.js";
import { DEFAULT_DESTINATION } from "./sync-queue.js";

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

/** A stored per-delivery result of a run (`sync_run_results`), read back with when it was kept. */
export type StoredRunResult = Omit<RunResult, "runId" | "destination"> & { at: string };

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

/** Each destination's newest run. */
export async function lastJobRuns(db: Queryable): Promise<Map<string, JobRun>> {
  const rows = await db.query<JobRunRow>(
    `SELECT DISTINCT ON (destination) ${JOB_RUN_COLUMNS}
       FROM data_sync_job_runs ORDER BY destination, data_sync_job_runs.id DESC`,
  );
  return new Map(rows.map((row) => [row.destination, toJobRun(row)]));
}
