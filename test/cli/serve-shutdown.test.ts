/**
 * `custhub serve` stopping (SPEC 9: graceful shutdown that finishes the record in hand), as an
 * operator and a load balancer see it: from the signal on, `/readyz` fails while the listener
 * stays open for the work in hand; a second signal does not cut that work short.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { DataSyncReceiver, type Behaviour } from "../simulators/datasync-receiver.js";
import { configureSyncThroughCli, runCli } from "../support/cli.js";
import { exited, killServers, startServe, type ServeProcess } from "../support/serve-process.js";
import { createServerDatabase, serverUrl } from "../support/server-database.js";
import { stalledBody } from "../support/slow-body.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

afterEach(() => killServers());

const ONE_CUSTOMER = `<?xml version="1.0" encoding="UTF-8"?>
<Customers>
  <Customer Action="AddorUpdate"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>D-1</AlternateID></AlternateKey><Individual><Name><Name Location="FIRST">Drainella</Name></Name></Individual></Customer>
</Customers>
`;

/** The address the server listens on, from its log. */
const baseOf = (server: ServeProcess): string => {
  const url = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(server.output())?.[1];
  if (!url) throw new Error(`no listening address in:\n${server.output()}`);
  return url;
};

/** Resolves with `promise`'s value, or "late" when it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | "late"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(resolve, ms, "late")));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const where = [
  {
    name: "pglite",
    database: async () => ({ env: {} as NodeJS.ProcessEnv, drop: async () => undefined }),
  },
  ...(serverUrl
    ? [
        {
          name: "postgres",
          database: async () => {
            const created = await createServerDatabase();
            return {
              env: { DATABASE_URL: created.url } as NodeJS.ProcessEnv,
              drop: created.drop,
            };
          },
        },
      ]
    : []),
];

describe.each(where)("custhub serve on $name, stopping", ({ database }) => {
  it("fails /readyz from SIGTERM on while a delivery in flight finishes, and a second SIGTERM does not cut it short", async () => {
    const receiver = await DataSyncReceiver.start();
    const { env, drop } = await database();
    try {
      const dir = tempDir();
      const cli = (args: string[], input?: string) => runCli(["--data", dir, ...args], env, input);
      await configureSyncThroughCli(cli, receiver);
      const credentials = await cli(
        ["credentials", "set", "--client-id", receiver.clientId],
        receiver.clientSecret,
      );
      expect(credentials.code, credentials.stderr).toBe(0);
      // The receiver holds its answer to the first message until told.
      let answer!: (behaviour: Behaviour) => void;
      const held = new Promise<Behaviour>((resolve) => (answer = resolve));
      receiver.respondWith(() => ({ later: held }));

      const server = await startServe(dir, { env });
      const base = baseOf(server);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const file = join(tempDir(), "one.xml");
      writeFileSync(file, ONE_CUSTOMER);
      const imported = await cli(["import", file]);
      expect(imported.code, imported.stderr).toBe(0);
      await waitFor(async () => receiver.inFlight.length === 1, 30_000);

      const ended = exited(server.child);
      server.child.kill("SIGTERM");
      // Not ready from the signal on, while the listener still answers (the delivery is in hand).
      await waitFor(async () => (await fetch(`${base}/readyz`)).status === 503);
      const readiness = await fetch(`${base}/readyz`);
      expect(readiness.status).toBe(503);
      expect(await readiness.json()).toEqual({ status: "shutting down" });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);

      // A second SIGTERM: still finishing, still answering.
      server.child.kill("SIGTERM");
      await waitFor(async () => server.output().includes("already shutting down"));
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      expect(server.child.exitCode).toBe(null);

      answer("accept");
      expect(await ended).toBe(0);
      expect(receiver.accepted.map((message) => message.action)).toEqual(["CUSTOMERCRE"]);
      // Recorded as delivered before the database closed: nothing is left to send it again.
      const status = await cli(["sync", "status", "--json"]);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({
        queues: { customerPending: 0, progress: 0, inFlight: 0, retrying: 0, deadLetters: 0 },
      });
      expect(server.output()).not.toContain("Drainella");
    } finally {
      killServers();
      await receiver.close();
      await drop();
    }
  });

  it("with --drain-seconds, keeps serving with /readyz failing for that long when nothing is in hand; a second signal ends the wait", async () => {
    const { env, drop } = await database();
    try {
      const server = await startServe(tempDir(), { env, args: ["--drain-seconds", "600"] });
      const base = baseOf(server);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const ended = exited(server.child);
      server.child.kill("SIGTERM");
      await waitFor(async () => (await fetch(`${base}/readyz`)).status === 503);
      // Still listening while a load balancer's probes see it fail.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(server.child.exitCode).toBe(null);
      server.child.kill("SIGINT");
      expect(await ended).toBe(0);
    } finally {
      killServers();
      await drop();
    }
  });
});

describe.each(where)(
  "custhub serve on $name, a request body that never arrives",
  ({ database }) => {
    it("does not hold the shutdown: the body is cut, its import recorded as not received, and the process exits", async () => {
      const { env, drop } = await database();
      try {
        const dir = tempDir();
        const cli = (args: string[]) => runCli(["--data", dir, ...args], env);
        const created = await cli([
          "apikeys",
          "create",
          "--name",
          "uploads",
          "--roles",
          "operator",
        ]);
        expect(created.code, created.stderr).toBe(0);
        const key = created.stdout.trim().split("\n").at(-1)!;
        const server = await startServe(dir, { env });
        const base = baseOf(server);
        // Headers, the first bytes of the file, then nothing: the import waits for the rest.
        const stalled = await stalledBody(
          base,
          "/api/v1/imports?fileName=stalled.xml",
          { authorization: `Bearer ${key}`, "content-type": "application/xml" },
          '<?xml version="1.0" encoding="UTF-8"?>\n<Customers>\n',
        );
        await waitFor(async () => {
          const reply = await fetch(`${base}/api/v1/imports`, {
            headers: { authorization: `Bearer ${key}` },
          });
          const imports = (await reply.json()) as { status: string }[];
          return imports.some((row) => row.status === "running");
        });

        const ended = exited(server.child);
        server.child.kill("SIGTERM");
        expect(await within(ended, 60_000)).toBe(0);
        expect(await within(stalled.closed, 1_000)).toMatch(/^HTTP\/1\.1 408 /);
        // Its import was closed as a file not received before the database closed.
        const list = await cli(["imports", "list", "--json"]);
        expect(list.code, list.stderr).toBe(0);
        expect(JSON.parse(list.stdout)).toEqual([
          expect.objectContaining({
            fileName: "stalled.xml",
            status: "failed",
            error: expect.objectContaining({
              message: expect.stringContaining("The file could not be received"),
            }),
          }),
        ]);
      } finally {
        killServers();
        await drop();
      }
    });
  },
);

describe.runIf(serverUrl)("custhub serve on postgres, stopping with an import in hand", () => {
  it("finishes and answers the import in hand while a body that never arrives beside it is cut", async () => {
    const created = await createServerDatabase();
    const env = { DATABASE_URL: created.url };
    const holder = new pg.Client({ connectionString: created.url });
    try {
      const dir = tempDir();
      const cli = (args: string[]) => runCli(["--data", dir, ...args], env);
      const key = await cli(["apikeys", "create", "--name", "uploads", "--roles", "operator"]);
      expect(key.code, key.stderr).toBe(0);
      const authorization = `Bearer ${key.stdout.trim().split("\n").at(-1)!}`;
      const server = await startServe(dir, { env });
      const base = baseOf(server);
      // The import's file arrives whole, then its first record waits on the test's lock.
      await holder.connect();
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE customers IN SHARE MODE");
      const imported = fetch(`${base}/api/v1/imports?fileName=one.xml`, {
        method: "POST",
        headers: { authorization, "content-type": "application/xml" },
        body: ONE_CUSTOMER,
      });
      // Awaited below; a failed test must not leave it rejecting unobserved.
      imported.catch(() => undefined);
      await waitFor(async () => {
        const { rows } = await holder.query<{ waiting: number }>(
          "SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted",
        );
        return rows[0]!.waiting > 0;
      });
      const stalled = await stalledBody(
        base,
        "/api/v1/customers",
        { authorization, "content-type": "application/json" },
        '{"individual":',
      );

      const ended = exited(server.child);
      server.child.kill("SIGTERM");
      expect(await within(stalled.closed, 60_000)).toMatch(/^HTTP\/1\.1 408 /);
      expect(server.child.exitCode).toBe(null);
      await holder.query("COMMIT");
      const reply = await imported;
      expect(reply.status).toBe(201);
      expect(await reply.json()).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
      expect(await within(ended, 60_000)).toBe(0);
    } finally {
      killServers();
      await holder.end().catch(() => undefined);
      await created.drop();
    }
  });
});
