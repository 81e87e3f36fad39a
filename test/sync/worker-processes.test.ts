/**
 * The job in worker processes, the built `custhub` run as a user would: a worker killed mid-run
 * loses nothing (SPEC 6: "A worker killed mid-delivery loses nothing: its claimed rows return
 * after a lease timeout"), and `custhub serve` runs the job on its schedule and stops it on
 * SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataSync } from "../../src/sync/data-sync.js";
import { CLI } from "../support/cli.js";
import { waitFor } from "../support/wait.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { cliEngines, type CliStore } from "./cli-engines.js";
import { addCustomers, renameAll, sysadmin, versionOf } from "./helpers.js";

/** A CLI process left running (a worker), with its exit and its output so far. */
function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; exit: Promise<number | string>; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  return { child, exit, output: () => output };
}

describe.each(cliEngines)("sync worker processes on $name", (engine) => {
  let store: CliStore;

  beforeAll(async () => {
    store = await engine.setUp();
  });
  afterAll(async () => {
    await store.tearDown();
  });

  it("loses nothing when a worker is killed with SIGKILL mid-run: the restart sends all, in order", async () => {
    const killed = await DataSyncReceiver.start();
    const customersCount = 60;
    const messages = customersCount * 3;
    const concurrency = 4;
    // Slow enough that the kill lands mid-run.
    killed.delayMs = 10;
    const customers = await store.openDirect(async (hub) => {
      for (const [key, value] of Object.entries({
        DataSyncEnabled: "true",
        DataSyncCredentialKeyName: "datasync",
        DataSyncApiUrl: killed.messagesUrl,
        DataSyncTokenUrl: killed.tokenUrl,
        DataSyncConcurrency: String(concurrency),
        DataSyncBatchSize: "50",
        DataSyncTimeoutSeconds: "1",
        DataSyncLeaseSeconds: "5",
        DataSyncIntervalSeconds: "1",
      })) {
        await hub.settings.set(key, value);
      }
      // The master key as the CLI finds it: the environment, or the data dir's key file.
      await new DataSync(hub, { masterKey: store.masterKey }).saveCredentials(sysadmin, {
        clientId: killed.clientId,
        clientSecret: killed.clientSecret,
      });
      const added = await addCustomers(
        hub,
        Array.from({ length: customersCount }, (_, index) => `Customer${index}`),
      );
      await renameAll(hub, added, "v2");
      await renameAll(hub, added, "v3");
      return added;
    });
    const first = startCli(["sync", "run", "--once"], store.env);
    await waitFor(async () => killed.accepted.length >= 30, 60_000, 10);
    first.child.kill("SIGKILL");
    expect(await first.exit).toBe("SIGKILL");
    // What the killed worker sent before it died is still being answered (10 ms each).
    await waitFor(async () => killed.inFlight.length === 0);
    const atKill = killed.accepted.length;
    expect(atKill).toBeLessThan(messages);

    // The killed worker's claimed rows come back when their lease (5 s) ends.
    const second = startCli(["sync", "run"], store.env);
    const distinct = (): number => new Set(killed.accepted.map((message) => message.uniqueId)).size;
    await waitFor(async () => distinct() === messages, 120_000);
    second.child.kill("SIGTERM");
    expect(await second.exit).toBe(0);
    expect(second.output()).toMatch(/run \d+ succeeded/);

    // At-least-once: only what the killed worker had sent, and not yet recorded, comes twice.
    const sentByKilled = new Set(
      killed.accepted.slice(0, atKill).map((message) => message.uniqueId),
    );
    const seen = new Map<string, number>();
    for (const message of killed.accepted) {
      seen.set(message.uniqueId, (seen.get(message.uniqueId) ?? 0) + 1);
    }
    const repeated = [...seen].filter(([, times]) => times > 1);
    expect(repeated.every(([id, times]) => times === 2 && sentByKilled.has(id))).toBe(true);
    for (const customer of customers) {
      const received = killed.acceptedFor(customer);
      // Never a later message before an earlier one; a repeat only right after itself.
      const order = received.map((message) => BigInt(message.uniqueId));
      expect(order).toEqual([...order].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect([...new Set(received.map(versionOf))]).toEqual(["CUSTOMERCRE", "v2", "v3"]);
    }
    await killed.close();
    await store.openDirect(async (hub) => {
      expect((await hub.health()).queues).toEqual({
        customerPending: 0,
        transactionPending: 0,
        progress: 0,
      });
      const [killedRun] = await hub.db.query<{ outcome: string }>(
        "SELECT outcome FROM data_sync_job_runs WHERE trigger = 'once' ORDER BY id DESC LIMIT 1",
      );
      // The killed run never finished: `running`, or `abandoned` once a later run saw it.
      expect(["running", "abandoned"]).toContain(killedRun?.outcome);
    });
  });

  it("runs the job on its schedule inside custhub serve, and stops it on SIGTERM", async () => {
    const receiver = await DataSyncReceiver.start();
    const customers = await store.openDirect(async (hub) => {
      await hub.settings.set("DataSyncApiUrl", receiver.messagesUrl);
      await hub.settings.set("DataSyncTokenUrl", receiver.tokenUrl);
      await new DataSync(hub, { masterKey: store.masterKey }).saveCredentials(sysadmin, {
        clientId: receiver.clientId,
        clientSecret: receiver.clientSecret,
      });
      return addCustomers(hub, ["Served1", "Served2"]);
    });
    const serve = startCli(["serve", "--port", "0"], store.env);
    await waitFor(async () => receiver.accepted.length === 2, 60_000);
    serve.child.kill("SIGTERM");
    expect(await serve.exit).toBe(0);
    expect(receiver.accepted.map((message) => message.key)).toEqual(customers);
    expect(serve.output()).toContain("data-sync run finished");
    expect(serve.output()).not.toContain(receiver.clientSecret);
    await receiver.close();
  });
});
