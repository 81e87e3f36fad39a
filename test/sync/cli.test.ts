/**
 * `custhub credentials set` and `custhub sync ...` as a user runs them: the built binary as a
 * real process, against a receiver simulator, on PGlite and PostgreSQL. Every output of every
 * command is kept, to show at the end that the client secret never appeared in any.
 */
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../support/cli.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { cliEngines, type CliStore } from "./cli-engines.js";
import { addCustomers } from "./helpers.js";

describe.each(cliEngines)("custhub sync CLI on $name", (engine) => {
  let store: CliStore;
  let receiver: DataSyncReceiver;
  const outputs: string[] = [];

  const cli = async (args: string[], input?: string): Promise<CliResult> => {
    const result = await runCli(args, store.env, input);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const json = async (args: string[], input?: string): Promise<unknown> => {
    const result = await cli([...args, "--json"], input);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };
  const configure = (settings: Record<string, string>): Promise<void> =>
    store.openDirect(async (hub) => {
      for (const [key, value] of Object.entries(settings)) await hub.settings.set(key, value);
    });

  beforeAll(async () => {
    store = await engine.setUp();
    receiver = await DataSyncReceiver.start();
    await configure({
      DataSyncEnabled: "true",
      DataSyncApiUrl: receiver.messagesUrl,
      DataSyncTokenUrl: receiver.tokenUrl,
      DataSyncCredentialKeyName: "datasync",
    });
  });
  afterAll(async () => {
    await receiver.close();
    await store.tearDown();
  });

  it("saves the client credentials, the secret read from stdin and never echoed", async () => {
    const empty = await cli(["credentials", "set", "--client-id", receiver.clientId], "\n");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("No client secret");

    const saved = await json(
      ["credentials", "set", "--client-id", receiver.clientId],
      `${receiver.clientSecret}\n`,
    );
    expect(saved).toEqual({
      mapName: "ce_credentials",
      keyName: "datasync",
      saved: true,
      updatedAt: expect.any(String),
    });
    if (engine.name === "pglite") {
      expect(statSync(store.masterKey.keyFile).mode & 0o777).toBe(0o600);
    }
  });

  it("sends the sample message and prints the receiver's answer; exit 1 when it is not 200", async () => {
    expect(await json(["sync", "sample"])).toEqual({
      message: { action: "CUSTOMERCRE", payload: "Test message", type: "CUSTOMER", uniqueId: "0" },
      status: 200,
      body: '{"status":"received"}',
      accepted: true,
    });
    expect(receiver.accepted).toMatchObject([{ uniqueId: "0", payload: "Test message" }]);

    receiver.respondWith(() => ({ status: 503, body: "maintenance" }));
    const refused = await cli(["sync", "sample"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("the receiver answered 503 (not accepted)\nmaintenance");
    receiver.respondWith(() => undefined);
  });

  it("runs the job once: exit 0 when every message went, 1 when one failed", async () => {
    const customers = await store.openDirect((hub) => addCustomers(hub, ["Ann", "Bo", "Cy"]));
    expect(await json(["sync", "run", "--once"])).toMatchObject({
      outcome: "succeeded",
      moved: 3,
      delivered: 3,
      failed: 0,
    });
    expect(receiver.accepted.slice(1).map((message) => message.key)).toEqual(customers);

    await store.openDirect(async (hub) => {
      await hub.settings.set("DataSyncMaxAttempts", "1");
      await addCustomers(hub, ["Dee"]);
    });
    receiver.respondWith(() => ({ status: 500 }));
    const failed = await cli(["sync", "run", "--once"]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      /^run \d+ failed: moved 1, delivered 0, failed 1, dead-lettered 1\n/,
    );
    expect(failed.stderr).toMatch(
      /^warning: data-sync delivery failed \(message \d+, customer \d+, HTTP 500, DELIVERY_REFUSED\)$/m,
    );
    receiver.respondWith(() => undefined);
  });

  it("lists the dead letters, re-queues them, and shows the status", async () => {
    const [letter] = (await json(["sync", "dead-letters", "list"])) as { id: string }[];
    expect(letter).toMatchObject({
      objName: "Customer",
      action: "CREATE",
      attempts: 1,
      lastStatus: 500,
    });
    const neither = await cli(["sync", "dead-letters", "requeue", "--json"]);
    expect(neither.code).toBe(2);
    expect(JSON.parse(neither.stdout)).toMatchObject({ error: { code: "INVALID_REQUEST" } });
    expect(await json(["sync", "dead-letters", "requeue", letter!.id])).toEqual({ requeued: 1 });
    const run = await cli(["sync", "run", "--once"]);
    expect(run.stdout).toMatch(
      /^run \d+ succeeded: moved 0, delivered 1, failed 0, dead-lettered 0\n$/,
    );
    const status = await cli(["sync", "status"]);
    expect(status.stdout).toContain("data sync:    enabled");
    expect(status.stdout).toContain("credentials:  saved in ce_credentials/datasync");
    expect(status.stdout).toContain("dead letters: 0");
    expect(status.stdout).toMatch(/RUN +STARTED +TRIGGER +OUTCOME/);
    expect(status.stdout.match(/ (succeeded|failed) /g)).toEqual([
      " succeeded ",
      " failed ",
      " succeeded ",
    ]);
  });

  it("shows the schedule the job keeps: every DataSyncIntervalSeconds, or DataSyncCron when set", async () => {
    expect((await cli(["sync", "status"])).stdout).toContain(
      "data sync:    enabled, a run every 60 s in `custhub serve`",
    );
    await configure({ DataSyncCron: "*/5 * * * *" });
    const status = await cli(["sync", "status"]);
    expect(status.stdout).toContain(
      "data sync:    enabled, runs at cron `*/5 * * * *` (UTC) in `custhub serve`",
    );
    expect(await json(["sync", "status"])).toMatchObject({
      intervalSeconds: 60,
      cron: "*/5 * * * *",
    });
    await configure({ DataSyncCron: "" });
    expect(await json(["sync", "status"])).toMatchObject({ cron: null });
  });

  it("never printed the client secret, in any output of any command", () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const output of outputs) expect(output).not.toContain(receiver.clientSecret);
  });
});
