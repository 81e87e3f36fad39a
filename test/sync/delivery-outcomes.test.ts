/**
 * What the job engine keeps of each delivery's outcome, whatever the destination, on every engine:
 * the receiver's status of a message refused for good; the receiver's words kept with the message
 * and never logged nor put in the run record (SPEC 9: logs with customer PII redacted); a 429's or
 * 503's Retry-After as the least wait before the next attempt. The deliveries go over real HTTP to
 * the receiver simulator through the data-sync destination; thin destinations on top of it play a
 * connector that takes a client error as final (as Datanuum does with 400 and 422), and one that
 * passes on the Retry-After its answers carry.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/services/hub.js";
import { listDeadLetters } from "../../src/store/sync-dead-letters.js";
import { listRunResults } from "../../src/store/sync-job-runs.js";
import { tuningOf } from "../../src/sync/data-sync.js";
import type { DeliveryResult, Destination } from "../../src/sync/destination.js";
import { DataSyncDestination } from "../../src/sync/destinations/datasync/datasync-destination.js";
import { runSyncJob } from "../../src/sync/job-run.js";
import { Secret } from "../../src/sync/secrets/secret.js";
import type { ClaimedRow } from "../../src/store/sync-deliveries.js";
import { DataSyncReceiver, type Behaviour } from "../simulators/datasync-receiver.js";
import { engines } from "../support/databases.js";
import type { JobTuning, SyncLogger } from "../../src/sync/types.js";
import { retryAfterMs } from "../../src/sync/backoff.js";
import { dataSyncMessageOf } from "../../src/sync/destinations/datasync/mapping.js";
import { addCustomers, api, progressRows, testTuning } from "./helpers.js";

/** A logger that keeps each line as the JSON a log would hold. */
function capturingLogger(): SyncLogger & { lines: string[] } {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push(JSON.stringify({ level, ...fields, msg }));
    };
  return { lines, info: keep("info"), warn: keep("warn"), error: keep("error") };
}

/** The data-sync destination pointed at the receiver. */
function dataSyncTo(receiver: DataSyncReceiver): DataSyncDestination {
  return new DataSyncDestination({
    settings: {
      apiUrl: new URL(receiver.messagesUrl),
      tokenUrl: new URL(receiver.tokenUrl),
      credentials: { mapName: "ce_credentials", keyName: "datasync" },
    },
    credentials: {
      clientId: new Secret(receiver.clientId),
      clientSecret: new Secret(receiver.clientSecret),
    },
    concurrency: 2,
    timeoutMs: 2_000,
  });
}

/** A connector that takes a 400 or 422 as final: the message goes to the dead letters at once. */
class FinalOnClientError implements Destination {
  readonly name = "datasync";
  constructor(private readonly inner: Destination) {}

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    const result = await this.inner.deliver(row);
    if (result.kind === "failed" && (result.status === 400 || result.status === 422)) {
      return { kind: "rejected", status: result.status, error: result.error };
    }
    return result;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A connector passing on the wait a 429's or 503's Retry-After asks for. */
class PassesRetryAfter implements Destination {
  readonly name = "datasync";
  constructor(private readonly inner: DataSyncDestination) {}

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    const answer = await this.inner.send(dataSyncMessageOf(row));
    if (answer.status === 200) return { kind: "delivered", status: 200 };
    return {
      kind: "failed",
      status: answer.status,
      error: `HTTP ${answer.status}`,
      retryAfterMs: retryAfterMs(answer),
    };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

describe.each(engines)("delivery outcomes on $name", (engine) => {
  let receiver: DataSyncReceiver;
  let hub: Hub;

  beforeEach(async () => {
    receiver = await DataSyncReceiver.start();
    hub = await engine.freshHub();
    await hub.settings.set("DataSyncEnabled", "true");
  });
  afterEach(async () => {
    await receiver.close();
  });

  async function run(
    destination: Destination,
    options: { logger?: SyncLogger; tuning?: Partial<JobTuning> } = {},
  ) {
    const { logger, tuning } = options;
    try {
      return await runSyncJob(hub.db, destination, {
        worker: "test-worker",
        trigger: "once",
        tuning: tuningOf(await hub.settings.all(), { ...testTuning, maxAttempts: 1, ...tuning }),
        keepResults: true,
        random: () => 0.5,
        ...(logger ? { logger } : {}),
      });
    } finally {
      await destination.close();
    }
  }

  it("keeps the receiver's status with a message refused for good, in its dead letter and run result", async () => {
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];
    receiver.respondWith(() => ({ status: 400, body: "Rejected customer Ann" }));

    const done = await run(new FinalOnClientError(dataSyncTo(receiver)));
    expect(done).toMatchObject({ outcome: "failed", failed: 1, deadLettered: 1 });
    expect(await listDeadLetters(hub.db, 10)).toMatchObject([
      { uniqueId: ann, attempts: 1, lastStatus: 400 },
    ]);
    expect(await listRunResults(hub.db, done.id)).toMatchObject([
      { uniqueId: ann, outcome: "dead", status: 400 },
    ]);
  });

  it("logs a refusal by status, code and customer, never in the receiver's words; the words stay with the message until an erasure", async () => {
    const [ann] = (await addCustomers(hub, ["Pietje"])) as [string];
    const echo = "Rejected customer Pietje Puk <pietje.puk@secret-mail.example> phone 2125551234";
    receiver.respondWith(() => ({ status: 400, body: echo }));
    const logger = capturingLogger();

    const done = await run(dataSyncTo(receiver), { logger });
    expect(done).toMatchObject({ outcome: "failed", failed: 1, deadLettered: 1 });
    const [letter] = await listDeadLetters(hub.db, 10);
    expect(done.error).toBe(
      `1 deliveries failed; the first: message ${letter?.messageId} (customer ${ann}): HTTP 400`,
    );
    const failure = logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(failure[0]).toEqual({
      level: "warn",
      runId: done.id,
      messageId: letter?.messageId,
      customerID: ann,
      status: 400,
      code: "DELIVERY_REFUSED",
      attempts: 1,
      deadLettered: true,
      msg: "data-sync delivery failed",
    });
    expect(failure.at(-1)).toMatchObject({ msg: "data-sync run finished", error: done.error });
    for (const personal of ["Pietje", "pietje.puk", "2125551234"]) {
      expect(logger.lines.join("\n")).not.toContain(personal);
    }

    // The operator reading the dead letter or the run's results (a role's right) sees why.
    expect(letter?.lastError).toBe(`HTTP 400: ${echo}`);
    expect((await listRunResults(hub.db, done.id))[0]?.error).toBe(`HTTP 400: ${echo}`);
    // An erasure takes the words with the customer: its dead letter goes, its results keep no error.
    await hub.customers.erase(ann, api);
    expect(await listDeadLetters(hub.db, 10)).toEqual([]);
    expect(await listRunResults(hub.db, done.id)).toMatchObject([
      { uniqueId: ann, outcome: "dead", status: 400, error: null },
    ]);
  });

  it("waits at least what a 429's or 503's Retry-After asks, in seconds or as a date, up to an hour", async () => {
    const [seconds, date, far, plain] = (await addCustomers(hub, ["S", "D", "F", "P"])) as [
      string,
      string,
      string,
      string,
    ];
    const inFiveMinutes = new Date(Date.now() + 300_000).toUTCString();
    const answers = new Map<string, Behaviour>([
      [seconds, { status: 429, headers: { "retry-after": "120" } }],
      [date, { status: 503, headers: { "Retry-After": inFiveMinutes } }],
      [far, { status: 429, headers: { "retry-after": String(7 * 24 * 3600) } }],
      [plain, { status: 500, headers: { "retry-after": "120" } }],
    ]);
    receiver.respondWith((message) => answers.get(message.key));

    // A minute's backoff (45 s with the jitter pinned), shorter than most of the receiver's asks.
    const done = await run(new PassesRetryAfter(dataSyncTo(receiver)), {
      tuning: { maxAttempts: 10, retry: { baseMs: 60_000, maxMs: 60_000 } },
    });
    expect(done).toMatchObject({ failed: 4, deadLettered: 0 });
    const waits = new Map((await progressRows(hub)).map((row) => [row.uniqueId, row.retryInMs]));
    expect(waits.get(seconds)).toBeGreaterThanOrEqual(119_000);
    expect(waits.get(seconds)).toBeLessThanOrEqual(121_000);
    expect(waits.get(date)).toBeGreaterThan(290_000);
    expect(waits.get(date)).toBeLessThanOrEqual(301_000);
    expect(waits.get(far)).toBeGreaterThanOrEqual(3_599_000);
    expect(waits.get(far)).toBeLessThanOrEqual(3_601_000);
    // A 500 asks for nothing: its Retry-After is not read, the backoff stands.
    expect(waits.get(plain)).toBeGreaterThan(44_000);
    expect(waits.get(plain)).toBeLessThan(46_000);
  });
});
