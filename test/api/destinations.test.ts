import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildServer } from "../../src/api/server.js";
import type { Hub } from "../../src/services/hub.js";
import { DESTINATIONS } from "../../src/sync/destinations/index.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { DatanuumReceiver } from "../simulators/datanuum-receiver.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";
import { addCustomers, configureSync } from "../sync/helpers.js";

/**
 * The destination settings their saved credentials are sent by (the data-sync URLs of seeds/001,
 * the NewBase and SocialHub API roots), with a value of sysadmin's and another of someone else's.
 */
const CREDENTIAL_SETTINGS = [
  ["datasync", "DataSyncApiUrl"],
  ["datasync", "DataSyncTokenUrl"],
  ["newbase", "baseUrl"],
  ["socialhub", "baseUrl"],
] as const;

type Body = Record<string, unknown> & {
  error?: { code: string; message: string; details: Record<string, unknown> };
};

describe.each(engines)("destination REST routes on $name", (engine) => {
  let app: FastifyInstance | undefined;
  let receiver: DataSyncReceiver | undefined;
  let datanuum: DatanuumReceiver | undefined;
  afterEach(async () => {
    await app?.close();
    await receiver?.close();
    await datanuum?.close();
  });

  async function start(): Promise<{
    hub: Hub;
    call: (
      method: string,
      path: string,
      key: string,
      json?: unknown,
    ) => Promise<{ status: number; body: Body }>;
    keys: Record<string, string>;
  }> {
    const hub = await engine.freshHub();
    receiver = await DataSyncReceiver.start();
    datanuum = await DatanuumReceiver.start();
    const dataSync = await configureSync(hub, receiver);
    const keys: Record<string, string> = {};
    for (const role of ["sysadmin", "sysconfig", "jobadmin", "operator", "viewer"] as const) {
      keys[role] = (await hub.apiKeys.create({ name: role, roles: [role] })).key;
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
      return { status: response.status, body: (await response.json()) as Body };
    };
    return { hub, call, keys };
  }

  it("configures, runs and reports destinations, each route with and without the role", async () => {
    const { hub, call, keys } = await start();
    const dn = datanuum!;
    expect((await call("GET", "/destinations", "chk_bad")).status).toBe(401);
    const list = await call("GET", "/destinations", keys.viewer!);
    expect(list.status).toBe(200);
    expect((list.body as unknown as { name: string }[]).map((item) => item.name)).toEqual([
      "datasync",
      "datanuum",
      "newbase",
      "socialhub",
    ]);

    // Reward-points configurations: sysadmin (they hold an API key); never shown back.
    const config = { code: "DATANUUM_CONFIG_01", apiUrl: dn.apiUrl, apiKey: dn.apiKey };
    expect((await call("POST", "/datanuum/configs", keys.sysconfig!, config)).status).toBe(403);
    const added = await call("POST", "/datanuum/configs", keys.sysadmin!, config);
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ code: "DATANUUM_CONFIG_01", enabled: true });
    expect(JSON.stringify(added.body)).not.toContain(dn.apiKey);
    const missingKey = await call("POST", "/datanuum/configs", keys.sysadmin!, {
      code: "B",
      apiUrl: dn.apiUrl,
    });
    expect(missingKey.status).toBe(400);
    const configs = await call("GET", "/datanuum/configs", keys.viewer!);
    expect(configs.status).toBe(200);
    expect(JSON.stringify(configs.body)).not.toContain(dn.apiKey);
    expect((await call("POST", "/datanuum/configs/NOPE/disable", keys.sysconfig!)).status).toBe(
      404,
    );
    expect(
      (await call("POST", "/datanuum/configs/DATANUUM_CONFIG_01/disable", keys.viewer!)).status,
    ).toBe(403);
    expect(
      (
        await call("PUT", "/datanuum/configs/DATANUUM_CONFIG_01/credentials", keys.sysconfig!, {
          apiKey: "x",
        })
      ).status,
    ).toBe(403);

    // Settings: sysadmin or sysconfig, as the data-sync settings; checked, the key named.
    const path = "/destinations/datanuum/config/rewardPointsConfig";
    expect((await call("PUT", path, keys.jobadmin!, { value: "DATANUUM_CONFIG_01" })).status).toBe(
      403,
    );
    expect((await call("PUT", path, keys.sysconfig!, { value: "DATANUUM_CONFIG_01" })).status).toBe(
      200,
    );
    const bad = await call(
      "PUT",
      "/destinations/datanuum/config/posRegisterField",
      keys.sysconfig!,
      {
        value: "ref5",
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: "INVALID_SETTING",
      details: { key: "posRegisterField" },
    });
    expect((await call("GET", "/destinations/nowhere/config", keys.viewer!)).status).toBe(404);
    const shown = await call("GET", "/destinations/datanuum/config", keys.viewer!);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ name: "datanuum", enabled: false, problem: null });

    // Credentials of a destination: sysadmin only; never returned.
    const fields = { clientId: receiver!.clientId, clientSecret: receiver!.clientSecret };
    expect(
      (await call("PUT", "/destinations/datasync/credentials", keys.sysconfig!, { fields })).status,
    ).toBe(403);
    const saved = await call("PUT", "/destinations/datasync/credentials", keys.sysadmin!, {
      fields,
    });
    expect(saved.status).toBe(200);
    expect(JSON.stringify(saved.body)).not.toContain(receiver!.clientSecret);

    // Enabling: sysadmin or sysconfig.
    expect((await call("POST", "/destinations/datanuum/enable", keys.operator!)).status).toBe(403);
    const enabled = await call("POST", "/destinations/datanuum/enable", keys.sysconfig!);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ name: "datanuum", enabled: true });

    // Runs: sysadmin or jobadmin; by hand for chosen customers, with per-customer results.
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];
    expect((await call("POST", "/destinations/datanuum/run", keys.viewer!, {})).status).toBe(403);
    const run = await call("POST", "/destinations/datanuum/run", keys.jobadmin!, {
      customers: [ann],
    });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      run: { destination: "datanuum", trigger: "api" },
      customers: [{ customerID: ann, outcome: "sent" }],
    });
    expect(dn.customers.get(ann)).toMatchObject({ firstName: "Ann" });
    const runId = (run.body.run as { id: string }).id;
    // A POST with no body runs the queue, as `{}` does.
    const bare = await call("POST", "/destinations/datanuum/run", keys.jobadmin!);
    expect(bare.status).toBe(200);
    expect(bare.body).toMatchObject({ run: { destination: "datanuum" }, customers: null });
    const runs = await call("GET", "/destinations/datanuum/runs", keys.viewer!);
    expect(runs.status).toBe(200);
    expect((runs.body as unknown as { id: string }[]).map((item) => item.id)).toContain(runId);
    const report = await call("GET", `/destinations/datanuum/runs/${runId}`, keys.viewer!);
    expect(report.status).toBe(200);
    expect(report.body.results).toHaveLength(2);
    expect((await call("GET", "/destinations/datasync/runs/abc", keys.viewer!)).status).toBe(400);

    // Dead letters, per destination.
    expect((await call("GET", "/destinations/datanuum/dead-letters", keys.viewer!)).body).toEqual(
      [],
    );
    expect(
      (await call("POST", "/destinations/datanuum/dead-letters/requeue", keys.jobadmin!, {}))
        .status,
    ).toBe(400);
    expect(
      (
        await call("POST", "/destinations/datanuum/dead-letters/requeue", keys.viewer!, {
          all: true,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call("POST", "/destinations/datanuum/dead-letters/requeue", keys.jobadmin!, {
          all: true,
        })
      ).body,
    ).toEqual({ requeued: 0 });
  });

  it("shows a pause the receiver asked for, refuses a run until it ends, and resumes on request", async () => {
    const { hub, call, keys } = await start();
    await addCustomers(hub, ["Ann", "Bo"]);
    receiver!.respondWith(() => ({ status: 429, headers: { "retry-after": "600" } }));
    const first = await call("POST", "/sync/run", keys.jobadmin!);
    // Both went out side by side (in flight together); no run sends after the answer.
    expect(first.body).toMatchObject({ outcome: "failed" });
    const listed = (await call("GET", "/destinations", keys.viewer!)).body as unknown as {
      name: string;
      pause: { pausedUntil: string; status: number; reason: string } | null;
    }[];
    const pause = listed.find((item) => item.name === "datasync")?.pause;
    expect(pause).toMatchObject({ status: 429 });
    expect(pause?.reason).toMatch(/HTTP 429 asked to slow down \(Retry-After 600 s\)$/);
    expect((await call("GET", "/sync/status", keys.viewer!)).body.pause).toEqual(pause);
    const refused = await call("POST", "/sync/run", keys.jobadmin!);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: "DESTINATION_PAUSED",
      details: { destination: "datasync", pausedUntil: pause?.pausedUntil },
    });
    expect((await call("POST", "/destinations/datasync/resume", keys.viewer!)).status).toBe(403);
    const resumed = await call("POST", "/destinations/datasync/resume", keys.jobadmin!);
    expect(resumed.status).toBe(200);
    expect(resumed.body.pause).toBeNull();
    // The messages the 429s made wait are due again at once.
    receiver!.respondWith(() => undefined);
    expect((await call("POST", "/sync/run", keys.jobadmin!)).body).toMatchObject({
      outcome: "succeeded",
      delivered: 2,
    });
  });
  it("changes a setting a destination's credentials are sent by for sysadmin only, as saving them", async () => {
    const { call, keys } = await start();
    // Declared where each destination kind describes its settings; these and no others.
    expect(
      DESTINATIONS.flatMap((definition) =>
        definition.settings
          .filter((spec) => spec.sendsCredentials)
          .map((spec) => [definition.name, spec.key]),
      ),
    ).toEqual(CREDENTIAL_SETTINGS);
    const valueOf = async (name: string, key: string): Promise<unknown> => {
      const shown = await call("GET", `/destinations/${name}/config`, keys.viewer!);
      const settings = shown.body.settings as { key: string; value: unknown }[];
      return settings.find((setting) => setting.key === key)?.value;
    };
    for (const [name, key] of CREDENTIAL_SETTINGS) {
      const path = `/destinations/${name}/config/${key}`;
      const first = "https://hub.example/api/";
      expect((await call("PUT", path, keys.sysadmin!, { value: first })).status).toBe(200);
      for (const value of ["https://elsewhere.example/collect", null]) {
        const refused = await call("PUT", path, keys.sysconfig!, { value });
        expect(refused.status, `${name} ${key} = ${value}`).toBe(403);
        expect(refused.body.error).toMatchObject({
          code: "FORBIDDEN",
          details: { setting: key, needed: ["sysadmin"] },
        });
        expect(refused.body.error?.message).toMatch(
          new RegExp(
            `^api key sysconfig \\(\\w+\\) may not change .*${key}, .*: needs sysadmin\\.$`,
          ),
        );
        expect(await valueOf(name, key)).toBe(first);
      }
      const allowed = await call("PUT", path, keys.sysadmin!, {
        value: "https://hub.example/v2/",
      });
      expect(allowed.status).toBe(200);
      expect(await valueOf(name, key)).toBe("https://hub.example/v2/");
    }
    // The other settings stay sysconfig's.
    for (const [name, key, value] of [
      ["datasync", "DataSyncCredentialKeyName", "datasync"],
      ["newbase", "customerCodeKeyType", "NEWBASE_ID"],
      ["socialhub", "customerCodeKeyType", "TWCUSTID"],
    ] as const) {
      const changed = await call("PUT", `/destinations/${name}/config/${key}`, keys.sysconfig!, {
        value,
      });
      expect(changed.status, `${name} ${key}`).toBe(200);
      expect(await valueOf(name, key)).toBe(value);
    }
  });
});
