/**
 * The destinations as users drive them (SPEC 7): list them with their queue state, enable and
 * disable them, show and change their settings, save their credentials, run one now (also for
 * chosen customers: the documents' manual execution), read what a run did, and Datanuum's
 * reward-points configurations. Every operation takes the acting user and checks its roles
 * (src/domain/roles.ts), so the CLI and the API share one set of rules. A destination's settings
 * and credentials are read in destination-settings.ts, runs made and read in destination-runs.ts,
 * the reward-points configurations kept in reward-config-service.ts. Design: docs/sync.md
 * "Destinations".
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { CusthubError, isCusthubError } from "../domain/errors.js";
import { assertAllowed, CREDENTIALS_PERMISSION, type Actor } from "../domain/roles.js";
import type { Settings } from "../domain/settings.js";
import type { Hub } from "../services/hub.js";
import {
  enabledDestinationNames,
  setDestinationEnabled,
  writeDestinationSetting,
} from "../store/destinations.js";
import { activePauses, resumeDestination, type DestinationPause } from "../store/sync-pauses.js";
import { destinationQueueStats, syncQueueDepths } from "../store/sync-queue-depths.js";
import { lastJobRuns, type JobRun } from "../store/sync-job-runs.js";
import {
  listDeadLetters,
  requeueDeadLetters,
  type DeadLetter,
} from "../store/sync-dead-letters.js";
import type { DestinationDefinition } from "./destination.js";
import { DESTINATIONS, destinationNamed } from "./destinations/index.js";
import { CredentialStore, type CredentialDescription } from "./secrets/credential-store.js";
import type { MasterKeySource } from "./secrets/master-key.js";
import { silentLogger, type JobTuning, type SyncLogger } from "./types.js";
import {
  credentialLocation,
  describeCredentials,
  storedValues,
  withDefaults,
} from "./destination-settings.js";
import { RewardConfigService, type RewardConfig } from "./reward-config-service.js";
import {
  DestinationRuns,
  type DestinationRunOptions,
  type DestinationRunReport,
} from "./destination-runs.js";

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

export class DestinationService {
  readonly worker: string;
  readonly #logger: SyncLogger;
  readonly #credentials: CredentialStore;
  readonly #rewardConfigs: RewardConfigService;
  readonly #registry: readonly DestinationDefinition<unknown>[];
  readonly #runs: DestinationRuns;

  constructor(
    private readonly hub: Hub,
    private readonly options: DestinationServiceOptions,
  ) {
    this.worker =
      options.worker ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.#logger = options.logger ?? silentLogger;
    this.#credentials = new CredentialStore(hub.db, options.masterKey);
    this.#rewardConfigs = new RewardConfigService(hub.db, this.#credentials);
    this.#registry = options.registry ?? DESTINATIONS;
    this.#runs = new DestinationRuns(hub, options, this.worker, {
      logger: this.#logger,
      credentials: this.#credentials,
      registry: this.#registry,
      enabledNames: (settings) => this.enabledNames(settings),
    });
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
    const stored = await storedValues(this.hub, definition);
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
      credentials: await describeCredentials(this.#credentials, definition, values),
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
      ...(await storedValues(this.hub, definition)),
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
    const location = credentialLocation(
      definition,
      withDefaults(definition, await storedValues(this.hub, definition)),
    );
    return this.#credentials.saveFields(location, fields, definition.credentialFields);
  }

  run(
    actor: Actor,
    name: string,
    options: { customers?: readonly string[]; trigger?: string; signal?: AbortSignal } = {},
  ): Promise<DestinationRunReport> {
    return this.#runs.run(actor, name, options);
  }

  runEnabled(actor: Actor, options: { trigger: string; signal?: AbortSignal }): Promise<JobRun[]> {
    return this.#runs.runEnabled(actor, options);
  }

  runDestination(
    definition: DestinationDefinition<unknown>,
    settings: Settings,
    enabled: readonly string[],
    options: DestinationRunOptions,
  ): Promise<JobRun> {
    return this.#runs.runDestination(definition, settings, enabled, options);
  }

  assertNotPaused(name: string): Promise<void> {
    return this.#runs.assertNotPaused(name);
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

  runs(actor: Actor, name: string, limit?: number): Promise<JobRun[]> {
    return this.#runs.runs(actor, name, limit);
  }

  runReport(actor: Actor, name: string, runId: string): Promise<DestinationRunReport> {
    return this.#runs.runReport(actor, name, runId);
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

  // Datanuum's reward-points configurations (seeds/000 "RewardPointsConfig"): reward-config-service.ts.

  addRewardConfig(
    actor: Actor,
    config: { code: string; apiUrl: string; apiKey: string; enabled?: boolean },
  ): Promise<RewardConfig> {
    return this.#rewardConfigs.addRewardConfig(actor, config);
  }

  listRewardConfigs(actor: Actor): Promise<RewardConfig[]> {
    return this.#rewardConfigs.listRewardConfigs(actor);
  }

  setRewardConfigEnabled(actor: Actor, codeOrId: string, enabled: boolean): Promise<RewardConfig> {
    return this.#rewardConfigs.setRewardConfigEnabled(actor, codeOrId, enabled);
  }

  saveRewardConfigKey(
    actor: Actor,
    codeOrId: string,
    apiKey: string,
  ): Promise<CredentialDescription> {
    return this.#rewardConfigs.saveRewardConfigKey(actor, codeOrId, apiKey);
  }
}
