/**
 * The write path against its promise (docs/storage.md, "One transaction per operation, many
 * operations per transaction"): requests applied together, in any split into batches and through
 * the API's group commit, end exactly as the same requests applied one by one, in order, each in a
 * transaction of its own. A property over random requests on a few customers and a small pool of
 * alternate keys, so that requests of one batch often name the same customer or the same key; and
 * after each run, what must hold in the database whatever the order: a key held by one active
 * customer at most, one history row and one pending-queue row per change (SPEC 2 and 6), and a
 * customer's newest queued message being its record as GET returns it. Writers at once (batches,
 * single writes, merges) must keep the same, and fail only with the rules' refusals.
 *
 * Runs are few, to keep the file to seconds; `CUSTHUB_PROPERTY_RUNS=500` searches longer.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { AlternateKeyInput, CustomerRequest } from "../../src/domain/requests.js";
import type {
  ChangeContext,
  CustomerOperation,
  OperationOutcome,
} from "../../src/services/customers.js";
import type { MergeOutcome } from "../../src/services/customer-merge.js";
import type { Hub } from "../../src/services/hub.js";
import { isCusthubError } from "../../src/domain/errors.js";
import { engines } from "../support/databases.js";

const api: ChangeContext = { actor: "tester", channel: "api" };

/** Runs of each property: a server's round trips make its runs slower than the embedded one's. */
const runsOn = (engine: { name: string }): number =>
  Number(process.env.CUSTHUB_PROPERTY_RUNS ?? (engine.name === "pglite" ? 30 : 15));

/** Which customer a request names by CustomerID: one an earlier batch returned, or none. */
type IdRef = { kind: "known"; pick: number; form: "plain" | "padded" } | { kind: "missing" };

interface GeneratedOperation {
  action: CustomerOperation["action"];
  customerID?: IdRef | undefined;
  alternateKeys: AlternateKeyInput[];
  orgName?: string | undefined;
}

interface GeneratedMerge {
  action: "Merge";
  source?: IdRef | undefined;
  targets: ({ by: "id"; ref: IdRef } | { by: "key"; key: AlternateKeyInput })[];
}

/**
 * How a step's requests go in: one `applyBatch` (`batch`), or as single API writes all submitted
 * at once (`singles`), which the group commit gathers into batches.
 */
type Step =
  | { via: "batch" | "singles"; operations: GeneratedOperation[] }
  | { via: "merge"; merge: GeneratedMerge };

const keyArb: fc.Arbitrary<AlternateKeyInput> = fc.record({
  typeCode: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("TWCUSTID", "EMAIL") },
    { weight: 1, arbitrary: fc.constantFrom(" twcustid", "LOYALTY") },
  ),
  alternateID: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("1", "2", "3", "4") },
    { weight: 1, arbitrary: fc.constant(" 2 ") },
  ),
  updateType: fc.constantFrom(
    undefined,
    undefined,
    "Old" as const,
    "New" as const,
    "DELETE" as const,
  ),
});

const idRefArb: fc.Arbitrary<IdRef> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("known" as const),
      // Mostly the prelude's customers, which hold the keys.
      pick: fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 2 }) }, fc.nat({ max: 20 })),
      form: fc.constantFrom("plain" as const, "padded" as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "missing" as const }) },
);

const operationArb: fc.Arbitrary<GeneratedOperation> = fc.record({
  action: fc.constantFrom(
    "Add" as const,
    "AddorUpdate" as const,
    "Update" as const,
    "Delete" as const,
  ),
  customerID: fc.option(idRefArb, { nil: undefined, freq: 3 }),
  alternateKeys: fc.array(keyArb, { maxLength: 3 }),
  orgName: fc.option(fc.constantFrom("Acme", "Bolt"), { nil: undefined }),
});

const mergeArb: fc.Arbitrary<GeneratedMerge> = fc.record({
  action: fc.constant("Merge" as const),
  source: fc.option(idRefArb, { nil: undefined }),
  targets: fc.array(
    fc.oneof(
      fc.record({ by: fc.constant("id" as const), ref: idRefArb }),
      fc.record({
        by: fc.constant("key" as const),
        key: keyArb.map(({ typeCode, alternateID }) => ({ typeCode, alternateID })),
      }),
    ),
    { minLength: 1, maxLength: 2 },
  ),
});

/** Customers holding most of the pool's keys, for every run to begin with: clashes from the start. */
const PRELUDE: Step = {
  via: "batch",
  operations: [
    [
      ["TWCUSTID", "1"],
      ["EMAIL", "1"],
    ],
    [
      ["TWCUSTID", "2"],
      ["EMAIL", "2"],
    ],
    [["TWCUSTID", "3"]],
  ].map((keys) => ({
    action: "Add",
    alternateKeys: keys.map(([typeCode, alternateID]) => ({ typeCode, alternateID })),
  })),
};

const stepArb = (vias: readonly ("batch" | "singles")[]): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        via: fc.constantFrom(...vias),
        operations: fc.array(operationArb, { minLength: 1, maxLength: 10 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ via: fc.constant("merge" as const), merge: mergeArb }) },
  );

/** A request's outcome as it can be compared across runs: ids through the runs' correspondence. */
type Result =
  | { ok: true; customerID: string; change: string | null; record: unknown; mergedFrom?: string[] }
  | { ok: false; code: string };

/** What one run did: every request's result, in order, and the customers it named or returned. */
interface Run {
  results: Result[];
  /** Customer ids returned so far, in order of first appearance: what `known` refs pick from. */
  known: string[];
}

const MISSING_ID = "999999";

function resolve(ref: IdRef | undefined, known: readonly string[]): string | undefined {
  if (ref === undefined) return undefined;
  if (ref.kind === "missing" || known.length === 0) return MISSING_ID;
  const id = known[ref.pick % known.length]!;
  return ref.form === "padded" ? ` 00${id} ` : id;
}

/** The request a generated operation stands for, in a run that knows these customers. */
function toOperation(generated: GeneratedOperation, known: readonly string[]): CustomerOperation {
  const request: CustomerRequest = {};
  const customerID = resolve(generated.customerID, known);
  if (customerID !== undefined) request.customerID = customerID;
  if (generated.alternateKeys.length > 0)
    request.alternateKeys = generated.alternateKeys.map((key) => ({ ...key }));
  if (generated.orgName !== undefined) request.orgName = generated.orgName;
  return { action: generated.action, request };
}

/**
 * A single API write is what `CustomerService.delete` takes: a CustomerID or one alternate key.
 * The generated Delete becomes that request, so both runs are given the same.
 */
function asApiWrite(generated: GeneratedOperation): GeneratedOperation {
  if (generated.action !== "Delete") return generated;
  if (generated.customerID !== undefined || generated.alternateKeys.length === 0) {
    return {
      action: "Delete",
      customerID: generated.customerID ?? { kind: "missing" },
      alternateKeys: [],
    };
  }
  const [{ typeCode, alternateID }] = generated.alternateKeys as [AlternateKeyInput];
  return { action: "Delete", alternateKeys: [{ typeCode, alternateID }] };
}

function fromOutcome(outcome: OperationOutcome): Result {
  if (!outcome.ok) return { ok: false, code: outcome.error.code };
  return {
    ok: true,
    customerID: outcome.customerID,
    change: outcome.change,
    record: outcome.record,
  };
}

function fromError(error: unknown): Result {
  if (!isCusthubError(error)) throw error;
  return { ok: false, code: error.code };
}

function remember(run: Run, results: readonly Result[]): void {
  for (const result of results) {
    run.results.push(result);
    if (!result.ok) continue;
    for (const id of [...(result.mergedFrom ?? []), result.customerID]) {
      if (!run.known.includes(id)) run.known.push(id);
    }
  }
}

async function single(hub: Hub, operation: CustomerOperation): Promise<Result> {
  const { action, request } = operation;
  const write =
    action === "Add"
      ? hub.customers.add(request, api)
      : action === "AddorUpdate"
        ? hub.customers.addOrUpdate(request, api)
        : action === "Update"
          ? hub.customers.update(request, api)
          : hub.customers.delete(
              request.customerID !== undefined
                ? { customerID: request.customerID! }
                : {
                    alternateKey: {
                      typeCode: request.alternateKeys![0]!.typeCode!,
                      alternateID: request.alternateKeys![0]!.alternateID!,
                    },
                  },
              api,
            );
  return write.then(fromOutcome, fromError);
}

async function merge(
  hub: Hub,
  generated: GeneratedMerge,
  known: readonly string[],
): Promise<Result> {
  const party = (target: GeneratedMerge["targets"][number]) =>
    target.by === "id"
      ? { customerID: resolve(target.ref, known)! }
      : { alternateKey: { typeCode: target.key.typeCode!, alternateID: target.key.alternateID! } };
  const source = resolve(generated.source, known);
  return hub.customers
    .merge(
      {
        ...(source === undefined ? {} : { source: { customerID: source } }),
        targets: generated.targets.map(party),
      },
      api,
    )
    .then(
      (outcome: MergeOutcome): Result => ({
        ok: true,
        customerID: outcome.customerID,
        change: "CREATE",
        record: outcome.record,
        mergedFrom: outcome.mergedFrom,
      }),
      fromError,
    );
}

/** One step as the write path takes it: a batch, group-committed single writes, a merge. */
async function runStep(hub: Hub, step: Step, known: readonly string[]): Promise<Result[]> {
  if (step.via === "merge") return [await merge(hub, step.merge, known)];
  if (step.via === "batch") {
    const operations = step.operations.map((generated) => toOperation(generated, known));
    return (await hub.customers.applyBatch(operations, api)).map(fromOutcome);
  }
  return Promise.all(
    step.operations.map((generated) => single(hub, toOperation(asApiWrite(generated), known))),
  );
}

async function runBatched(hub: Hub, steps: readonly Step[]): Promise<Run> {
  const run: Run = { results: [], known: [] };
  for (const step of steps) remember(run, await runStep(hub, step, [...run.known]));
  return run;
}

/**
 * Rounds of writers at once, each writer's steps one after another: the customers an earlier
 * round returned are the ones a round's requests name.
 */
async function runConcurrently(hub: Hub, rounds: readonly Step[][][]): Promise<Run> {
  const run: Run = { results: [], known: [] };
  remember(run, await runStep(hub, PRELUDE, []));
  for (const writers of rounds) {
    const known = [...run.known];
    const done = await Promise.all(
      writers.map(async (steps) => {
        const results: Result[] = [];
        for (const step of steps) results.push(...(await runStep(hub, step, known)));
        return results;
      }),
    );
    for (const results of done) remember(run, results);
  }
  return run;
}

/** The same steps, every request alone and in order: the promise the batched run must keep. */
async function runOneByOne(hub: Hub, steps: readonly Step[]): Promise<Run> {
  const run: Run = { results: [], known: [] };
  for (const step of steps) {
    if (step.via === "merge") {
      remember(run, [await merge(hub, step.merge, run.known)]);
      continue;
    }
    const known = [...run.known];
    for (const generated of step.operations) {
      const operation = toOperation(
        step.via === "singles" ? asApiWrite(generated) : generated,
        known,
      );
      remember(run, (await hub.customers.applyBatch([operation], api)).map(fromOutcome));
    }
  }
  return run;
}

/** Each batched run's customer id and the one-by-one run's id of the same customer. */
function correspondence(batched: Run, alone: Run): Map<string, string> {
  const ids = new Map<string, string>();
  const pair = (mine: string, theirs: string): void => {
    const held = ids.get(mine);
    if (held !== undefined && held !== theirs)
      throw new Error(`customer ${mine} is both ${held} and ${theirs}`);
    ids.set(mine, theirs);
  };
  batched.results.forEach((result, index) => {
    const other = alone.results[index];
    if (!result.ok || !other?.ok) return;
    pair(result.customerID, other.customerID);
    result.mergedFrom?.forEach((id, at) => pair(id, other.mergedFrom?.[at] ?? "?"));
  });
  const seen = new Set<string>();
  for (const theirs of ids.values()) {
    if (seen.has(theirs)) throw new Error(`two customers correspond to customer ${theirs}`);
    seen.add(theirs);
  }
  return ids;
}

/** The result with its customer ids translated, the record compared as its JSON. */
function translated(result: Result, ids: ReadonlyMap<string, string>): unknown {
  if (!result.ok) return result;
  const id = (customerID: string): string => ids.get(customerID) ?? `unpaired ${customerID}`;
  return {
    ok: true,
    customerID: id(result.customerID),
    change: result.change,
    mergedFrom: result.mergedFrom?.map(id),
    record: translateRecord(result.record, ids),
  };
}

/** The record with its customer ids translated, and without the time a merge stamps on it. */
function translateRecord(record: unknown, ids: ReadonlyMap<string, string>): unknown {
  return JSON.parse(
    JSON.stringify(record)
      .replace(/"updateDate":"[^"]*T[^"]*"/g, '"updateDate":"(now)"')
      .replace(
        /"(customerID|mergedInto)":"(\d+)"/g,
        (_, field: string, customerID: string) =>
          `"${field}":"${ids.get(customerID) ?? `unpaired ${customerID}`}"`,
      ),
  );
}

interface StoredRow {
  id: string;
  active: boolean;
  version: number;
  text: string;
}

const storedCustomers = (hub: Hub): Promise<StoredRow[]> =>
  hub.db.query<StoredRow>(
    "SELECT customer_id::text AS id, active, version, response_text AS text FROM customers ORDER BY customer_id",
  );

/** What must hold in the database after any run, given the results the run reported. */
async function checkInvariants(
  hub: Hub,
  run: Run,
  { ordered }: { ordered: boolean } = { ordered: true },
): Promise<void> {
  const heldTwice = await hub.db.query<{ type_code: string; alternate_id: string }>(
    `SELECT k.type_code, k.alternate_id FROM customer_alternate_keys k
       JOIN customers c ON c.customer_id = k.customer_id
      WHERE k.active AND c.active GROUP BY k.type_code, k.alternate_id HAVING count(*) > 1`,
  );
  expect(heldTwice, "an alternate key held by two active customers").toEqual([]);

  // Each customer's changes as the run reported them: in order unless writers ran at once.
  const changes = new Map<string, string[]>();
  const note = (customerID: string, change: string): void => {
    changes.set(customerID, [...(changes.get(customerID) ?? []), change]);
  };
  for (const result of run.results) {
    if (!result.ok || result.change === null) continue;
    for (const retired of result.mergedFrom ?? []) note(retired, "DELETE");
    note(result.customerID, result.change);
  }

  const history = await hub.db.query<{ id: string; count: number }>(
    "SELECT customer_id::text AS id, count(*)::int AS count FROM customer_history GROUP BY customer_id",
  );
  const pending = await hub.db.query<{
    unique_id: string;
    action: string;
    json_object: string | null;
  }>("SELECT unique_id, action, json_object FROM data_sync_cust_pending_queue ORDER BY id");
  const keys = await hub.db.query<{ id: string; type_code: string; alternate_id: string }>(
    `SELECT customer_id::text AS id, type_code, alternate_id FROM customer_alternate_keys
      WHERE active ORDER BY customer_id, type_code, alternate_id`,
  );
  const stored = await storedCustomers(hub);
  expect(stored.map((row) => row.id).sort(), "the customers the run reported").toEqual(
    [...changes.keys()].sort(),
  );
  for (const row of stored) {
    const reported = changes.get(row.id)!;
    const what = `customer ${row.id} after ${reported.join(", ")}`;
    // Every change its history row and its own version; a deletion drops what was queued before it.
    expect(history.find((entry) => entry.id === row.id)?.count, what).toBe(reported.length);
    expect(row.version, what).toBe(reported.length);
    const deleted = reported.indexOf("DELETE");
    const queued = pending.filter((message) => message.unique_id === row.id);
    const actions = queued.map((message) => message.action);
    if (ordered) {
      expect(actions, what).toEqual(deleted < 0 ? reported : reported.slice(deleted));
    } else if (deleted >= 0) {
      // Whatever the order the writers' changes committed in: a deletion last, and once.
      expect(actions, what).toEqual(["DELETE"]);
      expect(
        reported.filter((change) => change === "DELETE"),
        what,
      ).toHaveLength(1);
    } else {
      expect([...actions].sort(), what).toEqual([...reported].sort());
      if (reported.includes("CREATE")) expect(actions[0], what).toBe("CREATE");
    }
    expect(row.active, what).toBe(deleted < 0);
    const record = await hub.customers.get(row.id);
    expect(JSON.parse(row.text), what).toEqual(record);
    if (deleted < 0) {
      expect(queued.at(-1)!.json_object, what).toBe(JSON.stringify(record));
      expect((await hub.customers.getJson(row.id)).text, what).toBe(queued.at(-1)!.json_object);
    } else {
      expect(queued.at(-1)!.json_object, what).toBeNull();
    }
    // The key rows say what the record says: an inactive customer holds no key.
    const held = record.alternateKey.map((key) => `${key.typeCode} ${key.alternateID}`).sort();
    expect(
      keys.filter((key) => key.id === row.id).map((key) => `${key.type_code} ${key.alternate_id}`),
      what,
    ).toEqual(row.active ? held : []);
  }
  expect(pending.every((message) => changes.has(message.unique_id))).toBe(true);
}

/** Empties the customer tables and starts the ids again, so each run begins alike. */
async function reset(hub: Hub): Promise<void> {
  await hub.db.exec(
    `TRUNCATE customers, customer_alternate_keys, customer_history, data_sync_cust_pending_queue,
              data_sync_progress_queue CASCADE;
     ALTER SEQUENCE customer_id_seq RESTART WITH 1000`,
  );
}

describe.each(engines)("the write path against one-by-one application on $name", (engine) => {
  // One hub, each run on emptied tables: the embedded database's hubs of one test file share one
  // session, so two could not hold a schema each.
  let hub: Hub;
  beforeAll(async () => {
    hub = await engine.freshHub();
    await hub.settings.set("DataSyncEnabled", "Yes");
    return () => hub.close();
  });

  // On the embedded database the group commit sends one batch at a time, in the order written:
  // single writes submitted together must end as if applied one by one. A server's runs two
  // batches at once, so there single writes are left to the concurrency property below.
  const vias = engine.name === "pglite" ? (["batch", "singles"] as const) : (["batch"] as const);

  it("applies any split of requests into batches as if one by one, and keeps the outbox true", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb(vias), { minLength: 1, maxLength: 4 }),
        async (generated) => {
          const steps = [PRELUDE, ...generated];
          await reset(hub);
          const got = await runBatched(hub, steps);
          await checkInvariants(hub, got);
          const gotStored = await storedCustomers(hub);
          await reset(hub);
          const expected = await runOneByOne(hub, steps);
          await checkInvariants(hub, expected);
          const expectedStored = await storedCustomers(hub);

          const ids = correspondence(got, expected);
          const same = new Map([...ids.values()].map((id) => [id, id]));
          expect(got.results.map((result) => translated(result, ids))).toEqual(
            expected.results.map((result) => translated(result, same)),
          );
          const comparable = (rows: StoredRow[], map: ReadonlyMap<string, string>) =>
            rows
              .map((row) => ({
                id: map.get(row.id) ?? `unpaired ${row.id}`,
                active: row.active,
                version: row.version,
                record: translateRecord(JSON.parse(row.text), map),
              }))
              .sort((a, b) => a.id.localeCompare(b.id));
          expect(comparable(gotStored, ids)).toEqual(comparable(expectedStored, same));
        },
      ),
      { numRuns: runsOn(engine) },
    );
  });
});

describe.each(engines)("the write path with writers at once on $name", (engine) => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await engine.freshHub();
    await hub.settings.set("DataSyncEnabled", "Yes");
    return () => hub.close();
  });

  /** What a request may fail with here: the rules' refusals, never the database's failure. */
  const REFUSALS = [
    "CUSTOMER_NOT_FOUND",
    "CUSTOMER_ALREADY_EXISTS",
    "UNKNOWN_ALTERNATE_KEY_TYPE",
    "MERGE_CUSTOMER_CREATION_EXCEPTION",
  ];

  it("keeps keys unique and the outbox true whatever the writers do at once", async () => {
    const writer = fc.array(stepArb(["batch", "singles"]), { minLength: 1, maxLength: 2 });
    const round = fc.array(writer, { minLength: 2, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(fc.array(round, { minLength: 1, maxLength: 2 }), async (rounds) => {
        await reset(hub);
        const run = await runConcurrently(hub, rounds);
        const failures = run.results.flatMap((result) => (result.ok ? [] : [result.code]));
        expect(failures.filter((code) => !REFUSALS.includes(code))).toEqual([]);
        await checkInvariants(hub, run, { ordered: false });
      }),
      { numRuns: runsOn(engine) },
    );
  });
});
