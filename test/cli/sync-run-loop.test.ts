/**
 * `custhub sync run` without --once: a run every DataSyncIntervalSeconds until Ctrl-C, then its
 * summary, and exit 1 when a run failed (README), on its own and forwarded to `custhub serve`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { openHub } from "../../src/services/hub.js";
import { pauseDestination } from "../../src/store/sync-pauses.js";
import { CLI, runCli, type CliResult } from "../support/cli.js";
import { exited, killServers, startServe } from "../support/serve-process.js";
import { createServerDatabase, serverUrl } from "../support/server-database.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

const loops = new Set<ChildProcess>();

afterEach(() => {
  killServers();
  for (const child of loops) child.kill("SIGKILL");
  loops.clear();
});

/** A `sync run` loop as a real process; `interrupt` is the person's Ctrl-C. */
function startLoop(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  loops.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    async interrupt(): Promise<CliResult> {
      child.kill("SIGINT");
      const code = await exited(child);
      loops.delete(child);
      return { code: code ?? 1, stdout, stderr };
    },
  };
}

/** Every run fails: the data sync is on, and its URLs and credentials are not set. */
async function enableUnconfiguredSync(dir: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  for (const [key, value] of [
    ["DataSyncEnabled", "true"],
    ["DataSyncIntervalSeconds", "1"],
  ] as const) {
    const set = await runCli(["--data", dir, "config", "set", key, value], env);
    expect(set.code, set.stderr).toBe(0);
  }
}

describe("custhub sync run until Ctrl-C", () => {
  it("prints its summary and exits 1 after a failed run, on its own and through the server", async () => {
    const alone = tempDir();
    const served = tempDir();
    await enableUnconfiguredSync(alone);
    await enableUnconfiguredSync(served);
    const server = await startServe(served);
    for (const dir of [alone, served]) {
      const loop = startLoop(["--data", dir, "sync", "run"]);
      await waitFor(async () => /^run \d+ failed/m.test(loop.stdout()), 60_000);
      const result = await loop.interrupt();
      const where = dir === alone ? "on its own" : "through the server";
      expect(result.code, where).toBe(1);
      expect(result.stdout.trimEnd().split("\n").at(-1), where).toMatch(
        /^stopped after \d+ runs? \(\d+ failed\): delivered 0, failed 0, dead-lettered 0$/,
      );
    }
    expect(await server.stop()).toBe(0);
  });

  it("says on stderr that a paused destination has no run until its pause ends", async () => {
    const dir = tempDir();
    await enableUnconfiguredSync(dir);
    const hub = await openHub({ dataDir: dir, databaseUrl: undefined }, { purpose: "test" });
    await pauseDestination(hub.db, {
      destination: "datasync",
      delayMs: 3_600_000,
      status: 429,
      reason: "the receiver answered 429",
    });
    await hub.close();
    const loop = startLoop(["--data", dir, "sync", "run"]);
    await waitFor(async () => /no run until its pause ends/.test(loop.stderr()), 60_000);
    const result = await loop.interrupt();
    const said = result.stderr.split("\n").filter((line) => line.includes("pause ends"));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^warning: datasync has no run until its pause ends at \S+ \(the receiver answered 429\); `custhub destinations resume datasync` ends it now$/,
    );
  });

  it.runIf(serverUrl)(
    "says on stderr why a run could not start: the database went away",
    async () => {
      const database = await createServerDatabase();
      const env = { DATABASE_URL: database.url };
      const dir = tempDir();
      await enableUnconfiguredSync(dir, env);
      const loop = startLoop(["--data", dir, "sync", "run"], env);
      await waitFor(async () => /^run \d+ failed/m.test(loop.stdout()), 60_000);
      await database.drop();
      await waitFor(async () => /could not start/.test(loop.stderr()), 60_000);
      const result = await loop.interrupt();
      expect(result.stderr).toMatch(/^warning: data-sync run could not start: \S.*$/m);
    },
  );

  it.runIf(serverUrl)("exits 1 with --json too, its summary counting the failed runs", async () => {
    const database = await createServerDatabase();
    try {
      const env = { DATABASE_URL: database.url };
      const dir = tempDir();
      await enableUnconfiguredSync(dir, env);
      const loop = startLoop(["--data", dir, "sync", "run", "--json"], env);
      await waitFor(
        async () => {
          const status = await runCli(["--data", dir, "sync", "status", "--json"], env);
          const { lastRuns } = JSON.parse(status.stdout) as { lastRuns: { outcome: string }[] };
          return lastRuns.some((run) => run.outcome === "failed");
        },
        60_000,
        200,
      );
      const result = await loop.interrupt();
      expect(result.code, result.stderr).toBe(1);
      const summary = JSON.parse(result.stdout) as { runs: number; failedRuns: number };
      expect(summary.failedRuns).toBeGreaterThanOrEqual(1);
    } finally {
      await database.drop();
    }
  });
});
