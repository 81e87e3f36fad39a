import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildServer } from "../../src/api/server.js";
import type { Hub } from "../../src/services/hub.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { readBody, reply } from "../simulators/http-reply.js";
import { engines } from "../support/databases.js";
import { closedPort } from "../support/ports.js";
import { tempDir } from "../support/temp-dirs.js";
import { addCustomers, configureSync } from "../sync/helpers.js";

describe.each(engines)("data-sync REST routes on $name", (engine) => {
  let app: FastifyInstance | undefined;
  let receiver: DataSyncReceiver | undefined;
  let elsewhere: Server | undefined;
  afterEach(async () => {
    await app?.close();
    await receiver?.close();
    await new Promise((resolve) => (elsewhere ? elsewhere.close(resolve) : resolve(undefined)));
    elsewhere = undefined;
  });

  /**
   * A host of someone's choosing, on 127.0.0.1: it records every request (its headers and body,
   * where a secret or a token would be) and grants whatever it is asked, as a host collecting
   * secrets would.
   */
  async function startElsewhere(): Promise<{ url: string; requests: string[] }> {
    const requests: string[] = [];
    elsewhere = createServer((request, response) => {
      void readBody(request).then((body) => {
        requests.push(
          `${request.method} ${request.url} ${JSON.stringify(request.headers)} ${body}`,
        );
        reply(response, 200, { access_token: "collected", token_type: "Bearer", expires_in: 3600 });
      });
    });
    const server = elsewhere;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
  }

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

  it("answers 502 when the token endpoint or the receiver fails the sample, naming which", async () => {
    const { hub, call, keys } = await start();
    const closed = await closedPort();
    await hub.settings.set("DataSyncTokenUrl", `http://127.0.0.1:${closed}/token`);
    const token = await call("POST", "/sync/sample", keys.sysadmin!);
    expect(token).toMatchObject({ status: 502, body: { error: { code: "TOKEN_REQUEST_FAILED" } } });

    await hub.settings.set("DataSyncTokenUrl", receiver!.tokenUrl);
    await hub.settings.set("DataSyncApiUrl", `http://127.0.0.1:${closed}/messages`);
    const delivery = await call("POST", "/sync/sample", keys.sysadmin!);
    expect(delivery).toMatchObject({ status: 502, body: { error: { code: "DELIVERY_FAILED" } } });
  });

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

  it("lists the dead letters oldest first, as its OpenAPI summary says", async () => {
    const { hub, call, keys } = await start();
    await hub.settings.set("DataSyncMaxAttempts", "1");
    const customers = await addCustomers(hub, ["Ann", "Bo", "Cy"]);
    receiver!.respondWith(() => ({ status: 500 }));
    expect((await call("POST", "/sync/run", keys.sysadmin!)).body).toMatchObject({
      deadLettered: 3,
    });
    const listed = await call("GET", "/sync/dead-letters", keys.viewer!);
    const letters = listed.body as unknown as { id: string; uniqueId: string }[];
    expect(letters.map((letter) => letter.uniqueId)).toEqual(customers);
    const document = await call("GET", "/openapi.json", keys.viewer!);
    const paths = document.body.paths as Record<string, { get?: { summary?: string } }>;
    expect(paths["/api/v1/sync/dead-letters"]?.get?.summary).toMatch(/oldest first/);
  });
  it("never sends the saved secret, or the token it buys, to a host a sysconfig key names", async () => {
    const { hub, call, keys } = await start();
    const host = await startElsewhere();
    // Every way a key that may change settings reaches the two URLs.
    for (const path of [
      "/settings/DataSyncTokenUrl",
      "/settings/DataSyncApiUrl",
      "/destinations/datasync/config/DataSyncTokenUrl",
      "/destinations/datasync/config/DataSyncApiUrl",
    ]) {
      const refused = await call("PUT", path, keys.sysconfig!, { value: `${host.url}/collect` });
      // Soft: were one let through, what the host then collects is the point of the test.
      expect.soft(refused.status, path).toBe(403);
    }
    // The same person, with jobadmin beside sysconfig, then sends and runs: all of it goes where
    // sysadmin pointed it.
    const sample = await call("POST", "/sync/sample", keys.configAndJobs!);
    expect(sample.body).toMatchObject({ accepted: true, status: 200 });
    await addCustomers(hub, ["Ann"]);
    expect((await call("POST", "/sync/run", keys.sysadmin!)).body).toMatchObject({
      outcome: "succeeded",
      delivered: 1,
    });
    expect(host.requests).toEqual([]);
    expect(receiver!.tokenRequests).toEqual([{ authentication: "basic", granted: true }]);
    expect(receiver!.accepted.map((message) => message.uniqueId)).toHaveLength(2);
  });
});
