import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildServer } from "../../src/api/server.js";
import type { Hub } from "../../src/services/hub.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";
import { addCustomers, configureSync } from "../sync/helpers.js";

describe.each(engines)("data-sync REST routes on $name", (engine) => {
  let app: FastifyInstance | undefined;
  let receiver: DataSyncReceiver | undefined;
  afterEach(async () => {
    await app?.close();
    await receiver?.close();
  });

  async function start(): Promise<{
    hub: Hub;
    call: (
      method: string,
      path: string,
      key: string,
      json?: unknown,
    ) => Promise<{ status: number; body: Record<string, unknown> }>;
    keys: Record<string, string>;
  }> {
    const hub = await engine.freshHub();
    receiver = await DataSyncReceiver.start();
    const dataSync = await configureSync(hub, receiver);
    const keys: Record<string, string> = {};
    for (const [name, roles] of Object.entries({
      sysadmin: ["sysadmin"],
      viewer: ["viewer"],
      sysconfig: ["sysconfig"],
      configAndJobs: ["sysconfig", "jobadmin"],
    } as const)) {
      keys[name] = (await hub.apiKeys.create({ name, roles: [...roles] })).key;
    }
    app = buildServer(hub, { dataDir: tempDir(), dataSync });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const call = async (method: string, path: string, key: string, json?: unknown) => {
      const response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(json === undefined ? {} : { "content-type": "application/json" }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    return { hub, call, keys };
  }

  it("sends the sample message for sysadmin or sysconfig+jobadmin only, and runs the job", async () => {
    const { hub, call, keys } = await start();
    expect((await call("POST", "/sync/sample", keys.viewer!)).status).toBe(403);
    expect((await call("POST", "/sync/sample", keys.sysconfig!)).status).toBe(403);
    const sample = await call("POST", "/sync/sample", keys.configAndJobs!);
    expect(sample.status).toBe(200);
    expect(sample.body).toMatchObject({ accepted: true, status: 200 });
    expect(receiver!.accepted.at(-1)).toMatchObject({ payload: "Test message", uniqueId: "0" });

    await addCustomers(hub, ["Ann", "Bo"]);
    const run = await call("POST", "/sync/run", keys.sysadmin!);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ outcome: "succeeded", delivered: 2 });
    const status = await call("GET", "/sync/status", keys.viewer!);
    expect(status.status).toBe(200);
    expect(JSON.stringify(status.body)).not.toContain(receiver!.clientSecret);
    expect((await call("GET", "/sync/dead-letters", keys.viewer!)).status).toBe(200);
    expect((await call("POST", "/sync/dead-letters/requeue", keys.sysadmin!, {})).status).toBe(400);
    expect(
      (await call("POST", "/sync/dead-letters/requeue", keys.sysadmin!, { all: true })).body,
    ).toEqual({ requeued: 0 });
    expect((await call("POST", "/sync/run", "chk_bad")).status).toBe(401);
  });
});
