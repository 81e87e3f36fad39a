/**
 * `custhub serve` that cannot start: one `error CODE: message` line on stderr, no stack, and the
 * README's exit codes (2 for bad usage, input or configuration; 1 for other failures).
 */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lockFileOf } from "../../src/services/data-dir-lock.js";
import { openHub } from "../../src/services/hub.js";
import { listMigrations } from "../../src/store/migrate.js";
import { CLI, runCli, type CliResult } from "../support/cli.js";
import { exited, killServers, startServe } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dirs.js";

afterEach(() => killServers());

/** Runs a `custhub ... serve` command line that must end on its own within the deadline; killed if it does not. */
async function serveThatEnds(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  deadlineMs = 30_000,
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">(
    (resolve) => (timer = setTimeout(resolve, deadlineMs, "late")),
  );
  const ended = await Promise.race([exited(child), deadline]);
  clearTimeout(timer);
  if (ended === "late") {
    child.kill("SIGKILL");
    await exited(child);
    throw new Error(`custhub serve was still running after ${deadlineMs} ms:\n${stderr}`);
  }
  return { code: ended ?? 1, stdout, stderr };
}

function expectOneErrorLine(result: CliResult, code: number, line: RegExp): void {
  expect(result.stderr.trimEnd().split("\n"), result.stderr).toEqual([expect.stringMatching(line)]);
  expect(result.code, result.stderr).toBe(code);
}

describe("custhub serve that cannot start", () => {
  it("exits 2 with one line for a bad port or configuration value, as other commands do", async () => {
    const dir = tempDir();
    const badPort = await serveThatEnds(["--data", dir, "serve"], { PORT: "70000" });
    expectOneErrorLine(badPort, 2, /^error INVALID_REQUEST: PORT must be a whole number/);

    const config = join(dir, "custhub.config.json");
    writeFileSync(config, JSON.stringify({ recordCacheMb: -5 }));
    const badConfig = await serveThatEnds(["--data", dir, "--config", config, "serve"]);
    expectOneErrorLine(badConfig, 2, /^error INVALID_REQUEST: recordCacheMb must be/);
    const configGet = await runCli([
      "--data",
      dir,
      "--config",
      config,
      "config",
      "get",
      "DataSyncEnabled",
    ]);
    expect({ code: configGet.code, stderr: configGet.stderr }).toEqual({
      code: badConfig.code,
      stderr: badConfig.stderr,
    });
    expect(existsSync(lockFileOf(dir))).toBe(false);
  });

  it("exits 1 with one line naming the holder on a data dir another server serves", async () => {
    const dir = tempDir();
    const server = await startServe(dir);
    const second = await serveThatEnds(["--data", dir, "serve", "--port", "0"]);
    expectOneErrorLine(
      second,
      1,
      new RegExp(`^error GENERAL_ERROR: .*in use by process ${server.pid}`),
    );
    expect(await server.stop()).toBe(0);
  });

  it("exits 1 with one line, and stops its watcher, when its port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const dir = tempDir();
      const result = await serveThatEnds(["--data", dir, "serve", "--port", port, "--watch"]);
      expectOneErrorLine(result, 1, /^error GENERAL_ERROR: listen EADDRINUSE/);
      expect(existsSync(lockFileOf(dir))).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("exits 1 with one line naming both migrations, as every command does, on a database a newer custhub migrated", async () => {
    const dir = tempDir();
    const migrated = await runCli(["--data", dir, "migrate"]);
    expect(migrated.code, migrated.stderr).toBe(0);
    const latest = (await listMigrations()).at(-1)!.id;
    const hub = await openHub({ dataDir: dir, databaseUrl: undefined });
    try {
      await hub.db.query("INSERT INTO custhub_migrations (id, name) VALUES ($1, 'newer')", [
        latest + 1,
      ]);
    } finally {
      await hub.close();
    }
    const pad = (id: number) => String(id).padStart(4, "0");
    const line = new RegExp(
      `^error GENERAL_ERROR: The database is at migration ${pad(latest + 1)}, newer than the latest this custhub knows, ${pad(latest)}: .*Run the newer custhub`,
    );
    expectOneErrorLine(await serveThatEnds(["--data", dir, "serve", "--port", "0"]), 1, line);
    expect(existsSync(lockFileOf(dir))).toBe(false);
    expectOneErrorLine(await runCli(["--data", dir, "config", "list"]), 1, line);
    expectOneErrorLine(await runCli(["--data", dir, "migrate"]), 1, line);
  });
});
