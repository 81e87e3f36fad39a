/**
 * The data sync as users drive it (seeds/001; SPEC 6): save the client credentials, send the
 * sample message, run the job once or on its schedule, see its status, list and re-queue dead
 * letters. Every operation takes the acting user and checks its roles (src/domain/roles.ts), so
 * the CLI and the API share one set of rules.
 */
import { parseCron } from "../domain/cron.js";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { CusthubError } from "../domain/errors.js";
import { assertAllowed, CREDENTIALS_PERMISSION, type Actor } from "../domain/roles.js";
import { shortestLeaseSeconds, type Settings } from "../domain/settings.js";
import { SAMPLE_MESSAGE, type DataSyncMessage } from "../domain/sync-messages.js";
import type { Hub } from "../services/hub.js";
import { destinationPause, type DestinationPause } from "../store/sync-pauses.js";
import {
  listDeadLetters,
  requeueDeadLetters,
  type DeadLetter,
} from "../store/sync-dead-letters.js";
import { listJobRuns, type JobRun } from "../store/sync-job-runs.js";
import { syncQueueDepths, type SyncQueueDepths } from "../store/sync-queue-depths.js";
import type { DestinationDefinition } from "./destination.js";
import { DestinationService } from "./destinations-service.js";
import {
  DataSyncDestination,
  datasyncDestination,
} from "./destinations/datasync/datasync-destination.js";
import { credentialLocationOf, dataSyncSettingsOf } from "./destinations/datasync/settings.js";
import { startSyncScheduler, type SyncScheduler } from "./scheduler.js";
import { CredentialStore, type CredentialDescription } from "./secrets/credential-store.js";
import type { MasterKeySource } from "./secrets/master-key.js";
import { silentLogger, type JobTuning, type SyncLogger } from "./types.js";

export interface DataSyncOptions {
  masterKey: MasterKeySource;
  logger?: SyncLogger;
  /** Overrides of what the settings give (tests, benchmarks). */
  tuning?: Partial<JobTuning>;
  /** This worker's name; default host:pid:random. */
  worker?: string;
  /** Jitter source for retry delays (tests pin it). */
  random?: () => number;
}

export interface SampleAnswer {
  /** What was sent: the document's sample message. */
  message: DataSyncMessage;
  status: number;
  body: string;
  /** The receiver answered 200 (seeds/001: received successfully). */
  accepted: boolean;
}

export interface SyncStatus {
  enabled: boolean;
  intervalSeconds: number;
  /** DataSyncCron: when set, runs start at the times it names instead of every intervalSeconds. */
  cron: string | null;
  apiUrl: string | null;
  tokenUrl: string | null;
  credentials: CredentialDescription | null;
  queues: SyncQueueDepths;
  lastRuns: JobRun[];
  /** Set while the endpoint's request to slow down holds (docs/sync.md); nothing is sent till then. */
  pause: DestinationPause | null;
}

export type { DeadLetter, JobRun };

const LAST_RUNS = 10;

export class DataSync {
  readonly worker: string;
  readonly #logger: SyncLogger;
  readonly #credentials: CredentialStore;
  /** The engine of every destination; the data sync is its `datasync` destination. */
  readonly destinations: DestinationService;

  constructor(
    private readonly hub: Hub,
    private readonly options: DataSyncOptions,
  ) {
    this.worker =
      options.worker ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.#logger = options.logger ?? silentLogger;
    this.#credentials = new CredentialStore(hub.db, options.masterKey);
    this.destinations = new DestinationService(hub, { ...options, worker: this.worker });
  }

  /** Saves the client ID and secret (seeds/001: `sysadmin` only); returns where, never what. */
  async saveCredentials(
    actor: Actor,
    credentials: { clientId: string; clientSecret: string },
  ): Promise<CredentialDescription> {
    assertAllowed(CREDENTIALS_PERMISSION, actor);
    const location = credentialLocationOf(await this.hub.settings.all());
    return this.#credentials.save(location, credentials);
  }

  /** Send Sample Message (seeds/001): the document's sample, with the saved credentials. */
  async sendSample(actor: Actor): Promise<SampleAnswer> {
    assertAllowed("sendSampleMessage", actor);
    const settings = await this.hub.settings.all();
    const destination = await this.#openDestination(
      settings,
      tuningOf(settings, this.options.tuning),
    );
    try {
      const { status, body } = await destination.send(SAMPLE_MESSAGE);
      return { message: { ...SAMPLE_MESSAGE }, status, body, accepted: status === 200 };
    } finally {
      await destination.close();
    }
  }

  /**
   * One job run of the data-sync endpoint (the `datasync` destination). A run that cannot reach
   * its destination is recorded as failed, with why. Its moves fan pending rows out to every
   * enabled destination, as any destination's run does.
   */
  async runOnce(
    actor: Actor,
    options: { trigger?: string; signal?: AbortSignal } = {},
  ): Promise<JobRun> {
    assertAllowed("runSyncJob", actor);
    const settings = await this.hub.settings.all();
    if (!settings.DataSyncEnabled) {
      throw new CusthubError(
        "SYNC_NOT_CONFIGURED",
        "DataSyncEnabled is false: nothing is queued or sent. Turn it on with `custhub config set DataSyncEnabled true`.",
        { settings: ["DataSyncEnabled"] },
      );
    }
    return this.destinations.runDestination(
      datasyncDestination as DestinationDefinition<unknown>,
      settings,
      await this.destinations.enabledNames(settings),
      {
        trigger: options.trigger ?? "once",
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  }

  /**
   * Runs the job on its schedule (DataSyncIntervalSeconds, DataSyncCron) until stopped: each
   * tick runs every enabled destination side by side, each at its own pace (the data-sync
   * endpoint while DataSyncEnabled, the others while `custhub destinations enable`d).
   */
  startScheduler(actor: Actor, onRun: (run: JobRun) => void = () => undefined): SyncScheduler {
    assertAllowed("runSyncJob", actor);
    return startSyncScheduler({
      logger: this.#logger,
      readSchedule: async () => {
        const settings = await this.hub.settings.all();
        return {
          enabled: (await this.destinations.enabledNames(settings)).length > 0,
          intervalSeconds: settings.DataSyncIntervalSeconds,
          cron: settings.DataSyncCron === null ? null : parseCron(settings.DataSyncCron),
        };
      },
      runJob: async (signal) => {
        const runs = await this.destinations.runEnabled(actor, { trigger: "schedule", signal });
        for (const run of runs) onRun(run);
        return runs;
      },
    });
  }

  async status(actor: Actor): Promise<SyncStatus> {
    assertAllowed("viewSyncStatus", actor);
    const settings = await this.hub.settings.all();
    const credentials = settings.DataSyncCredentialKeyName
      ? await this.#credentials.describe(credentialLocationOf(settings))
      : null;
    return {
      enabled: settings.DataSyncEnabled,
      intervalSeconds: settings.DataSyncIntervalSeconds,
      cron: settings.DataSyncCron,
      apiUrl: settings.DataSyncApiUrl,
      tokenUrl: settings.DataSyncTokenUrl,
      credentials,
      queues: await syncQueueDepths(this.hub.db, "datasync"),
      lastRuns: await listJobRuns(this.hub.db, LAST_RUNS, "datasync"),
      pause: await destinationPause(this.hub.db, "datasync"),
    };
  }

  async deadLetters(actor: Actor, limit = 100): Promise<DeadLetter[]> {
    assertAllowed("viewSyncStatus", actor);
    return listDeadLetters(this.hub.db, limit, "datasync");
  }

  /** Puts dead letters back in their place in the progress queue, attempts reset, same uniqueId. */
  async requeue(actor: Actor, target: readonly string[] | "all"): Promise<{ requeued: number }> {
    assertAllowed("manageDeadLetters", actor);
    if (target !== "all") {
      const malformed = target.filter((id) => !/^\d{1,18}$/.test(id));
      if (malformed.length > 0) {
        throw new CusthubError(
          "INVALID_REQUEST",
          `Dead-letter ids are whole numbers: ${malformed.join(", ")}.`,
          {
            ids: malformed,
          },
        );
      }
    }
    const moved = await requeueDeadLetters(
      this.hub.db,
      target === "all" ? null : target,
      "datasync",
    );
    if (target !== "all" && moved.length < new Set(target).size) {
      throw new CusthubError(
        "DEAD_LETTER_NOT_FOUND",
        `No dead letter with id ${target.join(", ")}${moved.length > 0 ? ` (${moved.length} of them re-queued)` : ""}.`,
        { ids: [...target], requeued: moved.length },
      );
    }
    return { requeued: moved.length };
  }

  async #openDestination(settings: Settings, tuning: JobTuning): Promise<DataSyncDestination> {
    const destinationSettings = dataSyncSettingsOf(settings);
    const credentials = await this.#credentials.load(destinationSettings.credentials);
    return new DataSyncDestination({
      settings: destinationSettings,
      credentials,
      concurrency: tuning.concurrency,
      timeoutMs: tuning.timeoutMs,
    });
  }
}

/** The job's tuning from the settings, checked: a lease must outlast the slowest delivery. */
export function tuningOf(settings: Settings, overrides: Partial<JobTuning> = {}): JobTuning {
  const tuning: JobTuning = {
    batchSize: settings.DataSyncBatchSize,
    maxAttempts: settings.DataSyncMaxAttempts,
    concurrency: settings.DataSyncConcurrency,
    timeoutMs: settings.DataSyncTimeoutSeconds * 1000,
    leaseSeconds: settings.DataSyncLeaseSeconds,
    retry: { baseMs: 10_000, maxMs: 30 * 60_000 },
    stopAfterConsecutiveFailures: 20,
    maxRunMs: 60 * 60_000,
    flushIntervalMs: 20,
    ...overrides,
  };
  // `config set` refuses such a pair; this still guards settings stored before, and overrides.
  const shortestLease = shortestLeaseSeconds(tuning.timeoutMs / 1000);
  if (tuning.leaseSeconds < shortestLease) {
    throw new CusthubError(
      "SYNC_NOT_CONFIGURED",
      `DataSyncLeaseSeconds (${tuning.leaseSeconds}) must be at least 4 x DataSyncTimeoutSeconds + 1 ` +
        `(${shortestLease}), or a slow delivery could outlive its lease and be sent twice.`,
      { settings: ["DataSyncLeaseSeconds", "DataSyncTimeoutSeconds"] },
    );
  }
  return tuning;
}
