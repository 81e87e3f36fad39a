/**
 * The destinations as users drive them (SPEC 7): list them with their queue state, enable and
 * disable them, show and change their settings, save their credentials, run one now (also for
 * chosen customers: the documents' manual execution), read what a run did, and Datanuum's
 * reward-points configurations. Every operation takes the acting user and checks its roles
 * (src/domain/roles.ts), so the CLI and the API share one set of rules. Design: docs/sync.md
 * "Destinations".
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { CusthubError, isCusthubError } from "../domain/errors.js";
import { assertAllowed, CREDENTIALS_PERMISSION, type Actor } from "../domain/roles.js";
import type { Settings } from "../domain/settings.js";
import { canonicalCustomerID, type CustomerState } from "../domain/customer.js";
import { toCustomerResponse } from "../domain/customer-response.js";
import type { Hub } from "../services/hub.js";
import {
  enabledDestinationNames,
  insertRewardConfig,
  listRewardConfigs,
  findRewardConfig,
  readDestinationSettings,
  setDestinationEnabled,
  setRewardConfigEnabled,
  writeDestinationSetting,
  type RewardConfigRow,
} from "../store/destinations.js";
import {
  activePauses,
  destinationPause,
  resumeDestination,
  type DestinationPause,
} from "../store/sync-pauses.js";
import { destinationQueueStats, syncQueueDepths } from "../store/sync-queue-depths.js";
import {
  finishJobRun,
  getJobRun,
  lastJobRuns,
  listJobRuns,
  listRunResults,
  startJobRun,
  type JobRun,
  type StoredRunResult,
} from "../store/sync-job-runs.js";
import {
  listDeadLetters,
  requeueDeadLetters,
  type DeadLetter,
} from "../store/sync-dead-letters.js";
import { queueManualUpdates, type ManualUpdate } from "../store/sync-queue.js";
import { tuningOf } from "./data-sync.js";
import type { Destination, DestinationDefinition } from "./destination.js";
import {
  REWARD_CONFIG_CREDENTIAL_FIELDS,
  rewardConfigCredentialLocation,
} from "./destinations/datanuum/reward-configs.js";
import { DESTINATIONS, destinationNamed } from "./destinations/index.js";
import { measuredDestination } from "./delivery-metrics.js";
import { runSyncJob } from "./job-run.js";
import {
  CredentialStore,
  type CredentialDescription,
  type CredentialLocation,
} from "./secrets/credential-store.js";
import type { MasterKeySource } from "./secrets/master-key.js";
import { silentLogger, type JobTuning, type SyncLogger } from "./types.js";

export interface DestinationServiceOptions {
  masterKey: MasterKeySource;
  logger?: SyncLogger;
  /** Overrides of what the settings give (tests, benchmarks). */
  tuning?: Partial<JobTuning>;
  worker?: string;
  random?: () => number;
  /** The destination kinds (tests may give their own); default the four of the registry. */
  registry?: readonly DestinationDefinition<unknown>[];
}

export interface DestinationSummary {
  name: string;
  description: string;
  enabled: boolean;
  /** Messages waiting for it: its progress rows, plus the pending rows when it is enabled. */
  queueDepth: number;
  inFlight: number;
  /** Messages that failed at least once and wait for their next attempt. */
  failing: number;
  deadLetters: number;
  lastRun: JobRun | null;
  /**
   * Set while its receiver's request to slow down holds (a 429, a 503 with Retry-After): no
   * message goes to it before `pausedUntil`; `reason` names the message and the answer.
   */
  pause: DestinationPause | null;
}

export interface DestinationSettingView {
  key: string;
  description: string;
  value: string | null;
  defaultValue: string | null;
}

export interface DestinationConfigView {
  name: string;
  enabled: boolean;
  settings: DestinationSettingView[];
  credentialFields: { name: string; description: string; secret: boolean }[];
  credentials: CredentialDescription | null;
  /** Why the settings cannot be used as they are; null when they can. */
  problem: string | null;
}

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

export interface RewardConfig extends RewardConfigRow {
  credentials: CredentialDescription;
}

const LAST_RUNS = 20;
const DEFAULT_CREDENTIAL_MAP = "destinations";

/** How one destination's run was started, and for whom. */
interface DestinationRunOptions {
  trigger: string;
  /** Only these customers (a manual run); every queued change when absent. */
  customers?: readonly string[];
  keepResults?: boolean;
  signal?: AbortSignal;
}

export class DestinationService {
  readonly worker: string;
  readonly #logger: SyncLogger;
  readonly #credentials: CredentialStore;
  readonly #registry: readonly DestinationDefinition<unknown>[];
  /** The pause each destination was last said to be skipped for (its end), so it is said once. */
  readonly #pausesSaid = new Map<string, string>();

  constructor(
    private readonly hub: Hub,
    private readonly options: DestinationServiceOptions,
  ) {
    this.worker =
      options.worker ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.#logger = options.logger ?? silentLogger;
    this.#credentials = new CredentialStore(hub.db, options.masterKey);
    this.#registry = options.registry ?? DESTINATIONS;
  }

  get registry(): readonly DestinationDefinition<unknown>[] {
    return this.#registry;
  }

  async list(actor: Actor): Promise<DestinationSummary[]> {
    assertAllowed("viewSyncStatus", actor);
    const settings = await this.hub.settings.all();
    const enabled = new Set(await this.enabledNames(settings));
    const stats = await destinationQueueStats(this.hub.db);
    const lastRuns = await lastJobRuns(this.hub.db);
    const pauses = await activePauses(this.hub.db);
    const depths = await syncQueueDepths(this.hub.db);
    const pending = depths.customerPending + depths.transactionPending;
    return this.#registry.map((definition) => {
      const stat = stats.get(definition.name);
      const on = enabled.has(definition.name);
      return {
        name: definition.name,
        description: definition.description,
        enabled: on,
        queueDepth: (stat?.progress ?? 0) + (on ? pending : 0),
        inFlight: stat?.inFlight ?? 0,
        failing: stat?.failing ?? 0,
        deadLetters: stat?.deadLetters ?? 0,
        lastRun: lastRuns.get(definition.name) ?? null,
        pause: pauses.get(definition.name) ?? null,
      };
    });
  }

  /** The names of the enabled destinations, in registry order. */
  async enabledNames(settings?: Settings): Promise<string[]> {
    const resolved = settings ?? (await this.hub.settings.all());
    const flagged = new Set(await enabledDestinationNames(this.hub.db));
    return this.#registry
      .filter((definition) =>
        definition.storage?.kind === "hub"
          ? resolved[definition.storage.enabledSetting as keyof Settings] === true
          : flagged.has(definition.name),
      )
      .map((definition) => definition.name);
  }

  async setEnabled(actor: Actor, name: string, enabled: boolean): Promise<DestinationSummary> {
    assertAllowed("configureDestinations", actor);
    const definition = destinationNamed(name, this.#registry);
    if (definition.storage?.kind === "hub") {
      await this.hub.settings.set(definition.storage.enabledSetting, enabled);
    } else {
      await setDestinationEnabled(this.hub.db, definition.name, enabled);
    }
    const summary = (await this.list(actor)).find((item) => item.name === definition.name);
    if (!summary) throw new Error(`destination ${definition.name} vanished from the list`);
    return summary;
  }

  async config(actor: Actor, name: string): Promise<DestinationConfigView> {
    assertAllowed("viewSyncStatus", actor);
    const definition = destinationNamed(name, this.#registry);
    const stored = await this.#storedValues(definition);
    const values = withDefaults(definition, stored);
    let problem: string | null = null;
    try {
      definition.parseSettings(values);
    } catch (error) {
      if (!isCusthubError(error)) throw error;
      problem = error.message;
    }
    return {
      name: definition.name,
      enabled: (await this.enabledNames()).includes(definition.name),
      settings: definition.settings.map((spec) => ({
        key: spec.key,
        description: spec.description,
        value: values[spec.key] ?? null,
        defaultValue: spec.defaultValue,
      })),
      credentialFields: definition.credentialFields.map((field) => ({ ...field })),
      credentials: await this.#describeCredentials(definition, values),
      problem,
    };
  }

  /**
   * Checks and stores one setting (`null` or "" goes back to the default). The definition checks
   * the settings with the new value in; an error about this key refuses it, one about another key
   * (a required one not set yet) does not. A setting the credentials are sent by
   * (`sendsCredentials`) needs the permission that saves them, else `FORBIDDEN` and nothing changes.
   */
  async setConfig(
    actor: Actor,
    name: string,
    key: string,
    value: string | null,
  ): Promise<DestinationConfigView> {
    assertAllowed("configureDestinations", actor);
    const definition = destinationNamed(name, this.#registry);
    const spec = definition.settings.find((item) => item.key === key);
    if (!spec) {
      throw new CusthubError(
        "INVALID_SETTING",
        `${definition.name} has no setting ${JSON.stringify(key)}: its settings are ${definition.settings.map((item) => item.key).join(", ")}.`,
        { destination: definition.name, key, field: "key" },
      );
    }
    const stored = value === "" ? null : value;
    if (definition.storage?.kind === "hub") {
      // Hub settings: who may change which is the settings' own rule, as through the settings.
      await this.hub.settings.change(actor, key, stored);
      return this.config(actor, name);
    }
    if (spec.sendsCredentials) {
      assertAllowed(CREDENTIALS_PERMISSION, actor, {
        action: `change ${definition.name} ${key}, which decides where the saved ${definition.name} credentials are sent`,
        details: { destination: definition.name, setting: key },
      });
    }
    const values = withDefaults(definition, {
      ...(await this.#storedValues(definition)),
      [key]: stored,
    });
    try {
      definition.parseSettings(values);
    } catch (error) {
      if (!isCusthubError(error)) throw error;
      const aboutKey = error.details.key === key || error.message.includes(key);
      if (error.code === "INVALID_SETTING" && aboutKey) throw error;
    }
    await writeDestinationSetting(this.hub.db, definition.name, key, stored);
    return this.config(actor, name);
  }

  /** Saves a destination's credential fields, sealed; returns where, never what. */
  async saveCredentials(
    actor: Actor,
    name: string,
    fields: Readonly<Record<string, string>>,
  ): Promise<CredentialDescription> {
    assertAllowed(CREDENTIALS_PERMISSION, actor);
    const definition = destinationNamed(name, this.#registry);
    if (definition.credentialFields.length === 0) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `${definition.name} keeps no credentials of its own` +
          (definition.name === "datanuum"
            ? ": each reward-points configuration has its own (`custhub datanuum configs credentials`)."
            : "."),
        { destination: definition.name },
      );
    }
    const location = this.#credentialLocation(
      definition,
      withDefaults(definition, await this.#storedValues(definition)),
    );
    return this.#credentials.saveFields(location, fields, definition.credentialFields);
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
    const enabled = await this.enabledNames(settings);
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
    const enabled = await this.enabledNames(settings);
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

  /**
   * Ends a destination's pause now, for an operator who knows its receiver is ready again; the
   * next run sends. Needs the roles that run the job.
   */
  async resume(actor: Actor, name: string): Promise<DestinationSummary> {
    assertAllowed("runSyncJob", actor);
    const definition = destinationNamed(name, this.#registry);
    await resumeDestination(this.hub.db, definition.name);
    const summary = (await this.list(actor)).find((item) => item.name === definition.name);
    if (!summary) throw new Error(`destination ${definition.name} vanished from the list`);
    return summary;
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
      return { destination: await this.#open(definition, tuning) };
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

  async deadLetters(actor: Actor, name: string, limit = 100): Promise<DeadLetter[]> {
    assertAllowed("viewSyncStatus", actor);
    const definition = destinationNamed(name, this.#registry);
    return listDeadLetters(this.hub.db, limit, definition.name);
  }

  /** Puts the destination's dead letters back in their place in its own queue. */
  async requeue(
    actor: Actor,
    name: string,
    target: readonly string[] | "all",
  ): Promise<{ requeued: number }> {
    assertAllowed("manageDeadLetters", actor);
    const definition = destinationNamed(name, this.#registry);
    if (target !== "all" && target.some((id) => !/^\d{1,18}$/.test(id))) {
      throw new CusthubError("INVALID_REQUEST", "Dead-letter ids are whole numbers.", {
        field: "ids",
      });
    }
    const moved = await requeueDeadLetters(
      this.hub.db,
      target === "all" ? null : target,
      definition.name,
    );
    if (target !== "all" && moved.length < new Set(target).size) {
      throw new CusthubError(
        "DEAD_LETTER_NOT_FOUND",
        `${definition.name} has no dead letter with id ${target.join(", ")}${moved.length > 0 ? ` (${moved.length} of them re-queued)` : ""}.`,
        { ids: [...target], requeued: moved.length },
      );
    }
    return { requeued: moved.length };
  }

  // Datanuum's reward-points configurations (seeds/000 "RewardPointsConfig").

  async addRewardConfig(
    actor: Actor,
    config: { code: string; apiUrl: string; apiKey: string; enabled?: boolean },
  ): Promise<RewardConfig> {
    assertAllowed("configureDestinations", actor);
    assertAllowed(CREDENTIALS_PERMISSION, actor);
    const code = config.code.trim();
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(code) || /^\d+$/.test(code)) {
      throw new CusthubError(
        "INVALID_REQUEST",
        "A reward-points configuration code is 1-64 letters, digits, `_`, `.` or `-`, not only digits (those name an id).",
        { field: "code" },
      );
    }
    const apiUrl = checkApiUrl(config.apiUrl);
    if (config.apiKey === "") {
      throw new CusthubError("INVALID_REQUEST", "The API key is needed.", { field: "apiKey" });
    }
    // The key is sealed first: a configuration never exists without its credentials.
    if (await findRewardConfig(this.hub.db, code)) throw alreadyExists(code);
    const credentials = await this.#saveRewardKey(code, config.apiKey);
    const row = await insertRewardConfig(this.hub.db, {
      code,
      apiUrl,
      enabled: config.enabled ?? true,
    });
    if (!row) throw alreadyExists(code);
    return { ...row, credentials };
  }

  async listRewardConfigs(actor: Actor): Promise<RewardConfig[]> {
    assertAllowed("viewSyncStatus", actor);
    const rows = await listRewardConfigs(this.hub.db);
    const configs: RewardConfig[] = [];
    for (const row of rows) {
      configs.push({
        ...row,
        credentials: await this.#credentials.describe(rewardConfigCredentialLocation(row.code)),
      });
    }
    return configs;
  }

  async setRewardConfigEnabled(
    actor: Actor,
    codeOrId: string,
    enabled: boolean,
  ): Promise<RewardConfig> {
    assertAllowed("configureDestinations", actor);
    const found = await this.#rewardConfig(codeOrId);
    const row = await setRewardConfigEnabled(this.hub.db, found.id, enabled);
    if (!row) throw rewardConfigNotFound(codeOrId);
    return {
      ...row,
      credentials: await this.#credentials.describe(rewardConfigCredentialLocation(row.code)),
    };
  }

  async saveRewardConfigKey(
    actor: Actor,
    codeOrId: string,
    apiKey: string,
  ): Promise<CredentialDescription> {
    assertAllowed(CREDENTIALS_PERMISSION, actor);
    const found = await this.#rewardConfig(codeOrId);
    if (apiKey === "") {
      throw new CusthubError("INVALID_REQUEST", "The API key is needed.", { field: "apiKey" });
    }
    return this.#saveRewardKey(found.code, apiKey);
  }

  async #rewardConfig(codeOrId: string): Promise<RewardConfigRow> {
    const found = await findRewardConfig(this.hub.db, codeOrId);
    if (!found) throw rewardConfigNotFound(codeOrId);
    return found;
  }

  #saveRewardKey(code: string, apiKey: string): Promise<CredentialDescription> {
    return this.#credentials.saveFields(
      rewardConfigCredentialLocation(code),
      { apiKey },
      REWARD_CONFIG_CREDENTIAL_FIELDS,
    );
  }

  async #open(definition: DestinationDefinition<unknown>, tuning: JobTuning): Promise<Destination> {
    const values = withDefaults(definition, await this.#storedValues(definition));
    const settings = definition.parseSettings(values);
    const location =
      definition.credentialFields.length === 0
        ? null
        : this.#credentialLocation(definition, values);
    const where = location
      ? `in credential map ${location.mapName} under key ${location.keyName}`
      : "";
    const credentials = location
      ? await this.#credentials.loadFields(
          location,
          definition.storage?.kind === "hub"
            ? `No client ID and secret are saved ${where}; save them with \`custhub credentials set\`.`
            : `No ${definition.name} credentials are saved ${where}; save them with \`custhub destinations credentials ${definition.name}\`.`,
        )
      : {};
    return definition.open({
      settings,
      credentials,
      timeoutMs: tuning.timeoutMs,
      concurrency: tuning.concurrency,
      lookup: {
        db: this.hub.db,
        loadCredentials: (location) =>
          this.#credentials.loadFields(
            location,
            `No credentials are saved in credential map ${location.mapName} under key ${location.keyName}; ` +
              `save them with \`custhub datanuum configs credentials ${location.keyName}\`.`,
          ),
      },
    });
  }

  async #storedValues(
    definition: DestinationDefinition<unknown>,
  ): Promise<Record<string, string | null>> {
    if (definition.storage?.kind === "hub") {
      const settings = (await this.hub.settings.all()) as unknown as Record<string, unknown>;
      return Object.fromEntries(
        definition.settings.map((spec) => {
          const value = settings[spec.key];
          return [spec.key, value === null || value === undefined ? null : String(value)];
        }),
      );
    }
    return readDestinationSettings(this.hub.db, definition.name);
  }

  #credentialLocation(
    definition: DestinationDefinition<unknown>,
    values: Readonly<Record<string, string | null>>,
  ): CredentialLocation {
    if (definition.storage?.kind === "hub") return definition.storage.credentialLocation(values);
    return { mapName: DEFAULT_CREDENTIAL_MAP, keyName: definition.name };
  }

  async #describeCredentials(
    definition: DestinationDefinition<unknown>,
    values: Readonly<Record<string, string | null>>,
  ): Promise<CredentialDescription | null> {
    if (definition.credentialFields.length === 0) return null;
    let location: CredentialLocation;
    try {
      location = this.#credentialLocation(definition, values);
    } catch (error) {
      if (isCusthubError(error)) return null;
      throw error;
    }
    return this.#credentials.describe(location);
  }
}

/** The stored values over the definition's defaults; a stored null means the default. */
function withDefaults(
  definition: DestinationDefinition<unknown>,
  stored: Readonly<Record<string, string | null>>,
): Record<string, string | null> {
  return Object.fromEntries(
    definition.settings.map((spec) => [spec.key, stored[spec.key] ?? spec.defaultValue]),
  );
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

function checkApiUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CusthubError("INVALID_REQUEST", `The API URL ${JSON.stringify(text)} is not a URL.`, {
      field: "apiUrl",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new CusthubError("INVALID_REQUEST", "The API URL must be http or https.", {
      field: "apiUrl",
    });
  }
  // Requests go to {apiUrl}/customers/{code}: after a query or a fragment that path would be
  // part of them, and the customer would be sent to the base URL itself.
  if (url.search !== "" || url.hash !== "") {
    throw new CusthubError(
      "INVALID_REQUEST",
      `The API URL ${JSON.stringify(text)} is Datanuum's base URL: it takes no query or fragment (requests go to {apiUrl}/customers/{customerCode}).`,
      { field: "apiUrl" },
    );
  }
  return url.href;
}

function alreadyExists(code: string): CusthubError {
  return new CusthubError(
    "ALREADY_EXISTS",
    `A reward-points configuration with code ${code} already exists.`,
    { field: "code", code },
  );
}

function rewardConfigNotFound(codeOrId: string): CusthubError {
  return new CusthubError(
    "REWARD_CONFIG_NOT_FOUND",
    `No Datanuum reward-points configuration has code or id ${JSON.stringify(codeOrId)}.`,
    { rewardPointsConfig: codeOrId },
  );
}
