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
  const missing = (
    ["DataSyncApiUrl", "DataSyncTokenUrl", "DataSyncCredentialKeyName"] as const
  ).filter((key) => !settings[key]);
  if (missing.length > 0) throw notConfigured(missing);
  return {
    apiUrl: new URL(settings.DataSyncApiUrl!),
    tokenUrl: new URL(settings.DataSyncTokenUrl!),
    credentials: credentialLocationOf(settings),
  };
}

function notConfigured(keys: readonly string[]): CusthubError {
  return new CusthubError(
    "SYNC_NOT_CONFIGURED",
    `Data sync needs ${keys.join(", ")}: set ${keys.length > 1 ? "them" : "it"} with \`custhub config set\`.`,
    { settings: [...keys] },
  );
}
