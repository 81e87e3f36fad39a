import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMigrations } from "../../src/store/migrate.js";
import { CLI, runCli } from "../support/cli.js";
import { createServerDatabase, serverUrl } from "../support/server-database.js";

interface CliEngine {
  name: string;
  setUp(): Promise<{ env: NodeJS.ProcessEnv; tearDown(): Promise<void> }>;
}

const embedded: CliEngine = {
  name: "pglite",
  async setUp() {
    const dataDir = mkdtempSync(join(tmpdir(), "custhub-cli-"));
    return {
      env: { CUSTHUB_DATA_DIR: dataDir },
      tearDown: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  },
};

const server: CliEngine = {
  name: "postgres",
  async setUp() {
    const database = await createServerDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "custhub-cli-"));
    return {
      env: { CUSTHUB_DATA_DIR: dataDir, DATABASE_URL: database.url },
      tearDown: async () => {
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

const cliEngines = serverUrl ? [embedded, server] : [embedded];

describe.each(cliEngines)("custhub CLI on $name", (engine) => {
  let env: NodeJS.ProcessEnv;
  let tearDown: () => Promise<void>;
  const cli = (...args: string[]) => runCli(args, env);
  const json = async (...args: string[]): Promise<unknown> => {
    const result = await cli(...args, "--json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    ({ env, tearDown } = await engine.setUp());
  });
  afterAll(async () => tearDown());

  it("migrates, and a second run finds nothing to do", async () => {
    // The first command on a new database applies every migration, and its report names them.
    const first = (await json("migrate")) as { applied: string[]; current: number };
    const names = (await listMigrations()).map(
      (migration) => `${String(migration.id).padStart(4, "0")}_${migration.name}`,
    );
    expect(first.applied).toEqual(names);
    expect(first.current).toBeGreaterThanOrEqual(1);
    expect(await json("migrate")).toMatchObject({ applied: [], current: first.current });
  });

  it("says in words which migrations it applied to a new database", async () => {
    const fresh = await engine.setUp();
    try {
      const result = await runCli(["migrate"], fresh.env);
      expect(result.code).toBe(0);
      const latest = (await listMigrations()).at(-1)!;
      expect(result.stdout).toContain("applied 0001_customer_master, ");
      expect(result.stdout).toContain(`; database is at migration ${latest.id}`);
      expect(result.stdout).not.toContain("database is current");
    } finally {
      await fresh.tearDown();
    }
  });

  it("gets and sets settings, refusing unknown keys and bad values with exit code 2", async () => {
    expect(await json("config", "get", "DataSyncCredentialMapName")).toEqual({
      key: "DataSyncCredentialMapName",
      value: "ce_credentials",
    });
    expect(await json("config", "set", "DataSyncEnabled", "Yes")).toEqual({
      key: "DataSyncEnabled",
      value: true,
    });
    expect((await cli("config", "get", "DataSyncEnabled")).stdout.trim()).toBe("true");
    const unknown = await cli("config", "set", "NoSuchSetting", "1", "--json");
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: "INVALID_SETTING" } });
    expect(unknown.stderr).toContain("NoSuchSetting");
    const badUrl = await cli("config", "set", "DataSyncApiUrl", "not a url");
    expect(badUrl.code).toBe(2);
    // In range, but shorter than the default timeout (30) needs: refused, naming both.
    const shortLease = await cli("config", "set", "DataSyncLeaseSeconds", "5");
    expect(shortLease.code).toBe(2);
    expect(shortLease.stderr).toMatch(
      /DataSyncLeaseSeconds 5 .*DataSyncTimeoutSeconds 30.*\(121\)/,
    );
    expect((await cli("config", "get", "DataSyncLeaseSeconds")).stdout.trim()).toBe("300");
  });

  it("manages alternate key types and attribute types", async () => {
    expect(await json("alt-key-types", "list")).toEqual([
      "EMAIL",
      "PHONE",
      "TWCUSTID",
      "XSTORE_ID",
    ]);
    expect(await json("alt-key-types", "add", "loyalty_id")).toEqual({ typeCode: "LOYALTY_ID" });
    expect((await cli("alt-key-types", "add", "LOYALTY_ID")).code).toBe(1);
    await json(
      "attribute-types",
      "add",
      "Spending Level",
      "--type",
      "LIST",
      "--values",
      "Silver,Gold,Platinum",
    );
    await json(
      "attribute-types",
      "add",
      "JACKET SIZE",
      "--type",
      "TEXT",
      "--max-length",
      "10",
      "--unique",
      "--not-editable",
    );
    expect(await json("attribute-types", "list")).toEqual([
      {
        name: "JACKET SIZE",
        dataType: "TEXT",
        maxLength: 10,
        editable: false,
        unique: true,
        values: [],
      },
      {
        name: "Spending Level",
        dataType: "LIST",
        maxLength: null,
        editable: true,
        unique: false,
        values: ["Silver", "Gold", "Platinum"],
      },
    ]);
    const bad = await cli("attribute-types", "add", "X", "--type", "COLOR");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/COLOR/);
  });

  it("gets customers by id and alternate key and finds them, with clear misses", async () => {
    const missing = await cli("customers", "get", "123", "--json");
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: "CUSTOMER_NOT_FOUND" } });
    expect((await cli("customers", "get")).code).toBe(2);
    expect((await cli("customers", "get", "--alt", "EMAIL")).code).toBe(2);
    expect(await json("customers", "find", "--email", "nobody@example.com")).toEqual({
      items: [],
      nextCursor: null,
    });
    const human = await cli("customers", "find", "--name", "nobody");
    expect(human.stdout).toContain("CUSTOMER ID");
  });

  it("refuses a customerID that is not a whole number as bad input, as the REST API does", async () => {
    for (const args of [
      ["customers", "get", "abc"],
      ["customers", "export", "12x"],
      ["customers", "erase", "1e3"],
      ["customers", "segment", "add", "abc", "VIP"],
      ["customers", "franchisee", "remove", "abc", "7"],
      ["customers", "associates", "set", "1.5"],
      ["destinations", "run", "datasync", "--customer", "abc"],
    ]) {
      const result = await cli(...args, "--json");
      expect(result.code, args.join(" ")).toBe(2);
      expect(JSON.parse(result.stdout), args.join(" ")).toMatchObject({
        error: { code: "INVALID_REQUEST", message: expect.stringContaining("customerID") },
      });
    }
  });

  it("refuses an import id that is not a whole number, and a bad --limit, as bad input", async () => {
    for (const args of [
      ["imports", "show", "abc"],
      ["imports", "resume", "12x"],
      ["imports", "list", "--limit", "abc"],
      ["imports", "list", "--limit", "0"],
    ]) {
      const result = await cli(...args, "--json");
      expect(result.code, args.join(" ")).toBe(2);
      expect(JSON.parse(result.stdout), args.join(" ")).toMatchObject({
        error: { code: "INVALID_REQUEST", message: expect.stringMatching(/import id|--limit/) },
      });
      // Never the database's own words.
      expect(result.stderr, args.join(" ")).not.toMatch(/bigint|syntax/);
    }
    // A well-formed id of no import is not found: exit 1.
    expect((await cli("imports", "show", "424242")).code).toBe(1);
  });

  it("refuses an unknown command with exit code 2", async () => {
    const result = await cli("frobnicate");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command");
  });

  it("prints the JSON error document for a usage error under --json, as for any failure", async () => {
    const badLimit = await cli("customers", "find", "--limit", "0", "--json");
    expect(badLimit.code).toBe(2);
    expect(JSON.parse(badLimit.stdout)).toEqual({
      error: {
        code: "INVALID_REQUEST",
        message: expect.stringMatching(/^option '--limit <n>' argument '0' is invalid/),
        details: {},
      },
    });
    // People still get commander's message with the usage on stderr.
    expect(badLimit.stderr).toContain("Usage: custhub customers find");
    const unknown = await cli("customers", "frobnicate", "--json");
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      error: { code: "INVALID_REQUEST", message: expect.stringContaining("frobnicate") },
    });
    // Help is no error: nothing but the help.
    const help = await cli("customers", "find", "--help", "--json");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: custhub customers find");
  });
});

describe("custhub import on pglite", () => {
  const fixtures = new URL("../fixtures/xml/", import.meta.url).pathname;
  let dataDir: string;
  const cli = (...args: string[]) => runCli(["--data", dataDir, ...args]);

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "custhub-cli-import-"));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("says on stderr that a customer read by id is inactive, deleted or merged away", async () => {
    // A data dir of its own: the other tests here count the imports and customers of theirs.
    const ownDir = mkdtempSync(join(tmpdir(), "custhub-cli-inactive-"));
    const cli = (...args: string[]) => runCli(["--data", ownDir, ...args]);
    const file = (name: string, blocks: string) => {
      const path = join(ownDir, name);
      writeFileSync(path, `<Customers>${blocks}</Customers>`);
      return path;
    };
    const key = (id: string) =>
      `<AlternateKey TypeCode="XSTORE_ID"><AlternateID>${id}</AlternateID></AlternateKey>`;
    await cli(
      "import",
      file(
        "inactive-adds.xml",
        ["GONE", "M1", "M2"].map((id) => `<Customer Action="Add">${key(id)}</Customer>`).join(""),
      ),
    );
    const idOf = async (alt: string) =>
      (
        JSON.parse((await cli("customers", "get", "--alt", alt, "--json")).stdout) as {
          customerID: string;
        }
      ).customerID;
    const [gone, m1, m2] = [
      await idOf("XSTORE_ID:GONE"),
      await idOf("XSTORE_ID:M1"),
      await idOf("XSTORE_ID:M2"),
    ];
    await cli(
      "import",
      file(
        "inactive-changes.xml",
        `<Customer Action="Delete">${key("GONE")}</Customer>` +
          `<Customer Action="Merge"><MergeSource>${key("M1")}</MergeSource><MergeTargetSet><MergeTarget>${key("M2")}</MergeTarget></MergeTargetSet></Customer>`,
      ),
    );
    const merged = await idOf("XSTORE_ID:M1");
    const deleted = await cli("customers", "get", gone);
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toContain(`Customer ${gone} is inactive: deleted.`);
    expect((await cli("customers", "get", m2)).stderr).toContain(
      `Customer ${m2} is inactive: merged into customer ${merged}.`,
    );
    expect((await cli("customers", "get", m1)).stderr).toContain("merged into");
    expect((await cli("customers", "get", merged)).stderr).not.toContain("inactive");
    rmSync(ownDir, { recursive: true, force: true });
  });

  it("exits 0 when every block succeeded, 1 when some failed, 2 when a file cannot be read, with the pinned JSON", async () => {
    await cli(
      "attribute-types",
      "add",
      "Spending Level",
      "--type",
      "LIST",
      "--values",
      "Silver,Gold,Platinum",
    );
    const first = await cli("import", `${fixtures}add-customer.xml`, "--json");
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({
      file: "add-customer.xml",
      fileset: "default",
      total: 1,
      succeeded: 1,
      failed: 0,
      warnings: 1,
      seconds: expect.any(Number),
    });
    expect(summary.byAction).toEqual({ Add: { succeeded: 1, failed: 0 } });
    expect(Object.keys(summary)).toEqual(
      expect.arrayContaining([
        "importId",
        "file",
        "fileset",
        "total",
        "succeeded",
        "failed",
        "warnings",
        "byAction",
      ]),
    );

    const second = await cli(
      "import",
      `${fixtures}add-customer.xml`,
      "--fileset",
      "stores",
      "--json",
    );
    expect(second.code).toBe(1);
    expect(JSON.parse(second.stdout)).toMatchObject({ fileset: "stores", failed: 1 });

    const both = await cli(
      "import",
      `${fixtures}home-location.xml`,
      `${fixtures}add-customer.xml`,
      "--json",
    );
    expect(both.code).toBe(1);
    expect(JSON.parse(both.stdout).map((s: { file: string }) => s.file)).toEqual([
      "home-location.xml",
      "add-customer.xml",
    ]);

    const missing = await cli("import", join(dataDir, "nope.xml"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.xml");
    // With several files, one that cannot be read stands in the one JSON document too.
    const mixed = await cli(
      "import",
      `${fixtures}home-location.xml`,
      join(dataDir, "nope.xml"),
      "--json",
    );
    expect(mixed.code).toBe(2);
    expect(JSON.parse(mixed.stdout)).toMatchObject([
      { file: "home-location.xml", total: 2 },
      { file: join(dataDir, "nope.xml"), error: { code: "INVALID_REQUEST" } },
    ]);

    const list = JSON.parse((await cli("imports", "list", "--json")).stdout);
    expect(list.map((row: { id: string }) => row.id)).toEqual(["5", "4", "3", "2", "1"]);
    const shown = await cli("imports", "show", "2");
    expect(shown.stdout).toContain("CUSTOMER_ALREADY_EXISTS");
    expect((await cli("imports", "show", "99")).code).toBe(1);
  });

  it("exports a customer and erases its personal data", async () => {
    const exported = await cli("customers", "export", "1000", "--json");
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout).record.customerID).toBe("1000");
    expect(exported.stdout).toContain("fjames@example.com");
    const erased = await cli("customers", "erase", "1000");
    expect(erased).toMatchObject({ code: 0 });
    expect(erased.stdout).toContain("erased the personal data of customer 1000");
    // The file that created it is kept as received: the operator is told where it is.
    expect(erased.stdout).toContain(
      "these import files may still hold its data (custhub keeps them as received; delete or redact them yourself):",
    );
    expect(erased.stdout).toMatch(/^ {2}\S+archived\S+\.xml$/m);
    expect((await cli("customers", "export", "1000")).stdout).not.toContain("fjames@example.com");
    expect((await cli("customers", "erase", "424242")).code).toBe(1);
  });

  it("exits 2 when nothing could be imported because another process holds the data dir", async () => {
    const held = mkdtempSync(join(tmpdir(), "custhub-cli-held-"));
    try {
      // This test's own process, alive, stands for a running `custhub import`.
      writeFileSync(
        join(held, "custhub.lock"),
        JSON.stringify({
          pid: process.pid,
          startedAt: new Date().toISOString(),
          purpose: "import",
        }),
      );
      const file = join(held, "one.xml");
      writeFileSync(file, '<Customers><Customer Action="Add"></Customer></Customers>');
      const result = await runCli(["--data", held, "import", file, "--json"], {});
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({
        error: { message: expect.stringContaining(`in use by process ${process.pid}`) },
      });
    } finally {
      rmSync(held, { recursive: true, force: true });
    }
  });

  it("exits 2 for a malformed file and says where", async () => {
    const broken = join(dataDir, "broken.xml");
    writeFileSync(
      broken,
      '<Customers>\n<Customer Action="AddorUpdate"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>B0</AlternateID></AlternateKey></Customer><Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>B</AlternateID></Alternate></Customer>\n</Customers>',
    );
    const result = await cli("import", broken);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/stopped: Malformed XML: .* \(line 2, column \d+\)/);
    expect(result.stdout).toMatch(/^ {2}took (\d+ ms|\d+\.\d s) \([\d,]+ blocks\/s\)$/m);
    // The whole file is copied to failed/; the file named on the command line stays.
    expect(result.stdout).toMatch(/^ {2}whole file copied to: .*failed\/broken\.xml$/m);
    expect(existsSync(broken)).toBe(true);
    // One block stands before the bad spot: "1 block", not "1 blocks".
    expect(result.stdout).toMatch(/: 1 block, 1 succeeded, 0 failed/);
    // The review says why the import stopped, too.
    const importId = /import (\d+)\)/.exec(result.stdout)![1]!;
    const shown = await cli("imports", "show", importId);
    expect(shown.stdout).toMatch(/^stopped: Malformed XML: .* \(line 2, column \d+\)$/m);
  });

  it("ends quietly when its reader stops early (| head, a pager quit)", async () => {
    const ownDir = mkdtempSync(join(tmpdir(), "custhub-cli-pipe-"));
    try {
      const file = join(ownDir, "many.xml");
      writeFileSync(file, `<Customers>${'<Customer Action="Bogus"/>\n'.repeat(3_000)}</Customers>`);
      const imported = await runCli(["--data", ownDir, "import", file, "--json"]);
      const { importId } = JSON.parse(imported.stdout) as { importId: string };
      // The review is far longer than a pipe holds; the reader takes its first chunk and leaves.
      const child = spawn(
        process.execPath,
        [CLI, "--data", ownDir, "imports", "show", importId, "--json"],
        { env: { PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.once("data", () => child.stdout.destroy());
      const [code] = (await once(child, "close")) as [number | null];
      expect(stderr).toBe("");
      expect(code).toBe(0);
    } finally {
      rmSync(ownDir, { recursive: true, force: true });
    }
  });
});
