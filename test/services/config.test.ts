/** Process configuration: flags over environment over the config file over defaults (SPEC 10). */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { describeConfig, loadConfig, type ConfigOverrides } from "../../src/services/config.js";
import { tempDir } from "../support/temp-dirs.js";

function withFile(content: unknown): string {
  const path = join(tempDir(), "custhub.config.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("loadConfig", () => {
  it("takes the defaults when nothing is given", () => {
    const config = loadConfig({ configFile: withFile({}) }, {});
    expect(config).toEqual({
      dataDir: resolve("./data"),
      databaseUrl: undefined,
      host: "127.0.0.1",
      port: 8080,
      recordCacheMb: 64,
      drainSeconds: 0,
      preparedStatements: true,
      masterKey: undefined,
    });
  });

  it.each([
    {
      setting: "port",
      flag: { port: "9001" },
      env: { PORT: "9002" },
      file: { port: 9003 },
      read: (config: ReturnType<typeof loadConfig>) => config.port,
      values: [9001, 9002, 9003],
    },
    {
      setting: "recordCacheMb",
      flag: { recordCacheMb: "0" },
      env: { CUSTHUB_RECORD_CACHE_MB: "128" },
      file: { recordCacheMb: 256 },
      read: (config: ReturnType<typeof loadConfig>) => config.recordCacheMb,
      values: [0, 128, 256],
    },
    {
      setting: "drainSeconds",
      flag: { drainSeconds: "0" },
      env: { CUSTHUB_DRAIN_SECONDS: "15" },
      file: { drainSeconds: 30 },
      read: (config: ReturnType<typeof loadConfig>) => config.drainSeconds,
      values: [0, 15, 30],
    },
    {
      setting: "preparedStatements",
      flag: { preparedStatements: "false" },
      env: { CUSTHUB_PREPARED_STATEMENTS: "true" },
      file: { preparedStatements: false },
      read: (config: ReturnType<typeof loadConfig>) => config.preparedStatements,
      values: [false, true, false],
    },
    {
      setting: "host",
      flag: { host: "127.0.0.2" },
      env: { HOST: "127.0.0.3" },
      file: { host: "127.0.0.4" },
      read: (config: ReturnType<typeof loadConfig>) => config.host,
      values: ["127.0.0.2", "127.0.0.3", "127.0.0.4"],
    },
  ])("$setting: flag over environment over file", ({ flag, env, file, read, values }) => {
    const configFile = withFile(file);
    const flags: ConfigOverrides = { ...flag, configFile };
    expect(read(loadConfig(flags, env))).toBe(values[0]);
    expect(read(loadConfig({ configFile }, env))).toBe(values[1]);
    expect(read(loadConfig({ configFile }, {}))).toBe(values[2]);
  });

  it.each([
    { given: { port: "80a" }, message: /^--port must be a whole number 0-65535, not "80a"/ },
    { given: { port: 70000 }, message: /^--port must be a whole number 0-65535/ },
    {
      given: { recordCacheMb: "-1" },
      message: /--record-cache-mb must be a whole number of MiB, 0-65536, not "-1"/,
    },
    { given: { recordCacheMb: "1.5" }, message: /--record-cache-mb must be a whole number/ },
    {
      given: { drainSeconds: "5s" },
      message: /--drain-seconds must be a whole number of seconds, 0-3600, not "5s"/,
    },
    {
      given: { preparedStatements: "yes" },
      message: /preparedStatements must be true or false, not "yes"/,
    },
  ])("refuses $given, naming the setting", ({ given, message }) => {
    expect(() => loadConfig({ ...given, configFile: withFile({}) }, {})).toThrow(message);
  });

  it("names where a bad port came from: the flag, PORT or the file's port", () => {
    expect(() => loadConfig({ configFile: withFile({}) }, { PORT: "70000" })).toThrow(
      /^PORT must be a whole number 0-65535, not "70000"/,
    );
    expect(() => loadConfig({ configFile: withFile({ port: -1 }) }, {})).toThrow(
      /^port must be a whole number 0-65535, not -1/,
    );
  });

  it("refuses a config file with unknown keys or that is not a JSON object, naming it", () => {
    const unknown = withFile({ port: 1, recordCache: 5 });
    expect(() => loadConfig({ configFile: unknown }, {})).toThrow(
      `Configuration file ${unknown} has unknown keys: recordCache.`,
    );
    const broken = withFile("{ port: ");
    expect(() => loadConfig({ configFile: broken }, {})).toThrow(/is not valid JSON/);
    const list = withFile([1]);
    expect(() => loadConfig({ configFile: list }, {})).toThrow(/must hold a JSON object/);
    expect(() => loadConfig({ configFile: join(tempDir(), "none.json") }, {})).toThrow(
      /does not exist/,
    );
  });

  it("takes the master key from the environment alone, and describes itself without it", () => {
    const key = "ab".repeat(32);
    expect(loadConfig({ configFile: withFile({}) }, { CUSTHUB_MASTER_KEY: key }).masterKey).toBe(
      key,
    );
    expect(() => loadConfig({ configFile: withFile({ masterKey: key }) }, {})).toThrow(
      /has unknown keys: masterKey/,
    );
  });

  it("describes itself with the database password and the master key masked", () => {
    const config = loadConfig(
      { configFile: withFile({}), databaseUrl: "postgres://app:s3cret@db.example:5432/hub" },
      { CUSTHUB_MASTER_KEY: "cd".repeat(32) },
    );
    expect(describeConfig(config)).toMatchObject({
      database: "postgres://app:****@db.example:5432/hub",
      recordCacheMb: 64,
    });
    expect(JSON.stringify(describeConfig(config))).not.toContain("s3cret");
    expect(JSON.stringify(describeConfig(config))).not.toContain("cdcd");
  });
});
