import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { engines } from "../support/databases.js";
import { startServer, type ErrorBody, type RunningServer } from "./helpers.js";

describe.each(engines)("API keys and roles on $name", (engine) => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer(engine);
  });
  afterEach(async () => server.close());

  it("makes keys that are shown once, listed without the key, and stored only as a hash", async () => {
    const created = await server.hub.apiKeys.create({
      name: "pos gateway",
      roles: "operator,viewer",
    });
    expect(created.key).toMatch(/^chk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: "pos gateway",
      roles: ["operator", "viewer"],
      revokedAt: null,
    });
    const listed = (await server.hub.apiKeys.list()).find((key) => key.id === created.id);
    expect(listed).toEqual({
      id: created.id,
      name: "pos gateway",
      roles: ["operator", "viewer"],
      createdAt: created.createdAt,
      revokedAt: null,
    });
    const secret = created.key.split("_").slice(2).join("_");
    const stored = await server.hub.db.query<{ text: string }>(
      "SELECT row_to_json(api_keys)::text AS text FROM api_keys",
    );
    expect(stored.map((row) => row.text).join("\n")).not.toContain(secret);
  });

  it("refuses unknown roles and empty role lists when making a key", async () => {
    await expect(
      server.hub.apiKeys.create({ name: "x", roles: "operator,wizard" }),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      details: { field: "roles", role: "wizard" },
    });
    await expect(server.hub.apiKeys.create({ name: "x", roles: " , " })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
  });

  it("answers 401 UNAUTHORIZED without a key, with a malformed, unknown, altered or revoked key", async () => {
    const created = await server.hub.apiKeys.create({ name: "soon revoked", roles: ["viewer"] });
    const altered = created.key.slice(0, -1) + (created.key.endsWith("A") ? "B" : "A");
    const unknownId = created.key.replace(/^chk_[0-9a-f]{16}/, "chk_0000000000000000");
    const cases: Record<string, Record<string, string>> = {
      none: {},
      "not bearer": { authorization: `Basic ${created.key}` },
      malformed: { authorization: "Bearer nonsense" },
      "unknown id": { authorization: `Bearer ${unknownId}` },
      "altered secret": { authorization: `Bearer ${altered}` },
    };
    for (const [label, headers] of Object.entries(cases)) {
      const reply = await server.call<ErrorBody>("GET", "/api/v1/customers?name=x", { headers });
      expect(reply.status, label).toBe(401);
      expect(reply.body.error.code, label).toBe("UNAUTHORIZED");
      expect(reply.headers.get("www-authenticate"), label).toMatch(/^Bearer/);
    }
    expect(
      (await server.call("GET", "/api/v1/customers?name=x", { key: created.key })).status,
    ).toBe(200);
    await server.hub.apiKeys.revoke(created.id);
    const revoked = await server.call<ErrorBody>("GET", "/api/v1/customers?name=x", {
      key: created.key,
    });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe("UNAUTHORIZED");
    await expect(server.hub.apiKeys.revoke("ffffffffffffffff")).rejects.toMatchObject({
      code: "API_KEY_NOT_FOUND",
    });
  });

  it("checks the key before the request: no key gets 401 even for a malformed body", async () => {
    const reply = await server.call<ErrorBody>("POST", "/api/v1/customers", { raw: "{not json" });
    expect(reply.status).toBe(401);
  });

  it("lets viewer, operator and sysadmin read, and refuses the other roles with 403 FORBIDDEN", async () => {
    for (const role of ["viewer", "operator", "sysadmin"] as const) {
      expect(
        (await server.call("GET", "/api/v1/customers?name=x", { key: role })).status,
        role,
      ).toBe(200);
      expect((await server.call("GET", "/api/v1/imports", { key: role })).status, role).toBe(200);
    }
    for (const role of ["sysconfig", "jobadmin"] as const) {
      for (const path of [
        "/api/v1/customers?name=x",
        "/api/v1/customers/1",
        "/api/v1/imports",
        "/api/v1/imports/1",
      ]) {
        const reply = await server.call<ErrorBody>("GET", path, { key: role });
        expect(reply.status, `${role} ${path}`).toBe(403);
        expect(reply.body.error.code).toBe("FORBIDDEN");
        expect(reply.body.error.details).toMatchObject({ roles: [role] });
      }
    }
  });

  it("lets only operator and sysadmin post imports", async () => {
    const xml =
      '<?xml version="1.0"?>\n<Customers>\n<Customer Action="Add"><OrgName>A</OrgName></Customer>\n</Customers>\n';
    for (const role of ["viewer", "sysconfig", "jobadmin"] as const) {
      const reply = await server.call<ErrorBody>("POST", "/api/v1/imports", {
        key: role,
        raw: xml,
        headers: { "content-type": "application/xml" },
      });
      expect(reply.status, role).toBe(403);
    }
    for (const role of ["operator", "sysadmin"] as const) {
      const reply = await server.call("POST", "/api/v1/imports", {
        key: role,
        raw: xml,
        headers: { "content-type": "application/xml" },
      });
      expect(reply.status, role).toBe(201);
    }
  });

  it("keeps /healthz, /readyz, /metrics and the API description open", async () => {
    for (const path of [
      "/healthz",
      "/readyz",
      "/metrics",
      "/api/v1/openapi.json",
      "/api/v1/docs",
    ]) {
      expect((await server.call("GET", path)).status, path).toBe(200);
    }
  });

  it("has no route that makes keys: the first key is made on the machine", async () => {
    for (const path of ["/api/v1/apikeys", "/api/v1/api-keys", "/api/v1/keys"]) {
      const reply = await server.call<ErrorBody>("POST", path, {
        key: "sysadmin",
        json: { name: "x", roles: ["sysadmin"] },
      });
      expect(reply.status, path).toBe(404);
    }
  });
});
