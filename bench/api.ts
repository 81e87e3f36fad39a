/**
 * bench:api — `custhub serve` on 127.0.0.1 under load from undici's Pool (issue 6, "Measured, not
 * asserted"), on PGlite and, given a URL, on PostgreSQL: requests/s and p50/p99 latency for
 * `GET /api/v1/customers/{id}` (with the record cache `serve` keeps by default, and again without
 * it) and `POST /api/v1/customers/add-or-update`, a fixed-rate write run at `--rate` requests/s,
 * and the same reads against a bare Fastify route returning a fixed record (the ceiling), with the
 * ratios. Each run is bounded by `--seconds` and by `--max-requests`.
 *
 * The issue names autocannon; it is not a dependency, and undici (already one) drives the same
 * closed-loop load: `--connections` workers, each sending its next request when the last returns.
 *
 *   npm run build && npm run bench:api -- [--seconds 5] [--connections 32] [--rate 500]
 *     [--seed 1000] [--max-requests 200000] [--database-url postgres://...] [--engine pglite|postgres|both]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import pg from "pg";
import { Pool } from "undici";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    rate: { type: "string", default: "500" },
    seed: { type: "string", default: "1000" },
    "max-requests": { type: "string", default: "200000" },
    "database-url": { type: "string" },
    engine: { type: "string", default: "both" },
    "ceiling-server": { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rate = Number(values.rate);
const seedCount = Number(values.seed);
const maxRequests = Number(values["max-requests"]);
const serverUrl = values["database-url"] ?? process.env.BENCH_DATABASE_URL;
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

interface Request {
  method: "GET" | "POST";
  path: string;
  body?: string;
}

interface Result {
  requests: number;
  failures: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

function resultOf(latencies: number[], failures: number, elapsedMs: number): Result {
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failures,
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** Sends one request; its latency in ms, or null when it did not answer 2xx. */
async function send(pool: Pool, key: string, request: Request): Promise<number | null> {
  const started = performance.now();
  const response = await pool.request({
    method: request.method,
    path: request.path,
    headers: {
      authorization: `Bearer ${key}`,
      ...(request.body ? { "content-type": "application/json" } : {}),
    },
    body: request.body,
  });
  await response.body.dump();
  const elapsed = performance.now() - started;
  return response.statusCode >= 200 && response.statusCode < 300 ? elapsed : null;
}

/** Closed loop: `connections` workers until the time or the request budget is spent. */
async function closedLoop(
  origin: string,
  key: string,
  next: (index: number) => Request,
): Promise<Result> {
  const pool = new Pool(origin, { connections });
  const latencies: number[] = [];
  let failures = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && issued < maxRequests) {
      const latency = await send(pool, key, next(issued++)).catch(() => null);
      if (latency === null) failures += 1;
      else latencies.push(latency);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const result = resultOf(latencies, failures, performance.now() - started);
  await pool.close();
  return result;
}

/** Open loop at a fixed rate: requests leave on schedule whether or not earlier ones returned. */
async function fixedRate(
  origin: string,
  key: string,
  next: (index: number) => Request,
): Promise<Result> {
  const pool = new Pool(origin, { connections: connections * 4 });
  const total = Math.min(Math.round(rate * seconds), maxRequests);
  const latencies: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      send(pool, key, next(index))
        .catch(() => null)
        .then((latency) => {
          if (latency === null) failures += 1;
          else latencies.push(latency);
        }),
    );
  }
  await Promise.all(inFlight);
  const result = resultOf(latencies, failures, performance.now() - started);
  await pool.close();
  return result;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const answered = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within 60 s`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`custhub ${args[0]} exited ${code}`)),
    );
  });
}

const FIXED_RECORD = JSON.stringify({
  customerID: "1000",
  orgName: null,
  entityInformation: { individual: { name: { name: [{ location: "FIRST", value: "Ann" }] } } },
  alternateKey: [{ typeCode: "TWCUSTID", alternateID: "B1" }],
});

/** The ceiling: a bare Fastify route answering a fixed record, in a process of its own. */
async function serveCeiling(): Promise<void> {
  const app = Fastify();
  app.get("/record", async (_request, reply) => reply.type("application/json").send(FIXED_RECORD));
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  process.stdout.write(`${address}\n`);
  process.once("SIGTERM", () => void app.close());
}

async function startCeiling(): Promise<{ origin: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--ceiling-server"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  return { origin: chunk.toString().trim(), child };
}

const addOrUpdate = (index: number): Request => ({
  method: "POST",
  path: "/api/v1/customers/add-or-update",
  // Keys repeat every 2 x seed requests: about half of the writes create, half update.
  body: JSON.stringify({
    individual: {
      names: { FIRST: `bench${index % 97}`, LAST: `Smith-${index % 89}` },
      emails: [{ typeCode: "HOME", primaryFlag: true, emailAddress: `bench${index}@example.com` }],
      addresses: [
        {
          typeCode: "HOME",
          primaryFlag: true,
          addressLine1: `${index} Main St`,
          postalCode: "44139",
        },
      ],
    },
    alternateKeys: [{ typeCode: "TWCUSTID", alternateID: `B${index % (2 * seedCount)}` }],
  }),
});

async function benchEngine(
  name: string,
  databaseUrl: string | undefined,
  ceiling: Result,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "custhub-bench-api-"));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    CUSTHUB_DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const key = (await runCli(["apikeys", "create", "--name", "bench", "--roles", "operator"], env))
    .trim()
    .split("\n")
    .at(-1)!;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const startServe = async (...flags: string[]): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [CLI, "serve", "--port", String(port), ...flags], {
      env,
      stdio: "ignore",
    });
    await waitUntilAnswering(`${origin}/readyz`, child);
    return child;
  };
  let serve = await startServe();
  try {
    const seedPool = new Pool(origin, { connections: 8 });
    const ids: string[] = [];
    for (let index = 0; index < seedCount; index += 8) {
      const batch = Array.from({ length: Math.min(8, seedCount - index) }, (_, at) => index + at);
      const replies = await Promise.all(
        batch.map(async (at) => {
          const request = addOrUpdate(at);
          const response = await seedPool.request({
            method: "POST",
            path: request.path,
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: request.body,
          });
          return (await response.body.json()) as { customerID: string };
        }),
      );
      ids.push(...replies.map((reply) => reply.customerID));
    }
    await seedPool.close();

    const reads = await closedLoop(origin, key, (index) => ({
      method: "GET",
      path: `/api/v1/customers/${ids[index % ids.length]!}`,
    }));
    const writes = await closedLoop(origin, key, (index) => addOrUpdate(seedCount + index));
    const paced = await fixedRate(origin, key, (index) => addOrUpdate(index * 7));
    // The same reads with no records kept in memory: every one a database round trip.
    await stop(serve);
    serve = await startServe("--record-cache-mb", "0");
    const uncached = await closedLoop(origin, key, (index) => ({
      method: "GET",
      path: `/api/v1/customers/${ids[index % ids.length]!}`,
    }));
    const line = (label: string, result: Result, ratio?: string) =>
      `  ${label.padEnd(46)} ${String(result.requests).padStart(7)} req ${result.perSecond.toFixed(0).padStart(7)}/s  p50 ${result.p50.toFixed(2).padStart(7)} ms  p99 ${result.p99.toFixed(2).padStart(7)} ms  failed ${result.failures}${ratio ? `  ${ratio}` : ""}`;
    console.log(
      `\n${name}: ${seedCount} customers seeded, ${connections} connections, ${seconds} s per run`,
    );
    console.log(line("bare Fastify, fixed record (ceiling)", ceiling));
    console.log(
      line(
        "GET /api/v1/customers/{id}",
        reads,
        `${((reads.perSecond / ceiling.perSecond) * 100).toFixed(0)}% of ceiling (target >= 50%)`,
      ),
    );
    console.log(
      line(
        "GET, no record cache (--record-cache-mb 0)",
        uncached,
        `${((uncached.perSecond / ceiling.perSecond) * 100).toFixed(0)}% of ceiling`,
      ),
    );
    console.log(
      line(
        "POST /api/v1/customers/add-or-update",
        writes,
        `${((writes.perSecond / ceiling.perSecond) * 100).toFixed(0)}% of ceiling`,
      ),
    );
    console.log(
      line(`POST add-or-update at ${rate}/s`, paced, `(target p99 < 20 ms on PostgreSQL)`),
    );
  } finally {
    await stop(serve);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function withServerDatabase(work: (url: string) => Promise<void>): Promise<void> {
  const name = `bench_api_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  try {
    await work(url.toString());
  } finally {
    const cleanup = new pg.Client({ connectionString: serverUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  }
}

async function main(): Promise<void> {
  if (values["ceiling-server"]) return serveCeiling();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first.`);
  const ceilingServer = await startCeiling();
  let ceiling: Result;
  try {
    ceiling = await closedLoop(ceilingServer.origin, "none", () => ({
      method: "GET",
      path: "/record",
    }));
  } finally {
    await stop(ceilingServer.child);
  }
  if (values.engine !== "postgres") await benchEngine("PGlite", undefined, ceiling);
  if (values.engine !== "pglite") {
    if (serverUrl) await withServerDatabase((url) => benchEngine("PostgreSQL", url, ceiling));
    else console.log("\nPostgreSQL: skipped (give --database-url or BENCH_DATABASE_URL)");
  }
}

await main();
