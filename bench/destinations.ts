/**
 * bench:destinations — the cost of fan-out. N queued customer changes delivered by custhub's
 * delivery engine:
 * (a) to the data-sync destination alone (the baseline: one destination);
 * (b) to all four destinations at once (datasync, datanuum, newbase, socialhub), each on its
 *     simulator, from the same N changes (each change fanned out to four progress rows).
 *
 *   npm run bench:destinations -- [--count 50000] [--database-url postgres://...]
 *                                 [--engine pglite|postgres|both] [--concurrency 32]
 *                                 [--deadline-seconds 600]
 *
 * Prints messages/s per destination and together, time to drain, peak RSS, and the ratio of the
 * four together (messages/s) to the one (messages/s). Target: together >= half the rate of one.
 *
 * Layout, as bench/sync.ts: each simulator in a process of its own (none shares an event loop
 * with the sender, nor with each other), each phase in a process of its own (its peak RSS is its
 * own). The simulators run their cheapest checks: the data-sync receiver with
 * `payloadCheck: "shallow"`; the others have a single mode. NewBase is seeded with a contact,
 * organisation and person per customer (no debtor, addresses or reachabilities), SocialHub with
 * a customer per code, so that every update succeeds. Every simulator keeps a request log; its
 * process counts and empties it every second, so its memory does not grow with N.
 *
 * Bounded: each phase has a deadline (`--deadline-seconds`, default 600): past it the runs are
 * aborted and the bench stops with what each destination had delivered. Each destination runs
 * at most 10 times per phase.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { createCustomer, type ApplyContext } from "../src/domain/apply-request.js";
import { toCustomerResponse } from "../src/domain/customer-response.js";
import type { Actor } from "../src/domain/roles.js";
import type { Database } from "../src/store/database.js";
import { enqueueCustomerChanges } from "../src/store/outbox.js";
import type { JobRun } from "../src/store/sync-job-runs.js";
import { DataSync } from "../src/sync/data-sync.js";
import { destinationNamed } from "../src/sync/destinations/index.js";
import { DataSyncReceiver } from "../test/simulators/datasync-receiver.js";
import { DatanuumReceiver } from "../test/simulators/datanuum-receiver.js";
import { NewbaseReceiver } from "../test/simulators/newbase-receiver.js";
import { SocialhubReceiver } from "../test/simulators/socialhub-receiver.js";
import { openBenchHub } from "./engines.js";
import { generatedCustomer } from "./generate.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "50000" },
    "database-url": { type: "string" },
    engine: { type: "string", default: "both" },
    concurrency: { type: "string", default: "32" },
    "deadline-seconds": { type: "string", default: "600" },
    // Internal: a child process's role.
    phase: { type: "string" },
    simulator: { type: "string" },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const deadlineSeconds = Number(values["deadline-seconds"]);
const serverUrl = values["database-url"] ?? process.env.BENCH_DATABASE_URL;
if (!Number.isInteger(count) || count < 1) throw new Error("--count is a whole number >= 1");
if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error("--concurrency >= 1");
if (!(deadlineSeconds > 0)) throw new Error("--deadline-seconds is a number > 0");

const FIRST_KEY = 1_000_000;
const CHUNK = 1000;
/** Runs per destination per phase: one normally drains it; more only after a cut-short run. */
const MAX_RUNS = 10;
const sysadmin: Actor = { name: "bench", roles: ["sysadmin"] };
const DESTINATION_NAMES = ["datasync", "datanuum", "newbase", "socialhub"] as const;
type DestinationName = (typeof DESTINATION_NAMES)[number];
type Engine = "pglite" | "postgres";
type PhaseKind = "one" | "four";

const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const customerKeys = (): string[] =>
  Array.from({ length: count }, (_, index) => String(FIRST_KEY + index));

// ---------------------------------------------------------------------------------------------
// The simulators, each in a process of its own.

/** Where custhub reaches each simulator, and with what. */
interface SimulatorInfo {
  datasync: { tokenUrl: string; messagesUrl: string; clientId: string; clientSecret: string };
  datanuum: { apiUrl: string; apiKey: string };
  newbase: { baseUrl: string; username: string; password: string };
  socialhub: { baseUrl: string; apiKey: string };
}

/** What a simulator took since the last tally: messages served, requests refused, its CPU. */
interface Tally {
  messages: number;
  refused: number;
  firstRefusal: string | null;
  cpuMs: number;
}

type SimulatorRequest = { kind: "seed"; keys: string[] } | { kind: "tally" } | { kind: "stop" };

async function runSimulator(name: DestinationName): Promise<void> {
  let messages = 0;
  let refused = 0;
  let firstRefusal: string | null = null;
  const refuse = (what: string): void => {
    refused += 1;
    firstRefusal ??= what;
  };
  let info: SimulatorInfo[DestinationName];
  let drain: () => void;
  let seed: (keys: string[]) => void = () => undefined;
  let close: () => Promise<void>;

  if (name === "datasync") {
    const receiver = await DataSyncReceiver.start({ keepPayloads: false, payloadCheck: "shallow" });
    info = {
      tokenUrl: receiver.tokenUrl,
      messagesUrl: receiver.messagesUrl,
      clientId: receiver.clientId,
      clientSecret: receiver.clientSecret,
    };
    drain = () => {
      messages += receiver.accepted.splice(0).length;
      receiver.answered.splice(0);
      for (const rejection of receiver.rejections.splice(0)) {
        refuse(`${rejection.status} ${rejection.reason}`);
      }
    };
    close = () => receiver.close();
  } else if (name === "datanuum") {
    const receiver = await DatanuumReceiver.start();
    info = { apiUrl: receiver.apiUrl, apiKey: receiver.apiKey };
    drain = () => {
      for (const request of receiver.requests.splice(0)) {
        if (request.status === 200 || request.status === 201) messages += 1;
        else refuse(`${request.status} ${request.error ?? ""}`);
      }
      receiver.customers.clear();
    };
    close = () => receiver.close();
  } else if (name === "newbase") {
    const receiver = await NewbaseReceiver.start();
    info = { baseUrl: receiver.baseUrl, username: receiver.username, password: receiver.password };
    seed = (keys) => {
      for (const serial of keys) {
        receiver.seedCustomer({
          serial,
          organisation: { name: "Seeded org" },
          person: { first_name: "Seeded", last_name: "Person" },
          debtor: null,
          visitAddress: null,
          deliveryAddress: null,
        });
      }
    };
    drain = () => {
      for (const request of receiver.requests.splice(0)) {
        if (request.status !== 200)
          refuse(`${request.status} ${request.table}/${request.operation}`);
        // One organisation update per customer change: the message count.
        else if (request.table === "organisation" && request.operation === "update") messages += 1;
      }
    };
    close = () => receiver.close();
  } else {
    const receiver = await SocialhubReceiver.start();
    info = { baseUrl: receiver.baseUrl, apiKey: receiver.apiKey };
    seed = (keys) => {
      for (const code of keys) receiver.seed(code);
    };
    drain = () => {
      for (const request of receiver.requests.splice(0)) {
        if (request.status === 200 && request.code === "200") messages += 1;
        else refuse(`${request.status} ${request.code}`);
      }
    };
    close = () => receiver.close();
  }

  const drainTimer = setInterval(drain, 1000);
  let cpuSince = process.cpuUsage();
  process.on("message", (request: SimulatorRequest) => {
    if (request.kind === "seed") {
      seed(request.keys);
      process.send?.({ kind: "seeded" });
    } else if (request.kind === "tally") {
      drain();
      const cpu = process.cpuUsage(cpuSince);
      cpuSince = process.cpuUsage();
      const tally: Tally = {
        messages,
        refused,
        firstRefusal,
        cpuMs: (cpu.user + cpu.system) / 1000,
      };
      messages = 0;
      refused = 0;
      firstRefusal = null;
      process.send?.({ kind: "tally", tally });
    } else {
      clearInterval(drainTimer);
      void close().then(() => process.exit(0));
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.({ kind: "ready", info });
}

// ---------------------------------------------------------------------------------------------
// A phase: custhub on one engine delivering N changes to one or four destinations.

interface DestinationFigures {
  name: DestinationName;
  delivered: number;
  failed: number;
  runs: number;
  /** From the first run's start to its last run's end. */
  seconds: number;
  error: string | null;
}

interface PhaseReport {
  destinations: DestinationFigures[];
  /** From the start until every destination drained. */
  seconds: number;
  enqueueSeconds: number;
  peakRssMb: number;
}

const applyContext: ApplyContext = {
  attributeTypes: new Map(),
  alternateKeyTypes: new Set(["TWCUSTID"]),
  today: "2026-01-01",
  now: "2026-01-01T00:00:00Z",
  validate: true,
};

/** Queues the N changes (an UPDATE of each customer, its whole record) through the outbox writer. */
async function enqueueAll(db: Database): Promise<void> {
  for (let start = FIRST_KEY; start < FIRST_KEY + count; start += CHUNK) {
    const size = Math.min(CHUNK, FIRST_KEY + count - start);
    const chunk = Array.from({ length: size }, (_, offset) => {
      const key = String(start + offset);
      const state = createCustomer(key, generatedCustomer(start + offset), applyContext).state;
      return {
        customerID: key,
        action: "UPDATE" as const,
        json: JSON.stringify(toCustomerResponse(state)),
      };
    });
    await db.transaction((tx) => enqueueCustomerChanges(tx, chunk));
  }
}

async function runPhase(
  engine: Engine,
  kind: PhaseKind,
  info: SimulatorInfo,
): Promise<PhaseReport> {
  const { hub, dispose } = await openBenchHub(engine, serverUrl);
  try {
    const settings = {
      DataSyncEnabled: "true",
      DataSyncApiUrl: info.datasync.messagesUrl,
      DataSyncTokenUrl: info.datasync.tokenUrl,
      DataSyncCredentialKeyName: "datasync",
      DataSyncBatchSize: "1000",
      DataSyncConcurrency: String(concurrency),
    };
    for (const [key, value] of Object.entries(settings)) await hub.settings.set(key, value);
    const sync = new DataSync(hub, {
      masterKey: { fromEnvironment: randomBytes(32).toString("hex"), keyFile: "/nonexistent" },
    });
    await sync.saveCredentials(sysadmin, {
      clientId: info.datasync.clientId,
      clientSecret: info.datasync.clientSecret,
    });
    const destinations = sync.destinations;
    if (kind === "four") {
      await destinations.addRewardConfig(sysadmin, {
        code: "BENCH",
        apiUrl: info.datanuum.apiUrl,
        apiKey: info.datanuum.apiKey,
      });
      await destinations.setConfig(sysadmin, "datanuum", "rewardPointsConfig", "BENCH");
      await destinations.setConfig(sysadmin, "newbase", "baseUrl", info.newbase.baseUrl);
      await destinations.saveCredentials(sysadmin, "newbase", {
        username: info.newbase.username,
        password: info.newbase.password,
      });
      await destinations.setConfig(sysadmin, "socialhub", "baseUrl", info.socialhub.baseUrl);
      await destinations.saveCredentials(sysadmin, "socialhub", {
        apiKey: info.socialhub.apiKey,
      });
      for (const name of ["datanuum", "newbase", "socialhub"]) {
        await destinations.setEnabled(sysadmin, name, true);
      }
    }
    const enabled = await destinations.enabledNames();
    const expected = kind === "four" ? [...DESTINATION_NAMES] : ["datasync"];
    if (enabled.join(",") !== expected.join(",")) {
      throw new Error(
        `enabled destinations are ${enabled.join(", ")}, expected ${expected.join(", ")}`,
      );
    }

    const enqueueStarted = process.hrtime.bigint();
    await enqueueAll(hub.db);
    const enqueueSeconds = Number(process.hrtime.bigint() - enqueueStarted) / 1e9;

    const hubSettings = await hub.settings.all();
    const abort = new AbortController();
    const figures = new Map<DestinationName, DestinationFigures>();
    const started = process.hrtime.bigint();
    const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    const deadline = setTimeout(() => abort.abort(), deadlineSeconds * 1000);
    try {
      // Each destination works its own queue at its own pace, as the schedule runs them; any
      // run's moves fan the pending rows out to all of them.
      await Promise.all(
        (enabled as DestinationName[]).map(async (name) => {
          const figure: DestinationFigures = {
            name,
            delivered: 0,
            failed: 0,
            runs: 0,
            seconds: 0,
            error: null,
          };
          figures.set(name, figure);
          const definition = destinationNamed(name);
          while (figure.delivered < count && figure.runs < MAX_RUNS && !abort.signal.aborted) {
            const run: JobRun = await destinations.runDestination(
              definition,
              hubSettings,
              enabled,
              { trigger: "bench", signal: abort.signal },
            );
            figure.runs += 1;
            figure.delivered += run.delivered;
            figure.failed += run.failed;
            figure.error ??= run.error;
            figure.seconds = elapsed();
          }
        }),
      );
    } finally {
      clearTimeout(deadline);
    }
    const seconds = elapsed();
    const reached = [...figures.values()];
    const short = reached.filter((figure) => figure.delivered < count);
    if (short.length > 0) {
      const state = reached.map((f) => `${f.name} ${f.delivered}/${count}`).join(", ");
      const why = abort.signal.aborted
        ? `not drained within the deadline of ${deadlineSeconds} s (--deadline-seconds)`
        : `not drained after ${MAX_RUNS} runs`;
      const errors = short
        .filter((f) => f.error)
        .map((f) => `${f.name}: ${f.error ?? ""}`)
        .join("; ");
      throw new Error(`${why}: ${state}${errors ? `; ${errors}` : ""}`);
    }
    return { destinations: reached, seconds, enqueueSeconds, peakRssMb: peakRssMb() };
  } finally {
    await dispose();
  }
}

async function phaseProcess(phase: string): Promise<void> {
  const [engine, kind] = phase.split(":") as [Engine, PhaseKind];
  const info = await new Promise<SimulatorInfo>((resolve) =>
    process.once("message", (message: SimulatorInfo) => resolve(message)),
  );
  try {
    process.send?.({ kind: "report", report: await runPhase(engine, kind, info) });
  } catch (error) {
    process.send?.({
      kind: "failed",
      error: error instanceof Error ? error.message : String(error),
    });
  }
  process.disconnect?.();
}

// ---------------------------------------------------------------------------------------------
// The orchestration.

function forkSelf(args: string[]): ChildProcess {
  return fork("bench/destinations.ts", [...process.argv.slice(2), ...args], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

function nextMessage<T>(child: ChildProcess, kinds: string[], limitMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      child.kill();
      reject(new Error(`no ${kinds.join(" or ")} within ${Math.round(limitMs / 1000)} s`));
    }, limitMs);
    const onMessage = (message: { kind?: string }) => {
      if (message.kind !== undefined && kinds.includes(message.kind)) {
        finish();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null) => {
      finish();
      reject(new Error(`process exited (${code}) before ${kinds.join(" or ")}`));
    };
    const finish = (): void => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

interface Simulator {
  name: DestinationName;
  process: ChildProcess;
}

async function tally(simulator: Simulator): Promise<Tally> {
  const answer = nextMessage<{ tally: Tally }>(simulator.process, ["tally"], 60_000);
  simulator.process.send({ kind: "tally" });
  return (await answer).tally;
}

interface Measured {
  report: PhaseReport;
  tallies: Map<DestinationName, Tally>;
}

async function measure(
  engine: Engine,
  kind: PhaseKind,
  simulators: Simulator[],
  info: SimulatorInfo,
): Promise<Measured> {
  for (const simulator of simulators) await tally(simulator);
  const child = forkSelf(["--phase", `${engine}:${kind}`]);
  child.send(info);
  // The child stops itself at the deadline; this covers the enqueue and setup too.
  const answer = await nextMessage<
    { kind: "report"; report: PhaseReport } | { kind: "failed"; error: string }
  >(child, ["report", "failed"], (deadlineSeconds + 600) * 1000);
  if (answer.kind === "failed") {
    throw new Error(
      `${engine}, ${kind === "one" ? "one destination" : "four destinations"}: ${answer.error}`,
    );
  }
  const tallies = new Map<DestinationName, Tally>();
  for (const simulator of simulators) tallies.set(simulator.name, await tally(simulator));
  for (const [name, took] of tallies) {
    if (took.refused > 0) {
      throw new Error(
        `${engine}: the ${name} simulator refused ${took.refused} requests (first: ${took.firstRefusal ?? ""})`,
      );
    }
  }
  return { report: answer.report, tallies };
}

const rate = (messages: number, seconds: number): number => Math.round(messages / seconds);

function print(engineLabel: string, one: Measured, four: Measured): void {
  const width = { label: 26, name: 10 };
  console.log(
    `\n${engineLabel}: ${count.toLocaleString("en")} customer changes (UPDATE), ${concurrency} in flight per destination`,
  );
  console.log(
    `  ${"".padEnd(width.label)} ${"destination".padEnd(width.name)} ${"messages".padStart(9)} ${"msgs/s".padStart(8)} ${"drained in".padStart(11)} ${"simulator CPU".padStart(14)}`,
  );
  const row = (label: string, name: string, messages: number, seconds: number, cpu: string) =>
    console.log(
      `  ${label.padEnd(width.label)} ${name.padEnd(width.name)} ${String(messages).padStart(9)} ${String(rate(messages, seconds)).padStart(8)} ${`${seconds.toFixed(1)} s`.padStart(11)} ${cpu.padStart(14)}`,
    );
  const cpuOf = (measured: Measured, name: DestinationName): string => {
    const took = measured.tallies.get(name);
    if (!took) return "";
    return `${(took.cpuMs / 1000).toFixed(1)} s (${Math.round(took.cpuMs / 10 / measured.report.seconds)}%)`;
  };
  const baseline = one.report.destinations[0]!;
  row(
    "(a) one (baseline)",
    "datasync",
    baseline.delivered,
    baseline.seconds,
    cpuOf(one, "datasync"),
  );
  four.report.destinations.forEach((figure, index) =>
    row(
      index === 0 ? "(b) four together" : "",
      figure.name,
      figure.delivered,
      figure.seconds,
      cpuOf(four, figure.name),
    ),
  );
  const total = four.report.destinations.reduce((sum, figure) => sum + figure.delivered, 0);
  row("", "together", total, four.report.seconds, "");
  const oneRate = baseline.delivered / baseline.seconds;
  const togetherRate = total / four.report.seconds;
  const changesRate = count / four.report.seconds;
  console.log(
    `  peak RSS (custhub process)   one ${one.report.peakRssMb} MB, four ${four.report.peakRssMb} MB; queued in ${one.report.enqueueSeconds.toFixed(1)} s / ${four.report.enqueueSeconds.toFixed(1)} s (not timed)`,
  );
  const ratio = togetherRate / oneRate;
  console.log(
    `  ratio together/one          ${ratio.toFixed(2)}  (four together ${Math.round(togetherRate)} msgs/s vs one ${Math.round(oneRate)} msgs/s; target >= 0.50: ${ratio >= 0.5 ? "met" : "NOT met"})`,
  );
  console.log(
    `  changes fanned out/s        ${Math.round(changesRate)}  (each change to all four; ${(changesRate / oneRate).toFixed(2)} of one destination's rate)`,
  );
}

async function main(): Promise<void> {
  const engine = values.engine;
  if (engine !== "both" && engine !== "pglite" && engine !== "postgres") {
    throw new Error("--engine is pglite, postgres or both");
  }
  if (engine === "postgres" && !serverUrl) {
    throw new Error("--engine postgres needs --database-url (or BENCH_DATABASE_URL)");
  }
  const simulators: Simulator[] = DESTINATION_NAMES.map((name) => ({
    name,
    process: forkSelf(["--simulator", name]),
  }));
  try {
    const info = {} as Record<DestinationName, unknown>;
    for (const simulator of simulators) {
      const ready = await nextMessage<{ info: unknown }>(simulator.process, ["ready"], 60_000);
      info[simulator.name] = ready.info;
    }
    const keys = customerKeys();
    for (const simulator of simulators.filter(
      (s) => s.name === "newbase" || s.name === "socialhub",
    )) {
      const seeded = nextMessage(simulator.process, ["seeded"], 120_000);
      simulator.process.send({ kind: "seed", keys });
      await seeded;
    }
    console.log(
      "Each simulator runs in its own process with its cheapest checks (data-sync: payloadCheck shallow; the others have one\n" +
        "mode); NewBase holds a contact, organisation and person per customer, SocialHub a customer per code.",
    );
    const engines: { engine: Engine; label: string }[] = [];
    if (engine !== "postgres") engines.push({ engine: "pglite", label: "PGlite (file-backed)" });
    if (engine !== "pglite" && serverUrl)
      engines.push({ engine: "postgres", label: "PostgreSQL server" });
    for (const { engine: each, label } of engines) {
      const one = await measure(each, "one", simulators, info as unknown as SimulatorInfo);
      const four = await measure(each, "four", simulators, info as unknown as SimulatorInfo);
      print(label, one, four);
    }
    if (engine !== "pglite" && !serverUrl) {
      console.log(
        "\nPostgreSQL: skipped (give --database-url or BENCH_DATABASE_URL to measure it)",
      );
    }
  } finally {
    for (const simulator of simulators) {
      if (simulator.process.connected) simulator.process.send({ kind: "stop" });
    }
  }
}

if (values.simulator) await runSimulator(values.simulator as DestinationName);
else if (values.phase) await phaseProcess(values.phase);
else {
  try {
    await main();
  } catch (error) {
    console.error(
      `bench:destinations stopped: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
  }
}
