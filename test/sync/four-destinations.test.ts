/**
 * All four destinations on one delivery engine, on every engine: the data-sync endpoint,
 * Datanuum, NewBase and SocialHub enabled together, each on its simulator (a real HTTP server),
 * driven as the schedule drives them (one tick runs every enabled destination side by side).
 * Every change reaches every destination, in order per customer (Datanuum, NewBase and SocialHub
 * take updates only: a DELETE is skipped), each mapped field by field; one destination down or
 * refusing its credentials never holds the others back; a manual run sends chosen customers to
 * NewBase only. Nothing is mocked, nothing sleeps.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/roles.js";
import type { CustomerRequest } from "../../src/domain/requests.js";
import type { Hub } from "../../src/services/hub.js";
import type { DataSync } from "../../src/sync/data-sync.js";
import type { JobRun } from "../../src/store/sync-job-runs.js";
import type { JobTuning } from "../../src/sync/types.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { DatanuumReceiver } from "../simulators/datanuum-receiver.js";
import { NewbaseReceiver, type SeededIds } from "../simulators/newbase-receiver.js";
import { SocialhubReceiver } from "../simulators/socialhub-receiver.js";
import { engines } from "../support/databases.js";
import { api, configureSync, makeRetriesDue, newDataSync, person, sysadmin } from "./helpers.js";

const viewer: Actor = { name: "a viewer", roles: ["viewer"] };
const jobadmin: Actor = { name: "a jobadmin", roles: ["jobadmin"] };
/** A failed message waits a minute: a tick does not retry it, a test makes it due by hand. */
const waitToRetry: Partial<JobTuning> = { retry: { baseMs: 60_000, maxMs: 60_000 } };
const NAMES = ["datasync", "datanuum", "newbase", "socialhub"] as const;

interface Simulators {
  datasync: DataSyncReceiver;
  datanuum: DatanuumReceiver;
  newbase: NewbaseReceiver;
  socialhub: SocialhubReceiver;
}

/** Every destination pointed at its simulator and enabled. */
async function configureAll(
  hub: Hub,
  sims: Simulators,
  options: { tuning?: Partial<JobTuning>; settings?: Record<string, string> } = {},
): Promise<DataSync> {
  const sync = await configureSync(hub, sims.datasync, options);
  const destinations = sync.destinations;
  await destinations.addRewardConfig(sysadmin, {
    code: "DATANUUM_CONFIG_01",
    apiUrl: sims.datanuum.apiUrl,
    apiKey: sims.datanuum.apiKey,
  });
  await destinations.setConfig(sysadmin, "datanuum", "rewardPointsConfig", "DATANUUM_CONFIG_01");
  await destinations.setConfig(sysadmin, "newbase", "baseUrl", sims.newbase.baseUrl);
  await destinations.saveCredentials(sysadmin, "newbase", {
    username: sims.newbase.username,
    password: sims.newbase.password,
  });
  await destinations.setConfig(sysadmin, "socialhub", "baseUrl", sims.socialhub.baseUrl);
  await destinations.saveCredentials(sysadmin, "socialhub", { apiKey: sims.socialhub.apiKey });
  for (const name of ["datanuum", "newbase", "socialhub"]) {
    await destinations.setEnabled(sysadmin, name, true);
  }
  return sync;
}

/** One tick of the schedule: every enabled destination runs once, side by side. */
async function tick(sync: DataSync): Promise<Record<string, JobRun>> {
  const runs = await sync.destinations.runEnabled(sysadmin, { trigger: "schedule" });
  expect(runs.map((run) => run.destination)).toEqual([...NAMES]);
  return Object.fromEntries(runs.map((run) => [run.destination, run]));
}

/** Adds customers, one per first name (last name Tester); returns their customerIDs in order. */
async function add(hub: Hub, requests: readonly CustomerRequest[]): Promise<string[]> {
  const outcomes = await hub.customers.applyBatch(
    requests.map((request) => ({ action: "Add" as const, request })),
    api,
  );
  return outcomes.map((outcome) => {
    if (!outcome.ok) throw outcome.error;
    return outcome.customerID;
  });
}

/** Gives each customer a new last name: one UPDATE each, a mapped field on every destination. */
async function renameLast(
  hub: Hub,
  customers: readonly { id: string; first: string }[],
  last: string,
): Promise<void> {
  const outcomes = await hub.customers.applyBatch(
    customers.map(({ id, first }) => ({
      action: "Update" as const,
      request: { customerID: id, individual: { names: { FIRST: first, LAST: last } } },
    })),
    api,
  );
  for (const outcome of outcomes) if (!outcome.ok) throw outcome.error;
}

/** NewBase knows the customer (contact serial = customerID): contact, organisation and person. */
function seedNewbase(newbase: NewbaseReceiver, serial: string): SeededIds {
  return newbase.seedCustomer({
    serial,
    organisation: { name: "Seeded org" },
    person: { first_name: "Seeded", last_name: "Person", language: "en" },
    debtor: null,
    visitAddress: null,
    deliveryAddress: null,
  });
}

/** A customer with every field the four documents map. */
const dee: CustomerRequest = {
  orgName: "Dee Trading",
  individual: {
    names: { FIRST: "Dee", LAST: "Tester" },
    genderType: "F",
    birthDate: "1985-03-09",
    languageCode: "NL",
    addresses: [
      {
        typeCode: "HOME",
        primaryFlag: true,
        addressLine1: "Main Street",
        addressLine2: "12",
        city: "Utrecht",
        postalCode: "3511 AB",
        country: "NL",
      },
    ],
    emails: [{ typeCode: "HOME", primaryFlag: true, emailAddress: "dee@example.com" }],
    // In the international form: custhub holds a number starting with 0 invalid (seeds/003), and
    // no destination is sent an invalid contact.
    telephones: [
      { typeCode: "HOME", primaryFlag: true, phoneNumber: "+31 30 123 4567" },
      { typeCode: "MOBILE", primaryFlag: false, phoneNumber: "+31 6 1234 5678" },
    ],
  },
  contactPreferences: [
    { contactType: "EMAIL", subTypeCode: "HOME", permission: true },
    { contactType: "PHONE", subTypeCode: "HOME", permission: false },
  ],
};

describe.each(engines)("four destinations on $name", (engine) => {
  let sims: Simulators;
  let hub: Hub;

  beforeEach(async () => {
    const [datasync, datanuum, newbase, socialhub] = await Promise.all([
      DataSyncReceiver.start(),
      DatanuumReceiver.start(),
      NewbaseReceiver.start(),
      SocialhubReceiver.start(),
    ]);
    sims = { datasync, datanuum, newbase, socialhub };
    hub = await engine.freshHub();
  });
  afterEach(async () => {
    // A test may have closed one already.
    await Promise.all(Object.values(sims).map((sim) => sim.close().catch(() => undefined)));
  });

  it("delivers every change to every destination in order per customer, each mapped field by field", async () => {
    const sync = await configureAll(hub, sims);
    const [ann, bo, cy, deeId] = (await add(hub, [
      person("Ann"),
      person("Bo"),
      person("Cy"),
      dee,
    ])) as [string, string, string, string];
    const everyone = [
      { id: ann, first: "Ann" },
      { id: bo, first: "Bo" },
      { id: cy, first: "Cy" },
      { id: deeId, first: "Dee" },
    ];
    const people = new Map<string, SeededIds>();
    for (const { id } of [everyone[0]!, everyone[1]!, everyone[2]!]) {
      people.set(id, seedNewbase(sims.newbase, id));
    }
    // Dee is known to NewBase in full: debtor, both addresses and every reachability.
    people.set(
      deeId,
      sims.newbase.seedCustomer({
        serial: deeId,
        person: { first_name: "Old", last_name: "Name", language: "en" },
        debtor: { vat_number: "OLD", language: "en" },
        visitAddress: { street: "Old street", city: "Old city", iso_country: "BE" },
        deliveryAddress: { street: "Old dock", city: "Old city", iso_country: "BE" },
        contactReachabilities: { phone: "0000", email: "old@example.com" },
        personReachabilities: { mobile: "0611111111", fax: "0302222222" },
      }),
    );
    for (const { id } of everyone) sims.socialhub.seed(id);

    await renameLast(hub, everyone, "Second");
    const first = await tick(sync);
    for (const name of NAMES) {
      expect(first[name], name).toMatchObject({ outcome: "succeeded", delivered: 8, failed: 0 });
    }

    // More changes: Ann changes again, Cy is deleted (its DELETE is the only change left).
    await renameLast(hub, [{ id: ann, first: "Ann" }], "Third");
    await hub.customers.delete({ customerID: cy }, api);
    const second = await tick(sync);
    for (const name of NAMES) {
      expect(second[name], name).toMatchObject({ outcome: "succeeded", delivered: 2, failed: 0 });
    }
    for (const summary of await sync.destinations.list(viewer)) {
      expect(summary, summary.name).toMatchObject({ queueDepth: 0, failing: 0, deadLetters: 0 });
    }

    // The data-sync endpoint: every change, the DELETE too, in order per customer.
    const datasyncSeen = (id: string) =>
      sims.datasync.acceptedFor(id).map((message) => {
        if (message.action === "CUSTOMERDEL") return "DEL";
        const record = JSON.parse(message.payload) as {
          entityInformation: {
            individual: { name: { name: { location: string; value: string | null }[] } };
          };
        };
        const last = record.entityInformation.individual.name.name.find(
          (name) => name.location === "LAST",
        );
        return `${message.action}:${last?.value ?? ""}`;
      });
    expect(datasyncSeen(ann)).toEqual([
      "CUSTOMERCRE:Tester",
      "CUSTOMERMOD:Second",
      "CUSTOMERMOD:Third",
    ]);
    expect(datasyncSeen(bo)).toEqual(["CUSTOMERCRE:Tester", "CUSTOMERMOD:Second"]);
    expect(datasyncSeen(cy)).toEqual(["CUSTOMERCRE:Tester", "CUSTOMERMOD:Second", "DEL"]);

    // Datanuum, NewBase, SocialHub: the same changes as updates, in order; no DELETE went out.
    const datanuumSeen = (id: string) =>
      sims.datanuum.requests
        .filter((request) => request.customerCode === id)
        .map((request) => `${request.status}:${(request.body as { lastName: string }).lastName}`);
    expect(datanuumSeen(ann)).toEqual(["201:Tester", "200:Second", "200:Third"]);
    expect(datanuumSeen(bo)).toEqual(["201:Tester", "200:Second"]);
    expect(datanuumSeen(cy)).toEqual(["201:Tester", "200:Second"]);

    const newbaseSeen = (id: string) =>
      sims.newbase.updates
        .filter((update) => update.table === "person" && update.id === people.get(id)!.person)
        .map((update) => update.values.last_name);
    expect(newbaseSeen(ann)).toEqual(["Tester", "Second", "Third"]);
    expect(newbaseSeen(bo)).toEqual(["Tester", "Second"]);
    expect(newbaseSeen(cy)).toEqual(["Tester", "Second"]);

    const socialhubSeen = (id: string) =>
      sims.socialhub.requests
        .filter((request) => request.customerCode === id)
        .map((request) => `${request.status}:${(request.body as { name: string }).name}`);
    expect(socialhubSeen(ann)).toEqual(["200:Ann Tester", "200:Ann Second", "200:Ann Third"]);
    expect(socialhubSeen(bo)).toEqual(["200:Bo Tester", "200:Bo Second"]);
    expect(socialhubSeen(cy)).toEqual(["200:Cy Tester", "200:Cy Second"]);

    // Datanuum keeps every run's results: Cy's DELETE was skipped, with why.
    const report = await sync.destinations.runReport(viewer, "datanuum", second.datanuum!.id);
    expect(
      report.results.map((result) => [result.uniqueId, result.action, result.outcome]),
    ).toEqual(
      expect.arrayContaining([
        [ann, "UPDATE", "sent"],
        [cy, "DELETE", "skipped"],
      ]),
    );

    // Field by field, Dee's current record on each far side.
    const record = await hub.customers.get(deeId);
    const lastMessage = sims.datasync.acceptedFor(deeId).at(-1)!;
    expect(lastMessage).toMatchObject({ type: "CUSTOMER", action: "CUSTOMERMOD", key: deeId });
    expect(JSON.parse(lastMessage.payload)).toEqual(JSON.parse(JSON.stringify(record)));

    expect(sims.datanuum.customers.get(deeId)).toEqual({
      customerCode: deeId,
      firstName: "Dee",
      lastName: "Second",
      gender: "Female",
      birthDate: "1985-03-09",
      mobilePhone: "31612345678",
      emailAddress: "dee@example.com",
      nationality: "NL",
      posRegisterCode: null,
    });

    expect(sims.socialhub.customer(deeId)).toEqual({
      email: "dee@example.com",
      name: "Dee Second",
      gender: 2,
      birthday: "1985-03-09",
      postelCode: "3511 AB",
      address: "Main Street, 12, Utrecht, NL",
      receiveSmsFlag: 0,
      receiveEmailFlag: 1,
      language: "NL",
    });

    const nb = people.get(deeId)!;
    expect(sims.newbase.row("organisation", nb.organisation)?.name).toBe("Dee Trading");
    expect(sims.newbase.row("debtor", nb.debtor!)).toMatchObject({
      vat_number: "OLD", // custhub holds none: left as NewBase has it
      language: "nl",
    });
    expect(sims.newbase.row("person", nb.person!)).toMatchObject({
      first_name: "Dee",
      last_name: "Second",
      language: "nl",
    });
    for (const address of [nb.visitAddress!, nb.deliveryAddress!]) {
      expect(sims.newbase.row("address", address)).toMatchObject({
        street: "Main Street\n12",
        house_number: null,
        city: "Utrecht",
        postcode: "3511 AB",
        iso_country: "NL",
      });
    }
    const reachability = (id: number | undefined) =>
      sims.newbase.row("reachability", id!)?.reachability;
    expect(reachability(nb.contactReachabilities.phone)).toBe("31301234567");
    expect(reachability(nb.contactReachabilities.email)).toBe("dee@example.com");
    expect(reachability(nb.personReachabilities.mobile)).toBe("31612345678");
    // Dee has no fax in custhub: NewBase's is cleared (ResetFax).
    expect(reachability(nb.personReachabilities.fax)).toBe("");
  });

  it("sends no value a far side refuses: country codes in capitals, valid contacts only", async () => {
    const sync = await configureAll(hub, sims);
    // custhub keeps the country as given and the unparseable email with validFlag false.
    const [ivan] = (await add(hub, [
      {
        individual: {
          names: { FIRST: "Ivan", LAST: "Tester" },
          addresses: [
            {
              typeCode: "HOME",
              primaryFlag: true,
              addressLine1: "1 Main St",
              city: "Solon",
              postalCode: "44139",
              country: "us",
            },
          ],
          emails: [
            { typeCode: "HOME", primaryFlag: true, emailAddress: "ivan.invalid-at-example" },
            { typeCode: "WORK", primaryFlag: false, emailAddress: "ivan@example.com" },
          ],
        },
      },
    ])) as [string];
    const record = await hub.customers.get(ivan);
    expect(
      record.entityInformation.individual.contactInformation.email.map((entry) => [
        entry.emailAddress,
        entry.validFlag,
      ]),
    ).toEqual([
      ["ivan.invalid-at-example", "false"],
      ["ivan@example.com", "true"],
    ]);
    const nb = sims.newbase.seedCustomer({
      serial: ivan,
      person: { first_name: "Old", last_name: "Name", language: "en" },
      debtor: null,
      visitAddress: { street: "Old street", city: "Old city", iso_country: "BE" },
      deliveryAddress: null,
      contactReachabilities: { email: "old@example.com" },
    });
    sims.socialhub.seed(ivan);

    const runs = await tick(sync);
    for (const name of NAMES) {
      expect(runs[name], name).toMatchObject({ outcome: "succeeded", delivered: 1, failed: 0 });
    }
    for (const summary of await sync.destinations.list(viewer)) {
      expect(summary, summary.name).toMatchObject({ queueDepth: 0, deadLetters: 0 });
    }
    expect(sims.datanuum.customers.get(ivan)).toMatchObject({
      nationality: "US",
      emailAddress: "ivan@example.com",
    });
    expect(sims.socialhub.customer(ivan)?.email).toBe("ivan@example.com");
    expect(sims.newbase.row("address", nb.visitAddress!)?.iso_country).toBe("US");
    expect(sims.newbase.row("reachability", nb.contactReachabilities.email!)?.reachability).toBe(
      "ivan@example.com",
    );
  });

  it("dead-letters at once what a connector refuses for good (400), retries what may pass (429)", async () => {
    const sync = await configureAll(hub, sims, { tuning: waitToRetry });
    const [ann, bo] = (await add(hub, [person("Ann"), person("Bo")])) as [string, string];
    for (const id of [ann, bo]) {
      seedNewbase(sims.newbase, id);
      sims.socialhub.seed(id);
    }
    sims.socialhub.respondWith(({ customerCode }) =>
      customerCode === ann ? { status: 400 } : customerCode === bo ? { status: 429 } : undefined,
    );
    const first = await tick(sync);
    expect(first.socialhub).toMatchObject({ delivered: 0, failed: 2, deadLettered: 1 });
    const [dead] = await sync.destinations.deadLetters(viewer, "socialhub");
    expect(dead).toMatchObject({ uniqueId: ann, attempts: 1 });
    expect(dead?.lastError).toMatch(/^SocialHub update: HTTP 400/);
    // The 429 asked SocialHub's sender to slow down: the destination is paused, the others go on.
    const listed = (await sync.destinations.list(viewer)).find((d) => d.name === "socialhub");
    expect(listed).toMatchObject({ failing: 1, deadLetters: 1, pause: { status: 429 } });
    const paused = await sync.destinations.runEnabled(sysadmin, { trigger: "schedule" });
    expect(paused.map((run) => run.destination)).toEqual(NAMES.filter((n) => n !== "socialhub"));
    // Resuming by hand makes Bo's message, which waited on the 429, due at once.
    await sync.destinations.resume(sysadmin, "socialhub");

    // Ann's dead letter holds nothing back: her next change goes at the next tick, with Bo's.
    sims.socialhub.respondWith(() => undefined);
    await renameLast(hub, [{ id: ann, first: "Ann" }], "Second");
    const second = await tick(sync);
    expect(second.socialhub).toMatchObject({ delivered: 2, failed: 0 });
    expect(sims.socialhub.customer(ann)?.name).toBe("Ann Second");
  });

  it("names a customer by customerID and its key by type in errors, logs and results, never the key's value (SPEC 9)", async () => {
    const sync = await configureAll(hub, sims, { tuning: waitToRetry });
    const logged: string[] = [];
    const log = (fields: Record<string, unknown>, message: string) =>
      logged.push(`${message} ${JSON.stringify(fields)}`);
    const watched = newDataSync(hub, {
      tuning: waitToRetry,
      logger: { info: log, warn: log, error: log },
    });
    for (const name of ["newbase", "socialhub"]) {
      await sync.destinations.setConfig(sysadmin, name, "customerCodeKeyType", "EMAIL");
    }
    const secret = "erin.private@example.net";
    const [erin] = (await add(hub, [
      {
        individual: { names: { FIRST: "Erin", LAST: "Tester" } },
        alternateKeys: [{ typeCode: "EMAIL", alternateID: secret }],
      },
    ])) as [string];
    // Neither NewBase nor SocialHub knows her: each says so, naming her as custhub does.
    const runs = await watched.destinations.runEnabled(sysadmin, { trigger: "schedule" });
    const byName = Object.fromEntries(runs.map((run) => [run.destination, run]));
    expect(byName.newbase).toMatchObject({ outcome: "failed", failed: 1 });
    expect(byName.socialhub).toMatchObject({ outcome: "failed", failed: 1 });
    const manual = await watched.destinations.run(sysadmin, "newbase", { customers: [erin] });

    const errors = await hub.db.query<{ destination: string; error: string }>(
      `SELECT destination, last_error AS error FROM data_sync_progress_queue WHERE attempts > 0`,
    );
    const byDestination = Object.fromEntries(errors.map((row) => [row.destination, row.error]));
    expect(byDestination.newbase).toMatch(
      new RegExp(`^NEWBASE_CONTACT_NOT_FOUND: .*customer ${erin}'s EMAIL key`),
    );
    expect(byDestination.socialhub).toMatch(/HTTP 404: .*\[EMAIL key\]/);
    const shown = [
      ...logged,
      ...errors.map((row) => row.error),
      ...manual.results.map((result) => result.error ?? ""),
      JSON.stringify(runs),
      JSON.stringify(manual.run),
    ];
    expect(shown.filter((text) => text.includes("erin.private"))).toEqual([]);
    expect(logged.length).toBeGreaterThan(0);
    expect(manual.results.map((result) => result.error)).toContainEqual(
      expect.stringContaining(`customer ${erin}'s EMAIL key`),
    );
  });

  const outages: {
    case: string;
    name: "newbase" | "socialhub";
    status: number | null;
    takeDown: (sims: Simulators) => Promise<void>;
    /** Back up (a closed simulator is started again and the destination pointed at it). */
    bringBack: (sims: Simulators, sync: DataSync, customers: readonly string[]) => Promise<void>;
  }[] = [
    {
      case: "NewBase answering 500",
      name: "newbase",
      status: 500,
      takeDown: async (s) => s.newbase.respondWith(() => ({ status: 500 })),
      bringBack: async (s) => s.newbase.respondWith(() => undefined),
    },
    {
      case: "SocialHub closed",
      name: "socialhub",
      status: null,
      takeDown: (s) => s.socialhub.close(),
      bringBack: async (s, sync, customers) => {
        s.socialhub = await SocialhubReceiver.start({ apiKey: s.socialhub.apiKey });
        for (const id of customers) s.socialhub.seed(id);
        await sync.destinations.setConfig(sysadmin, "socialhub", "baseUrl", s.socialhub.baseUrl);
      },
    },
  ];

  it.each(outages)(
    "keeps the other three delivering everything while $case, and catches up after",
    async ({ name, status, takeDown, bringBack }) => {
      const sync = await configureAll(hub, sims, { tuning: waitToRetry });
      const customers = await add(hub, [person("Ann"), person("Bo"), person("Cy")]);
      for (const id of customers) {
        seedNewbase(sims.newbase, id);
        sims.socialhub.seed(id);
      }
      await takeDown(sims);

      const runs = await tick(sync);
      expect(runs[name]).toMatchObject({ outcome: "failed", delivered: 0, failed: 3 });
      for (const other of NAMES.filter((each) => each !== name)) {
        expect(runs[other], other).toMatchObject({ outcome: "succeeded", delivered: 3 });
      }
      expect(sims.datasync.accepted.map((message) => message.key)).toEqual(customers);
      expect([...sims.datanuum.customers.keys()].sort()).toEqual([...customers].sort());

      // More changes reach the three while the fourth is still down; its queue holds them all.
      await renameLast(
        hub,
        customers.map((id, index) => ({ id, first: ["Ann", "Bo", "Cy"][index]! })),
        "Second",
      );
      const during = await tick(sync);
      for (const other of NAMES.filter((each) => each !== name)) {
        expect(during[other], other).toMatchObject({ outcome: "succeeded", delivered: 3 });
      }
      // Its messages wait out their retry delay: the tick sends none of them.
      expect(during[name]).toMatchObject({ delivered: 0, failed: 0 });
      const list = await sync.destinations.list(viewer);
      expect(list.find((item) => item.name === name)).toMatchObject({
        queueDepth: 6,
        failing: 3,
        deadLetters: 0,
      });
      const rows = await hub.db.query<{ lastStatus: number | null }>(
        `SELECT last_status AS "lastStatus" FROM data_sync_progress_queue
          WHERE destination = $1 AND attempts > 0`,
        [name],
      );
      expect(rows.map((row) => row.lastStatus)).toEqual([status, status, status]);
      for (const item of list.filter((each) => each.name !== name)) {
        expect(item, item.name).toMatchObject({ queueDepth: 0, failing: 0 });
      }

      await bringBack(sims, sync, customers);
      await makeRetriesDue(hub);
      const after = await tick(sync);
      expect(after[name]).toMatchObject({ outcome: "succeeded", delivered: 6 });
      if (name === "socialhub") {
        for (const [index, id] of customers.entries()) {
          const first = ["Ann", "Bo", "Cy"][index]!;
          expect(
            sims.socialhub.requests
              .filter((request) => request.customerCode === id)
              .map((request) => (request.body as { name: string }).name),
          ).toEqual([`${first} Tester`, `${first} Second`]);
        }
      } else {
        expect(sims.newbase.updates.filter((update) => update.table === "person")).toHaveLength(6);
      }
    },
  );

  it("dead-letters a destination refusing its credentials (401) after the configured attempts; the others are unaffected", async () => {
    const sync = await configureAll(hub, sims, { settings: { DataSyncMaxAttempts: "3" } });
    await sync.destinations.saveCredentials(sysadmin, "newbase", {
      username: sims.newbase.username,
      password: "not-the-password",
    });
    const [ann, bo] = (await add(hub, [person("Ann"), person("Bo")])) as [string, string];
    for (const id of [ann, bo]) {
      seedNewbase(sims.newbase, id);
      sims.socialhub.seed(id);
    }

    // No retry delay here: the tick tries each message the configured 3 times.
    const runs = await tick(sync);
    expect(runs.newbase).toMatchObject({
      outcome: "failed",
      delivered: 0,
      failed: 6,
      deadLettered: 2,
    });
    expect(runs.newbase?.error).toContain("HTTP 401");
    for (const other of ["datasync", "datanuum", "socialhub"]) {
      expect(runs[other], other).toMatchObject({ outcome: "succeeded", delivered: 2 });
      expect(await sync.destinations.deadLetters(viewer, other)).toEqual([]);
    }
    expect(sims.newbase.requests.map((request) => request.status)).toEqual(
      Array.from({ length: 6 }, () => 401),
    );
    const letters = await sync.destinations.deadLetters(viewer, "newbase");
    expect(letters.map((letter) => letter.uniqueId).sort()).toEqual([ann, bo].sort());
    for (const letter of letters) {
      expect(letter).toMatchObject({ destination: "newbase", attempts: 3, lastStatus: 401 });
      expect(letter.lastError).toMatch(/^NewBase contact query: HTTP 401: .*invalid credentials/);
      expect(letter.lastError).not.toContain("not-the-password");
    }
    expect(
      (await sync.destinations.list(viewer)).map((item) => [item.name, item.deadLetters]),
    ).toEqual([
      ["datasync", 0],
      ["datanuum", 0],
      ["newbase", 2],
      ["socialhub", 0],
    ]);
  });

  it("sends chosen customers' current records to NewBase only, with each one's result", async () => {
    const sync = await configureAll(hub, sims, { tuning: waitToRetry });
    const [ann, bo, cy] = (await add(hub, [person("Ann"), person("Bo"), person("Cy")])) as [
      string,
      string,
      string,
    ];
    const annIds = seedNewbase(sims.newbase, ann);
    seedNewbase(sims.newbase, bo);
    for (const id of [ann, bo, cy]) sims.socialhub.seed(id);
    // Cy is unknown to NewBase: its change fails there and waits to retry.
    const first = await tick(sync);
    expect(first.newbase).toMatchObject({ delivered: 2, failed: 1 });
    for (const other of ["datasync", "datanuum", "socialhub"]) {
      expect(first[other], other).toMatchObject({ outcome: "succeeded", delivered: 3 });
    }

    // Someone edits Ann in NewBase by hand; a manual run puts custhub's record back.
    const edit = await fetch(`${sims.newbase.baseUrl}person/update`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Basic ${Buffer.from(`${sims.newbase.username}:${sims.newbase.password}`).toString("base64")}`,
      },
      body: JSON.stringify({ id: annIds.person, values: { last_name: "Edited" } }),
    });
    expect(edit.status).toBe(200);
    expect(sims.newbase.row("person", annIds.person!)?.last_name).toBe("Edited");
    const before = {
      datasync: sims.datasync.accepted.length,
      datanuum: sims.datanuum.requests.length,
      socialhub: sims.socialhub.requests.length,
      newbase: sims.newbase.requests.length,
    };
    const report = await sync.destinations.run(jobadmin, "newbase", { customers: [ann, cy] });
    expect(report.run).toMatchObject({ destination: "newbase", trigger: "manual" });
    expect(report.customers).toEqual([
      { customerID: ann, outcome: "sent", action: "UPDATE", status: 200, error: null },
      {
        customerID: cy,
        outcome: "failed",
        // Cy's earlier CREATE, queued for NewBase before, failed first: the record waits behind it.
        action: "CREATE",
        status: null,
        error: expect.stringContaining(
          `NEWBASE_CONTACT_NOT_FOUND: NewBase has no contact whose serial is customer ${cy}'s customerID`,
        ),
      },
    ]);
    // Only NewBase was called, and only about Ann and Cy.
    expect(sims.datasync.accepted.length).toBe(before.datasync);
    expect(sims.datanuum.requests.length).toBe(before.datanuum);
    expect(sims.socialhub.requests.length).toBe(before.socialhub);
    const serials = sims.newbase.requests
      .slice(before.newbase)
      .filter((request) => request.table === "contact")
      .map((request) => (request.body as { filter: { serial: string } }).filter.serial);
    expect([...new Set(serials)].sort()).toEqual([ann, cy].sort());
    expect(sims.newbase.row("person", annIds.person!)).toMatchObject({
      first_name: "Ann",
      last_name: "Tester",
    });
    // The results stay readable; the other destinations' queues are untouched.
    const again = await sync.destinations.runReport(viewer, "newbase", report.run.id);
    expect(again.results.map((result) => [result.uniqueId, result.outcome])).toEqual(
      expect.arrayContaining([
        [ann, "sent"],
        [cy, "failed"],
      ]),
    );
    for (const item of await sync.destinations.list(viewer)) {
      expect(item.queueDepth, item.name).toBe(item.name === "newbase" ? 2 : 0);
    }
  });
});
