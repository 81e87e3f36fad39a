/**
 * What the job engine keeps of each delivery's outcome, whatever the destination, on every engine:
 * the receiver's status of a message refused for good. The deliveries go over real HTTP to the
 * receiver simulator through the data-sync destination; a thin destination on top of it plays a
 * connector that takes a client error as final, as Datanuum does with 400 and 422.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/services/hub.js";
import { listDeadLetters, listRunResults } from "../../src/store/sync-queue.js";
import { tuningOf } from "../../src/sync/data-sync.js";
import type { DeliveryResult, Destination } from "../../src/sync/destination.js";
import { DataSyncDestination } from "../../src/sync/destinations/datasync/datasync-destination.js";
import { runSyncJob } from "../../src/sync/job-run.js";
import { Secret } from "../../src/sync/secrets/secret.js";
import type { ClaimedRow } from "../../src/store/sync-queue.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { engines } from "../support/databases.js";
import { addCustomers, testTuning } from "./helpers.js";

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

  async function run(destination: Destination) {
    try {
      return await runSyncJob(hub.db, destination, {
        worker: "test-worker",
        trigger: "once",
        tuning: tuningOf(await hub.settings.all(), testTuning),
        keepResults: true,
        random: () => 0.5,
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
});
