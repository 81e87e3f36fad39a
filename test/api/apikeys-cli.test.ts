import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHub } from "../../src/services/hub.js";
import { runCli } from "../support/cli.js";
import { createServerDatabase, serverUrl } from "../support/server-database.js";

interface CliEngine {
  name: "pglite" | "postgres";
  setUp(): Promise<{ dataDir: string; databaseUrl?: string; tearDown(): Promise<void> }>;
}

const embedded: CliEngine = {
  name: "pglite",
  async setUp() {
    const dataDir = mkdtempSync(join(tmpdir(), "custhub-keys-"));
    return { dataDir, tearDown: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

const server: CliEngine = {
  name: "postgres",
  async setUp() {
    const database = await createServerDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "custhub-keys-"));
    return {
      dataDir,
      databaseUrl: database.url,
      tearDown: async () => {
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

const cliEngines = serverUrl ? [embedded, server] : [embedded];

describe.each(cliEngines)("custhub apikeys on $name", (engine) => {
  let dataDir: string;
  let databaseUrl: string | undefined;
  let tearDown: () => Promise<void>;
  const cli = (...args: string[]) =>
    runCli(args, {
      CUSTHUB_DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    });

  beforeAll(async () => {
    ({ dataDir, databaseUrl, tearDown } = await engine.setUp());
  });
  afterAll(async () => tearDown());

  it("creates a key printed as the last line, lists keys without it, revokes by id", async () => {
    const created = await cli(
      "apikeys",
      "create",
      "--name",
      "first admin",
      "--roles",
      "sysadmin,viewer",
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const lines = created.stdout.trimEnd().split("\n");
    const key = lines.at(-1)!;
    expect(key).toMatch(/^chk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const id = key.slice(4, 20);

    const listed = await cli("apikeys", "list", "--json");
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key.slice(21));
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        id,
        name: "first admin",
        roles: ["sysadmin", "viewer"],
        createdAt: expect.any(String),
        revokedAt: null,
      },
    ]);
    const human = await cli("apikeys", "list");
    expect(human.stdout).toContain(id);
    expect(human.stdout).not.toContain(key.slice(21));

    const hub = await openHub({ dataDir, databaseUrl });
    try {
      expect((await hub.apiKeys.authenticate(key)).roles).toEqual(["sysadmin", "viewer"]);
    } finally {
      await hub.close();
    }

    const revoked = await cli("apikeys", "revoke", id, "--json");
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id, revokedAt: expect.any(String) });
    const missing = await cli("apikeys", "revoke", "ffffffffffffffff", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: "API_KEY_NOT_FOUND" } });
  });

  it("prints exactly one JSON document with --json, the key in it", async () => {
    const created = await cli("apikeys", "create", "--name", "ci", "--roles", "operator", "--json");
    expect(created.code).toBe(0);
    const document = JSON.parse(created.stdout) as { key: string; roles: string[] };
    expect(document.key).toMatch(/^chk_/);
    expect(document.roles).toEqual(["operator"]);
  });

  it("refuses an unknown role with exit code 2 and a missing option with usage", async () => {
    const unknown = await cli("apikeys", "create", "--name", "x", "--roles", "root", "--json");
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      error: { code: "INVALID_REQUEST", details: { role: "root" } },
    });
    const noRoles = await cli("apikeys", "create", "--name", "x");
    expect(noRoles.code).toBe(2);
    expect(noRoles.stderr).toContain("--roles");
  });
});
