import { afterEach, describe, expect, it } from "vitest";
import { engines } from "../support/databases.js";
import { startServer, type RunningServer } from "./helpers.js";

describe.each(engines)("settings routes on $name", (engine) => {
  let server: RunningServer | undefined;
  afterEach(async () => server?.close());

  it("reads and changes the documents' settings with sysconfig or sysadmin, checked as the CLI checks them", async () => {
    server = await startServer(engine);
    const call = server.call.bind(server);
    expect((await call("GET", "/api/v1/settings", { key: "viewer" })).status).toBe(403);
    const all = await call<Record<string, unknown>>("GET", "/api/v1/settings", {
      key: "sysconfig",
    });
    expect(all.body).toMatchObject({
      DataSyncEnabled: false,
      DataSyncCredentialMapName: "ce_credentials",
    });
    expect(
      (
        await call("PUT", "/api/v1/settings/DataSyncEnabled", {
          key: "operator",
          json: { value: true },
        })
      ).status,
    ).toBe(403);
    const set = await call("PUT", "/api/v1/settings/DataSyncEnabled", {
      key: "sysconfig",
      json: { value: "Yes" },
    });
    expect(set).toMatchObject({ status: 200, body: { key: "DataSyncEnabled", value: true } });
    expect(
      (
        await call("PUT", "/api/v1/settings/DataSyncBatchSize", {
          key: "sysadmin",
          json: { value: 250 },
        })
      ).body,
    ).toEqual({
      key: "DataSyncBatchSize",
      value: 250,
    });
    const bad = await call<{ error: { code: string } }>("PUT", "/api/v1/settings/DataSyncApiUrl", {
      key: "sysadmin",
      json: { value: "nope" },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "INVALID_SETTING" } } });
    // Within its range, yet the default lease (300) would not outlast it: refused, not stored.
    const apart = await call<{ error: { code: string; message: string } }>(
      "PUT",
      "/api/v1/settings/DataSyncTimeoutSeconds",
      { key: "sysadmin", json: { value: 90 } },
    );
    expect(apart).toMatchObject({ status: 400, body: { error: { code: "INVALID_SETTING" } } });
    expect(apart.body.error.message).toMatch(/DataSyncLeaseSeconds of at least .*\(361\)/);
    expect(
      (await call("GET", "/api/v1/settings/DataSyncTimeoutSeconds", { key: "sysadmin" })).body,
    ).toEqual({ key: "DataSyncTimeoutSeconds", value: 30 });
    expect((await call("GET", "/api/v1/settings/NoSuchSetting", { key: "sysadmin" })).status).toBe(
      400,
    );
    expect(
      (await call("GET", "/api/v1/settings/DataSyncEnabled", { key: "jobadmin" })).body,
    ).toEqual({ key: "DataSyncEnabled", value: true });
  });
});
