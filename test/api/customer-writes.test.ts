import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CustomerResponse } from "../../src/domain/customer-response.js";
import type { Role } from "../../src/domain/roles.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { engines } from "../support/databases.js";
import { startServer, type ErrorBody, type RunningServer } from "./helpers.js";

interface ChangeBody {
  customerID: string;
  change: "CREATE" | "UPDATE" | "DELETE";
  record: CustomerResponse;
}

interface MergeBody {
  customerID: string;
  mergedFrom: string[];
  record: CustomerResponse;
}

const person = (alternateID: string, first = "Ann") => ({
  individual: {
    names: { FIRST: first, LAST: "Lee" },
    emails: [{ typeCode: "HOME", primaryFlag: true, emailAddress: `${alternateID}@example.com` }],
  },
  alternateKeys: [{ typeCode: "XSTORE_ID", alternateID }],
});

const NOT_ALLOWED_TO_CHANGE: Role[] = ["viewer", "sysconfig", "jobadmin"];

describe.each(engines)("customer change routes on $name", (engine) => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer(engine);
  });
  afterEach(async () => server.close());

  const add = async (alternateID: string): Promise<string> => {
    const reply = await server.call<ChangeBody>("POST", "/api/v1/customers", {
      key: "operator",
      json: person(alternateID),
    });
    expect(reply.status).toBe(201);
    return reply.body.customerID;
  };

  const queued = async (customerID?: string) =>
    (await readCustomerPending(server.hub.db, customerID)).map((row) => [
      row.objName,
      row.uniqueId,
      row.action,
    ]);

  it("POST /customers adds (201), and refuses a held alternate key with 409 CUSTOMER_ALREADY_EXISTS", async () => {
    const reply = await server.call<ChangeBody>("POST", "/api/v1/customers", {
      key: "operator",
      json: person("W-1"),
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      change: "CREATE",
      record: { customerID: reply.body.customerID },
    });
    expect(
      JSON.parse(JSON.stringify(await server.hub.customers.get(reply.body.customerID))),
    ).toEqual(reply.body.record);
    const again = await server.call<ErrorBody>("POST", "/api/v1/customers", {
      key: "sysadmin",
      json: person("W-1"),
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: "CUSTOMER_ALREADY_EXISTS",
      details: { typeCode: "XSTORE_ID" },
    });
  });

  it("POST /customers/add-or-update creates (201) then updates (200) the customer its key finds", async () => {
    const created = await server.call<ChangeBody>("POST", "/api/v1/customers/add-or-update", {
      key: "operator",
      json: person("W-2"),
    });
    expect(created.status).toBe(201);
    expect(created.body.change).toBe("CREATE");
    const updated = await server.call<ChangeBody>("POST", "/api/v1/customers/add-or-update", {
      key: "operator",
      json: { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "W-2" }], orgName: "Lee & Co" },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ customerID: created.body.customerID, change: "UPDATE" });
    expect(updated.body.record.orgName).toBe("Lee & Co");
  });

  it("PATCH /customers/{id} updates; 404 for an unknown customer; 400 when the body names another id", async () => {
    const customerID = await add("W-3");
    const reply = await server.call<ChangeBody>("PATCH", `/api/v1/customers/${customerID}`, {
      key: "operator",
      json: { orgName: "Patched" },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      customerID,
      change: "UPDATE",
      record: { orgName: "Patched" },
    });
    const missing = await server.call<ErrorBody>("PATCH", "/api/v1/customers/987654", {
      key: "operator",
      json: { orgName: "x" },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("CUSTOMER_NOT_FOUND");
    const other = await server.call<ErrorBody>("PATCH", `/api/v1/customers/${customerID}`, {
      key: "operator",
      json: { customerID: "1", orgName: "x" },
    });
    expect(other.status).toBe(400);
    expect(other.body.error.details).toEqual({ field: "body/customerID" });
  });

  it("DELETE /customers/{id} deletes; a second delete is 404 CUSTOMER_NOT_FOUND", async () => {
    const customerID = await add("W-4");
    const reply = await server.call<ChangeBody>("DELETE", `/api/v1/customers/${customerID}`, {
      key: "operator",
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ customerID, change: "DELETE" });
    const again = await server.call<ErrorBody>("DELETE", `/api/v1/customers/${customerID}`, {
      key: "operator",
    });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("CUSTOMER_NOT_FOUND");
    // Still readable by id, as it was left, with a header saying it is deleted.
    const read = await server.call<CustomerResponse>("GET", `/api/v1/customers/${customerID}`, {
      key: "viewer",
    });
    expect(read.status).toBe(200);
    expect(read.body.customerID).toBe(customerID);
    expect(read.headers.get("custhub-customer-status")).toBe("deleted");
    expect(read.headers.get("link")).toBeNull();
  });

  it("POST /customers/merge merges by customerID and alternate key into a new customer (201)", async () => {
    const first = await add("W-5");
    const second = await add("W-6");
    const reply = await server.call<MergeBody>("POST", "/api/v1/customers/merge", {
      key: "operator",
      json: {
        source: { customerID: first },
        targets: [{ alternateKey: { typeCode: "XSTORE_ID", alternateID: "W-6" } }],
      },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.mergedFrom).toEqual([first, second]);
    expect(reply.body.customerID).not.toBe(first);
    expect(reply.body.record.customerID).toBe(reply.body.customerID);
    // The duplicates are retired, not erased: kept inactive for their history (seeds/003).
    expect((await server.hub.customers.getState(first)).active).toBe(false);
    expect((await server.hub.customers.getState(second)).active).toBe(false);
    for (const retired of [first, second]) {
      const read = await server.call("GET", `/api/v1/customers/${retired}`, { key: "viewer" });
      expect(read.headers.get("custhub-customer-status")).toBe("merged");
      expect(read.headers.get("link")).toBe(
        `</api/v1/customers/${reply.body.customerID}>; rel="successor-version"`,
      );
    }
    const merged = await server.call("GET", `/api/v1/customers/${reply.body.customerID}`, {
      key: "viewer",
    });
    expect(merged.headers.get("custhub-customer-status")).toBeNull();
    // A write to a merged-away customer names the customer it went into.
    const segment = await server.call<{ segmentId: string }>("POST", "/api/v1/segments", {
      key: "sysadmin",
      json: { name: "Merged" },
    });
    for (const [method, path, json] of [
      ["POST", `/api/v1/customers/${first}/notes`, { text: "called" }],
      ["PUT", `/api/v1/customers/${first}/segments/${segment.body.segmentId}`, undefined],
    ] as const) {
      const refused = await server.call<ErrorBody>(method, path, { key: "operator", json });
      expect(refused.status, path).toBe(404);
      expect(refused.body.error).toMatchObject({
        code: "CUSTOMER_NOT_FOUND",
        message: `Customer ${first} was merged into customer ${reply.body.customerID}.`,
        details: { customerID: first, mergedInto: reply.body.customerID },
      });
    }
    const lone = await server.call<ErrorBody>("POST", "/api/v1/customers/merge", {
      key: "operator",
      json: { targets: [{ customerID: reply.body.customerID }] },
    });
    expect(lone.status).toBe(400);
    expect(lone.body.error.code).toBe("MERGE_CUSTOMER_CREATION_EXCEPTION");
    const both = await server.call<ErrorBody>("POST", "/api/v1/customers/merge", {
      key: "operator",
      json: {
        targets: [{ customerID: "1", alternateKey: { typeCode: "EMAIL", alternateID: "a" } }],
      },
    });
    expect(both.status).toBe(400);
    expect(both.body.error.details).toMatchObject({ field: "body/targets/0" });
  });

  it("POST /customers/merge takes as many targets as the merge limit allows, named by keys the import accepts", async () => {
    await server.hub.settings.set("DuplicateCustomerMergeLimit", "200");
    const source = await add("W-MANY-0");
    const targets: { alternateKey: { typeCode: string; alternateID: string } }[] = [];
    for (let at = 1; at <= 150; at += 1) {
      // From the 22nd on, keys of about 500 characters: longer than an e-mail address may be, and
      // together past the 64 KiB of a customer body.
      const id = `W-MANY-${at}${at >= 22 ? "x".repeat(480) : ""}`;
      if (at >= 22) {
        await server.hub.customers.add(
          { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: id }] },
          { actor: "test", channel: "api" },
        );
      } else await add(id);
      targets.push({ alternateKey: { typeCode: "XSTORE_ID", alternateID: id } });
    }
    const reply = await server.call<MergeBody>("POST", "/api/v1/customers/merge", {
      key: "operator",
      json: { source: { customerID: source }, targets },
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.body.mergedFrom).toHaveLength(151);
    await server.hub.settings.set("DuplicateCustomerMergeLimit", "10");
  });

  it("allows every change route to operator and sysadmin only: 401 without a key, 403 for other roles", async () => {
    const customerID = await add("W-7");
    const routes: [string, string, unknown][] = [
      ["POST", "/api/v1/customers", person("R-1")],
      ["POST", "/api/v1/customers/add-or-update", person("R-2")],
      ["PATCH", `/api/v1/customers/${customerID}`, { orgName: "x" }],
      ["POST", "/api/v1/customers/merge", { targets: [{ customerID }, { customerID: "1" }] }],
      ["DELETE", `/api/v1/customers/${customerID}`, undefined],
    ];
    for (const [method, path, json] of routes) {
      const label = `${method} ${path}`;
      const anonymous = await server.call<ErrorBody>(method, path, { json });
      expect(anonymous.status, label).toBe(401);
      expect(anonymous.body.error.code, label).toBe("UNAUTHORIZED");
      for (const role of NOT_ALLOWED_TO_CHANGE) {
        const refused = await server.call<ErrorBody>(method, path, { key: role, json });
        expect(refused.status, `${label} as ${role}`).toBe(403);
        expect(refused.body.error.code).toBe("FORBIDDEN");
      }
    }
    // Nothing refused changed anything: the customer is still there, unchanged.
    expect((await server.hub.customers.get(customerID)).orgName ?? null).toBeNull();
    for (const role of ["operator", "sysadmin"] as const) {
      const allowed = await server.call<ChangeBody>("POST", "/api/v1/customers", {
        key: role,
        json: person(`OK-${role}`),
      });
      expect(allowed.status, role).toBe(201);
    }
    const patched = await server.call("PATCH", `/api/v1/customers/${customerID}`, {
      key: "sysadmin",
      json: { orgName: "y" },
    });
    expect(patched.status).toBe(200);
    const deleted = await server.call("DELETE", `/api/v1/customers/${customerID}`, {
      key: "sysadmin",
    });
    expect(deleted.status).toBe(200);
  });

  it("answers 400 INVALID_REQUEST for malformed JSON and an empty body", async () => {
    for (const raw of ["{not json", '{"orgName": "x",}', ""]) {
      const reply = await server.call<ErrorBody>("POST", "/api/v1/customers", {
        key: "operator",
        raw,
      });
      expect(reply.status, raw).toBe(400);
      expect(reply.body.error.code, raw).toBe("INVALID_REQUEST");
      expect(reply.body.error).toEqual({
        code: "INVALID_REQUEST",
        message: expect.any(String),
        details: expect.any(Object),
      });
    }
  });

  it("answers 400 naming the field for wrong types", async () => {
    const cases: [unknown, string][] = [
      [{ prospect: "perhaps" }, "body/prospect"],
      [{ individual: "Ann" }, "body/individual"],
      [
        { individual: { emails: [{ emailAddress: { at: "x" } }] } },
        "body/individual/emails/0/emailAddress",
      ],
      [
        { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "A", updateType: "Sometimes" }] },
        "body/alternateKeys/0/updateType",
      ],
      [{ notes: [{ text: "hi", sequence: "first" }] }, "body/notes/0/sequence"],
      [[person("T-1")], "body"],
    ];
    for (const [json, field] of cases) {
      const reply = await server.call<ErrorBody>("POST", "/api/v1/customers", {
        key: "operator",
        json,
      });
      expect(reply.status, field).toBe(400);
      expect(reply.body.error.code, field).toBe("INVALID_REQUEST");
      expect(reply.body.error.details.field, field).toBe(field);
      expect(reply.body.error.message, field).toContain(field);
    }
  });

  it("answers 400 naming an unknown field, at the top or nested", async () => {
    const cases: [unknown, string][] = [
      [{ ...person("U-1"), shoeSize: 42 }, "body/shoeSize"],
      [{ individual: { names: { FIRST: "Ann", NICK: "A" } } }, "body/individual/names/NICK"],
      [
        { individual: { emails: [{ emailAddress: "a@b.example", verified: true }] } },
        "body/individual/emails/0/verified",
      ],
    ];
    for (const [json, field] of cases) {
      const reply = await server.call<ErrorBody>("POST", "/api/v1/customers/add-or-update", {
        key: "operator",
        json,
      });
      expect(reply.status, field).toBe(400);
      expect(reply.body.error.message, field).toBe(`${field} is not a known field`);
      expect(reply.body.error.details.field, field).toBe(field);
    }
    expect(await server.hub.customers.find({ name: "Ann" })).toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it("answers 413 REQUEST_TOO_LARGE for a body over the limit, and 415 for a form body", async () => {
    const notes = Array.from({ length: 40 }, (_, at) => ({ text: "x".repeat(2000), sequence: at }));
    const big = await server.call<ErrorBody>("POST", "/api/v1/customers", {
      key: "operator",
      json: { notes },
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe("REQUEST_TOO_LARGE");
    const xml = await server.call<ErrorBody>("POST", "/api/v1/customers", {
      key: "operator",
      raw: "orgName=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(xml.status).toBe(415);
    expect(xml.body.error.code).toBe("INVALID_REQUEST");
  });

  it("queues the Table H-1 rows while DataSyncEnabled: add CREATE, add-or-update CREATE/UPDATE, update UPDATE", async () => {
    await server.hub.settings.set("DataSyncEnabled", "Yes");
    const added = await add("H-1");
    expect(await queued(added)).toEqual([["Customer", added, "CREATE"]]);
    const pending = await readCustomerPending(server.hub.db, added);
    expect(pending[0]!.jsonObject).toEqual(
      JSON.parse(JSON.stringify(await server.hub.customers.get(added))),
    );

    const viaUpsert = await server.call<ChangeBody>("POST", "/api/v1/customers/add-or-update", {
      key: "operator",
      json: person("H-2"),
    });
    await server.call("POST", "/api/v1/customers/add-or-update", {
      key: "operator",
      json: { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "H-2" }], orgName: "Org" },
    });
    expect(await queued(viaUpsert.body.customerID)).toEqual([
      ["Customer", viaUpsert.body.customerID, "CREATE"],
      ["Customer", viaUpsert.body.customerID, "UPDATE"],
    ]);
    await server.call("PATCH", `/api/v1/customers/${added}`, {
      key: "operator",
      json: { orgName: "P" },
    });
    expect(await queued(added)).toEqual([
      ["Customer", added, "CREATE"],
      ["Customer", added, "UPDATE"],
    ]);
  });

  it("queues DELETE with a null object and drops the customer's earlier rows", async () => {
    await server.hub.settings.set("DataSyncEnabled", "Yes");
    const customerID = await add("H-3");
    await server.call("PATCH", `/api/v1/customers/${customerID}`, {
      key: "operator",
      json: { orgName: "P" },
    });
    expect(await queued(customerID)).toHaveLength(2);
    await server.call("DELETE", `/api/v1/customers/${customerID}`, { key: "operator" });
    const rows = await readCustomerPending(server.hub.db, customerID);
    expect(rows.map((row) => [row.objName, row.uniqueId, row.action, row.jsonObject])).toEqual([
      ["Customer", customerID, "DELETE", null],
    ]);
  });

  it("queues a merge as DELETE for each duplicate and CREATE for the new customer", async () => {
    const first = await add("H-4");
    const second = await add("H-5");
    await server.hub.settings.set("DataSyncEnabled", "Yes");
    const reply = await server.call<MergeBody>("POST", "/api/v1/customers/merge", {
      key: "operator",
      json: { targets: [{ customerID: first }, { customerID: second }] },
    });
    expect(reply.status).toBe(201);
    const merged = reply.body.customerID;
    expect(await queued()).toEqual([
      ["Customer", first, "DELETE"],
      ["Customer", second, "DELETE"],
      ["Customer", merged, "CREATE"],
    ]);
  });

  it("queues nothing while DataSyncEnabled is off", async () => {
    const customerID = await add("H-6");
    await server.call("DELETE", `/api/v1/customers/${customerID}`, { key: "operator" });
    expect(await queued()).toEqual([]);
  });
});
