/**
 * The settings kept in the database and changed through the CLI, the API and the UI (SPEC 1, 6).
 * Names are the documents' own (seeds/001 "Configuration"); each knows its kind and default, and
 * a value is checked when it is set, so the code that reads it can trust it.
 */
import { parseCron } from "./cron.js";
import { CusthubError } from "./errors.js";
import { DUPLICATE_RULES } from "./merge-rules.js";
import { assertAllowed, CREDENTIALS_PERMISSION, type Actor, type Permission } from "./roles.js";

type SettingKind = "boolean" | "url" | "text" | "integer" | "choice" | "list" | "cron";

interface SettingDefinition {
  kind: SettingKind;
  default: boolean | string | number | null;
  description: string;
  /** The words a `choice` setting takes one of, or a `list` setting any of, in any order. */
  choices?: readonly string[];
  /** The range of an `integer` setting, both ends included. */
  min?: number;
  max?: number;
  /**
   * The saved data-sync credentials are sent where this setting says (the client secret to the
   * token URL, the token it buys to the API URL). Changing it needs the permission that saves
   * them (`CREDENTIALS_PERMISSION`): else whoever may change settings could send the
   * secret to a host of their choosing (SPEC 6: only `sysadmin` can save them).
   */
  sendsCredentials?: true;
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
    sendsCredentials: true,
  },
  DataSyncTokenUrl: {
    kind: "url",
    default: null,
    description: "The OAuth2 token endpoint for the data-sync API.",
    sendsCredentials: true,
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
  // The sync job's own knobs, beyond the document's settings (SPEC 6; docs/sync.md).
  DataSyncIntervalSeconds: {
    kind: "integer",
    default: 60,
    min: 1,
    max: 86_400,
    description:
      "Seconds between the starts of the scheduled data-sync job runs in `custhub serve`.",
  },
  DataSyncCron: {
    kind: "cron",
    default: null,
    description:
      "A cron schedule (5 fields, UTC) for the data-sync job; when set it replaces DataSyncIntervalSeconds.",
  },
  DataSyncBatchSize: {
    kind: "integer",
    default: 500,
    min: 1,
    max: 10_000,
    description:
      "Pending rows moved into the progress queue per transaction (seeds/001: in batches).",
  },
  DataSyncMaxAttempts: {
    kind: "integer",
    default: 10,
    min: 1,
    max: 1_000,
    description: "Failed deliveries of one message before it moves to the dead letters.",
  },
  DataSyncConcurrency: {
    kind: "integer",
    default: 32,
    min: 1,
    max: 256,
    description: "Messages of different customers in flight at once, per worker.",
  },
  DataSyncTimeoutSeconds: {
    kind: "integer",
    default: 30,
    min: 1,
    max: 600,
    description:
      "Connect and response timeout of each request to the token and messages endpoints.",
  },
  DataSyncLeaseSeconds: {
    kind: "integer",
    default: 300,
    min: 5,
    max: 86_400,
    description:
      "How long a worker holds the messages it claimed; a killed worker's messages come back after it.",
  },
  // The merge configuration options of seeds/003 "Customer Merge".
  CustomerMergeContactPermissions: {
    kind: "choice",
    choices: ["SOURCE", "YES", "NO"],
    default: "SOURCE",
    description: "Merge: take the source's contact permissions, or set them all to Yes or No.",
  },
  CustomerMergeDateOfBirth: {
    kind: "choice",
    choices: ["SOURCE", "BEST_MATCH"],
    default: "BEST_MATCH",
    description: "Merge: the source's date of birth, or the first one found when it has none.",
  },
  CustomerMergeEmailAddress: {
    kind: "choice",
    choices: ["SOURCE", "BEST_MATCH", "ALL"],
    default: "SOURCE",
    description: "Merge: the source's emails, the first duplicate's that has some, or all.",
  },
  CustomerMergeHomeLocation: {
    kind: "choice",
    choices: ["SOURCE", "BEST_MATCH"],
    default: "SOURCE",
    description: "Merge: the source's home location, or the first one found.",
  },
  CustomerMergeMailAddress: {
    kind: "choice",
    choices: ["SOURCE", "BEST_MATCH", "ALL"],
    default: "SOURCE",
    description: "Merge: the source's addresses, the first duplicate's that has some, or all.",
  },
  CustomerMergePhoneNumbers: {
    kind: "choice",
    choices: ["SOURCE", "BEST_MATCH", "ALL"],
    default: "SOURCE",
    description: "Merge: the source's phone numbers, the first duplicate's that has some, or all.",
  },
  CustomerMergeAttributes: {
    kind: "text",
    default: null,
    description:
      "Merge: custom attributes (comma-separated names) whose value comes from the source, or the first duplicate holding one, instead of every duplicate's values.",
  },
  // "Customer Merge Override": what a merge does in each scenario the document names.
  CustomerMergeOverrideNotFound: {
    kind: "choice",
    choices: ["FAIL", "SKIP"],
    default: "FAIL",
    description:
      "Merge override, a target not found (or inactive): refuse the merge, or merge the others.",
  },
  CustomerMergeOverrideHasCards: {
    kind: "choice",
    choices: ["MERGE", "SKIP", "FAIL"],
    default: "MERGE",
    description:
      "Merge override, a customer holding cards: merge it, leave it out, or refuse the merge.",
  },
  CustomerMergeOverrideHasTransactions: {
    kind: "choice",
    choices: ["MERGE", "SKIP", "FAIL"],
    default: "MERGE",
    description:
      "Merge override, a customer with transactions: merge it, leave it out, or refuse the merge.",
  },
  CustomerMergeOverrideSourceNotMergeable: {
    kind: "choice",
    choices: ["FAIL", "CHOOSE"],
    default: "FAIL",
    description:
      "Merge override, a source that cannot be merged: refuse, or choose one of the targets by DuplicateCustomerRules.",
  },
  DuplicateCustomerMergeLimit: {
    kind: "integer",
    default: 10,
    min: 2,
    max: 1_000,
    description: "Merge: the most customer records merged into one.",
  },
  DuplicateCustomerRules: {
    kind: "list",
    choices: DUPLICATE_RULES,
    default: DUPLICATE_RULES.join(","),
    description: "Merge without a source: the criteria that choose it, in order of weight.",
  },
} as const satisfies Record<string, SettingDefinition>;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue = boolean | string | number | null;
export type Settings = {
  [K in SettingKey]: (typeof SETTINGS)[K]["default"] extends boolean
    ? boolean
    : (typeof SETTINGS)[K]["default"] extends number
      ? number
      : string | null;
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

/** The permissions changing `key` needs beyond changing settings at all. */
export function permissionsToChange(key: SettingKey): Permission[] {
  const definition: SettingDefinition = SETTINGS[key];
  return definition.sendsCredentials ? [CREDENTIALS_PERMISSION] : [];
}

/**
 * Throws `FORBIDDEN` naming the setting and the roles needed, unless `actor` (already allowed to
 * change settings) may change this one.
 *
 * @example
 * assertMayChangeSetting("DataSyncTokenUrl", { name: "ops", roles: ["sysconfig"] }) // throws
 */
export function assertMayChangeSetting(key: SettingKey, actor: Actor): void {
  for (const permission of permissionsToChange(key)) {
    assertAllowed(permission, actor, {
      action: `change ${key}, which decides where the saved data-sync credentials are sent`,
      details: { setting: key },
    });
  }
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
  if (definition.kind === "integer") return parseIntegerSetting(key, definition, raw);
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
  if (definition.kind === "choice" || definition.kind === "list")
    return parseChoices(key, definition, value);
  if (definition.kind === "cron") return parseCron(value).expression;
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
    if (holdsUserInfo(url)) {
      throw new CusthubError("INVALID_SETTING", `${key} ${USER_INFO_REFUSED}.`, { key });
    }
  }
  return value;
}

/**
 * Whether a URL names a user or a password (`https://user:pass@host/`). A URL custhub sends to
 * may not: settings are shown to every role that reads them, and a password there would be one
 * in the clear, where the credentials custhub sends are saved apart, encrypted, never shown.
 */
export const holdsUserInfo = (url: URL): boolean => url.username !== "" || url.password !== "";

/** Why a URL holding a user or password is refused; the URL itself is not repeated. */
export const USER_INFO_REFUSED =
  "must not hold a user name or password: save them as the destination's credentials, which are kept encrypted and never shown";

/** One of the choices (`choice`), or a comma-separated list of them (`list`); any case. */
function parseChoices(key: SettingKey, definition: SettingDefinition, value: string): string {
  const choices = definition.choices ?? [];
  const words = value.split(",").map((word) => word.trim().toUpperCase());
  const unknown = words.filter((word) => !choices.includes(word));
  if (unknown.length > 0 || (definition.kind === "choice" && words.length !== 1)) {
    throw new CusthubError(
      "INVALID_SETTING",
      `${key} takes ${definition.kind === "choice" ? "one of" : "a comma-separated list of"} ${choices.join(", ")}; not ${JSON.stringify(value)}.`,
      { key, choices },
    );
  }
  return [...new Set(words)].join(",");
}

function parseIntegerSetting(
  key: SettingKey,
  definition: SettingDefinition,
  raw: string | boolean,
): number {
  const min = definition.min ?? Number.MIN_SAFE_INTEGER;
  const max = definition.max ?? Number.MAX_SAFE_INTEGER;
  const text = String(raw).trim().replace(/_/g, "");
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CusthubError(
      "INVALID_SETTING",
      `${key} needs a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}.`,
      { key, min, max },
    );
  }
  return value;
}

/**
 * The shortest DataSyncLeaseSeconds that suits a DataSyncTimeoutSeconds: a delivery may take a
 * token request and a send, twice (a refused token is renewed once), so four timeouts, and the
 * lease must outlast that by a second, or a slow delivery could outlive its lease and be sent
 * twice. Fractional seconds are allowed (the job's tuning works in milliseconds).
 *
 * @example
 * shortestLeaseSeconds(30) // 121
 */
export function shortestLeaseSeconds(timeoutSeconds: number): number {
  return 4 * timeoutSeconds + 1;
}

/** The settings that must agree with another one (`checkSettingsAgree`). */
export const DEPENDENT_SETTING_KEYS: readonly SettingKey[] = [
  "DataSyncTimeoutSeconds",
  "DataSyncLeaseSeconds",
];

/**
 * Checks that `settings`, in which `changed` has just been given its new value, still agree:
 * each value has its own range, and DataSyncLeaseSeconds must also be at least
 * `shortestLeaseSeconds(DataSyncTimeoutSeconds)`. Refused at `config set` (CLI and API) rather
 * than at the next run, where it would stop every delivery with one log line. The message names
 * both settings and a value of each that would do.
 */
export function checkSettingsAgree(settings: Settings, changed: SettingKey): void {
  const lease = settings.DataSyncLeaseSeconds;
  const timeout = settings.DataSyncTimeoutSeconds;
  const shortestLease = shortestLeaseSeconds(timeout);
  if (lease >= shortestLease) return;
  const longestTimeout = Math.floor((lease - 1) / 4);
  const advice =
    changed === "DataSyncLeaseSeconds"
      ? `DataSyncLeaseSeconds ${lease} is too short for DataSyncTimeoutSeconds ${timeout}: a lease must be at least 4 x DataSyncTimeoutSeconds + 1 (${shortestLease}). Set DataSyncLeaseSeconds to ${shortestLease} or more, or first lower DataSyncTimeoutSeconds to ${longestTimeout} or less.`
      : `DataSyncTimeoutSeconds ${timeout} needs DataSyncLeaseSeconds of at least 4 x ${timeout} + 1 (${shortestLease}), and it is ${lease}. Set DataSyncTimeoutSeconds to ${longestTimeout} or less, or first raise DataSyncLeaseSeconds to ${shortestLease} or more.`;
  throw new CusthubError(
    "INVALID_SETTING",
    `${advice} A slow delivery could otherwise outlive its lease and be sent twice.`,
    {
      key: changed,
      settings: ["DataSyncLeaseSeconds", "DataSyncTimeoutSeconds"],
      shortestLeaseSeconds: shortestLease,
      longestTimeoutSeconds: longestTimeout,
    },
  );
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
