/**
 * The schedule of the job inside `custhub serve` (seeds/001: "A scheduled job will process this
 * pending data"): a run starts every DataSyncIntervalSeconds, counted from the start of the last
 * one, or at the times the DataSyncCron expression names; a run that takes longer is followed at once by the next. The settings are read before each
 * run, so switching DataSyncEnabled or the interval applies without a restart. `stop` ends the
 * run in progress the graceful way (no new claims, deliveries in flight finish, unsent rows freed).
 */
import { setTimeout as delay } from "node:timers/promises";
import { nextCronTime, type CronSchedule } from "../domain/cron.js";
import { toError } from "../domain/errors.js";
import type { JobRun } from "../store/sync-queue.js";
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
}

export interface SyncScheduler {
  /** Stops the schedule; resolves once the run in progress has ended. */
  stop(): Promise<void>;
}

export function startSyncScheduler(options: SchedulerOptions): SyncScheduler {
  const controller = new AbortController();
  const { signal } = controller;
  let lastProblem: string | null = null;

  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      const startedAt = Date.now();
      let intervalSeconds = 60;
      let cron: CronSchedule | null = null;
      try {
        const schedule = await options.readSchedule();
        intervalSeconds = schedule.intervalSeconds;
        cron = schedule.cron;
        if (schedule.enabled) await options.runJob(signal);
        lastProblem = null;
      } catch (error) {
        // A run that cannot start (not configured yet, database away) is said once, not every tick.
        const problem = toError(error).message;
        if (problem !== lastProblem)
          options.logger.warn({ error: problem }, "data-sync run could not start");
        lastProblem = problem;
      }
      const nextStart = cron
        ? nextCronTime(cron, new Date())?.getTime()
        : startedAt + intervalSeconds * 1000;
      const waitMs = Math.max(0, (nextStart ?? startedAt + intervalSeconds * 1000) - Date.now());
      await delay(waitMs, undefined, { signal }).catch(() => undefined);
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
