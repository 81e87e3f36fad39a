/**
 * The embedded database has no autovacuum: custhub vacuums its queues once enough rows have passed
 * through them, so the space of delivered rows is used again instead of the files growing by
 * everything ever queued (docs/sync.md, "Queue upkeep on the embedded database").
 */
import { describe, expect, it } from "vitest";
import { QUEUE_VACUUM_ROWS, reclaimQueueSpace } from "../../src/store/sync-queue-upkeep.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";

const ROWS = 2_000;

/** Queues rows as a batch import does, then takes them out as a sync run's move does. */
async function queueAndDrain(hub: Hub): Promise<number> {
  await hub.db.exec(
    `INSERT INTO data_sync_cust_pending_queue (unique_id, action, json_object)
     SELECT g::text, 'CREATE', md5(g::text) || md5((g + 1)::text) FROM generate_series(1, ${ROWS}) g`,
  );
  const [row] = await hub.db.query<{ bytes: number }>(
    "SELECT pg_relation_size('data_sync_cust_pending_queue')::int AS bytes",
  );
  await hub.db.exec("DELETE FROM data_sync_cust_pending_queue");
  return row!.bytes;
}

describe.each(engines)("queue upkeep on $name", (engine) => {
  it("reuses the space of drained queue rows once enough have passed through", async () => {
    const hub = await engine.freshHub();
    const first = await queueAndDrain(hub);
    expect(first).toBeGreaterThan(0);

    if (engine.name === "postgres") {
      // A server's autovacuum does it; custhub leaves its tables to it.
      expect(await reclaimQueueSpace(hub.db, ROWS)).toBe(false);
      await hub.close();
      return;
    }
    // Below the threshold nothing is vacuumed, and the next rows go after the dead ones.
    expect(await reclaimQueueSpace(hub.db, QUEUE_VACUUM_ROWS - 1)).toBe(false);
    expect(await queueAndDrain(hub)).toBe(2 * first);
    // Past it, the dead rows' space is free again (here, all of it, so the file is cut back):
    // the queue stays the size of its contents.
    expect(await reclaimQueueSpace(hub.db, 1)).toBe(true);
    expect(await queueAndDrain(hub)).toBe(first);
    expect(await reclaimQueueSpace(hub.db, ROWS)).toBe(true);
    expect(await queueAndDrain(hub)).toBe(first);
    await hub.close();
  });
});
