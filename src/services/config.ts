/**
 * Process configuration, resolved once at start-up into one typed object (SPEC 10): command-line
 * flags over environment variables over `custhub.config.json` over defaults. Nothing else reads
 * `process.env`.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CusthubError } from "../domain/errors.js";

export interface Config {
  /** Embedded database, master key file, `incoming/` and `complete/` folders. */
  dataDir: string;
  /** A PostgreSQL server; when set, the embedded database is not used. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  /** Memory `custhub serve` keeps customer records in for reads, in MiB; 0 keeps none. */
  recordCacheMb: number;
  /**
   * Seconds `custhub serve` keeps its listener open after SIGTERM or SIGINT with `/readyz`
   * failing, so a load balancer's probes see it before connections are refused; 0: none.
   */
  drainSeconds: number;
  /**
   * Whether the PostgreSQL server keeps a full batch's customer upsert prepared on each
   * connection; off behind a pooler that cannot (docs/storage.md, "Prepared statements").
   */
  preparedStatements: boolean;
  /**
   * `CUSTHUB_MASTER_KEY`, the key the saved credentials are encrypted with, when set; else the
   * key file in the data dir is used (docs/sync.md). Only from the environment: a secret kept
   * in the configuration file would sit beside what it protects. Never logged.
   */
  masterKey: string | undefined;
}

export interface ConfigOverrides {
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  host?: string | undefined;
  port?: string | number | undefined;
  recordCacheMb?: string | number | undefined;
  drainSeconds?: string | number | undefined;
  preparedStatements?: string | boolean | undefined;
  configFile?: string | undefined;
}

const DEFAULTS = {
  dataDir: "./data",
  host: "127.0.0.1",
  port: 8080,
  recordCacheMb: 64,
  drainSeconds: 0,
  preparedStatements: true,
} as const;

const FILE_KEYS = [
  "dataDir",
  "databaseUrl",
  "host",
  "port",
  "recordCacheMb",
  "drainSeconds",
  "preparedStatements",
] as const;

type FileConfig = Partial<Record<(typeof FILE_KEYS)[number], unknown>>;

function readConfigFile(path: string, required: boolean): FileConfig {
  if (!existsSync(path)) {
    if (required)
      throw new CusthubError("INVALID_REQUEST", `Configuration file ${path} does not exist.`, {
        path,
      });
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `Configuration file ${path} is not valid JSON.`,
      { path },
      { cause: error },
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `Configuration file ${path} must hold a JSON object.`,
      { path },
    );
  }
  const known = new Set<string>(FILE_KEYS);
  const unknown = Object.keys(parsed).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `Configuration file ${path} has unknown keys: ${unknown.join(", ")}.`,
      {
        path,
        keys: unknown,
      },
    );
  }
  return parsed as FileConfig;
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new CusthubError("INVALID_REQUEST", `${name} must be a string.`, { name });
  return value;
}

/**
 * A whole number from 0 to `most`, counted in `unit` when it has one; undefined when not given.
 *
 * @example
 * wholeNumber("90", "drainSeconds", 3600, "seconds") // => 90
 */
function wholeNumber(
  value: unknown,
  name: string,
  most: number,
  unit?: string,
): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(number) || number < 0 || number > most) {
    const counted = unit === undefined ? "" : ` of ${unit},`;
    throw new CusthubError(
      "INVALID_REQUEST",
      `${name} must be a whole number${counted} 0-${most}, not ${JSON.stringify(value)}.`,
      { name },
    );
  }
  return number;
}

const port = (value: unknown, name: string): number | undefined => wholeNumber(value, name, 65535);

/** Most memory the record cache may be given: 64 GiB. */
const MOST_RECORD_CACHE_MB = 65_536;

const megabytes = (value: unknown, name: string): number | undefined =>
  wholeNumber(value, name, MOST_RECORD_CACHE_MB, "MiB");

/** Longest drain `serve` may be given: an hour. */
const MOST_DRAIN_SECONDS = 3600;

const drainSeconds = (value: unknown, name: string): number | undefined =>
  wholeNumber(value, name, MOST_DRAIN_SECONDS, "seconds");

function yesNo(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new CusthubError(
    "INVALID_REQUEST",
    `${name} must be true or false, not ${JSON.stringify(value)}.`,
    { name },
  );
}

export function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const file = readConfigFile(
    resolve(overrides.configFile ?? env.CUSTHUB_CONFIG ?? "custhub.config.json"),
    overrides.configFile !== undefined || env.CUSTHUB_CONFIG !== undefined,
  );
  return {
    dataDir: resolve(
      text(overrides.dataDir, "--data") ??
        text(env.CUSTHUB_DATA_DIR, "CUSTHUB_DATA_DIR") ??
        text(file.dataDir, "dataDir") ??
        DEFAULTS.dataDir,
    ),
    databaseUrl:
      text(overrides.databaseUrl, "--database-url") ??
      text(env.DATABASE_URL, "DATABASE_URL") ??
      text(file.databaseUrl, "databaseUrl"),
    host:
      text(overrides.host, "--host") ??
      text(env.HOST, "HOST") ??
      text(file.host, "host") ??
      DEFAULTS.host,
    port:
      port(overrides.port, "--port") ??
      port(env.PORT, "PORT") ??
      port(file.port, "port") ??
      DEFAULTS.port,
    recordCacheMb:
      megabytes(overrides.recordCacheMb, "--record-cache-mb") ??
      megabytes(env.CUSTHUB_RECORD_CACHE_MB, "CUSTHUB_RECORD_CACHE_MB") ??
      megabytes(file.recordCacheMb, "recordCacheMb") ??
      DEFAULTS.recordCacheMb,
    drainSeconds:
      drainSeconds(overrides.drainSeconds, "--drain-seconds") ??
      drainSeconds(env.CUSTHUB_DRAIN_SECONDS, "CUSTHUB_DRAIN_SECONDS") ??
      drainSeconds(file.drainSeconds, "drainSeconds") ??
      DEFAULTS.drainSeconds,
    preparedStatements:
      yesNo(overrides.preparedStatements, "preparedStatements") ??
      yesNo(env.CUSTHUB_PREPARED_STATEMENTS, "CUSTHUB_PREPARED_STATEMENTS") ??
      yesNo(file.preparedStatements, "preparedStatements") ??
      DEFAULTS.preparedStatements,
    masterKey: env.CUSTHUB_MASTER_KEY,
  };
}

/** The configuration with secrets masked, for logs and `--help` output. */
export function describeConfig(config: Config): Record<string, string | number | boolean> {
  return {
    dataDir: config.dataDir,
    database: config.databaseUrl ? maskUrl(config.databaseUrl) : `embedded (${config.dataDir}/db)`,
    host: config.host,
    port: config.port,
    recordCacheMb: config.recordCacheMb,
    drainSeconds: config.drainSeconds,
    preparedStatements: config.preparedStatements,
  };
}

function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "****";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}
