/**
 * Lists the store orders by id come out in the ids' numeric order past nine of them. The ids go
 * out as text under their own names (`id::text AS id`), so an unqualified `ORDER BY id` sorted
 * that text: `sync status` listed runs 9, 8, ..., 2, 12, 11, 10, 1, and `destinations list`
 * showed run 9 as the last run once there were ten.
 */
import { describe, expect, it } from "vitest";
import { insertRewardConfig, listRewardConfigs } from "../../src/store/destinations.js";
import {
  finishJobRun,
  lastJobRuns,
  listJobRuns,
  startJobRun,
} from "../../src/store/sync-job-runs.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";

const RUNS = 12;
const noCounts = { moved: 0, delivered: 0, failed: 0, deadLettered: 0 };

/** Records `count` finished runs of `destination`, oldest first; returns their ids. */
async function recordRuns(hub: Hub, destination: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let run = 0; run < count; run += 1) {
    const id = await startJobRun(hub.db, "test-worker", "once", 60, destination);
    await finishJobRun(hub.db, id, "succeeded", noCounts, null);
    ids.push(id);
  }
  return ids;
}

describe.each(engines)("lists by id on $name", (engine) => {
  it("lists job runs newest first by number, past nine of them", async () => {
    const hub = await engine.freshHub();
    const ids = await recordRuns(hub, "datasync", RUNS);
    const newestFirst = [...ids].reverse();

    expect((await listJobRuns(hub.db, 10, "datasync")).map((run) => run.id)).toEqual(
      newestFirst.slice(0, 10),
    );
    expect((await listJobRuns(hub.db, 100)).map((run) => run.id)).toEqual(newestFirst);
    await hub.close();
  });

  it("gives each destination's newest run as its last, past nine of them", async () => {
    const hub = await engine.freshHub();
    const datasync = await recordRuns(hub, "datasync", RUNS);
    const datanuum = await recordRuns(hub, "datanuum", 1);

    const last = await lastJobRuns(hub.db);
    expect(last.get("datasync")?.id).toBe(datasync.at(-1));
    expect(last.get("datanuum")?.id).toBe(datanuum[0]);
    await hub.close();
  });

  it("lists Datanuum's reward-points configurations in the order they were added, past nine", async () => {
    const hub = await engine.freshHub();
    const codes = Array.from({ length: RUNS }, (_, at) => `CONFIG_${at}`);
    for (const code of codes) {
      await insertRewardConfig(hub.db, { code, apiUrl: "http://127.0.0.1:1/", enabled: true });
    }
    const listed = await listRewardConfigs(hub.db);
    expect(listed.map((config) => config.code)).toEqual(codes);
    expect(listed.map((config) => Number(config.id))).toEqual(codes.map((_, at) => at + 1));
    await hub.close();
  });
});
