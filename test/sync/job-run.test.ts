/**
 * The sync job against a real HTTP receiver simulator, on every engine: the document's messages,
 * batches, order per customer, failures and retries, dead letters, deletes while queued, token
 * expiry, timeouts and dropped connections, leases. Real HTTP throughout; nothing is mocked.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openHub, type Hub } from "../../src/services/hub.js";
import { movePendingBatch, pendingHighWater } from "../../src/store/sync-queue.js";
import { claimDeliverable } from "../../src/store/sync-deliveries.js";
import { pauseDestination } from "../../src/store/sync-pauses.js";
import { engines } from "../support/databases.js";
import { waitFor } from "../support/wait.js";
import { DataSyncReceiver, type Behaviour } from "../simulators/datasync-receiver.js";
import {
  addCustomers,
  api,
  configureSync,
  keyOf,
  makeRetriesDue,
  newDataSync,
  progressRows,
  renameAll,
  sysadmin,
  versionOf,
} from "./helpers.js";

/** A promise and the function that settles it: a receiver answer the test releases. */
function later(): { promise: Promise<Behaviour>; release(answer: Behaviour): void } {
  let release: (answer: Behaviour) => void = () => undefined;
  const promise = new Promise<Behaviour>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

async function schemaOf(hub: Hub): Promise<string> {
  const [row] = await hub.db.query<{ schema: string }>("SELECT current_schema() AS schema");
  return row!.schema;
}

async function queueDepths(hub: Hub) {
  return (await hub.health()).queues;
}

describe.each(engines)("data-sync job on $name", (engine) => {
  let receiver: DataSyncReceiver;
  let hub: Hub;

  beforeEach(async () => {
    receiver = await DataSyncReceiver.start();
    hub = await engine.freshHub();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it("delivers every queued change once, as the document's messages, and empties the queues", async () => {
    const sync = await configureSync(hub, receiver);
    const [ann, bo, cy] = (await addCustomers(hub, ["Ann", "Bo", "Cy"])) as [
      string,
      string,
      string,
    ];
    await renameAll(hub, [ann, bo], "v2");
    await hub.customers.delete({ customerID: cy }, api);

    const run = await sync.runOnce(sysadmin);
    expect(run).toMatchObject({
      outcome: "succeeded",
      moved: 5,
      delivered: 5,
      failed: 0,
      error: null,
    });
    expect(receiver.rejections).toEqual([]);
    expect(receiver.accepted).toHaveLength(5);
    expect(receiver.acceptedFor(ann).map(versionOf)).toEqual(["CUSTOMERCRE", "v2"]);
    expect(receiver.acceptedFor(bo).map(versionOf)).toEqual(["CUSTOMERCRE", "v2"]);
    // Deleting Cy dropped its queued CREATE; only the DELETE goes, its payload the customerID.
    expect(receiver.acceptedFor(cy)).toMatchObject([
      { type: "CUSTOMER", action: "CUSTOMERDEL", payload: cy },
    ]);
    // The payload is the record's JSON text exactly, property order included.
    expect(receiver.acceptedFor(ann)[1]?.payload).toBe(
      JSON.stringify(await hub.customers.get(ann)),
    );
    const ids = receiver.accepted.map((message) => message.uniqueId);
    expect(new Set(ids).size).toBe(5);
    for (const message of receiver.accepted) {
      expect(message.uniqueId).toMatch(/^\d+$/);
      expect(message.idempotencyKey).toBe(message.uniqueId);
    }

    const status = await sync.status(sysadmin);
    expect(status.queues).toEqual({
      customerPending: 0,
      transactionPending: 0,
      progress: 0,
      inFlight: 0,
      retrying: 0,
      deadLetters: 0,
    });
    expect(status.lastRuns[0]).toMatchObject({ id: run.id, outcome: "succeeded", delivered: 5 });
    expect(await sync.runOnce(sysadmin)).toMatchObject({
      outcome: "succeeded",
      moved: 0,
      delivered: 0,
    });
  });

  it("sends a transaction as POSTRN POSTRNCRE, in order with its customer's messages", async () => {
    const sync = await configureSync(hub, receiver);
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];
    const transaction = { retailTransactionId: "99901000022017110710000100", customerId: ann };
    await hub.db.query(
      `INSERT INTO data_sync_trn_pending_queue (unique_id, action, json_object, customer_id)
       VALUES ($1, 'CREATE', $2::json, $3)`,
      [transaction.retailTransactionId, JSON.stringify(transaction), ann],
    );
    await renameAll(hub, [ann], "after the sale");

    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 3 });
    expect(receiver.acceptedFor(ann).map((message) => [message.type, versionOf(message)])).toEqual([
      ["CUSTOMER", "CUSTOMERCRE"],
      ["POSTRN", "POSTRNCRE"],
      ["CUSTOMER", "after the sale"],
    ]);
    expect(receiver.acceptedFor(ann)[1]?.payload).toBe(JSON.stringify(transaction));
  });

  it("moves pending rows in batches, taking each out of the pending queue as it goes in", async () => {
    await configureSync(hub, receiver);
    const customers = await addCustomers(hub, ["A", "B", "C", "D", "E"]);
    const before = await hub.db.query<{ json: string }>(
      "SELECT json_object::text AS json FROM data_sync_cust_pending_queue ORDER BY id",
    );
    const highWater = await pendingHighWater(hub.db);
    expect(await movePendingBatch(hub.db, 2, highWater)).toBe(2);
    expect(await queueDepths(hub)).toMatchObject({ customerPending: 3, progress: 2 });
    expect(await movePendingBatch(hub.db, 2, highWater)).toBe(2);
    expect(await movePendingBatch(hub.db, 2, highWater)).toBe(1);
    expect(await movePendingBatch(hub.db, 2, highWater)).toBe(0);
    const moved = await hub.db.query<{ unique_id: string; message_id: string; json: string }>(
      "SELECT unique_id, message_id, json_object::text AS json FROM data_sync_progress_queue ORDER BY id",
    );
    expect(moved.map((row) => row.unique_id)).toEqual(customers);
    expect(moved.map((row) => row.json)).toEqual(before.map((row) => row.json));
    // Nothing newer than the run's high-water mark is moved.
    await addCustomers(hub, ["F"]);
    expect(await movePendingBatch(hub.db, 2, highWater)).toBe(0);
  });

  it("works the progress queue first, then the pending rows", async () => {
    const sync = await configureSync(hub, receiver, {
      tuning: { retry: { baseMs: 60_000, maxMs: 60_000 }, concurrency: 1 },
    });
    const [first] = (await addCustomers(hub, ["First"])) as [string];
    receiver.respondWith(() => ({ status: 503 }));
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "failed", failed: 1 });
    const [second, third] = (await addCustomers(hub, ["Second", "Third"])) as [string, string];
    receiver.respondWith(() => undefined);
    await makeRetriesDue(hub);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 3 });
    expect(receiver.accepted.map((message) => message.key)).toEqual([first, second, third]);
  });

  it("keeps a failed message with attempts, status, error and next attempt; the customer's next one waits", async () => {
    const sync = await configureSync(hub, receiver, {
      tuning: { retry: { baseMs: 60_000, maxMs: 600_000 } },
    });
    const [ann, bo] = (await addCustomers(hub, ["Ann", "Bo"])) as [string, string];
    await renameAll(hub, [ann, bo], "v2");
    receiver.respondWith((message) =>
      message.key === ann ? { status: 500, body: "receiver down for Ann" } : undefined,
    );

    const failed = await sync.runOnce(sysadmin);
    expect(failed).toMatchObject({ outcome: "failed", delivered: 2, failed: 1, deadLettered: 0 });
    // The run record names the message, the customer and the status; the receiver's words stay
    // with the message.
    expect(failed.error).toContain(`(customer ${ann}): HTTP 500`);
    expect(failed.error).not.toContain("receiver down");
    expect(receiver.acceptedFor(bo).map(versionOf)).toEqual(["CUSTOMERCRE", "v2"]);
    // Ann's CREATE failed, so her UPDATE was not sent before it.
    expect(receiver.acceptedFor(ann)).toEqual([]);
    const rows = await progressRows(hub);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      uniqueId: ann,
      action: "CREATE",
      attempts: 1,
      lastStatus: 500,
      leased: false,
    });
    expect(rows[0]?.lastError).toContain("receiver down for Ann");
    // Jitter pinned at the middle: half the span plus half of the other half.
    expect(rows[0]?.retryInMs).toBeGreaterThan(44_000);
    expect(rows[0]?.retryInMs).toBeLessThan(46_000);
    expect(rows[1]).toMatchObject({ uniqueId: ann, action: "UPDATE", attempts: 0 });

    // Not due yet: a run now sends nothing.
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 0 });
    receiver.respondWith(() => undefined);
    await makeRetriesDue(hub);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 2 });
    expect(receiver.acceptedFor(ann).map(versionOf)).toEqual(["CUSTOMERCRE", "v2"]);
    const resent = receiver.answered.filter((answer) => answer.key === ann);
    // The retry carried the same uniqueId as the failed attempt.
    expect(resent[0]?.uniqueId).toBe(resent[1]?.uniqueId);
  });

  it("dead-letters a poisoned message after DataSyncMaxAttempts failures while the rest flows; requeue sends it", async () => {
    await hub.settings.set("DataSyncMaxAttempts", "3");
    const sync = await configureSync(hub, receiver);
    const customers = await addCustomers(hub, ["Poison", "Ok1", "Ok2", "Ok3"]);
    const poison = customers[0]!;
    await renameAll(hub, customers, "v2");
    receiver.respondWith((message) =>
      message.key === poison && message.action === "CUSTOMERCRE" ? { status: 422 } : undefined,
    );

    const run = await sync.runOnce(sysadmin);
    expect(run).toMatchObject({ outcome: "failed", failed: 3, deadLettered: 1, delivered: 7 });
    // The poisoned CREATE went to the dead letters; the customer's UPDATE then flowed.
    expect(receiver.acceptedFor(poison).map(versionOf)).toEqual(["v2"]);
    for (const other of customers.slice(1)) {
      expect(receiver.acceptedFor(other).map(versionOf)).toEqual(["CUSTOMERCRE", "v2"]);
    }
    const [letter, ...more] = await sync.deadLetters(sysadmin);
    expect(more).toEqual([]);
    expect(letter).toMatchObject({
      objName: "Customer",
      action: "CREATE",
      uniqueId: poison,
      attempts: 3,
      lastStatus: 422,
    });
    expect((await sync.status(sysadmin)).queues).toMatchObject({ progress: 0, deadLetters: 1 });

    receiver.respondWith(() => undefined);
    expect(await sync.requeue(sysadmin, [letter!.id])).toEqual({ requeued: 1 });
    expect(await sync.deadLetters(sysadmin)).toEqual([]);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
    const resent = receiver.acceptedFor(poison).at(-1);
    expect(resent).toMatchObject({ action: "CUSTOMERCRE", uniqueId: letter!.messageId });
    await expect(sync.requeue(sysadmin, [letter!.id])).rejects.toMatchObject({
      code: "DEAD_LETTER_NOT_FOUND",
    });
  });

  it("re-queues a dead letter ahead of its customer's newer messages still queued, never after them", async () => {
    await hub.settings.set("DataSyncMaxAttempts", "1");
    const sync = await configureSync(hub, receiver, {
      tuning: { retry: { baseMs: 60_000, maxMs: 60_000 } },
    });
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];
    await renameAll(hub, [ann], "v1");
    receiver.respondWith((message) => (versionOf(message) === "v1" ? { status: 500 } : undefined));
    expect(await sync.runOnce(sysadmin)).toMatchObject({ delivered: 1, deadLettered: 1 });
    // v2 is queued, waiting to retry, when the operator re-queues v1.
    await hub.settings.set("DataSyncMaxAttempts", "10");
    await renameAll(hub, [ann], "v2");
    receiver.respondWith(() => ({ status: 500 }));
    expect(await sync.runOnce(sysadmin)).toMatchObject({ failed: 1, deadLettered: 0 });
    receiver.respondWith(() => undefined);
    expect(await sync.requeue(sysadmin, "all")).toEqual({ requeued: 1 });
    await makeRetriesDue(hub);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 2 });
    // The stale v1 goes before v2, so the receiver ends with the newest record.
    expect(receiver.acceptedFor(ann).map(versionOf)).toEqual(["CUSTOMERCRE", "v1", "v2"]);
  });

  it("lists the dead letters oldest first by number, past nine of them", async () => {
    await hub.settings.set("DataSyncMaxAttempts", "1");
    const sync = await configureSync(hub, receiver);
    const names = Array.from({ length: 12 }, (_, at) => `Poison${at}`);
    await addCustomers(hub, names);
    receiver.respondWith(() => ({ status: 422 }));
    expect(await sync.runOnce(sysadmin)).toMatchObject({ deadLettered: 12 });
    const all = await sync.deadLetters(sysadmin);
    const ids = all.map((letter) => Number(letter.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // A page is the oldest letters, not the first by their ids as text ("1", "10", "11", ...).
    expect((await sync.deadLetters(sysadmin, 3)).map((letter) => letter.id)).toEqual(
      all.slice(0, 3).map((letter) => letter.id),
    );
  });

  it("sends only the DELETE of a customer deleted while its messages are queued", async () => {
    const sync = await configureSync(hub, receiver, {
      tuning: { retry: { baseMs: 60_000, maxMs: 60_000 } },
    });
    const [gone, kept] = (await addCustomers(hub, ["Gone", "Kept"])) as [string, string];
    await renameAll(hub, [gone, kept], "v2");
    receiver.respondWith((message) => (message.key === gone ? { status: 500 } : undefined));
    await sync.runOnce(sysadmin);
    await renameAll(hub, [gone], "v3");
    // Gone now has a failed CREATE and an UPDATE in progress, and an UPDATE pending.
    expect((await progressRows(hub)).filter((row) => row.uniqueId === gone)).toHaveLength(2);
    expect(await queueDepths(hub)).toMatchObject({ customerPending: 1 });

    await hub.customers.delete({ customerID: gone }, api);
    expect(await progressRows(hub)).toEqual([]);
    receiver.respondWith(() => undefined);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
    expect(receiver.acceptedFor(gone)).toMatchObject([{ action: "CUSTOMERDEL", payload: gone }]);
    expect(receiver.acceptedFor(kept).map(versionOf)).toEqual(["CUSTOMERCRE", "v2"]);
    expect(await queueDepths(hub)).toMatchObject({ customerPending: 0, progress: 0 });
  });

  it("sends a merge as a DELETE for each merged-away customer and a CREATE for the new one", async () => {
    const sync = await configureSync(hub, receiver);
    const [first, second] = (await addCustomers(hub, ["Ann", "Anne"])) as [string, string];
    const merged = await hub.customers.merge(
      { targets: [{ customerID: first }, { customerID: second }] },
      api,
    );
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 3 });
    // Their queued CREATEs went with them; only the DELETEs and the new customer's CREATE go.
    expect(receiver.acceptedFor(first)).toMatchObject([{ action: "CUSTOMERDEL", payload: first }]);
    expect(receiver.acceptedFor(second)).toMatchObject([
      { action: "CUSTOMERDEL", payload: second },
    ]);
    expect(receiver.acceptedFor(merged.customerID)).toMatchObject([{ action: "CUSTOMERCRE" }]);
    expect(receiver.acceptedFor(merged.customerID)[0]?.payload).toBe(JSON.stringify(merged.record));
  });

  it("drops a deleted, merged-away or erased customer's dead letters: a re-queue cannot re-create it at the receiver", async () => {
    await hub.settings.set("DataSyncMaxAttempts", "1");
    const sync = await configureSync(hub, receiver);
    const customers = await addCustomers(hub, ["Gone", "Ann", "Anne", "Erased", "Kept"]);
    const [gone, first, second, erased, kept] = customers as [
      string,
      string,
      string,
      string,
      string,
    ];
    // The receiver is down once for each customer's CREATE: five dead letters.
    const downFor = new Set(customers);
    receiver.respondWith((message) => (downFor.delete(message.key) ? { status: 500 } : undefined));
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "failed", deadLettered: 5 });

    await hub.customers.delete({ customerID: gone }, api);
    const merged = await hub.customers.merge(
      { targets: [{ customerID: first }, { customerID: second }] },
      api,
    );
    await hub.customers.erase(erased, api);
    expect((await sync.deadLetters(sysadmin)).map((letter) => letter.uniqueId)).toEqual([kept]);

    expect(await sync.requeue(sysadmin, "all")).toEqual({ requeued: 1 });
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 6 });
    for (const customerID of [gone, first, second, erased]) {
      expect(receiver.acceptedFor(customerID).map((message) => message.action)).toEqual([
        "CUSTOMERDEL",
      ]);
    }
    expect(receiver.acceptedFor(merged.customerID).map((message) => message.action)).toEqual([
      "CUSTOMERCRE",
    ]);
    expect(receiver.acceptedFor(kept).map((message) => message.action)).toEqual(["CUSTOMERCRE"]);
  });

  it("drops a customer's dead letters and queued rows when it is deleted while the sync is off", async () => {
    await hub.settings.set("DataSyncMaxAttempts", "1");
    const sync = await configureSync(hub, receiver);
    const [gone] = (await addCustomers(hub, ["Gone"])) as [string];
    receiver.respondWith(() => ({ status: 500 }));
    expect(await sync.runOnce(sysadmin)).toMatchObject({ deadLettered: 1 });
    receiver.respondWith(() => undefined);
    const transaction = { retailTransactionId: "99901000022017110710000101", customerId: gone };
    await hub.db.query(
      `INSERT INTO data_sync_trn_pending_queue (unique_id, action, json_object, customer_id)
       VALUES ($1, 'CREATE', $2::json, $3)`,
      [transaction.retailTransactionId, JSON.stringify(transaction), gone],
    );

    await hub.settings.set("DataSyncEnabled", "false");
    await hub.customers.delete({ customerID: gone }, api);
    await hub.settings.set("DataSyncEnabled", "true");
    expect(await sync.deadLetters(sysadmin)).toEqual([]);
    expect(await queueDepths(hub)).toMatchObject({ customerPending: 0, transactionPending: 0 });
    expect(await sync.requeue(sysadmin, "all")).toEqual({ requeued: 0 });
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 0 });
    expect(receiver.acceptedFor(gone)).toEqual([]);
  });

  it("holds a deleted customer's DELETE until its message in flight has its answer", async () => {
    const sync = await configureSync(hub, receiver);
    const [held] = (await addCustomers(hub, ["Held"])) as [string];
    const answer = later();
    receiver.respondWith((message) =>
      message.key === held ? { later: answer.promise } : undefined,
    );
    const inFlight = sync.runOnce(sysadmin);
    await waitFor(async () => pendingAnswers(receiver, held) > 0);

    // The customer is deleted while its CREATE is on the wire: its row goes, a hold stays.
    await hub.customers.delete({ customerID: held }, api);
    const second = await sync.runOnce(sysadmin);
    expect(second).toMatchObject({ moved: 1, delivered: 0 });
    expect(receiver.acceptedFor(held)).toEqual([]);
    const [holds] = await hub.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM data_sync_ordering_holds",
    );
    expect(holds?.n).toBe(1);

    answer.release("accept");
    // The first run records its answer, which lifts the hold, and then sends the DELETE itself.
    expect(await inFlight).toMatchObject({ outcome: "succeeded", delivered: 2 });
    expect(receiver.acceptedFor(held).map((message) => message.action)).toEqual([
      "CUSTOMERCRE",
      "CUSTOMERDEL",
    ]);
  });

  it("fetches one token and renews it once when it expires mid-run", async () => {
    const sync = await configureSync(hub, receiver, { tuning: { concurrency: 1 } });
    const customers = await addCustomers(hub, ["A", "B", "C", "D"]);
    let expired = false;
    receiver.respondWith(() => {
      // While the third message is taken, every token issued so far stops working.
      if (receiver.accepted.length === 2 && !expired) {
        expired = true;
        receiver.expireTokens();
      }
      return undefined;
    });
    expect(await sync.runOnce(sysadmin)).toMatchObject({
      outcome: "succeeded",
      delivered: 4,
      failed: 0,
    });
    expect(receiver.accepted.map((message) => message.key)).toEqual(customers);
    // One token for the first three messages; the fourth was refused once, then sent again.
    expect(receiver.tokenRequests).toEqual([
      { authentication: "basic", granted: true },
      { authentication: "basic", granted: true },
    ]);
    expect(receiver.rejections.map((rejection) => rejection.status)).toEqual([401]);
  });

  it("keeps the token across runs until it expires; new credentials or a new token endpoint get a new one", async () => {
    const sync = await configureSync(hub, receiver);
    for (const name of ["A", "B", "C", "D"]) {
      await addCustomers(hub, [name]);
      expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
    }
    // SPEC 6: "cached until expiry" (the receiver's tokens last an hour).
    expect(receiver.tokenRequests).toEqual([{ authentication: "basic", granted: true }]);

    // Credentials saved anew: the token issued to the old ones is not used for them.
    await sync.saveCredentials(sysadmin, { clientId: receiver.clientId, clientSecret: "rotated" });
    await addCustomers(hub, ["E"]);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "failed", delivered: 0 });
    await sync.saveCredentials(sysadmin, {
      clientId: receiver.clientId,
      clientSecret: receiver.clientSecret,
    });
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
    expect(receiver.tokenRequests.map((request) => request.granted)).toEqual([
      true,
      false,
      false,
      true,
    ]);

    // Another endpoint taking the same credentials: its own token, none of the first one's.
    const other = await DataSyncReceiver.start({
      clientId: receiver.clientId,
      clientSecret: receiver.clientSecret,
    });
    try {
      await hub.settings.set("DataSyncApiUrl", other.messagesUrl);
      await hub.settings.set("DataSyncTokenUrl", other.tokenUrl);
      await addCustomers(hub, ["F"]);
      expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
      expect(other.tokenRequests).toEqual([{ authentication: "basic", granted: true }]);
      expect(other.rejections).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("remembers across runs that the token endpoint takes the credentials in the body only", async () => {
    const bodyOnly = await DataSyncReceiver.start({ clientAuthentication: "body" });
    try {
      const sync = await configureSync(hub, bodyOnly);
      await addCustomers(hub, ["A"]);
      expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
      // The token stops working: the next run's fetch goes straight to the body form.
      bodyOnly.expireTokens();
      await addCustomers(hub, ["B"]);
      expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
      expect(bodyOnly.tokenRequests).toEqual([
        { authentication: "basic", granted: false },
        { authentication: "body", granted: true },
        { authentication: "body", granted: true },
      ]);
    } finally {
      await bodyOnly.close();
    }
  });

  it("waits before the next attempt at least what a 429's Retry-After asks", async () => {
    const sync = await configureSync(hub, receiver);
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];
    receiver.respondWith(() => ({ status: 429, headers: { "retry-after": "120" } }));
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "failed", failed: 1 });
    const [row] = await progressRows(hub);
    expect(row).toMatchObject({ uniqueId: ann, attempts: 1, lastStatus: 429 });
    expect(row?.retryInMs).toBeGreaterThanOrEqual(119_000);
    expect(row?.retryInMs).toBeLessThanOrEqual(121_000);
  });

  it("pauses the whole destination when the receiver asks to slow down, for every worker, and resumes after", async () => {
    // One message in flight at a time, so the 429 comes before anything else is sent.
    const sync = await configureSync(hub, receiver, { tuning: { concurrency: 1 } });
    const customers = await addCustomers(hub, ["Ann", "Bo", "Cy"]);
    receiver.respondWith(() => ({ status: 429, headers: { "retry-after": "120" } }));
    const run = await sync.runOnce(sysadmin);
    // One message sent and refused; the others were not sent and lost no attempt.
    expect(receiver.answered.map((answer) => answer.outcome)).toEqual([429]);
    expect(run).toMatchObject({ outcome: "failed", delivered: 0, failed: 1 });
    expect(run.error).toMatch(
      /^destination paused until \S+: message \d+ \(customer \d+\): HTTP 429 asked to slow down \(Retry-After 120 s\); 1 deliveries failed/,
    );
    const rows = await progressRows(hub);
    expect(rows.map((row) => [row.attempts, row.leased])).toEqual([
      [1, false],
      [0, false],
      [0, false],
    ]);
    // The pause is stored: `sync status`, `destinations list` show it, until about two minutes on.
    const status = await sync.status(sysadmin);
    expect(status.pause).toMatchObject({ destination: "datasync", status: 429 });
    const untilMs = Date.parse(status.pause!.pausedUntil) - Date.now();
    expect(untilMs).toBeGreaterThan(100_000);
    expect(untilMs).toBeLessThanOrEqual(121_000);
    const listed = await sync.destinations.list(sysadmin);
    expect(listed.find((item) => item.name === "datasync")?.pause).toEqual(status.pause);
    // Another worker on the same database claims nothing, and a run asked for by hand is refused.
    expect(await claimDeliverable(hub.db, "other-worker", 10, 30)).toEqual([]);
    await expect(newDataSync(hub).runOnce(sysadmin)).rejects.toMatchObject({
      code: "DESTINATION_PAUSED",
    });
    // The schedule leaves it alone until the pause ends.
    expect(await sync.destinations.runEnabled(sysadmin, { trigger: "schedule" })).toEqual([]);
    expect(receiver.answered).toHaveLength(1);

    // When the pause is over (moved to the past here), the queue goes out in order.
    receiver.respondWith(() => undefined);
    await hub.db.query(
      "UPDATE data_sync_destination_pauses SET paused_until = now() - interval '1 second'",
    );
    await makeRetriesDue(hub);
    expect((await sync.status(sysadmin)).pause).toBeNull();
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 3 });
    expect(receiver.accepted.map((message) => message.key)).toEqual(customers);
  });

  it("pauses the destination when a message on its last attempt gets a 429: the others are not sent into it", async () => {
    await hub.settings.set("DataSyncMaxAttempts", "1");
    const sync = await configureSync(hub, receiver, { tuning: { concurrency: 1 } });
    await addCustomers(hub, ["Ann", "Bo", "Cy"]);
    receiver.respondWith(() => ({ status: 429, headers: { "retry-after": "120" } }));
    const run = await sync.runOnce(sysadmin);
    // The refused message is dead-lettered (its last attempt); the receiver's request still holds.
    expect(run).toMatchObject({ outcome: "failed", delivered: 0, deadLettered: 1 });
    expect(receiver.answered.map((answer) => answer.outcome)).toEqual([429]);
    expect(run.error).toMatch(
      /^destination paused until \S+: message \d+ \(customer \d+\): HTTP 429/,
    );
    const status = await sync.status(sysadmin);
    expect(status.pause).toMatchObject({ destination: "datasync", status: 429 });
    expect(Date.parse(status.pause!.pausedUntil) - Date.now()).toBeGreaterThan(100_000);
    expect((await progressRows(hub)).map((row) => row.attempts)).toEqual([0, 0]);
  });

  it("a pause another worker stored stops a run at its next write; `resume` ends a pause at once", async () => {
    const sync = await configureSync(hub, receiver, { tuning: { concurrency: 1 } });
    const [ann, bo, cy] = (await addCustomers(hub, ["Ann", "Bo", "Cy"])) as [
      string,
      string,
      string,
    ];
    const answers = new Map([
      [ann, later()],
      [bo, later()],
    ]);
    receiver.respondWith((message) => {
      const answer = answers.get(message.key);
      return answer ? { later: answer.promise } : undefined;
    });
    const running = sync.runOnce(sysadmin);
    await waitFor(async () => pendingAnswers(receiver, ann) > 0);
    // Meanwhile another worker's receiver said 429.
    await pauseDestination(hub.db, {
      destination: "datasync",
      delayMs: 60_000,
      status: 429,
      reason: "message 9 (customer 9): HTTP 429 asked to slow down",
    });
    answers.get(ann)!.release("accept");
    // Ann's answer is written (and the pause seen) while Bo, sent meanwhile, waits for its answer.
    await waitFor(async () => (await progressRows(hub)).length === 2);
    answers.get(bo)!.release("accept");
    const run = await running;
    expect(run).toMatchObject({ outcome: "stopped", delivered: 2, failed: 0 });
    expect(run.error).toMatch(/^destination paused until \S+: message 9 \(customer 9\)/);
    // Cy was held back, with no attempt counted.
    expect(receiver.accepted.map((message) => message.key)).toEqual([ann, bo]);
    expect(await progressRows(hub)).toMatchObject([{ uniqueId: cy, attempts: 0, leased: false }]);
    const resumed = await sync.destinations.resume(sysadmin, "datasync");
    expect(resumed.pause).toBeNull();
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
  });

  it("says once per pause that a paused destination has no scheduled run until the pause ends", async () => {
    await configureSync(hub, receiver);
    const said: string[] = [];
    const log = (_fields: Record<string, unknown>, message: string) => void said.push(message);
    const sync = newDataSync(hub, { logger: { info: () => undefined, warn: log, error: log } });
    const pause = (reason: string, delayMs: number) =>
      pauseDestination(hub.db, { destination: "datasync", delayMs, status: 429, reason });
    await pause("first", 60_000);
    for (let tick = 0; tick < 3; tick += 1) {
      expect(await sync.destinations.runEnabled(sysadmin, { trigger: "schedule" })).toEqual([]);
    }
    await pause("second", 120_000);
    await sync.destinations.runEnabled(sysadmin, { trigger: "schedule" });
    expect(said).toEqual([
      expect.stringMatching(
        /^datasync has no run until its pause ends at \S+ \(first\); `custhub destinations resume datasync` ends it now$/,
      ),
      expect.stringMatching(/^datasync has no run until its pause ends at \S+ \(second\);/),
    ]);
  });

  it("records time-outs and dropped connections as failures; a refused token stops the run without an attempt", async () => {
    const sync = await configureSync(hub, receiver, {
      // The hanging request waits this long; the fine one must be answered within it, which a
      // loaded machine can miss when it is a fraction of a second.
      tuning: { timeoutMs: 2_000, retry: { baseMs: 60_000, maxMs: 60_000 } },
    });
    const [slow, dropped, fine] = (await addCustomers(hub, ["Slow", "Dropped", "Fine"])) as [
      string,
      string,
      string,
    ];
    receiver.respondWith((message) =>
      message.key === slow ? "hang" : message.key === dropped ? "drop" : undefined,
    );
    const run = await sync.runOnce(sysadmin);
    expect(run).toMatchObject({ outcome: "failed", delivered: 1, failed: 2 });
    expect(receiver.acceptedFor(fine)).toHaveLength(1);
    const rows = await progressRows(hub);
    expect(rows.find((row) => row.uniqueId === slow)).toMatchObject({
      attempts: 1,
      lastStatus: null,
    });
    expect(rows.find((row) => row.uniqueId === slow)?.lastError).toContain(
      "no answer within the timeout",
    );
    expect(rows.find((row) => row.uniqueId === dropped)?.lastError).toContain(
      "closed before an answer",
    );

    // Credentials the token endpoint refuses: no message can go, none is charged an attempt.
    await sync.saveCredentials(sysadmin, { clientId: receiver.clientId, clientSecret: "wrong" });
    await makeRetriesDue(hub);
    const refused = await sync.runOnce(sysadmin);
    expect(refused).toMatchObject({ outcome: "failed", delivered: 0, failed: 0 });
    expect(refused.error).toContain("answered 401 (invalid_client");
    expect((await progressRows(hub)).map((row) => [row.attempts, row.leased])).toEqual([
      [1, false],
      [1, false],
    ]);
  });

  it("leaves rows leased by another worker alone until the lease ends, then sends them", async () => {
    const sync = await configureSync(hub, receiver);
    const customers = await addCustomers(hub, ["A", "B"]);
    await movePendingBatch(hub.db, 10, await pendingHighWater(hub.db));
    // A worker that claimed both rows and died. Its lease is long: however slowly this machine
    // gets to the run below, the lease still holds then.
    expect(await claimDeliverable(hub.db, "dead-worker", 10, 600)).toHaveLength(2);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 0 });
    expect((await progressRows(hub)).map((row) => row.leased)).toEqual([true, true]);
    // The lease ends (moved to the past here, rather than waited out).
    await hub.db.query(
      "UPDATE data_sync_progress_queue SET lease_until = now() - interval '1 second'",
    );
    expect((await progressRows(hub)).some((row) => row.leased)).toBe(false);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 2 });
    expect(receiver.accepted.map((message) => message.key)).toEqual(customers);
  });

  it("lets two workers share the queues: each message sent once, each customer's in order", async () => {
    // On PostgreSQL the second worker has its own connection pool, as a second process would;
    // PGlite belongs to one process, so there both workers share its one session.
    const other =
      engine.name === "postgres"
        ? await openHub(
            { dataDir: "", databaseUrl: process.env.TEST_DATABASE_URL },
            { schema: await schemaOf(hub), migrate: false, poolSize: 4 },
          )
        : hub;
    try {
      const tuning = { concurrency: 4 };
      const first = await configureSync(hub, receiver, {
        tuning,
        settings: { DataSyncBatchSize: "40" },
      });
      const second = newDataSync(other, { tuning }, keyOf(hub));
      const customers = await addCustomers(
        hub,
        Array.from({ length: 50 }, (_, index) => `Customer${index}`),
      );
      await renameAll(hub, customers, "v2");
      await renameAll(hub, customers, "v3");
      receiver.delayMs = 1;

      const runs = await Promise.all([first.runOnce(sysadmin), second.runOnce(sysadmin)]);
      // Whatever the last run left behind (a row freed after its claim), a further run sends.
      let delivered = runs[0]!.delivered + runs[1]!.delivered;
      for (let round = 0; round < 3 && delivered < 150; round += 1) {
        delivered += (await first.runOnce(sysadmin)).delivered;
      }
      expect(delivered).toBe(150);
      expect(runs[0]!.delivered).toBeGreaterThan(0);
      expect(runs[1]!.delivered).toBeGreaterThan(0);
      expect(new Set(runs.map((run) => run.worker)).size).toBe(2);
      expect(receiver.rejections).toEqual([]);
      const ids = receiver.accepted.map((message) => message.uniqueId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(150);
      for (const customer of customers) {
        expect(receiver.acceptedFor(customer).map(versionOf)).toEqual(["CUSTOMERCRE", "v2", "v3"]);
      }
    } finally {
      if (other !== hub) await other.close();
    }
  });

  it("refuses to run while DataSyncEnabled is false, and records a run that cannot authenticate", async () => {
    const sync = await configureSync(hub, receiver);
    await hub.settings.set("DataSyncEnabled", "false");
    await expect(sync.runOnce(sysadmin)).rejects.toMatchObject({ code: "SYNC_NOT_CONFIGURED" });
    await hub.settings.set("DataSyncEnabled", "true");
    await hub.settings.set("DataSyncCredentialKeyName", "nothing-saved-here");
    const run = await sync.runOnce(sysadmin);
    expect(run).toMatchObject({ outcome: "failed", delivered: 0 });
    expect(run.error).toContain("No client ID and secret are saved");
    await expect(sync.runOnce({ name: "a viewer", roles: ["viewer"] })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });
});

/** Messages of `key` the receiver has taken but not answered yet. */
function pendingAnswers(receiver: DataSyncReceiver, key: string): number {
  return receiver.inFlight.filter((message) => message.key === key).length;
}
