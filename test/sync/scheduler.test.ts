/**
 * The schedule inside `custhub serve`, on every engine: a change of DataSyncIntervalSeconds or
 * DataSyncCron made while the scheduler waits out a long one applies at once, not when the old
 * wait ends; on a PostgreSQL server the change comes from another connection, as the CLI's would.
 * A real data-sync receiver; nothing sleeps a fixed time: each wait polls with a deadline.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openHub, type Hub } from "../../src/services/hub.js";
import type { JobRun } from "../../src/store/sync-job-runs.js";
import type { SyncScheduler } from "../../src/sync/scheduler.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { engines } from "../support/databases.js";
import { waitFor } from "../support/wait.js";
import { addCustomers, configureSync, sysadmin } from "./helpers.js";

/** A daily cron expression (UTC) whose next time is about `hours` from now. */
function dailyCronHoursAway(hours: number): string {
  const at = new Date(Date.now() + hours * 3600_000);
  return `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

describe.each(engines)("the data-sync schedule on $name", (engine) => {
  let receiver: DataSyncReceiver;
  let hub: Hub;
  /** Where settings are changed: on a server, a connection of its own (another process's). */
  let writer: Hub;
  let scheduler: SyncScheduler | undefined;

  beforeEach(async () => {
    receiver = await DataSyncReceiver.start();
    hub = await engine.freshHub();
    writer = hub;
    if (engine.name === "postgres") {
      const [{ schema }] = (await hub.db.query<{ schema: string }>(
        "SELECT current_schema() AS schema",
      )) as [{ schema: string }];
      writer = await openHub(
        { dataDir: "", databaseUrl: process.env.TEST_DATABASE_URL },
        { schema, poolSize: 1 },
      );
    }
  });
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    if (writer !== hub) await writer.close();
    await receiver.close();
  });

  /** Starts the schedule and waits for its first run, which starts at once. */
  async function startScheduling(settings: Record<string, string>): Promise<JobRun[]> {
    const sync = await configureSync(hub, receiver, { settings });
    const runs: JobRun[] = [];
    scheduler = sync.startScheduler(sysadmin, (run) => runs.push(run));
    await waitFor(async () => runs.length >= 1);
    return runs;
  }

  it("applies a shorter interval at once, not when the day-long wait ends", async () => {
    const runs = await startScheduling({ DataSyncIntervalSeconds: "86400" });
    await writer.settings.set("DataSyncIntervalSeconds", "1");
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];
    await waitFor(async () => receiver.acceptedFor(ann).length === 1, 15_000);
    expect(runs.every((run) => run.trigger === "schedule")).toBe(true);
  });

  it("applies a cleared cron expression at once, not at its next time hours away", async () => {
    await startScheduling({ DataSyncCron: dailyCronHoursAway(12), DataSyncIntervalSeconds: "1" });
    await writer.settings.set("DataSyncCron", null);
    const [bo] = (await addCustomers(hub, ["Bo"])) as [string];
    await waitFor(async () => receiver.acceptedFor(bo).length === 1, 15_000);
  });

  it("waits for a cron time months away without starting runs back to back", async () => {
    // Once a year: further away than one timer can wait (2^31 ms, about 24.8 days).
    const runs = await startScheduling({ DataSyncCron: "0 0 1 1 *", DataSyncIntervalSeconds: "1" });
    await writer.settings.set("DataSyncCron", null);
    const [cy] = (await addCustomers(hub, ["Cy"])) as [string];
    await waitFor(async () => receiver.acceptedFor(cy).length === 1, 15_000);
    await waitFor(async () => runs.length >= 2);
    // No run but the first until the cron is cleared, then one a second: never back to back.
    // A start is when the run's record was written, some queries after the schedule's own start:
    // on a loaded machine those queries can take a few hundred ms longer for one run than for the
    // next, so two starts a second apart can be recorded well under a second apart. Runs back to
    // back follow each other within the time of an empty run.
    const starts = runs.map((run) => new Date(run.startedAt).getTime());
    const gaps = starts.slice(1).map((start, index) => start - starts[index]!);
    expect(gaps.filter((gap) => gap < 500)).toEqual([]);
  });
});
