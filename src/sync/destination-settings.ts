/**
 * A destination's settings and credentials as the service reads them: the stored values over the
 * definition's defaults (hub settings for a destination kept there), where its credentials are
 * kept, and opening it for a run with both.
 */
import { isCusthubError } from "../domain/errors.js";
import type { Hub } from "../services/hub.js";
import { readDestinationSettings } from "../store/destinations.js";
import type { Destination, DestinationDefinition } from "./destination.js";
import type {
  CredentialDescription,
  CredentialLocation,
  CredentialStore,
} from "./secrets/credential-store.js";
import type { JobTuning } from "./types.js";

const DEFAULT_CREDENTIAL_MAP = "destinations";

export async function openDestination(
  hub: Hub,
  credentialStore: CredentialStore,
  definition: DestinationDefinition<unknown>,
  tuning: JobTuning,
): Promise<Destination> {
  const values = withDefaults(definition, await storedValues(hub, definition));
  const settings = definition.parseSettings(values);
  const location =
    definition.credentialFields.length === 0 ? null : credentialLocation(definition, values);
  const where = location
    ? `in credential map ${location.mapName} under key ${location.keyName}`
    : "";
  const credentials = location
    ? await credentialStore.loadFields(
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
      db: hub.db,
      loadCredentials: (location) =>
        credentialStore.loadFields(
          location,
          `No credentials are saved in credential map ${location.mapName} under key ${location.keyName}; ` +
            `save them with \`custhub datanuum configs credentials ${location.keyName}\`.`,
        ),
    },
  });
}

export async function storedValues(
  hub: Hub,
  definition: DestinationDefinition<unknown>,
): Promise<Record<string, string | null>> {
  if (definition.storage?.kind === "hub") {
    const settings = (await hub.settings.all()) as unknown as Record<string, unknown>;
    return Object.fromEntries(
      definition.settings.map((spec) => {
        const value = settings[spec.key];
        return [spec.key, value === null || value === undefined ? null : String(value)];
      }),
    );
  }
  return readDestinationSettings(hub.db, definition.name);
}

export function credentialLocation(
  definition: DestinationDefinition<unknown>,
  values: Readonly<Record<string, string | null>>,
): CredentialLocation {
  if (definition.storage?.kind === "hub") return definition.storage.credentialLocation(values);
  return { mapName: DEFAULT_CREDENTIAL_MAP, keyName: definition.name };
}

export async function describeCredentials(
  credentialStore: CredentialStore,
  definition: DestinationDefinition<unknown>,
  values: Readonly<Record<string, string | null>>,
): Promise<CredentialDescription | null> {
  if (definition.credentialFields.length === 0) return null;
  let location: CredentialLocation;
  try {
    location = credentialLocation(definition, values);
  } catch (error) {
    if (isCusthubError(error)) return null;
    throw error;
  }
  return credentialStore.describe(location);
}

/** The stored values over the definition's defaults; a stored null means the default. */
export function withDefaults(
  definition: DestinationDefinition<unknown>,
  stored: Readonly<Record<string, string | null>>,
): Record<string, string | null> {
  return Object.fromEntries(
    definition.settings.map((spec) => [spec.key, stored[spec.key] ?? spec.defaultValue]),
  );
}
