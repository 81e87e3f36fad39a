/**
 * The CLI beside a running `custhub serve` (SPEC 1): real processes, no mocks. Commands on a data
 * dir that a server holds are run by that server and print what they print on their own.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lockFileOf } from "../../src/services/data-dir-lock.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { CLI, configureSyncThroughCli, runCli, type CliResult } from "../support/cli.js";
import { createServerDatabase, serverUrl } from "../support/server-database.js";
import { exited, killServers, startServe } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

afterEach(() => killServers());

function customerBlock(index: number, action = "AddorUpdate"): string {
  return `  <Customer Action="${action}">
    <EntityInformation><Individual>
      <Name><Name Location="First">Person${index}</Name><Name Location="Last">Tester</Name></Name>
      <ContactInformation>
        <EMail PrimaryFlag="true" TypeCode="HOME"><EMailAddress>person${index}@example.com</EMailAddress></EMail>
      </ContactInformation>
    </Individual></EntityInformation>
    <AlternateKey TypeCode="TWCUSTID"><AlternateID>T${index}</AlternateID></AlternateKey>
  </Customer>
`;
}

function batchFile(dir: string, name: string, count: number, extra = ""): string {
  const path = join(dir, name);
  let blocks = "";
  for (let index = 1; index <= count; index += 1) blocks += customerBlock(index);
  writeFileSync(
    path,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Customers>\n${blocks}${extra}</Customers>\n`,
  );
  return path;
}

/** Imports, alone, 20,000 blocks that all fail: a review of several MiB. Returns its id. */
async function importRefusedBlocks(dir: string): Promise<string> {
  const file = join(tempDir(), "refused.xml");
  writeFileSync(file, `<Customers>${'<Customer Action="Bogus"/>\n'.repeat(20_000)}</Customers>`);
  const imported = await runCli(["--data", dir, "import", file, "--json"]);
  return (JSON.parse(imported.stdout) as { importId: string }).importId;
}

/** What differs between two data dirs by nature: their paths, clocks and random keys. */
function normalized(result: CliResult, dataDir: string): CliResult {
  const clean = (text: string): string =>
    text
      .split(dataDir)
      .join("<DATA>")
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, "<TIME>")
      .replace(/chk_[A-Za-z0-9_-]+/g, "<KEY>")
      .replace(/\b[0-9a-f]{16}\b/g, "<KEY ID>")
      .replace(/"keyPrefix": "[^"]+"/g, '"keyPrefix": "<PREFIX>"')
      // How long an import took differs from run to run.
      .replace(/"seconds": [\d.]+/g, '"seconds": <SECONDS>')
      .replace(/took [\d.]+ m?s \([\d,]+ blocks\/s\)/g, "took <SECONDS>");
  return { code: result.code, stdout: clean(result.stdout), stderr: clean(result.stderr) };
}

describe("the CLI beside custhub serve on the embedded database", () => {
  it("runs every SPEC 10 command through the server with the output and exit code it has alone", async () => {
    const files = tempDir();
    const good = batchFile(files, "good.xml", 3);
    const mixed = batchFile(
      files,
      "mixed.xml",
      2,
      `  <Customer Action="Update"><CustomerID>999999</CustomerID></Customer>\n`,
    );
    const malformed = join(files, "malformed.xml");
    writeFileSync(malformed, '<Customers>\n<Customer Action="Add">\n</Customers>\n');

    const served = tempDir();
    const alone = tempDir();
    const server = await startServe(served);
    // The server migrated its database as it started; migrate the other one likewise, so that
    // the steps' `migrate` finds both current.
    expect((await runCli(["--data", alone, "migrate"])).code).toBe(0);
    const steps: { args: string[]; input?: string }[] = [
      { args: ["migrate", "--json"] },
      { args: ["config", "set", "DataSyncBatchSize", "200"] },
      { args: ["config", "get", "DataSyncBatchSize", "--json"] },
      { args: ["config", "set", "DataSyncBatchSize", "many"] },
      { args: ["alt-key-types", "add", "LOYALTY"] },
      { args: ["alt-key-types", "list", "--json"] },
      { args: ["attribute-types", "add", "SHOE_SIZE", "--type", "NUMBER", "--max-length", "3"] },
      { args: ["attribute-types", "list", "--json"] },
      { args: ["import", good, "--json"] },
      { args: ["import", mixed, "--fileset", "shop1", "--json"] },
      { args: ["import", malformed, "--json"] },
      { args: ["import", join(files, "missing.xml")] },
      { args: ["import", good, mixed] },
      { args: ["imports", "list", "--json"] },
      { args: ["imports", "show", "2", "--json"] },
      { args: ["customers", "get", "1000", "--json"] },
      { args: ["customers", "get", "1001"] },
      { args: ["customers", "get", "--alt", "TWCUSTID:T2", "--json"] },
      { args: ["customers", "find", "--email", "person3@example.com", "--json"] },
      { args: ["customers", "get", "999999"] },
      { args: ["customers", "export", "1000", "--json"] },
      { args: ["customers", "erase", "1001", "--json"] },
      { args: ["cards", "add", "4000123412341234", "--json"] },
      { args: ["config", "set", "DataSyncCredentialKeyName", "datasync"] },
      { args: ["credentials", "set", "--client-id", "hub", "--json"], input: "s3cret\n" },
      { args: ["credentials", "set", "--client-id", "hub"], input: "" },
      { args: ["sync", "status", "--json"] },
      { args: ["sync", "run", "--once", "--json"] },
      { args: ["sync", "sample"] },
      { args: ["sync", "dead-letters", "list", "--json"] },
      { args: ["sync", "dead-letters", "requeue", "--all", "--json"] },
      { args: ["apikeys", "create", "--name", "ops", "--roles", "operator,viewer"] },
      { args: ["apikeys", "list", "--json"] },
    ];
    for (const step of steps) {
      const through = await runCli(["--data", served, ...step.args], {}, step.input);
      const direct = await runCli(["--data", alone, ...step.args], {}, step.input);
      expect(normalized(through, served), step.args.join(" ")).toEqual(normalized(direct, alone));
    }
    // The server held the data dir all along: every command above went through it.
    expect(JSON.parse(readFileSync(lockFileOf(served), "utf8"))).toMatchObject({
      pid: server.pid,
      purpose: "serve",
    });
    // The import exit codes SPEC 10 pins, through the server.
    const codes = [];
    for (const file of [good, mixed, malformed]) {
      codes.push((await runCli(["--data", served, "import", file])).code);
    }
    expect(codes).toEqual([0, 1, 2]);
    // The secret travelled over the socket only: never in the server's log.
    expect(server.output()).not.toContain("s3cret");
    expect(await server.stop()).toBe(0);
    expect(existsSync(lockFileOf(served))).toBe(false);
    expect(existsSync(join(served, "custhub.sock"))).toBe(false);
  }, 600_000);

  it("keeps the admin socket to the data dir's owner, and refuses a second server naming the first", async () => {
    const dir = tempDir();
    const server = await startServe(dir);
    const socket = JSON.parse(readFileSync(lockFileOf(dir), "utf8")).socket as string;
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const second = await runCli(["--data", dir, "serve", "--port", "0"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`in use by process ${server.pid}`);

    // Ctrl-C at the terminal of a forwarded `sync run` stops it in the server: it prints its
    // summary and exits 0, as it does on its own.
    const looping = spawn(process.execPath, [CLI, "--data", dir, "sync", "run", "--json"], {
      env: { PATH: process.env.PATH },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let printed = "";
    looping.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString("utf8")));
    const ended = exited(looping);
    await waitFor(async () =>
      /"command":"sync run".*forwarded command started/.test(server.output()),
    );
    looping.kill("SIGINT");
    expect(await ended).toBe(0);
    expect(JSON.parse(printed)).toMatchObject({ runs: expect.any(Number), failedRuns: 0 });
    expect(server.output()).toMatch(/"command":"sync run","exitCode":0,.*forwarded command ended/);
    await server.stop();
  });

  it("prints an output longer than one frame of the admin socket: a large import's review", async () => {
    const dir = tempDir();
    const importId = await importRefusedBlocks(dir);
    const alone = await runCli(["--data", dir, "imports", "show", importId, "--json"]);
    // Several frames' worth (4 MiB each).
    expect(alone.stdout.length).toBeGreaterThan(5 * 1024 * 1024);
    const server = await startServe(dir);
    const forwarded = await runCli(["--data", dir, "imports", "show", importId, "--json"]);
    expect(forwarded.stderr).toBe("");
    expect(forwarded.code).toBe(0);
    expect(forwarded.stdout).toBe(alone.stdout);
    await server.stop();
  });

  it("stops on SIGTERM after a forwarded command's terminal went away in the middle of its output", async () => {
    const dir = tempDir();
    const importId = await importRefusedBlocks(dir);
    const server = await startServe(dir);
    // The terminal reads the first piece of a long review, and is gone (closed, killed).
    const client = spawn(
      process.execPath,
      [CLI, "--data", dir, "imports", "show", importId, "--json"],
      { env: { PATH: process.env.PATH }, stdio: ["ignore", "pipe", "ignore"] },
    );
    client.stdout.once("data", () => client.kill("SIGKILL"));
    await exited(client);
    await waitFor(async () => server.output().includes('"command":"imports show","exitCode"'));
    const stopped = await Promise.race([
      server.stop(),
      new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 60_000)),
    ]);
    expect(stopped).toBe(0);
  });

  it("imports 10,000 blocks through the server while its sync job delivers them", async () => {
    const receiver = await DataSyncReceiver.start({ payloadCheck: "shallow" });
    try {
      const dir = tempDir();
      const file = batchFile(tempDir(), "ten-thousand.xml", 10_000);
      const server = await startServe(dir);
      const cli = (args: string[], input?: string) => runCli(["--data", dir, ...args], {}, input);
      await configureSyncThroughCli(cli, receiver);
      expect(
        (await cli(["credentials", "set", "--client-id", receiver.clientId], receiver.clientSecret))
          .code,
      ).toBe(0);
      const imported = await cli(["import", file, "--json"]);
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ total: 10_000, succeeded: 10_000 });
      await waitFor(
        async () => new Set(receiver.accepted.map((message) => message.key)).size === 10_000,
        180_000,
        250,
      );
      expect(receiver.accepted.every((message) => message.action === "CUSTOMERCRE")).toBe(true);
      await server.stop();
    } finally {
      await receiver.close();
    }
  }, 400_000);

  it("leaves nothing to fix by hand after a SIGKILL: the CLI and a new server start, and what was done stands", async () => {
    const dir = tempDir();
    const file = batchFile(tempDir(), "thousand.xml", 1_000);
    const first = await startServe(dir);
    const imported = await runCli(["--data", dir, "import", file, "--json"]);
    expect(JSON.parse(imported.stdout)).toMatchObject({ succeeded: 1_000 });
    await first.kill();
    // The lock and the socket of the dead server are still there; the CLI takes over at once.
    expect(existsSync(lockFileOf(dir))).toBe(true);
    const found = await runCli([
      "--data",
      dir,
      "customers",
      "get",
      "--alt",
      "TWCUSTID:T1000",
      "--json",
    ]);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ customerID: expect.any(String) });
    // A new server starts on the same data dir, and re-importing converges: nothing doubled.
    const second = await startServe(dir);
    const again = await runCli(["--data", dir, "import", file, "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ total: 1_000, succeeded: 1_000, failed: 0 });
    const people = await runCli([
      "--data",
      dir,
      "customers",
      "find",
      "--name",
      "Tester",
      "--limit",
      "5",
      "--json",
    ]);
    expect(people.code).toBe(0);
    await second.kill();
    // A server killed in the middle of an import: the next one starts, the file imports whole.
    const third = await startServe(dir);
    const big = batchFile(tempDir(), "five-thousand.xml", 5_000);
    const interrupted = runCli(["--data", dir, "import", big, "--json"]);
    await waitFor(async () => {
      const list = await runCli(["--data", dir, "imports", "list", "--json"]);
      return list.code === 0 && (JSON.parse(list.stdout) as unknown[]).length === 3;
    }, 60_000);
    await third.kill();
    expect((await interrupted).code).toBe(1);
    const fourth = await startServe(dir);
    // The import the kill cut short is closed as interrupted, with what it had done counted.
    const list = await runCli(["--data", dir, "imports", "list", "--json"]);
    const cut = (JSON.parse(list.stdout) as { status: string }[])[0];
    expect(cut).toMatchObject({
      status: "failed",
      error: { code: "IMPORT_INTERRUPTED", message: expect.stringMatching(/^Interrupted/) },
    });
    const completed = await runCli(["--data", dir, "import", big, "--json"]);
    expect(JSON.parse(completed.stdout)).toMatchObject({ total: 5_000, succeeded: 5_000 });
    await fourth.stop();
  }, 600_000);

  it("takes over a lock whose pid lives on in another program, which does not answer on the socket", async () => {
    const dir = tempDir();
    // This test process is alive, and it is no custhub server: a reused pid, as after a reboot.
    writeFileSync(
      lockFileOf(dir),
      JSON.stringify({
        pid: process.ppid,
        startedAt: "then",
        purpose: "serve",
        socket: join(dir, "custhub.sock"),
      }),
    );
    const result = await runCli(["--data", dir, "config", "get", "DataSyncEnabled"]);
    expect(result).toMatchObject({ code: 0, stdout: "false\n" });
    const server = await startServe(dir);
    await server.stop();
  });
});

describe.runIf(serverUrl)("the CLI beside custhub serve on 'postgres'", () => {
  it("forwards nothing: every process connects to the server on its own", async () => {
    const database = await createServerDatabase();
    try {
      const dir = tempDir();
      const env = { DATABASE_URL: database.url };
      const server = await startServeWithoutLock(dir, env);
      const set = await runCli(["--data", dir, "config", "set", "DataSyncBatchSize", "300"], env);
      expect(set.code).toBe(0);
      expect(existsSync(lockFileOf(dir))).toBe(false);
      const [a, b] = await Promise.all([
        runCli(["--data", dir, "config", "get", "DataSyncBatchSize"], env),
        runCli(["--data", dir, "config", "get", "DataSyncBatchSize"], env),
      ]);
      expect([a.stdout, b.stdout]).toEqual(["300\n", "300\n"]);
      await server.stop();
    } finally {
      await database.drop();
    }
  });
});

/** On PostgreSQL `serve` takes no lock and opens no socket: ready when it says so. */
async function startServeWithoutLock(dir: string, env: NodeJS.ProcessEnv) {
  const { spawn } = await import("node:child_process");
  const { CLI } = await import("../support/cli.js");
  const child = spawn(process.execPath, [CLI, "--data", dir, "serve", "--port", "0"], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  await waitFor(async () => output.includes("custhub is serving"), 60_000);
  return {
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
