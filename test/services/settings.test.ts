/**
 * Settings that must agree, on every engine: DataSyncLeaseSeconds must outlast four
 * DataSyncTimeoutSeconds and a second (docs/sync.md "Settings"). Each value within its own range
 * can still break that rule with the other, and the job would then refuse every run; so `config
 * set` (the CLI and the API both set through this service) refuses it, naming both settings and
 * a value that would do, and keeps the old value.
 */
import { describe, expect, it } from "vitest";
import { tuningOf } from "../../src/sync/data-sync.js";
import { engines } from "../support/databases.js";

describe.each(engines)("settings that must agree on $name", (engine) => {
  it("refuses a timeout the stored lease does not outlast, naming both and what would do", async () => {
    const hub = await engine.freshHub();
    const refused = hub.settings.set("DataSyncTimeoutSeconds", "90");
    await expect(refused).rejects.toMatchObject({
      code: "INVALID_SETTING",
      details: {
        key: "DataSyncTimeoutSeconds",
        settings: ["DataSyncLeaseSeconds", "DataSyncTimeoutSeconds"],
      },
    });
    const message = await refused.catch((error: Error) => error.message);
    expect(message).toContain("DataSyncTimeoutSeconds 90");
    expect(message).toContain("DataSyncLeaseSeconds of at least 4 x 90 + 1 (361), and it is 300");
    expect(message).toContain("Set DataSyncTimeoutSeconds to 74 or less");
    expect(await hub.settings.get("DataSyncTimeoutSeconds")).toBe(30);

    // What the message says works: the lease first, then the timeout, and the job runs with it.
    await hub.settings.set("DataSyncLeaseSeconds", "361");
    expect(await hub.settings.set("DataSyncTimeoutSeconds", "90")).toBe(90);
    expect(tuningOf(await hub.settings.all())).toMatchObject({
      timeoutMs: 90_000,
      leaseSeconds: 361,
    });
  });

  it("refuses a lease shorter than the stored timeout needs, naming both and what would do", async () => {
    const hub = await engine.freshHub();
    const refused = hub.settings.set("DataSyncLeaseSeconds", "5");
    await expect(refused).rejects.toMatchObject({
      code: "INVALID_SETTING",
      details: { key: "DataSyncLeaseSeconds", shortestLeaseSeconds: 121 },
    });
    const message = await refused.catch((error: Error) => error.message);
    expect(message).toContain(
      "DataSyncLeaseSeconds 5 is too short for DataSyncTimeoutSeconds 30: a lease must be at least 4 x DataSyncTimeoutSeconds + 1 (121)",
    );
    expect(message).toContain("first lower DataSyncTimeoutSeconds to 1 or less");
    expect(await hub.settings.get("DataSyncLeaseSeconds")).toBe(300);

    await hub.settings.set("DataSyncTimeoutSeconds", "1");
    expect(await hub.settings.set("DataSyncLeaseSeconds", "5")).toBe(5);
    // Back to the default timeout would break the pair again: refused too.
    await expect(hub.settings.set("DataSyncTimeoutSeconds", null)).rejects.toMatchObject({
      code: "INVALID_SETTING",
    });
  });
});
