import { afterEach, describe, expect, it } from "vitest";
import { SETTING_KEYS, SETTINGS } from "../../src/domain/settings.js";
import { engines } from "../support/databases.js";
import { startServer, type ErrorBody, type RunningServer } from "./helpers.js";

/**
 * The settings that decide where the saved data-sync credentials go (seeds/001: the client secret
 * to `DataSyncTokenUrl`, the token it buys to `DataSyncApiUrl`), and a URL for each.
 */
const CREDENTIAL_URLS = [
  ["DataSyncApiUrl", "https://elsewhere.example/messages"],
  ["DataSyncTokenUrl", "https://elsewhere.example/token"],
] as const;

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
  it("changes a setting that decides where the saved credentials are sent for sysadmin only, as saving them", async () => {
    server = await startServer(engine);
    const call = server.call.bind(server);
    // Declared where the settings are described; these and no others.
    const declared = SETTING_KEYS.filter((key) => "sendsCredentials" in SETTINGS[key]);
    expect(declared).toEqual(CREDENTIAL_URLS.map(([key]) => key));
    for (const [key, url] of CREDENTIAL_URLS) {
      const path = `/api/v1/settings/${key}`;
      await call("PUT", path, { key: "sysadmin", json: { value: "https://hub.example/first" } });
      for (const value of [url, null]) {
        const refused = await call<ErrorBody>("PUT", path, { key: "sysconfig", json: { value } });
        expect(refused.status, `${key} = ${value}`).toBe(403);
        expect(refused.body.error).toMatchObject({
          code: "FORBIDDEN",
          details: { setting: key, needed: ["sysadmin"] },
        });
        expect(refused.body.error.message).toMatch(
          new RegExp(
            `^api key test sysconfig \\(\\w+\\) may not change ${key}, which decides where the saved data-sync credentials are sent: needs sysadmin\\.$`,
          ),
        );
        expect((await call("GET", path, { key: "sysadmin" })).body).toEqual({
          key,
          value: "https://hub.example/first",
        });
      }
      const allowed = await call("PUT", path, { key: "sysadmin", json: { value: url } });
      expect(allowed).toMatchObject({ status: 200, body: { key, value: url } });
    }
    // The other settings stay sysconfig's, those of the credentials' place included.
    for (const [key, value] of [
      ["DataSyncCredentialKeyName", "datasync"],
      ["DataSyncBatchSize", 100],
    ] as const) {
      const changed = await call("PUT", `/api/v1/settings/${key}`, {
        key: "sysconfig",
        json: { value },
      });
      expect(changed).toMatchObject({ status: 200, body: { key, value } });
    }
  });
});
