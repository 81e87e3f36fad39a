/**
 * A customer's queued transaction messages when the customer is merged away or deleted, against
 * the real receiver simulator on every engine. A merge moves the transactions to the new customer
 * (seeds/003), so their messages go on, once each; a deletion drops them with the customer's other
 * rows (seeds/001).
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/services/hub.js";
import type { DataSync } from "../../src/sync/data-sync.js";
import { engines } from "../support/databases.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { addCustomers, api, configureSync, makeRetriesDue, sysadmin } from "./helpers.js";

/** The data-sync document's TransactionType example (seeds/001), posted for a customer. */
const example = JSON.parse(
  readFileSync(new URL("../fixtures/transaction-example.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

const TRANSACTION = "99901000022017110710000777";

/** Where the transaction's message is when the customer goes. */
const STAGES: {
  stage: string;
  maxAttempts: string;
  /** A first run fails the message (kept to retry, or dead-lettered with one attempt). */
  failFirst: boolean;
  /** Re-queue the dead letters after the customer went. */
  requeue: boolean;
  /** Where a merged customer's message arrives, relative to the new customer's CREATE. */
  merged: "before" | "after";
}[] = [
  // Not fanned out yet: queued again for the new customer, after its CREATE.
  { stage: "pending", maxAttempts: "10", failFirst: false, requeue: false, merged: "after" },
  // Fanned out: its progress row keeps its place, now first among the new customer's messages.
  { stage: "in progress", maxAttempts: "10", failFirst: true, requeue: false, merged: "before" },
  // A dead letter re-queued goes back to its own place, among the new customer's messages.
  { stage: "a dead letter", maxAttempts: "1", failFirst: true, requeue: true, merged: "before" },
];

describe.each(engines)("a customer's transaction messages on $name", (engine) => {
  let receiver: DataSyncReceiver;
  let hub: Hub;

  beforeEach(async () => {
    receiver = await DataSyncReceiver.start();
    hub = await engine.freshHub();
  });
  afterEach(async () => {
    await receiver.close();
    await hub.close();
  });

  /** Customers A and B, a transaction posted for A, its message at `stage`; returns its JSON. */
  async function queued(
    row: (typeof STAGES)[number],
  ): Promise<{ sync: DataSync; a: string; b: string; json: string }> {
    await hub.settings.set("DataSyncMaxAttempts", row.maxAttempts);
    // A failed message waits to retry: the run that failed it does not send it again.
    const sync = await configureSync(hub, receiver, {
      tuning: { retry: { baseMs: 60_000, maxMs: 60_000 } },
    });
    const [a, b] = (await addCustomers(hub, ["Ann", "Anne"])) as [string, string];
    await hub.transactions.post(
      { ...example, retailTransactionId: TRANSACTION, customerId: a },
      api,
    );
    if (row.failFirst) {
      receiver.respondWith((message) =>
        message.action === "POSTRNCRE" ? { status: 500 } : undefined,
      );
      expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "failed", failed: 1 });
      receiver.respondWith(() => undefined);
      await makeRetriesDue(hub);
    }
    const [message] = await hub.db.query<{ json: string }>(
      `SELECT json_object::text AS json FROM data_sync_trn_pending_queue WHERE unique_id = $1
       UNION ALL
       SELECT json_object::text FROM data_sync_progress_queue WHERE unique_id = $1
       UNION ALL
       SELECT json_object::text FROM data_sync_dead_letters WHERE unique_id = $1`,
      [TRANSACTION],
    );
    return { sync, a, b, json: message!.json };
  }

  const transactionMessages = () =>
    receiver.accepted.filter((message) => message.action === "POSTRNCRE");

  it.each(STAGES)(
    "sends a merged-away customer's transaction message ($stage) once, with the new customer's messages",
    async (row) => {
      const { sync, a, b, json } = await queued(row);
      const merged = await hub.customers.merge(
        { targets: [{ customerID: a }, { customerID: b }] },
        api,
      );
      if (row.requeue) {
        expect(await sync.requeue(sysadmin, "all")).toEqual({ requeued: 1 });
      }
      expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded" });

      // Once, as posted: the payload still names the customer it was posted for.
      expect(transactionMessages()).toMatchObject([{ type: "POSTRN", payload: json, key: a }]);
      const at = receiver.accepted.indexOf(transactionMessages()[0]!);
      const created = receiver.accepted.findIndex(
        (message) => message.action === "CUSTOMERCRE" && message.key === merged.customerID,
      );
      expect(created).toBeGreaterThanOrEqual(0);
      expect(row.merged === "after" ? at > created : at < created).toBe(true);
      expect(await hub.db.query("SELECT 1 FROM data_sync_progress_queue")).toEqual([]);
      expect(await sync.deadLetters(sysadmin)).toEqual([]);

      // Nothing is left to go again.
      expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 0 });
      expect(transactionMessages()).toHaveLength(1);
    },
  );

  it.each(STAGES)(
    "drops a deleted customer's transaction message ($stage) with its other rows (seeds/001)",
    async (row) => {
      const { sync, a } = await queued(row);
      await hub.customers.delete({ customerID: a }, api);
      if (row.requeue) expect(await sync.requeue(sysadmin, "all")).toEqual({ requeued: 0 });
      expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded" });
      expect(transactionMessages()).toEqual([]);
      expect(
        receiver
          .acceptedFor(a)
          .map((message) => message.action)
          .at(-1),
      ).toBe("CUSTOMERDEL");
      expect((await hub.health()).queues).toMatchObject({ transactionPending: 0, progress: 0 });
    },
  );
});
