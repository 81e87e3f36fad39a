/**
 * Running destinations (seeds/001 "Data Sync Job", SPEC 7): one now, for chosen customers too
 * (seeds/000: manual execution), every enabled one on the schedule, a paused one refused; and
 * reading what their runs did. `DestinationService` offers each of these as a method.
 */
import { CusthubError, isCusthubError } from "../domain/errors.js";
import { assertAllowed, type Actor } from "../domain/roles.js";
import type { Settings } from "../domain/settings.js";
import { canonicalCustomerID, type CustomerState } from "../domain/customer.js";
import { toCustomerResponse } from "../domain/customer-response.js";
import type { Hub } from "../services/hub.js";
import { activePauses, destinationPause } from "../store/sync-pauses.js";
import {
  finishJobRun,
  getJobRun,
  listJobRuns,
  listRunResults,
  startJobRun,
  type JobRun,
  type StoredRunResult,
} from "../store/sync-job-runs.js";
import { queueManualUpdates, type ManualUpdate } from "../store/sync-queue.js";
import { tuningOf } from "./data-sync.js";
import type { Destination, DestinationDefinition } from "./destination.js";
import { destinationNamed } from "./destinations/index.js";
import { measuredDestination } from "./delivery-metrics.js";
import { runSyncJob } from "./job-run.js";
import type { CredentialStore } from "./secrets/credential-store.js";
import type { JobTuning, SyncLogger } from "./types.js";
import { openDestination } from "./destination-settings.js";
import type { DestinationServiceOptions } from "./destinations-service.js";

/**
 * `refused`: the customer is deleted, merged away or erased, and the destination takes no delete:
 * nothing was queued for it, `error` says why.
 */
export type CustomerRunOutcome = "sent" | "skipped" | "failed" | "dead" | "not sent" | "refused";

export interface CustomerRunResult {
  customerID: string;
  outcome: CustomerRunOutcome;
  /** What went, or was tried: `UPDATE` (the current record) or `DELETE`; null when nothing. */
  action: string | null;
  status: number | null;
  error: string | null;
}

export interface DestinationRunReport {
  run: JobRun;
  /** What each delivery of the run did, in order. */
  results: StoredRunResult[];
  /** For a run for chosen customers: each one's last result. */
  customers: CustomerRunResult[] | null;
}

const LAST_RUNS = 20;

/** How one destination's run was started, and for whom. */
export interface DestinationRunOptions {
  trigger: string;
  /** Only these customers (a manual run); every queued change when absent. */
  customers?: readonly string[];
  keepResults?: boolean;
  signal?: AbortSignal;
}

/** What runs a destination needs of the service: its logger, credentials, registry, enabled list. */
interface RunParts {
  logger: SyncLogger;
  credentials: CredentialStore;
  registry: readonly DestinationDefinition<unknown>[];
  enabledNames: (settings?: Settings) => Promise<string[]>;
}

export class DestinationRuns {
  readonly #logger: SyncLogger;
  readonly #credentials: CredentialStore;
  readonly #registry: readonly DestinationDefinition<unknown>[];
  readonly #enabledNames: (settings?: Settings) => Promise<string[]>;
  /** The pause each destination was last said to be skipped for (its end), so it is said once. */
  readonly #pausesSaid = new Map<string, string>();

  constructor(
    private readonly hub: Hub,
    private readonly options: DestinationServiceOptions,
    private readonly worker: string,
    parts: RunParts,
  ) {
    this.#logger = parts.logger;
    this.#credentials = parts.credentials;
    this.#registry = parts.registry;
    this.#enabledNames = parts.enabledNames;
  }

  /**
   * Runs one destination now. With `customers`, their current records are queued as UPDATE for
   * this destination only and the run sends only their messages (their earlier ones first); this
   * also works while the destination is disabled (seeds/000: manual execution). Without, the run
   * works the destination's queue as a scheduled run does, and needs the destination enabled. A
   * destination that cannot be opened gives a failed run and queues nothing: records queued by a
   * run that could not send them would all go out with a later run, one per attempt.
   */
  async run(
    actor: Actor,
    name: string,
    options: { customers?: readonly string[]; trigger?: string; signal?: AbortSignal } = {},
  ): Promise<DestinationRunReport> {
    assertAllowed("runSyncJob", actor);
    const definition = destinationNamed(name, this.#registry);
    const settings = await this.hub.settings.all();
    const enabled = await this.#enabledNames(settings);
    const customers = options.customers
      ? [...new Set(options.customers.map(canonicalCustomerID))]
      : null;
    if (customers !== null && customers.length === 0) {
      throw new CusthubError("INVALID_REQUEST", "Give at least one customer.", {
        field: "customers",
      });
    }
    if (customers === null && !enabled.includes(definition.name)) {
      throw new CusthubError(
        "DESTINATION_DISABLED",
        `${definition.name} is disabled: enable it with \`custhub destinations enable ${definition.name}\`, ` +
          "or name customers to send by hand.",
        { destination: definition.name },
      );
    }
    await this.assertNotPaused(definition.name);
    const updates: ManualUpdate[] = [];
    const refused = new Map<string, CustomerRunResult>();
    for (const customerID of customers ?? []) {
      const state = await this.hub.customers.getState(customerID);
      const gone = goneAs(state);
      if (gone === null) {
        updates.push({ customerID, json: JSON.stringify(toCustomerResponse(state)) });
      } else if (definition.noDelete === undefined) {
        // What the outbox sent when the customer went: its DELETE.
        updates.push({ customerID, json: null });
      } else {
        const instead = state.mergedInto ? ` Send customer ${state.mergedInto} instead.` : "";
        refused.set(customerID, {
          customerID,
          outcome: "refused",
          action: null,
          status: null,
          error: `Customer ${customerID} ${gone}. Nothing was sent: ${definition.noDelete}.${instead}`,
        });
      }
    }
    const trigger = options.trigger ?? "manual";
    const tuning = tuningOf(settings, this.options.tuning);
    const opened = await this.#openOrFail(definition, tuning, trigger);
    if ("failedRun" in opened) {
      return {
        run: opened.failedRun,
        results: [],
        customers: customers && perCustomer(customers, [], refused),
      };
    }
    try {
      await queueManualUpdates(this.hub.db, definition.name, enabled, updates);
    } catch (error) {
      await opened.destination.close();
      throw error;
    }
    const run = await this.#runOpened(definition, opened.destination, tuning, enabled, {
      trigger,
      keepResults: true,
      ...(customers ? { customers } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const results = await listRunResults(this.hub.db, run.id);
    return {
      run,
      results,
      customers: customers ? perCustomer(customers, results, refused) : null,
    };
  }

  /** Runs every enabled destination side by side (the schedule); resolves with their runs. */
  async runEnabled(
    actor: Actor,
    options: { trigger: string; signal?: AbortSignal },
  ): Promise<JobRun[]> {
    assertAllowed("runSyncJob", actor);
    const settings = await this.hub.settings.all();
    const enabled = await this.#enabledNames(settings);
    // A paused destination has no run until its pause ends: said once per pause, and
    // `destinations list` says why.
    const paused = await activePauses(this.hub.db);
    for (const name of enabled) {
      const pause = paused.get(name);
      if (pause && this.#pausesSaid.get(name) !== pause.pausedUntil) {
        this.#logger.warn(
          { destination: name, pausedUntil: pause.pausedUntil },
          `${name} has no run until its pause ends at ${pause.pausedUntil} (${pause.reason}); ` +
            `\`custhub destinations resume ${name}\` ends it now`,
        );
      }
      if (pause) this.#pausesSaid.set(name, pause.pausedUntil);
    }
    return Promise.all(
      enabled
        .filter((name) => !paused.has(name))
        .map((name) =>
          this.#runDestination(destinationNamed(name, this.#registry), settings, enabled, {
            trigger: options.trigger,
            ...(options.signal ? { signal: options.signal } : {}),
          }),
        ),
    );
  }

  /**
   * One run of one destination: its rows only; moves fan out to every enabled destination. A
   * destination that cannot be opened (settings, credentials, Datanuum's reward-points
   * configuration) gives a failed run at once, with why; a paused one is refused.
   */
  async runDestination(
    definition: DestinationDefinition<unknown>,
    settings: Settings,
    enabled: readonly string[],
    options: DestinationRunOptions,
  ): Promise<JobRun> {
    await this.assertNotPaused(definition.name);
    return this.#runDestination(definition, settings, enabled, options);
  }

  /**
   * Refuses to run a destination whose receiver asked to slow down, until the pause ends: a run
   * asked for by hand says so, rather than recording a run that sends nothing.
   */
  async assertNotPaused(name: string): Promise<void> {
    const pause = await destinationPause(this.hub.db, name);
    if (!pause) return;
    throw new CusthubError(
      "DESTINATION_PAUSED",
      `${name} is paused until ${pause.pausedUntil}: ${pause.reason}. ` +
        `It resumes by itself then; \`custhub destinations resume ${name}\` ends the pause now.`,
      { destination: name, pausedUntil: pause.pausedUntil, status: pause.status },
    );
  }

  async #runDestination(
    definition: DestinationDefinition<unknown>,
    settings: Settings,
    enabled: readonly string[],
    options: DestinationRunOptions,
  ): Promise<JobRun> {
    const tuning = tuningOf(settings, this.options.tuning);
    const opened = await this.#openOrFail(definition, tuning, options.trigger);
    if ("failedRun" in opened) return opened.failedRun;
    return this.#runOpened(definition, opened.destination, tuning, enabled, options);
  }

  /**
   * Opens the destination for a run; when it cannot be opened (settings, credentials, Datanuum's
   * reward-points configuration), records the run as failed at once, with why.
   */
  async #openOrFail(
    definition: DestinationDefinition<unknown>,
    tuning: JobTuning,
    trigger: string,
  ): Promise<{ destination: Destination } | { failedRun: JobRun }> {
    try {
      return {
        destination: await openDestination(this.hub, this.#credentials, definition, tuning),
      };
    } catch (error) {
      if (!isCusthubError(error)) throw error;
      const runId = await startJobRun(
        this.hub.db,
        this.worker,
        trigger,
        tuning.leaseSeconds,
        definition.name,
      );
      const counts = { moved: 0, delivered: 0, failed: 0, deadLettered: 0 };
      const failedRun = await finishJobRun(this.hub.db, runId, "failed", counts, error.message);
      this.hub.metrics.syncRuns.inc({ destination: definition.name, outcome: failedRun.outcome });
      return { failedRun };
    }
  }

  /** Runs an opened destination, and closes it. */
  async #runOpened(
    definition: DestinationDefinition<unknown>,
    destination: Destination,
    tuning: JobTuning,
    enabled: readonly string[],
    options: DestinationRunOptions,
  ): Promise<JobRun> {
    try {
      const run = await runSyncJob(
        this.hub.db,
        measuredDestination(destination, this.hub.metrics),
        {
          worker: this.worker,
          trigger: options.trigger,
          tuning,
          logger: this.#logger,
          fanOut: enabled,
          keepResults: options.keepResults === true || definition.keepResults === true,
          ...(options.customers ? { customers: options.customers } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(this.options.random ? { random: this.options.random } : {}),
        },
      );
      this.hub.metrics.syncRuns.inc({ destination: definition.name, outcome: run.outcome });
      return run;
    } finally {
      await destination.close();
    }
  }

  async runs(actor: Actor, name: string, limit = LAST_RUNS): Promise<JobRun[]> {
    assertAllowed("viewSyncStatus", actor);
    const definition = destinationNamed(name, this.#registry);
    return listJobRuns(this.hub.db, limit, definition.name);
  }

  /** A past run of the destination and the results it kept. */
  async runReport(actor: Actor, name: string, runId: string): Promise<DestinationRunReport> {
    assertAllowed("viewSyncStatus", actor);
    const definition = destinationNamed(name, this.#registry);
    if (!/^\d{1,18}$/.test(runId)) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `A run id is a whole number; ${JSON.stringify(runId)} is not.`,
        { field: "run", run: runId },
      );
    }
    const run = await getJobRun(this.hub.db, runId);
    if (!run || run.destination !== definition.name) {
      throw new CusthubError("RUN_NOT_FOUND", `${definition.name} has no run ${runId}.`, {
        destination: definition.name,
        run: runId,
      });
    }
    return { run, results: await listRunResults(this.hub.db, run.id), customers: null };
  }
}

function perCustomer(
  customers: readonly string[],
  results: readonly StoredRunResult[],
  refused: ReadonlyMap<string, CustomerRunResult>,
): CustomerRunResult[] {
  return customers.map((customerID) => {
    const refusal = refused.get(customerID);
    if (refusal) return refusal;
    const last = results.filter((result) => result.uniqueId === customerID).at(-1);
    return last
      ? {
          customerID,
          outcome: last.outcome,
          action: last.action,
          status: last.status,
          error: last.error,
        }
      : { customerID, outcome: "not sent", action: null, status: null, error: null };
  });
}

/**
 * How a customer a manual run names is gone, in words ("is deleted", "was merged into customer
 * 1005", "was erased"); null when it is a live customer whose record can be sent.
 */
function goneAs(state: CustomerState): string | null {
  if (state.mergedInto) return `was merged into customer ${state.mergedInto}`;
  if (!state.active) return "is deleted";
  if (state.erasedAt) return "was erased (a data-subject request)";
  return null;
}
