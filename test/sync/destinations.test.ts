/**
 * Several destinations on one delivery engine, on every engine: a change fans out to each enabled
 * destination; each has its own queue state, so one destination down never delays another; dead
 * letters and re-queues are per destination; a manual run sends chosen customers' current
 * records; settings, credentials and roles. Real HTTP receivers throughout (the data-sync
 * receiver and the Datanuum simulator); nothing is mocked.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/roles.js";
import type { Hub } from "../../src/services/hub.js";
import type { DataSync } from "../../src/sync/data-sync.js";
import type { DestinationService } from "../../src/sync/destinations-service.js";
import { DESTINATIONS } from "../../src/sync/destinations/index.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { DatanuumReceiver } from "../simulators/datanuum-receiver.js";
import { engines } from "../support/databases.js";
import {
  addCustomers,
  api,
  configureSync,
  makeRetriesDue,
  newDataSync,
  renameAll,
  sysadmin,
} from "./helpers.js";

const viewer: Actor = { name: "a viewer", roles: ["viewer"] };
const jobadmin: Actor = { name: "a jobadmin", roles: ["jobadmin"] };
const sysconfig: Actor = { name: "a sysconfig", roles: ["sysconfig"] };
/** A failed message waits a minute: a run does not retry it, a test makes it due by hand. */
const waitToRetry = { retry: { baseMs: 60_000, maxMs: 60_000 } };

/** Datanuum pointed at the simulator through a reward-points configuration, and enabled. */
async function configureDatanuum(
  destinations: DestinationService,
  datanuum: DatanuumReceiver,
  options: { enable?: boolean; code?: string } = {},
): Promise<void> {
  const code = options.code ?? "DATANUUM_CONFIG_01";
  await destinations.addRewardConfig(sysadmin, {
    code,
    apiUrl: datanuum.apiUrl,
    apiKey: datanuum.apiKey,
  });
  await destinations.setConfig(sysadmin, "datanuum", "rewardPointsConfig", code);
  if (options.enable !== false) await destinations.setEnabled(sysadmin, "datanuum", true);
}

async function progressByDestination(hub: Hub): Promise<Record<string, number>> {
  const rows = await hub.db.query<{ destination: string; count: number }>(
    `SELECT destination, count(*)::int AS count FROM data_sync_progress_queue
      GROUP BY destination ORDER BY destination`,
  );
  return Object.fromEntries(rows.map((row) => [row.destination, row.count]));
}

describe.each(engines)("destinations on $name", (engine) => {
  let receiver: DataSyncReceiver;
  let datanuum: DatanuumReceiver;
  let hub: Hub;

  beforeEach(async () => {
    receiver = await DataSyncReceiver.start();
    datanuum = await DatanuumReceiver.start();
    hub = await engine.freshHub();
  });
  afterEach(async () => {
    await receiver.close();
    await datanuum.close();
  });

  it("fans each change out to every enabled destination, each delivering its own copy", async () => {
    const sync = await configureSync(hub, receiver);
    await configureDatanuum(sync.destinations, datanuum);
    const [ann, bo] = (await addCustomers(hub, ["Ann", "Bo"])) as [string, string];
    await renameAll(hub, [ann], "v2");

    // The data-sync run moves the pending rows: one progress row per enabled destination.
    const run = await sync.runOnce(sysadmin);
    expect(run).toMatchObject({ destination: "datasync", outcome: "succeeded", moved: 3 });
    expect(receiver.accepted).toHaveLength(3);
    expect(await progressByDestination(hub)).toEqual({ datanuum: 3 });

    const report = await sync.destinations.run(jobadmin, "datanuum");
    expect(report.run).toMatchObject({
      destination: "datanuum",
      outcome: "succeeded",
      moved: 0,
      delivered: 3,
    });
    // Different customers go side by side; one customer's messages in order.
    const resultsOf = (customer: string) =>
      report.results
        .filter((result) => result.uniqueId === customer)
        .map((result) => [result.action, result.outcome, result.status]);
    expect(resultsOf(ann)).toEqual([
      ["CREATE", "sent", 201],
      ["UPDATE", "sent", 200],
    ]);
    expect(resultsOf(bo)).toEqual([["CREATE", "sent", 201]]);
    expect(datanuum.stored).toHaveLength(3);
    expect(await progressByDestination(hub)).toEqual({});
    const list = await sync.destinations.list(viewer);
    expect(list.map((item) => [item.name, item.enabled, item.queueDepth])).toEqual([
      ["datasync", true, 0],
      ["datanuum", true, 0],
      ["newbase", false, 0],
      ["socialhub", false, 0],
    ]);
    expect(list.find((item) => item.name === "datanuum")?.lastRun?.id).toBe(report.run.id);
  });

  it("queues changes while only a connector is enabled (DataSyncEnabled false)", async () => {
    const sync = newDataSync(hub);
    await addCustomers(hub, ["Before"]);
    expect((await hub.health()).queues.customerPending).toBe(0);
    await configureDatanuum(sync.destinations, datanuum);
    const [cy] = (await addCustomers(hub, ["Cy"])) as [string];
    expect((await hub.health()).queues.customerPending).toBe(1);
    const report = await sync.destinations.run(sysadmin, "datanuum");
    expect(report.run).toMatchObject({ outcome: "succeeded", moved: 1, delivered: 1 });
    expect(datanuum.customers.get(cy)).toMatchObject({ firstName: "Cy", lastName: "Tester" });
    // The data-sync endpoint is disabled: nothing was fanned out to it.
    expect(await progressByDestination(hub)).toEqual({});
    await expect(sync.runOnce(sysadmin)).rejects.toMatchObject({ code: "SYNC_NOT_CONFIGURED" });
  });

  it("keeps delivering to one destination while another is down, and catches up after", async () => {
    const sync = await configureSync(hub, receiver, { tuning: waitToRetry });
    await configureDatanuum(sync.destinations, datanuum);
    datanuum.down = true;
    const customers = await addCustomers(hub, ["Ann", "Bo", "Cy"]);

    // Both run side by side, as the schedule runs them.
    const runs = await sync.destinations.runEnabled(sysadmin, { trigger: "schedule" });
    const byName = Object.fromEntries(runs.map((run) => [run.destination, run]));
    expect(byName.datasync).toMatchObject({ outcome: "succeeded", delivered: 3 });
    expect(byName.datanuum).toMatchObject({ outcome: "failed", delivered: 0, failed: 3 });
    expect(byName.datanuum?.error).toContain("HTTP 503");
    expect(receiver.accepted.map((message) => message.key)).toEqual(customers);

    // More changes reach the data-sync endpoint while Datanuum is still down.
    await renameAll(hub, customers, "v2");
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 3 });
    const list = await sync.destinations.list(viewer);
    expect(list.find((item) => item.name === "datanuum")).toMatchObject({
      queueDepth: 6,
      failing: 3,
      deadLetters: 0,
    });

    datanuum.down = false;
    await makeRetriesDue(hub);
    const caughtUp = await sync.destinations.run(sysadmin, "datanuum");
    expect(caughtUp.run).toMatchObject({ outcome: "succeeded", delivered: 6 });
    // Each customer's messages arrived in order: its CREATE, then its UPDATE.
    for (const customer of customers) {
      expect(
        datanuum.stored
          .filter((request) => request.customerCode === customer)
          .map((request) => request.status),
      ).toEqual([201, 200]);
    }
  });

  it("dead-letters per destination and re-queues into that destination's queue only", async () => {
    const sync = await configureSync(hub, receiver, {
      tuning: { ...waitToRetry, maxAttempts: 2 },
    });
    await configureDatanuum(sync.destinations, datanuum);
    const [ann, bo] = (await addCustomers(hub, ["Ann", "Bo"])) as [string, string];
    // A careless far side echoing the API key: it never reaches the stored error.
    datanuum.override((code) =>
      code === ann ? { status: 500, body: `boom ${datanuum.apiKey}` } : undefined,
    );

    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 2 });
    const first = await sync.destinations.run(sysadmin, "datanuum");
    expect(first.run).toMatchObject({ outcome: "failed", delivered: 1, failed: 1 });
    await makeRetriesDue(hub);
    const second = await sync.destinations.run(sysadmin, "datanuum");
    expect(second.run).toMatchObject({ deadLettered: 1 });
    expect(second.results).toEqual([
      expect.objectContaining({
        uniqueId: ann,
        outcome: "dead",
        status: 500,
        error: "HTTP 500: boom [redacted]",
      }),
    ]);

    expect(await sync.deadLetters(sysadmin)).toEqual([]);
    const letters = await sync.destinations.deadLetters(viewer, "datanuum");
    expect(letters).toMatchObject([{ destination: "datanuum", uniqueId: ann, attempts: 2 }]);
    expect(await sync.destinations.deadLetters(viewer, "datasync")).toEqual([]);
    // A data-sync re-queue does not touch Datanuum's dead letters.
    expect(await sync.requeue(sysadmin, "all")).toEqual({ requeued: 0 });
    await expect(sync.destinations.requeue(viewer, "datanuum", "all")).rejects.toMatchObject({
      code: "FORBIDDEN",
    });

    datanuum.override(() => undefined);
    expect(await sync.destinations.requeue(jobadmin, "datanuum", [letters[0]!.id])).toEqual({
      requeued: 1,
    });
    expect(await progressByDestination(hub)).toEqual({ datanuum: 1 });
    const third = await sync.destinations.run(sysadmin, "datanuum");
    expect(third.run).toMatchObject({ outcome: "succeeded", delivered: 1 });
    expect(datanuum.customers.has(ann)).toBe(true);
    expect(datanuum.customers.has(bo)).toBe(true);
    expect(receiver.accepted).toHaveLength(2);
  });

  it("sends chosen customers' current records now, for that destination only, with per-customer results", async () => {
    const sync = await configureSync(hub, receiver);
    await configureDatanuum(sync.destinations, datanuum, { enable: false });
    const [ann, bo, cy] = (await addCustomers(hub, ["Ann", "Bo", "Cy"])) as [
      string,
      string,
      string,
    ];
    await renameAll(hub, [ann], "v2");
    // Bo's record is refused by Datanuum's validation: a dead letter at once, with its error.
    datanuum.override((code) =>
      code === bo
        ? { status: 400, body: '{"errors":[{"field":"mobilePhone","message":"bad"}]}' }
        : undefined,
    );

    const report = await sync.destinations.run(jobadmin, "datanuum", { customers: [ann, bo] });
    expect(report.run).toMatchObject({ destination: "datanuum", trigger: "manual" });
    expect(report.customers).toEqual([
      { customerID: ann, outcome: "sent", action: "UPDATE", status: 201, error: null },
      {
        customerID: bo,
        outcome: "dead",
        action: "UPDATE",
        status: 400,
        error: 'HTTP 400: {"errors":[{"field":"mobilePhone","message":"bad"}]}',
      },
    ]);
    // Only the chosen customers went, once each, as their current record.
    expect(datanuum.requests.map((request) => request.customerCode).sort()).toEqual(
      [ann, bo].sort(),
    );
    expect(datanuum.customers.get(ann)).toMatchObject({ customerCode: ann, firstName: "Ann" });
    expect(datanuum.customers.has(cy)).toBe(false);
    // Their pending changes were moved first, fanned out to the enabled destinations only: the
    // data-sync endpoint still gets them, in order; Cy's is still pending.
    expect(await progressByDestination(hub)).toEqual({ datasync: 3 });
    expect((await hub.health()).queues.customerPending).toBe(1);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 4 });

    // The run's results stay readable.
    const runs = await sync.destinations.runs(viewer, "datanuum");
    expect(runs.map((run) => run.id)).toEqual([report.run.id]);
    const again = await sync.destinations.runReport(viewer, "datanuum", report.run.id);
    expect(again.results.map((result) => [result.uniqueId, result.outcome])).toEqual([
      [ann, "sent"],
      [bo, "dead"],
    ]);
    // A CustomerID written with leading zeros names the same customer, queued under its own id.
    const padded = await sync.destinations.run(jobadmin, "datanuum", { customers: [`000${ann}`] });
    expect(padded.customers).toEqual([
      { customerID: ann, outcome: "sent", action: "UPDATE", status: 200, error: null },
    ]);

    await expect(
      sync.destinations.run(jobadmin, "datanuum", { customers: ["no-such-customer"] }),
    ).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
    // Without customers a disabled destination does not run.
    await expect(sync.destinations.run(jobadmin, "datanuum")).rejects.toMatchObject({
      code: "DESTINATION_DISABLED",
    });
    await expect(
      sync.destinations.run(viewer, "datanuum", { customers: [ann] }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("sends a deleted or merged-away customer's DELETE where the far side takes one, and refuses it by name where not", async () => {
    const sync = await configureSync(hub, receiver);
    await configureDatanuum(sync.destinations, datanuum, { enable: false });
    const [ann, bo, cy, dee] = (await addCustomers(hub, ["Ann", "Bo", "Cy", "Dee"])) as [
      string,
      string,
      string,
      string,
    ];
    expect(await sync.runOnce(sysadmin)).toMatchObject({ delivered: 4 });
    await hub.customers.delete({ customerID: bo }, api);
    const merged = await hub.customers.merge(
      { source: { customerID: cy }, targets: [{ customerID: dee }] },
      api,
    );
    const kept = merged.customerID;
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded" });
    receiver.accepted.splice(0);

    // The data-sync endpoint takes a CUSTOMERDEL (seeds/001): it gets what the outbox sent.
    const report = await sync.destinations.run(jobadmin, "datasync", { customers: [ann, bo, cy] });
    expect(report.customers).toEqual([
      { customerID: ann, outcome: "sent", action: "UPDATE", status: 200, error: null },
      { customerID: bo, outcome: "sent", action: "DELETE", status: 200, error: null },
      { customerID: cy, outcome: "sent", action: "DELETE", status: 200, error: null },
    ]);
    expect(receiver.accepted.map((message) => [message.action, message.payload])).toEqual([
      ["CUSTOMERMOD", JSON.stringify(await hub.customers.get(ann))],
      ["CUSTOMERDEL", bo],
      ["CUSTOMERDEL", cy],
    ]);

    // Datanuum has no delete (seeds/000): the dead records are refused, naming why; Ann goes.
    const refused = await sync.destinations.run(jobadmin, "datanuum", {
      customers: [bo, cy, ann],
    });
    expect(refused.customers).toEqual([
      {
        customerID: bo,
        outcome: "refused",
        action: null,
        status: null,
        error: `Customer ${bo} is deleted. Nothing was sent: Datanuum has no delete (seeds/000: create or update).`,
      },
      {
        customerID: cy,
        outcome: "refused",
        action: null,
        status: null,
        error: `Customer ${cy} was merged into customer ${kept}. Nothing was sent: Datanuum has no delete (seeds/000: create or update). Send customer ${kept} instead.`,
      },
      { customerID: ann, outcome: "sent", action: "UPDATE", status: 201, error: null },
    ]);
    expect(datanuum.requests.map((request) => request.customerCode)).toEqual([ann]);
    // The choice per connector, by what its document offers: only the data-sync endpoint deletes.
    expect(
      DESTINATIONS.filter((definition) => definition.noDelete === undefined).map((d) => d.name),
    ).toEqual(["datasync"]);
  });

  it("sends a hand-picked customer behind its own earlier message, making a waiting retry due now", async () => {
    const sync = newDataSync(hub, { tuning: { retry: { baseMs: 3_600_000, maxMs: 3_600_000 } } });
    await configureDatanuum(sync.destinations, datanuum);
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];
    datanuum.down = true;
    expect((await sync.destinations.run(sysadmin, "datanuum")).run).toMatchObject({ failed: 1 });
    datanuum.down = false;
    await renameAll(hub, [ann], "v2");
    const report = await sync.destinations.run(sysadmin, "datanuum", { customers: [ann] });
    // The CREATE waiting an hour to retry went first, then the pending UPDATE, then the record.
    expect(report.results.map((result) => [result.action, result.outcome])).toEqual([
      ["CREATE", "sent"],
      ["UPDATE", "sent"],
      ["UPDATE", "sent"],
    ]);
    expect(report.customers).toEqual([
      { customerID: ann, outcome: "sent", action: "UPDATE", status: 200, error: null },
    ]);
  });

  it("fails a run at once, with a clear error, for an unknown or disabled reward-points configuration", async () => {
    const sync = newDataSync(hub);
    await configureDatanuum(sync.destinations, datanuum);
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];

    await sync.destinations.setConfig(sysadmin, "datanuum", "rewardPointsConfig", "NOPE");
    const unknown = await sync.destinations.run(sysadmin, "datanuum");
    expect(unknown.run).toMatchObject({ outcome: "failed", moved: 0, delivered: 0 });
    expect(unknown.run.error).toMatch(
      /No Datanuum reward-points configuration has code or id "NOPE"/,
    );

    const [config] = await sync.destinations.listRewardConfigs(viewer);
    await sync.destinations.setConfig(sysadmin, "datanuum", "rewardPointsConfig", config!.id);
    await sync.destinations.setRewardConfigEnabled(sysadmin, config!.id, false);
    const disabled = await sync.destinations.run(sysadmin, "datanuum");
    expect(disabled.run).toMatchObject({ outcome: "failed", delivered: 0 });
    expect(disabled.run.error).toContain("DATANUUM_CONFIG_01 (id");
    expect(disabled.run.error).toContain("is disabled");
    expect(datanuum.requests).toEqual([]);

    // By id, enabled again: it goes.
    await sync.destinations.setRewardConfigEnabled(sysadmin, "DATANUUM_CONFIG_01", true);
    expect((await sync.destinations.run(sysadmin, "datanuum")).run).toMatchObject({
      outcome: "succeeded",
      delivered: 1,
    });
    // A wrong API key is a 401: retried (no delay in these tests) up to DataSyncMaxAttempts,
    // then a dead letter with the receiver's error.
    await sync.destinations.saveRewardConfigKey(sysadmin, "DATANUUM_CONFIG_01", "wrong");
    await renameAll(hub, [ann], "v3");
    const refused = await sync.destinations.run(sysadmin, "datanuum");
    expect(refused.results.map((result) => [result.outcome, result.status])).toEqual([
      ...Array.from({ length: 9 }, () => ["failed", 401]),
      ["dead", 401],
    ]);
    expect(refused.results.at(-1)?.error).toContain("invalid API key");
    expect(await sync.destinations.deadLetters(viewer, "datanuum")).toMatchObject([
      { uniqueId: ann, attempts: 10, lastStatus: 401 },
    ]);
  });

  it("keeps no part of the API key in a result, even where the kept 300 characters of an answer end inside it", async () => {
    const sync = newDataSync(hub);
    await configureDatanuum(sync.destinations, datanuum);
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];
    // A careless server repeating the key it was sent, just before the cut.
    const body = `{"errors":[{"message":"${"x".repeat(260)} key ${datanuum.apiKey} refused"}]}`;
    datanuum.override(() => ({ status: 500, body }));

    const report = await sync.destinations.run(sysadmin, "datanuum", { customers: [ann] });
    const [result] = report.results;
    expect(result).toMatchObject({ uniqueId: ann, outcome: "failed", status: 500 });
    expect(result?.error).toMatch(/^HTTP 500: \{"errors"/);
    const shown = JSON.stringify(report);
    expect(shown).not.toContain(datanuum.apiKey.slice(0, 6));
  });

  it("queues nothing for chosen customers when the destination cannot be opened, so nothing goes twice later", async () => {
    const sync = newDataSync(hub);
    await configureDatanuum(sync.destinations, datanuum, { enable: false });
    const [ann] = (await addCustomers(hub, ["Ann"])) as [string];

    await sync.destinations.setConfig(sysadmin, "datanuum", "rewardPointsConfig", "NOPE");
    const unknown = await sync.destinations.run(sysadmin, "datanuum", { customers: [ann] });
    expect(unknown.run).toMatchObject({ outcome: "failed", moved: 0, delivered: 0 });
    expect(unknown.customers).toEqual([
      { customerID: ann, outcome: "not sent", action: null, status: null, error: null },
    ]);
    await sync.destinations.setConfig(
      sysadmin,
      "datanuum",
      "rewardPointsConfig",
      "DATANUUM_CONFIG_01",
    );
    await sync.destinations.setRewardConfigEnabled(sysadmin, "DATANUUM_CONFIG_01", false);
    const disabled = await sync.destinations.run(sysadmin, "datanuum", { customers: [ann] });
    expect(disabled.run).toMatchObject({ outcome: "failed", delivered: 0 });
    expect(await progressByDestination(hub)).toEqual({});

    // Runnable again: the record goes once, not once per run that could not send it.
    await sync.destinations.setRewardConfigEnabled(sysadmin, "DATANUUM_CONFIG_01", true);
    const sent = await sync.destinations.run(sysadmin, "datanuum", { customers: [ann] });
    expect(sent.results.map((result) => [result.uniqueId, result.outcome])).toEqual([
      [ann, "sent"],
    ]);
    expect(datanuum.requests.map((request) => request.customerCode)).toEqual([ann]);
    expect(await progressByDestination(hub)).toEqual({});
  });

  it("checks settings and credentials per destination, and who may change them", async () => {
    const sync: DataSync = newDataSync(hub);
    const destinations = sync.destinations;
    await expect(
      destinations.setConfig(sysadmin, "datanuum", "posRegisterField", "ref5"),
    ).rejects.toMatchObject({ code: "INVALID_SETTING", details: { key: "posRegisterField" } });
    await expect(destinations.setConfig(sysadmin, "datanuum", "nope", "x")).rejects.toMatchObject({
      code: "INVALID_SETTING",
    });
    await expect(destinations.setConfig(sysadmin, "nowhere", "x", "y")).rejects.toMatchObject({
      code: "DESTINATION_NOT_FOUND",
    });
    await expect(
      destinations.setConfig(viewer, "datanuum", "posRegisterField", "retailStoreID"),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    // A required setting not set yet does not stop another from being saved.
    const saved = await destinations.setConfig(
      sysconfig,
      "datanuum",
      "posRegisterField",
      "alternateKey:POS",
    );
    expect(saved.settings).toContainEqual(
      expect.objectContaining({ key: "posRegisterField", value: "alternateKey:POS" }),
    );
    expect(saved.problem).toContain("rewardPointsConfig");
    // "" restores the default.
    const restored = await destinations.setConfig(sysadmin, "datanuum", "posRegisterField", "");
    expect(restored.settings).toContainEqual(
      expect.objectContaining({ key: "posRegisterField", value: "customAttribute:POS_REGISTER" }),
    );

    // The data-sync destination's settings are the documented DataSync* settings; its URLs, which
    // decide where the saved credentials go, are sysadmin's as the credentials are.
    await expect(
      destinations.setConfig(sysconfig, "datasync", "DataSyncApiUrl", receiver.messagesUrl),
    ).rejects.toMatchObject({ code: "FORBIDDEN", details: { setting: "DataSyncApiUrl" } });
    expect((await hub.settings.all()).DataSyncApiUrl).toBeNull();
    await destinations.setConfig(sysadmin, "datasync", "DataSyncApiUrl", receiver.messagesUrl);
    expect((await hub.settings.all()).DataSyncApiUrl).toBe(receiver.messagesUrl);
    await destinations.setConfig(sysconfig, "datasync", "DataSyncCredentialKeyName", "datasync");
    await destinations.setEnabled(sysconfig, "datasync", true);
    expect((await hub.settings.all()).DataSyncEnabled).toBe(true);
    await expect(destinations.setEnabled(jobadmin, "datasync", false)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });

    // Its credentials saved as fields land where `credentials set` puts them, and work.
    await hub.settings.set("DataSyncTokenUrl", receiver.tokenUrl);
    await hub.settings.set("DataSyncCredentialKeyName", "datasync");
    await expect(
      destinations.saveCredentials(sysconfig, "datasync", { clientId: "x", clientSecret: "y" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      destinations.saveCredentials(sysadmin, "datasync", { clientId: receiver.clientId }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST", details: { field: "clientSecret" } });
    const location = await destinations.saveCredentials(sysadmin, "datasync", {
      clientId: receiver.clientId,
      clientSecret: receiver.clientSecret,
    });
    expect(location).toMatchObject({ mapName: "ce_credentials", keyName: "datasync", saved: true });
    expect(JSON.stringify(await destinations.config(viewer, "datasync"))).not.toContain(
      receiver.clientSecret,
    );
    await addCustomers(hub, ["Ann"]);
    expect(await sync.runOnce(sysadmin)).toMatchObject({ outcome: "succeeded", delivered: 1 });
    await expect(
      destinations.saveCredentials(sysadmin, "datanuum", { apiKey: "k" }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    await expect(
      destinations.addRewardConfig(sysconfig, { code: "X", apiUrl: datanuum.apiUrl, apiKey: "k" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      destinations.addRewardConfig(sysadmin, { code: "123", apiUrl: datanuum.apiUrl, apiKey: "k" }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST", details: { field: "code" } });
    // Requests go to {apiUrl}/customers/{code}: a query or fragment would swallow that path.
    for (const apiUrl of [`${datanuum.apiUrl}?tenant=7`, `${datanuum.apiUrl}#v2`]) {
      await expect(
        destinations.addRewardConfig(sysadmin, { code: "Q", apiUrl, apiKey: "k" }),
      ).rejects.toMatchObject({
        code: "INVALID_REQUEST",
        message: expect.stringContaining("no query or fragment"),
        details: { field: "apiUrl" },
      });
    }
    // A password in the URL would be shown with the configuration: it goes in apiKey alone.
    const withPassword = datanuum.apiUrl.replace("://", "://svc:s3cret@");
    const refused = await destinations
      .addRewardConfig(sysadmin, { code: "P", apiUrl: withPassword, apiKey: "k" })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringContaining("must not hold a user name or password"),
      details: { field: "apiUrl" },
    });
    expect((refused as Error).message).not.toContain("s3cret");
    // Nor is it repeated when the URL holding it does not parse (a port out of range).
    const unparsable = await destinations
      .addRewardConfig(sysadmin, {
        code: "P",
        apiUrl: "https://svc:s3cret@host:99999/",
        apiKey: "k",
      })
      .catch((error: unknown) => error);
    expect(unparsable).toMatchObject({ code: "INVALID_REQUEST", details: { field: "apiUrl" } });
    expect((unparsable as Error).message).not.toContain("s3cret");
    await destinations.addRewardConfig(sysadmin, {
      code: "A",
      apiUrl: datanuum.apiUrl,
      apiKey: "k",
    });
    await expect(
      destinations.addRewardConfig(sysadmin, { code: "A", apiUrl: datanuum.apiUrl, apiKey: "k" }),
    ).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await destinations.listRewardConfigs(viewer)).toMatchObject([
      { code: "A", enabled: true, credentials: { saved: true } },
    ]);
  });
});
