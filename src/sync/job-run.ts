/**
 * One job run (seeds/001 "Data Sync Job"): the progress queue first, then pending rows moved in
 * batches into it, and one POST per progress row. HTTP 200 removes the row; anything else makes
 * the run fail (the document's rule) and keeps the row with its attempts, status, error and next
 * attempt time, until `maxAttempts` failures send it to the dead letters.
 *
 * The run is a small pipeline, so that the receiver, not the database, sets the pace:
 * - claims take due rows under a lease, only the oldest row of each customer
 *   (src/store/sync-deliveries.ts), so one customer's messages never overtake each other; a claim
 *   tops the rows in hand up to four times the concurrency when they fall to twice it, so the
 *   deliveries never wait for one;
 * - deliveries run `concurrency` at a time over one keep-alive pool;
 * - outcomes are written in one statement per flush, every `flushIntervalMs` or `concurrency`
 *   outcomes;
 * - a move runs as soon as the first claim found the progress queue short, and again whenever
 *   fewer than about half a batch of moved rows is left unclaimed.
 * At most one claim, one move and one flush are in progress at once; on PostgreSQL they use
 * separate connections, on PGlite they take turns.
 *
 * A run works one destination's rows (`destination.name`); its moves fan each pending row out to
 * every enabled destination (`fanOut`), so any destination's run feeds them all. How a failed
 * delivery is told and worded is in delivery-failures.ts.
 *
 * Longer than STYLE 10's ~400 lines, on purpose: most of it is `JobRunner`, one pipeline whose
 * claim, move, flush and dispatch share the rows in hand, the outcomes waiting to be written, the
 * counts and the wake-ups; cut apart, each part would reach into the others' state.
 */
import { toError } from "../domain/errors.js";
import type { Database } from "../store/database.js";
import {
  claimDeliverable,
  recordOutcomes,
  type ClaimedRow,
  type DeliveryOutcomes,
} from "../store/sync-deliveries.js";
import { destinationPause } from "../store/sync-pauses.js";
import { dropExpiredHolds, reclaimQueueSpace } from "../store/sync-queue-upkeep.js";
import {
  finishJobRun,
  heartbeatJobRun,
  startJobRun,
  type JobRun,
  type JobRunCounts,
  type RunResultOutcome,
} from "../store/sync-job-runs.js";
import { movePendingBatch, pendingHighWater } from "../store/sync-queue.js";
import { honourRetryAfter, retryDelayMs } from "./backoff.js";
import {
  asksToSlowDown,
  describeFailure,
  failureCode,
  subjectOf,
  type Failure,
} from "./delivery-failures.js";
import type { DeliveryResult, Destination } from "./destination.js";
import { silentLogger, type JobTuning, type SyncLogger } from "./types.js";

export interface RunJobOptions {
  /** This worker's name, written as the lease owner. */
  worker: string;
  /** What started the run: `once`, `schedule`, `api`. */
  trigger: string;
  tuning: JobTuning;
  /** Aborting stops the run: no new claims, in-flight deliveries finish, unsent rows are freed. */
  signal?: AbortSignal;
  logger?: SyncLogger;
  /** Jitter source (tests pin it). */
  random?: () => number;
  /** The destinations a move fans pending rows out to (the enabled ones); default the run's own. */
  fanOut?: readonly string[];
  /** Only these customers' rows (a manual run for chosen customers); no pending rows are moved. */
  customers?: readonly string[];
  /** Keep each delivery's result in `sync_run_results` (manual runs; Datanuum's accumulated results). */
  keepResults?: boolean;
}

/** Runs one job run against `destination` and returns its record. */
export async function runSyncJob(
  db: Database,
  destination: Destination,
  options: RunJobOptions,
): Promise<JobRun> {
  return new JobRunner(db, destination, options).execute();
}

interface Buffered extends ClaimedRow {
  /** Past this instant the lease may end mid-send: the row is released, not sent. */
  sendBy: number;
}

/** How often a run shows it is alive (and its counts so far) in data_sync_job_runs. */
const HEARTBEAT_MS = 2_000;
/** Failure lines logged per run; the run record has the totals. */
const LOGGED_FAILURES = 10;

class JobRunner {
  readonly #tuning: JobTuning;
  readonly #logger: SyncLogger;
  /** How log lines name the destination: the data-sync endpoint keeps its `data-sync` lines. */
  readonly #label: string;
  readonly #counts: JobRunCounts = { moved: 0, delivered: 0, failed: 0, deadLettered: 0 };
  #outcomes: DeliveryOutcomes = emptyOutcomes();
  #outcomesSince = 0;
  readonly #buffered: Buffered[] = [];
  #inFlight = 0;

  #claiming = false;
  #moving = false;
  #flushing = false;
  /** Changes whenever a flush or move completes: rows may have become claimable. */
  #version = 0;
  /** The last claim came back with fewer rows than asked, at `#lastClaimVersion`. */
  #lastClaimShort = false;
  #lastClaimVersion = -1;
  /** The progress queue has been worked first (seeds/001); moves may start. */
  #progressChecked = false;
  #pendingLeft = true;
  #movedUnclaimed = 0;

  /**
   * Set when the run must stop claiming: a fatal error, an abort, the time limit, or the receiver
   * asking to slow down (the destination paused, by this run or another worker's).
   */
  #ending: { reason: EndReason; error: string | null } | null = null;
  #firstFailure: string | null = null;
  #consecutiveFailures = 0;
  #loggedFailures = 0;
  #lastHeartbeat = Date.now();
  #runId = "";

  #woken = false;
  #wakeUp: (() => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly destination: Destination,
    private readonly options: RunJobOptions,
  ) {
    this.#tuning = options.tuning;
    this.#logger = options.logger ?? silentLogger;
    this.#label = destination.name === "datasync" ? "data-sync" : destination.name;
  }

  async execute(): Promise<JobRun> {
    const { worker, trigger, signal } = this.options;
    this.#runId = await startJobRun(
      this.db,
      worker,
      trigger,
      this.#tuning.leaseSeconds,
      this.destination.name,
    );
    const runId = this.#runId;
    const onAbort = (): void => {
      this.#end("stopped", null);
      this.#wake();
    };
    signal?.addEventListener("abort", onAbort);
    try {
      await dropExpiredHolds(this.db);
      const highWater = await pendingHighWater(this.db);
      // A run for chosen customers has had their pending rows moved already (queueManualUpdates).
      if (this.options.customers) this.#pendingLeft = false;
      const deadline = Date.now() + this.#tuning.maxRunMs;
      if (signal?.aborted) this.#end("stopped", null);
      for (;;) {
        if (Date.now() > deadline) this.#end("time", null);
        if (this.#ending) this.#releaseBuffered();
        this.#startClaim();
        this.#startMove(highWater);
        this.#dispatch();
        this.#startFlush();
        if (this.#finished()) break;
        await this.#nextWake();
      }
    } catch (error) {
      // Only the setup queries above throw here; the pipeline's tasks report through #end.
      this.#end("fatal", toError(error).message);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    const run = await finishJobRun(this.db, runId, this.#outcome(), this.#counts, this.#error());
    const { moved, delivered, deadLettered } = this.#counts;
    // Upkeep, after the run's record is written: a failure here changes nothing the run did.
    await reclaimQueueSpace(this.db, moved + delivered + deadLettered).catch((error: unknown) =>
      this.#logger.warn({ error: toError(error).message }, "queue upkeep (VACUUM) failed"),
    );
    this.#logger[run.outcome === "failed" ? "warn" : "info"](
      { runId, outcome: run.outcome, ...this.#counts, error: run.error },
      `${this.#label} run finished`,
    );
    return run;
  }

  #outcome(): "succeeded" | "failed" | "stopped" {
    if (this.#ending?.reason === "fatal" || this.#counts.failed > 0) return "failed";
    // Paused by another worker's answer: this run stopped early, nothing of its own failed.
    const early = this.#ending?.reason === "stopped" || this.#ending?.reason === "paused";
    return early ? "stopped" : "succeeded";
  }

  #error(): string | null {
    if (this.#ending?.reason === "fatal") return this.#ending.error;
    const failed =
      this.#counts.failed > 0
        ? `${this.#counts.failed} deliveries failed; the first: ${this.#firstFailure ?? "unknown"}`
        : null;
    if (this.#ending?.reason === "paused") {
      return [this.#ending.error, failed].filter((part) => part !== null).join("; ");
    }
    return failed;
  }

  #end(reason: EndReason, error: string | null): void {
    // A fatal error outranks a stop: the run record must say why it failed.
    if (!this.#ending || (reason === "fatal" && this.#ending.reason !== "fatal")) {
      this.#ending = { reason, error };
    }
  }

  #finished(): boolean {
    const idle =
      !this.#claiming &&
      !this.#moving &&
      !this.#flushing &&
      this.#inFlight === 0 &&
      this.#buffered.length === 0 &&
      countOutcomes(this.#outcomes) === 0;
    if (!idle) return false;
    if (this.#ending) return true;
    return !this.#pendingLeft && this.#lastClaimShort && this.#lastClaimVersion === this.#version;
  }

  #startClaim(): void {
    const { concurrency } = this.#tuning;
    const held = this.#buffered.length + this.#inFlight;
    if (this.#ending || this.#claiming || held > 2 * concurrency) return;
    // A short claim is not repeated until a flush or move may have freed something.
    if (this.#lastClaimShort && this.#lastClaimVersion === this.#version) return;
    const limit = 4 * concurrency - held;
    const version = this.#version;
    const startedAt = Date.now();
    const sendBy = startedAt + this.#tuning.leaseSeconds * 1000 - 4 * this.#tuning.timeoutMs;
    this.#claiming = true;
    this.#background(
      async () => {
        const rows = await claimDeliverable(
          this.db,
          this.options.worker,
          limit,
          this.#tuning.leaseSeconds,
          this.destination.name,
          this.options.customers ?? null,
        );
        // A paused destination gives no row (the claim skips it), so only an empty claim asks
        // whether another worker's receiver asked to slow down: then nothing more is claimed.
        if (rows.length === 0) {
          const pause = await destinationPause(this.db, this.destination.name);
          if (pause) {
            this.#end("paused", pauseText(pause.pausedUntil, pause.reason));
            return;
          }
        }
        for (const row of rows) this.#buffered.push({ ...row, sendBy });
        this.#lastClaimShort = rows.length < limit;
        this.#lastClaimVersion = version;
        // A short claim means little deliverable is left, whatever was moved (a customer deleted
        // meanwhile takes its moved rows with it): time for the first, or the next, move.
        this.#movedUnclaimed = this.#lastClaimShort
          ? 0
          : Math.max(0, this.#movedUnclaimed - rows.length);
        if (this.#lastClaimShort) this.#progressChecked = true;
      },
      () => {
        this.#claiming = false;
      },
    );
  }

  #startMove(highWater: string): void {
    if (this.#ending || this.#moving || !this.#pendingLeft || !this.#progressChecked) return;
    const { batchSize, concurrency } = this.#tuning;
    if (this.#movedUnclaimed >= Math.max(2 * concurrency, batchSize / 2)) return;
    this.#moving = true;
    this.#background(
      async () => {
        const moved = await movePendingBatch(
          this.db,
          batchSize,
          highWater,
          this.options.fanOut ?? [this.destination.name],
        );
        this.#counts.moved += moved;
        this.#movedUnclaimed += moved;
        if (moved === 0) this.#pendingLeft = false;
        this.#version += 1;
      },
      () => {
        this.#moving = false;
      },
    );
  }

  #startFlush(): void {
    const waiting = countOutcomes(this.#outcomes);
    if (this.#flushing || waiting === 0) return;
    const starved = this.#inFlight === 0 && this.#buffered.length === 0;
    const due =
      waiting >= this.#tuning.concurrency ||
      Date.now() - this.#outcomesSince >= this.#tuning.flushIntervalMs ||
      starved ||
      this.#ending !== null;
    if (!due) return;
    const outcomes = this.#outcomes;
    this.#outcomes = emptyOutcomes();
    this.#flushing = true;
    this.#background(
      async () => {
        // Another worker's receiver may have asked to slow down meanwhile: stop sending.
        const pause = await recordOutcomes(
          this.db,
          this.options.worker,
          outcomes,
          this.destination.name,
        );
        if (pause) this.#end("paused", pauseText(pause.pausedUntil, pause.reason));
        this.#version += 1;
        if (Date.now() - this.#lastHeartbeat >= HEARTBEAT_MS) {
          this.#lastHeartbeat = Date.now();
          await heartbeatJobRun(this.db, this.#runId, this.#counts);
        }
      },
      () => {
        this.#flushing = false;
      },
    );
  }

  #dispatch(): void {
    const now = Date.now();
    const { concurrency } = this.#tuning;
    // Answers not yet written are sent again if the worker dies: while the database lags behind,
    // stop sending rather than let that number grow.
    if (countOutcomes(this.#outcomes) >= 2 * concurrency) return;
    while (!this.#ending && this.#inFlight < concurrency) {
      const row = this.#buffered.shift();
      if (!row) return;
      if (now > row.sendBy) {
        this.#addOutcome((outcomes) => outcomes.released.push(row.id));
        continue;
      }
      this.#inFlight += 1;
      this.destination
        .deliver(row)
        .then(
          (result) => this.#record(row, result),
          (error: unknown) => {
            // No message can go out (no token): free the row, stop the run.
            this.#addOutcome((outcomes) => outcomes.released.push(row.id));
            this.#end("fatal", toError(error).message);
          },
        )
        .finally(() => {
          this.#inFlight -= 1;
          this.#wake();
        });
    }
  }

  #keep(
    row: ClaimedRow,
    outcome: RunResultOutcome,
    status: number | null,
    error: string | null,
  ): void {
    if (!this.options.keepResults) return;
    this.#addOutcome((outcomes) =>
      (outcomes.results ??= []).push({
        runId: this.#runId,
        destination: row.destination ?? this.destination.name,
        uniqueId: row.uniqueId,
        objName: row.objName,
        action: row.action,
        messageId: row.messageId,
        outcome,
        status,
        error,
      }),
    );
  }

  #record(row: ClaimedRow, result: DeliveryResult): void {
    if (result.kind === "delivered" || result.kind === "skipped") {
      // A skipped change is done with as a delivered one is: nothing is left to send.
      this.#consecutiveFailures = 0;
      this.#counts.delivered += 1;
      this.#addOutcome((outcomes) => outcomes.delivered.push(row.id));
      if (result.kind === "delivered") this.#keep(row, "sent", result.status, null);
      else this.#keep(row, "skipped", null, result.reason);
      return;
    }
    this.#counts.failed += 1;
    this.#firstFailure ??= describeFailure(row, result);
    // A rejected delivery keeps the receiver's status too (a 400 is why it can never be sent).
    const status = result.status ?? null;
    const attempts = row.attempts + 1;
    const dead = result.kind === "rejected" || attempts >= this.#tuning.maxAttempts;
    this.#keep(row, dead ? "dead" : "failed", status, result.error);
    // The wait the message would take; the whole destination takes it when the receiver asked to
    // slow down, even for a message dead-lettered on its last attempt.
    const delayMs = honourRetryAfter(
      retryDelayMs(attempts, this.#tuning.retry, this.options.random),
      result.kind === "failed" ? result.retryAfterMs : null,
    );
    if (dead) {
      this.#counts.deadLettered += 1;
      this.#addOutcome((outcomes) =>
        outcomes.dead.push({ id: row.id, status, error: result.error }),
      );
    } else {
      this.#addOutcome((outcomes) =>
        outcomes.retry.push({ id: row.id, status, error: result.error, delayMs }),
      );
    }
    if (asksToSlowDown(result) && delayMs > 0) this.#pause(row, result, delayMs);
    if (this.#loggedFailures < LOGGED_FAILURES) {
      this.#loggedFailures += 1;
      // Status, code and ids only: the receiver's words may echo the customer's data (SPEC 9).
      this.#logger.warn(
        {
          runId: this.#runId,
          messageId: row.messageId,
          ...subjectOf(row),
          status,
          code: failureCode(result),
          attempts,
          deadLettered: dead,
        },
        `${this.#label} delivery failed`,
      );
    }
    if (result.kind === "failed") {
      this.#consecutiveFailures += 1;
      if (this.#consecutiveFailures >= this.#tuning.stopAfterConsecutiveFailures) {
        this.#end(
          "fatal",
          `stopped after ${this.#consecutiveFailures} failed deliveries in a row; the last: ${describeFailure(row, result)}`,
        );
      }
    }
  }

  /**
   * The receiver asked to slow down: the whole destination waits `delayMs` (stored with the
   * outcomes, so every worker's claims honour it), this run sends nothing more, and the rows it
   * holds unsent go back without an attempt counted.
   */
  #pause(row: ClaimedRow, result: Failure, delayMs: number): void {
    const asked = result.kind === "failed" && result.retryAfterMs != null;
    const reason = `${describeFailure(row, result)} asked to slow down${
      asked ? ` (Retry-After ${Math.ceil(delayMs / 1000)} s)` : ""
    }`;
    const pause = this.#outcomes.pause;
    if (!pause || pause.delayMs < delayMs) {
      this.#addOutcome((outcomes) => {
        outcomes.pause = {
          destination: row.destination ?? this.destination.name,
          delayMs,
          status: result.status ?? null,
          reason,
        };
      });
    }
    const until = new Date(Date.now() + delayMs).toISOString();
    if (this.#ending?.reason !== "paused") this.#end("paused", pauseText(until, reason));
  }

  #releaseBuffered(): void {
    for (const row of this.#buffered.splice(0)) {
      this.#addOutcome((outcomes) => outcomes.released.push(row.id));
    }
  }

  #addOutcome(add: (outcomes: DeliveryOutcomes) => void): void {
    if (countOutcomes(this.#outcomes) === 0) this.#outcomesSince = Date.now();
    add(this.#outcomes);
  }

  /** Runs a database task beside the deliveries; its failure ends the run. */
  #background(task: () => Promise<void>, done: () => void): void {
    task()
      .catch((error: unknown) => {
        // Outcomes of a failed flush are lost; their rows come back when their leases end.
        const message = `database: ${toError(error).message}`;
        this.#logger.error({ runId: this.#runId, error: message }, `${this.#label} run stopped`);
        this.#end("fatal", message);
      })
      .finally(() => {
        done();
        this.#wake();
      });
  }

  #wake(): void {
    const wakeUp = this.#wakeUp;
    this.#wakeUp = null;
    if (wakeUp) wakeUp();
    else this.#woken = true;
  }

  /** Waits for a delivery or task to finish, or for the next flush to fall due. */
  #nextWake(): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    const waitMs = countOutcomes(this.#outcomes) > 0 ? this.#tuning.flushIntervalMs : 1_000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeUp = null;
        resolve();
      }, waitMs);
      this.#wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

type EndReason = "fatal" | "stopped" | "time" | "paused";

function pauseText(until: string, reason: string): string {
  return `destination paused until ${until}: ${reason}`;
}

function emptyOutcomes(): DeliveryOutcomes {
  return { delivered: [], retry: [], dead: [], released: [] };
}

/** Results are not counted: each travels with a delivered, retry or dead outcome. */
function countOutcomes(outcomes: DeliveryOutcomes): number {
  return (
    outcomes.delivered.length +
    outcomes.retry.length +
    outcomes.dead.length +
    outcomes.released.length
  );
}
