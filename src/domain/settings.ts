/**
 * The settings kept in the database and changed through the CLI, the API and the UI (SPEC 1, 6).
 * Names are the documents' own (seeds/001 "Configuration"); each knows its kind and default, and
 * a value is checked when it is set, so the code that reads it can trust it.
 */
import { CusthubError } from "./errors.js";

type SettingKind = "boolean" | "url" | "text";

interface SettingDefinition {
  kind: SettingKind;
  default: boolean | string | null;
  description: string;
}

export const SETTINGS = {
  DataSyncEnabled: {
    kind: "boolean",
    default: false,
    description: "Record every customer change in the data-sync pending queues (seeds/001).",
  },
  DataSyncApiUrl: {
    kind: "url",
    default: null,
    description: "The REST endpoint the data-sync job POSTs messages to.",
  },
  DataSyncTokenUrl: {
    kind: "url",
    default: null,
    description: "The OAuth2 token endpoint for the data-sync API.",
  },
  DataSyncCredentialMapName: {
    kind: "text",
    default: "ce_credentials",
    description: "The credential store map holding the data-sync client ID and secret.",
  },
  DataSyncCredentialKeyName: {
    kind: "text",
    default: null,
    description: "The key of the data-sync client credentials in that map.",
  },
  CustomerValidationEnabled: {
    kind: "boolean",
    default: true,
    description: "Validate and normalize customers on add and update (seeds/003: configurable).",
  },
} as const satisfies Record<string, SettingDefinition>;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue = boolean | string | null;
export type Settings = {
  [K in SettingKey]: (typeof SETTINGS)[K]["default"] extends boolean ? boolean : string | null;
};

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

export function checkSettingKey(key: string): SettingKey {
  if (!isSettingKey(key)) {
    throw new CusthubError(
      "INVALID_SETTING",
      `Unknown setting ${JSON.stringify(key)}; known: ${SETTING_KEYS.join(", ")}.`,
      {
        key,
      },
    );
  }
  return key;
}

const TRUE_WORDS = new Set(["true", "yes", "y", "1", "on"]);
const FALSE_WORDS = new Set(["false", "no", "n", "0", "off"]);

/** Parses a value typed by a person ("true", "Yes", a URL) into the setting's kind. */
export function parseSettingValue(key: SettingKey, raw: string | boolean | null): SettingValue {
  const definition: SettingDefinition = SETTINGS[key];
  if (raw === null || (typeof raw === "string" && raw.trim() === "")) {
    if (definition.kind === "boolean") {
      throw new CusthubError("INVALID_SETTING", `${key} needs true or false.`, { key });
    }
    return definition.default;
  }
  if (definition.kind === "boolean") {
    if (typeof raw === "boolean") return raw;
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    throw new CusthubError(
      "INVALID_SETTING",
      `${key} needs true or false (or Yes/No), not ${JSON.stringify(raw)}.`,
      {
        key,
      },
    );
  }
  const value = String(raw).trim();
  if (definition.kind === "url") {
    let url: URL;
    try {
      url = new URL(value);
    } catch (error) {
      throw new CusthubError(
        "INVALID_SETTING",
        `${key} needs an absolute http(s) URL.`,
        { key },
        { cause: error },
      );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new CusthubError(
        "INVALID_SETTING",
        `${key} needs an http(s) URL, not ${url.protocol}.`,
        { key },
      );
    }
  }
  return value;
}

/** The full set of settings: stored values over the defaults. */
export function resolveSettings(stored: ReadonlyMap<string, unknown>): Settings {
  const resolved: Record<string, SettingValue> = {};
  for (const key of SETTING_KEYS) {
    const value = stored.get(key);
    resolved[key] = value === undefined ? SETTINGS[key].default : (value as SettingValue);
  }
  return resolved as Settings;
}
