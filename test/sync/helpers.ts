/** What the sync tests share: a hub configured against a receiver simulator, and customer changes. */
import { randomBytes } from "node:crypto";
import type { Actor } from "../../src/domain/roles.js";
import type { CustomerRequest } from "../../src/domain/requests.js";
import type { ChangeContext } from "../../src/services/customers.js";
import type { Hub } from "../../src/services/hub.js";
import { DataSync, type DataSyncOptions } from "../../src/sync/data-sync.js";
import type { JobTuning } from "../../src/sync/types.js";
import type { DataSyncReceiver } from "../simulators/datasync-receiver.js";

export const sysadmin: Actor = { name: "test sysadmin", roles: ["sysadmin"] };
export const api: ChangeContext = { actor: "tester", channel: "api" };

/** Fast, deterministic tuning: no retry delay unless a test asks, jitter pinned. */
export const testTuning: Partial<JobTuning> = {
  retry: { baseMs: 0, maxMs: 0 },
  timeoutMs: 2_000,
  leaseSeconds: 30,
  flushIntervalMs: 5,
};

export function testMasterKey(): string {
  return randomBytes(32).toString("hex");
}

/** Points the hub's settings at the receiver and saves its client credentials. */
export async function configureSync(
  hub: Hub,
  receiver: DataSyncReceiver,
  options: { tuning?: Partial<JobTuning>; settings?: Record<string, string>; key?: string } = {},
): Promise<DataSync> {
  const settings: Record<string, string> = {
    DataSyncEnabled: "true",
    DataSyncApiUrl: receiver.messagesUrl,
    DataSyncTokenUrl: receiver.tokenUrl,
    DataSyncCredentialKeyName: "datasync",
    ...options.settings,
  };
  for (const [key, value] of Object.entries(settings)) await hub.settings.set(key, value);
  const dataSync = newDataSync(hub, { tuning: { ...testTuning, ...options.tuning } }, options.key);
  await dataSync.saveCredentials(sysadmin, {
    clientId: receiver.clientId,
    clientSecret: receiver.clientSecret,
  });
  return dataSync;
}

const keys = new WeakMap<Hub, string>();

export function keyOf(hub: Hub): string {
  let key = keys.get(hub);
  if (!key) {
    key = testMasterKey();
    keys.set(hub, key);
  }
  return key;
}

/**
 * A DataSync on the hub; every one made for a hub shares that hub's master key, unless `key`
 * names one (two hubs on one database must share it).
 */
export function newDataSync(
  hub: Hub,
  options: Partial<DataSyncOptions> = {},
  key: string = keyOf(hub),
): DataSync {
  return new DataSync(hub, {
    masterKey: { fromEnvironment: key, keyFile: "/nonexistent/master.key" },
    random: () => 0.5,
    ...options,
    tuning: { ...testTuning, ...options.tuning },
  });
}

export function person(first: string, nickName?: string): CustomerRequest {
  return {
    individual: {
      names: { FIRST: first, LAST: "Tester" },
      ...(nickName === undefined ? {} : { nickName }),
    },
  };
}

/** Adds customers, one transaction per group; returns their customerIDs in order. */
export async function addCustomers(hub: Hub, names: readonly string[]): Promise<string[]> {
  const outcomes = await hub.customers.applyBatch(
    names.map((name) => ({ action: "Add" as const, request: person(name) })),
    api,
  );
  return outcomes.map((outcome) => {
    if (!outcome.ok) throw outcome.error;
    return outcome.customerID;
  });
}

/** Updates each customer's nickname to `version`: one UPDATE message per customer. */
export async function renameAll(
  hub: Hub,
  customerIDs: readonly string[],
  version: string,
): Promise<void> {
  const outcomes = await hub.customers.applyBatch(
    customerIDs.map((customerID) => ({
      action: "Update" as const,
      request: { customerID, individual: { nickName: version } },
    })),
    api,
  );
  for (const outcome of outcomes) if (!outcome.ok) throw outcome.error;
}

/** The nickname a customer message carries (the version a test gave it), or the action. */
export function versionOf(message: { action: string; payload: string }): string {
  if (message.action !== "CUSTOMERMOD") return message.action;
  const record = JSON.parse(message.payload) as {
    entityInformation: { individual: { nickName: string | null } };
  };
  return record.entityInformation.individual.nickName ?? "";
}

/** Makes every waiting progress row due now, instead of waiting out its retry delay. */
export async function makeRetriesDue(hub: Hub): Promise<void> {
  await hub.db.query("UPDATE data_sync_progress_queue SET next_attempt_at = now()");
}

export interface ProgressRowState {
  uniqueId: string;
  action: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  retryInMs: number;
  leased: boolean;
}

/** The progress queue as the tests look at it. */
export async function progressRows(hub: Hub): Promise<ProgressRowState[]> {
  return hub.db.query<ProgressRowState>(
    `SELECT unique_id AS "uniqueId", action, attempts, last_status AS "lastStatus",
            last_error AS "lastError",
            (extract(epoch FROM next_attempt_at - coalesce(last_attempt_at, now())) * 1000)::float8 AS "retryInMs",
            coalesce(lease_until > now(), false) AS leased
       FROM data_sync_progress_queue ORDER BY id`,
  );
}
