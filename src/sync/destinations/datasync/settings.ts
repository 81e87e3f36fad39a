/**
 * The data-sync destination's settings (seeds/001 "Configuration"), resolved from the stored
 * settings and checked once, with every missing one named in a single message.
 */
import { CusthubError } from "../../../domain/errors.js";
import type { Settings } from "../../../domain/settings.js";
import type { CredentialLocation } from "../../secrets/credential-store.js";

export interface DataSyncSettings {
  apiUrl: URL;
  tokenUrl: URL;
  credentials: CredentialLocation;
}

/** Where the client ID and secret are kept; needs only DataSyncCredentialKeyName. */
export function credentialLocationOf(settings: Settings): CredentialLocation {
  const mapName = settings.DataSyncCredentialMapName ?? "ce_credentials";
  const keyName = settings.DataSyncCredentialKeyName;
  if (!keyName) {
    throw notConfigured(["DataSyncCredentialKeyName"]);
  }
  return { mapName, keyName };
}

export function dataSyncSettingsOf(settings: Settings): DataSyncSettings {
  return parseDataSyncSettings(settings);
}

/** The keys of seeds/001 "Configuration" this destination reads, as `destinations config` shows them. */
export const DATASYNC_SETTING_KEYS = [
  "DataSyncApiUrl",
  "DataSyncTokenUrl",
  "DataSyncCredentialMapName",
  "DataSyncCredentialKeyName",
] as const;

type DataSyncValues = Partial<Record<(typeof DATASYNC_SETTING_KEYS)[number], string | null>>;

/** The settings from their stored values (the hub settings, checked when they were set). */
export function parseDataSyncSettings(values: Readonly<DataSyncValues>): DataSyncSettings {
  const missing = (
    ["DataSyncApiUrl", "DataSyncTokenUrl", "DataSyncCredentialKeyName"] as const
  ).filter((key) => !values[key]);
  if (missing.length > 0) throw notConfigured(missing);
  return {
    apiUrl: new URL(values.DataSyncApiUrl!),
    tokenUrl: new URL(values.DataSyncTokenUrl!),
    credentials: {
      mapName: values.DataSyncCredentialMapName ?? "ce_credentials",
      keyName: values.DataSyncCredentialKeyName!,
    },
  };
}

function notConfigured(keys: readonly string[]): CusthubError {
  return new CusthubError(
    "SYNC_NOT_CONFIGURED",
    `Data sync needs ${keys.join(", ")}: set ${keys.length > 1 ? "them" : "it"} with \`custhub config set\`.`,
    { settings: [...keys] },
  );
}
