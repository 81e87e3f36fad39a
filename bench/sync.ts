/**
 * bench:sync — N queued customer changes delivered to the data-sync receiver simulator on
 * 127.0.0.1, by the sync job (custhub) and by a baseline built the way most Node teams would: a
 * pg-boss 9 queue on the same PostgreSQL server and a worker doing one `fetch` per job.
 *
 *   npm run bench:sync -- [--count 100000] [--database-url postgres://...] [--concurrency 32]
 *                          [--paced-rate 1000] [--paced-seconds 10]
 *
 * Each measured system runs in a process of its own (its peak RSS is its own), the receiver in
 * another (it must not share an event loop with the sender). Two figures per system:
 * - throughput: N changes queued first, then delivered; messages/s, and enqueue-to-delivery
 *   latency, which here is mostly the wait in the backlog;
 * - paced: changes queued at a steady rate below capacity while the worker runs on its schedule
 *   (custhub: DataSyncIntervalSeconds 1, its shortest; pg-boss: a 100 ms poll, its shortest);
 *   the latency of a live feed.
 * The baseline gets the configuration that gave pg-boss its best throughput here: a team of ten
 * times the concurrency, refilled as jobs finish, `concurrency` handlers at once, 100 ms poll.
 * pg-boss needs a server: on PGlite only custhub is measured.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import PgBoss from "pg-boss";
import { createCustomer, type ApplyContext } from "../src/domain/apply-request.js";
import { toCustomerResponse } from "../src/domain/customer-response.js";
import type { Actor } from "../src/domain/roles.js";
import { messageEnvelope } from "../src/domain/sync-messages.js";
import { openHub } from "../src/services/hub.js";
import type { Database } from "../src/store/database.js";
import { enqueueCustomerChanges } from "../src/store/outbox.js";
import { DataSync } from "../src/sync/data-sync.js";
import { openBenchHub } from "./engines.js";
import { generatedCustomer } from "./generate.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    "database-url": { type: "string" },
    concurrency: { type: "string", default: "32" },
    "paced-rate": { type: "string", default: "1000" },
    "paced-seconds": { type: "string", default: "10" },
    phase: { type: "string" },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const pacedRate = Number(values["paced-rate"]);
const pacedSeconds = Number(values["paced-seconds"]);
const serverUrl = values["database-url"] ?? process.env.BENCH_DATABASE_URL;

/** Every wait is bounded: no phase may take longer than this. */
const PHASE_LIMIT_MS = 30 * 60_000;
const CHUNK = 1000;
const sysadmin: Actor = { name: "bench", roles: ["sysadmin"] };

interface ReceiverInfo {
  tokenUrl: string;
  messagesUrl: string;
  clientId: string;
  clientSecret: string;
}

/** When each chunk of changes was queued: keys `firstKey .. firstKey + size - 1`, at `at`. */
interface EnqueuedChunk {
  firstKey: number;
  size: number;
  at: number;
}

interface PhaseFigures {
  delivered: number;
  seconds: number;
  enqueued: EnqueuedChunk[];
}

interface PhaseReport {
  throughput: PhaseFigures;
  paced: PhaseFigures;
  peakRssMb: number;
}

type Phase = "custhub-pglite" | "custhub-postgres" | "pgboss-postgres";

// ---------------------------------------------------------------------------------------------
// What every phase shares: the same generated records, queued in chunks.

const applyContext: ApplyContext = {
  attributeTypes: new Map(),
  alternateKeyTypes: new Set(["TWCUSTID"]),
  today: "2026-01-01",
  now: "2026-01-01T00:00:00Z",
  validate: true,
};

/** The customer records (as the sync payload carries them) with keys `first .. first+size-1`. */
function records(first: number, size: number): { key: string; json: string }[] {
  const result: { key: string; json: string }[] = [];
  for (let key = first; key < first + size; key += 1) {
    const state = createCustomer(String(key), generatedCustomer(key), applyContext).state;
    result.push({ key: String(key), json: JSON.stringify(toCustomerResponse(state)) });
  }
  return result;
}

/** Queues `size` changes from key `first` in chunks, with `enqueue(chunk)`; returns the chunk times. */
async function enqueueAll(
  first: number,
  size: number,
  enqueue: (chunk: { key: string; json: string }[]) => Promise<void>,
): Promise<EnqueuedChunk[]> {
  const chunks: EnqueuedChunk[] = [];
  for (let start = first; start < first + size; start += CHUNK) {
    const chunkSize = Math.min(CHUNK, first + size - start);
    await enqueue(records(start, chunkSize));
    chunks.push({ firstKey: start, size: chunkSize, at: Date.now() });
  }
  return chunks;
}

/** Queues at `pacedRate` per second for `pacedSeconds`, in a chunk every 50 ms. */
async function enqueuePaced(
  first: number,
  enqueue: (chunk: { key: string; json: string }[]) => Promise<void>,
): Promise<EnqueuedChunk[]> {
  const perTick = Math.max(1, Math.round(pacedRate / 20));
  const ticks = Math.min(Math.round(pacedSeconds * 20), Math.ceil(count / perTick));
  const started = Date.now();
  const chunks: EnqueuedChunk[] = [];
  for (let tick = 0; tick < ticks; tick += 1) {
    const due = started + tick * 50;
    if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const firstKey = first + tick * perTick;
    await enqueue(records(firstKey, perTick));
    chunks.push({ firstKey, size: perTick, at: Date.now() });
  }
  return chunks;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + PHASE_LIMIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not done within ${PHASE_LIMIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

// ---------------------------------------------------------------------------------------------
// custhub: the changes go through the outbox writer the services use; the job delivers them.

function enqueueThroughOutbox(db: Database) {
  return (chunk: { key: string; json: string }[]) =>
    db.transaction((tx) =>
      enqueueCustomerChanges(
        tx,
        chunk.map(({ key, json }) => ({ customerID: key, action: "CREATE" as const, json })),
      ),
    );
}

async function custhubPhase(
  engine: "pglite" | "postgres",
  receiver: ReceiverInfo,
): Promise<PhaseReport> {
  const { hub, dispose } = await openBenchHub(engine, serverUrl);
  try {
    const settings = {
      DataSyncEnabled: "true",
      DataSyncApiUrl: receiver.messagesUrl,
      DataSyncTokenUrl: receiver.tokenUrl,
      DataSyncCredentialKeyName: "datasync",
      DataSyncBatchSize: "1000",
      DataSyncConcurrency: String(concurrency),
      DataSyncIntervalSeconds: "1",
    };
    for (const [key, value] of Object.entries(settings)) await hub.settings.set(key, value);
    const sync = new DataSync(hub, {
      masterKey: { fromEnvironment: randomBytes(32).toString("hex"), keyFile: "/nonexistent" },
    });
    await sync.saveCredentials(sysadmin, {
      clientId: receiver.clientId,
      clientSecret: receiver.clientSecret,
    });
    const enqueue = enqueueThroughOutbox(hub.db);

    const enqueued = await enqueueAll(1_000_000, count, enqueue);
    const started = process.hrtime.bigint();
    let delivered = 0;
    // One run delivers what was queued at its start; the loop only guards against a cut-short run.
    for (let run = 0; run < 10 && delivered < count; run += 1) {
      const result = await sync.runOnce(sysadmin);
      if (result.outcome === "failed") throw new Error(`run failed: ${result.error ?? ""}`);
      delivered += result.delivered;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const throughput = { delivered, seconds, enqueued };
    const peak = peakRssMb();

    const scheduler = sync.startScheduler(sysadmin);
    const pacedStarted = process.hrtime.bigint();
    const paced = await enqueuePaced(5_000_000, enqueue);
    const queued = paced.reduce((sum, chunk) => sum + chunk.size, 0);
    await until(async () => {
      const queues = (await hub.health()).queues;
      return queues.customerPending + queues.progress === 0;
    }, "paced delivery");
    await scheduler.stop();
    const pacedSeconds = Number(process.hrtime.bigint() - pacedStarted) / 1e9;
    return {
      throughput,
      paced: { delivered: queued, seconds: pacedSeconds, enqueued: paced },
      peakRssMb: peak,
    };
  } finally {
    await dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The baseline: pg-boss 9 on the same server, a worker doing one fetch per job (with the token
// fetched once and reused, as any team would).

async function fetchToken(receiver: ReceiverInfo): Promise<string> {
  const response = await fetch(receiver.tokenUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${receiver.clientId}:${receiver.clientSecret}`).toString("base64")}`,
    },
    body: "grant_type=client_credentials",
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

interface BaselineJob {
  action: "CUSTOMERCRE";
  type: "CUSTOMER";
  payload: string;
}

async function pgBossPhase(receiver: ReceiverInfo): Promise<PhaseReport> {
  const schema = `bench_pgboss_${process.pid}_${Date.now()}`;
  const boss = new PgBoss({ connectionString: serverUrl, schema });
  boss.on("error", (error) => console.error("pg-boss:", error.message));
  await boss.start();
  const token = await fetchToken(receiver);
  const queue = "datasync";
  let handled = 0;
  const enqueue = (chunk: { key: string; json: string }[]): Promise<void> =>
    boss.insert(
      chunk.map(({ json }) => ({
        name: queue,
        data: { action: "CUSTOMERCRE", type: "CUSTOMER", payload: json } satisfies BaselineJob,
      })),
    );
  try {
    const enqueued = await enqueueAll(1_000_000, count, enqueue);
    const started = process.hrtime.bigint();
    await boss.work<BaselineJob>(
      queue,
      // Its best throughput here (tried: a team of 32 at a one-second poll does 32 jobs/s): the
      // shortest poll pg-boss allows, and a refilled team of ten fetches per request in flight.
      {
        teamSize: 10 * concurrency,
        teamConcurrency: concurrency,
        teamRefill: true,
        newJobCheckInterval: 100,
      },
      async (job) => {
        const response = await fetch(receiver.messagesUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${token}`,
            "idempotency-key": job.id,
          },
          body: messageEnvelope([{ ...job.data, uniqueId: job.id }]),
        });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        handled += 1;
      },
    );
    await until(async () => handled >= count, "pg-boss delivery");
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peak = peakRssMb();

    const pacedStarted = process.hrtime.bigint();
    const before = handled;
    const paced = await enqueuePaced(5_000_000, enqueue);
    const queued = paced.reduce((sum, chunk) => sum + chunk.size, 0);
    await until(async () => handled - before >= queued, "pg-boss paced delivery");
    const pacedSeconds = Number(process.hrtime.bigint() - pacedStarted) / 1e9;
    return {
      throughput: { delivered: count, seconds, enqueued },
      paced: { delivered: queued, seconds: pacedSeconds, enqueued: paced },
      peakRssMb: peak,
    };
  } finally {
    await boss.stop({ graceful: false, destroy: true, timeout: 5_000 });
    const admin = await openHub({ dataDir: "", databaseUrl: serverUrl }, { migrate: false });
    await admin.db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The orchestration: the receiver and each phase in a process of their own.

function forkTs(path: string, args: string[] = []): ChildProcess {
  return fork(path, args, {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

function nextMessage<T>(child: ChildProcess, kind: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { kind?: string }) => {
      if (message.kind === kind) {
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message as T);
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`process exited (${code}) before ${kind}`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

async function arrivals(receiver: ChildProcess): Promise<Map<string, number>> {
  const answer = nextMessage<{ keys: string[]; times: number[]; rejected: number }>(
    receiver,
    "arrivals",
  );
  receiver.send({ kind: "arrivals" });
  const { keys, times, rejected } = await answer;
  if (rejected > 0) throw new Error(`the receiver refused ${rejected} requests`);
  const first = new Map<string, number>();
  keys.forEach((key, index) => {
    if (!first.has(key)) first.set(key, times[index]!);
  });
  return first;
}

function latencies(
  chunks: readonly EnqueuedChunk[],
  arrived: ReadonlyMap<string, number>,
): { p50: number; p99: number; missing: number } {
  const values: number[] = [];
  let missing = 0;
  for (const chunk of chunks) {
    for (let key = chunk.firstKey; key < chunk.firstKey + chunk.size; key += 1) {
      const at = arrived.get(String(key));
      if (at === undefined) missing += 1;
      else values.push(at - chunk.at);
    }
  }
  values.sort((a, b) => a - b);
  const pick = (q: number): number =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;
  return { p50: pick(0.5), p99: pick(0.99), missing };
}

interface Measured {
  label: string;
  perSecond: number;
  seconds: number;
  p50: number;
  p99: number;
  pacedP50: number;
  pacedP99: number;
  peakRssMb: number;
}

async function measure(
  phase: Phase,
  label: string,
  receiver: ChildProcess,
  info: ReceiverInfo,
): Promise<Measured> {
  await arrivals(receiver);
  const child = forkTs("bench/sync.ts", [...process.argv.slice(2), "--phase", phase]);
  child.send({ kind: "receiver", ...info });
  const { report } = await nextMessage<{ report: PhaseReport }>(child, "report");
  const arrived = await arrivals(receiver);
  const backlog = latencies(report.throughput.enqueued, arrived);
  const live = latencies(report.paced.enqueued, arrived);
  if (backlog.missing + live.missing > 0) {
    throw new Error(`${label}: ${backlog.missing + live.missing} messages never arrived`);
  }
  return {
    label,
    perSecond: Math.round(report.throughput.delivered / report.throughput.seconds),
    seconds: report.throughput.seconds,
    p50: backlog.p50,
    p99: backlog.p99,
    pacedP50: live.p50,
    pacedP99: live.p99,
    peakRssMb: report.peakRssMb,
  };
}

function print(engine: string, rows: Measured[]): void {
  console.log(
    `\n${engine}: ${count.toLocaleString("en")} queued customer changes, ${concurrency} in flight`,
  );
  console.log(
    `  ${"".padEnd(30)} ${"msgs/s".padStart(8)} ${"time".padStart(8)}   backlog p50/p99      paced ${pacedRate}/s p50/p99   peak RSS`,
  );
  for (const row of rows) {
    const ms = (value: number): string => `${(value / 1000).toFixed(2)} s`;
    console.log(
      `  ${row.label.padEnd(30)} ${String(row.perSecond).padStart(8)} ${`${row.seconds.toFixed(1)} s`.padStart(8)}   ${`${ms(row.p50)} / ${ms(row.p99)}`.padEnd(20)} ${`${Math.round(row.pacedP50)} / ${Math.round(row.pacedP99)} ms`.padEnd(22)} ${row.peakRssMb} MB`,
    );
  }
}

async function main(): Promise<void> {
  const receiver = forkTs("test/simulators/run-datasync-receiver.ts");
  const info = await nextMessage<ReceiverInfo>(receiver, "ready");
  console.log(
    "The receiver simulator runs in its own process and checks every request's method, content type, bearer token and\n" +
      "message envelope; it reads each payload's customerID without parsing the whole record (payloadCheck: shallow).",
  );
  try {
    const pglite = await measure("custhub-pglite", "custhub (sync job)", receiver, info);
    print("PGlite (file-backed)", [pglite]);
    if (serverUrl) {
      const custhub = await measure("custhub-postgres", "custhub (sync job)", receiver, info);
      const baseline = await measure(
        "pgboss-postgres",
        "pg-boss 9 + fetch (baseline)",
        receiver,
        info,
      );
      print("PostgreSQL server", [custhub, baseline]);
      console.log(
        `  ratio custhub / baseline       ${(custhub.perSecond / baseline.perSecond).toFixed(2)}  (target >= 3; custhub target >= 5000 msgs/s)`,
      );
    } else {
      console.log(
        "\nPostgreSQL: skipped (give --database-url or BENCH_DATABASE_URL to measure it and the baseline)",
      );
    }
  } finally {
    receiver.send({ kind: "stop" });
  }
}

async function runPhase(phase: Phase): Promise<void> {
  const info = await new Promise<ReceiverInfo>((resolve) =>
    process.once("message", (message: ReceiverInfo) => resolve(message)),
  );
  const report =
    phase === "pgboss-postgres"
      ? await pgBossPhase(info)
      : await custhubPhase(phase === "custhub-pglite" ? "pglite" : "postgres", info);
  process.send?.({ kind: "report", report });
  process.disconnect?.();
}

if (values.phase) await runPhase(values.phase as Phase);
else await main();
