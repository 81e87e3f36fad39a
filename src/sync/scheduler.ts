/**
 * The schedule of the job inside `custhub serve` (seeds/001: "A scheduled job will process this
 * pending data"): a run starts every DataSyncIntervalSeconds, counted from the start of the last
 * one, or at the times the DataSyncCron expression names; a run that takes longer is followed at
 * once by the next. The settings are read before each run, and read again every few seconds while
 * waiting for the next one: a changed interval or cron expression sets the next start at once
 * (a shorter interval counted from the last start may mean now), and DataSyncEnabled is honoured
 * at the next start, all without a restart. Re-reading is what tells this process of a change
 * made by any other one (the CLI, another server on the same PostgreSQL), on either engine, for
 * the price of one small read every few seconds. `stop` ends the run in progress the graceful way
 * (no new claims, deliveries in flight finish, unsent rows freed).
 */
import { setTimeout as delay } from "node:timers/promises";
import { nextCronTime, type CronSchedule } from "../domain/cron.js";
import { toError } from "../domain/errors.js";
import type { JobRun } from "../store/sync-job-runs.js";
import type { SyncLogger } from "./types.js";

export interface ScheduleSettings {
  enabled: boolean;
  intervalSeconds: number;
  /** When set, runs start at the times it names instead of every `intervalSeconds`. */
  cron: CronSchedule | null;
}

export interface SchedulerOptions {
  readSchedule(): Promise<ScheduleSettings>;
  /** One tick's runs: one per enabled destination. */
  runJob(signal: AbortSignal): Promise<JobRun[]>;
  logger: SyncLogger;
  /** How often the schedule is read again while waiting for the next start; default 2 s. */
  recheckMs?: number;
}

export interface SyncScheduler {
  /** Stops the schedule; resolves once the run in progress has ended. */
  stop(): Promise<void>;
}

const RECHECK_MS = 2_000;
/** The interval while the schedule cannot be read (the database away): try again in a minute. */
const FALLBACK_INTERVAL_SECONDS = 60;

export function startSyncScheduler(options: SchedulerOptions): SyncScheduler {
  const controller = new AbortController();
  const { signal } = controller;
  const recheckMs = options.recheckMs ?? RECHECK_MS;
  let lastProblem: string | null = null;

  /** Waits until the next start of `schedule`, or of whatever it is changed to meanwhile. */
  const waitForNextStart = async (
    lastStartedAt: number,
    schedule: ScheduleSettings | null,
  ): Promise<void> => {
    let current = schedule;
    let nextStart = nextStartOf(current, lastStartedAt);
    while (!signal.aborted) {
      const waitMs = nextStart - Date.now();
      if (waitMs <= 0) return;
      await delay(Math.min(waitMs, recheckMs), undefined, { signal }).catch(() => undefined);
      if (signal.aborted || Date.now() >= nextStart) return;
      // Unreadable now (the database away): keep to the schedule known; the next run says why.
      const read = await options.readSchedule().catch(() => null);
      if (read !== null && !sameSchedule(read, current)) {
        current = read;
        nextStart = nextStartOf(current, lastStartedAt);
      }
    }
  };

  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      const startedAt = Date.now();
      let schedule: ScheduleSettings | null = null;
      try {
        schedule = await options.readSchedule();
        if (schedule.enabled) await options.runJob(signal);
        lastProblem = null;
      } catch (error) {
        // A run that cannot start (not configured yet, database away) is said once, not every tick.
        const problem = toError(error).message;
        if (problem !== lastProblem)
          options.logger.warn({ error: problem }, "data-sync run could not start");
        lastProblem = problem;
      }
      await waitForNextStart(startedAt, schedule);
    }
  };
  const running = loop();
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/**
 * When the run after the one started at `lastStartedAt` starts: the cron expression's next time
 * from now (a time missed meanwhile is not made up), else the interval counted from that start.
 */
function nextStartOf(schedule: ScheduleSettings | null, lastStartedAt: number): number {
  const byInterval =
    lastStartedAt + (schedule?.intervalSeconds ?? FALLBACK_INTERVAL_SECONDS) * 1000;
  if (!schedule?.cron) return byInterval;
  return nextCronTime(schedule.cron, new Date())?.getTime() ?? byInterval;
}

function sameSchedule(a: ScheduleSettings, b: ScheduleSettings | null): boolean {
  return (
    b !== null &&
    a.enabled === b.enabled &&
    a.intervalSeconds === b.intervalSeconds &&
    (a.cron?.expression ?? null) === (b.cron?.expression ?? null)
  );
}
