import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CustomerResponse } from "../../src/domain/customer-response.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { engines } from "../support/databases.js";
import { startServer, type ErrorBody, type RunningServer } from "./helpers.js";

interface NoteReply {
  customerID: string;
  change: string;
  record: CustomerResponse;
}

const notesOf = (record: CustomerResponse) =>
  record.customerNotes.customerNote.map((note) => [note.sequence, note.type, note.text]);

describe.each(engines)("note routes on $name", (engine) => {
  let server: RunningServer;
  let customerID: string;

  beforeEach(async () => {
    server = await startServer(engine);
    ({ customerID } = await server.hub.customers.add(
      { orgName: "Noted" },
      { actor: "test", channel: "api" },
    ));
  });
  afterEach(async () => server.close());

  const path = (suffix = "") => `/api/v1/customers/${customerID}/notes${suffix}`;

  it("adds, replaces and deletes notes by sequence, each queuing the customer's UPDATE (Table H-1)", async () => {
    await server.hub.settings.set("DataSyncEnabled", "Yes");
    const added = await server.call<NoteReply>("POST", path(), {
      key: "operator",
      json: { text: "Prefers email", type: "pref", privateFlag: true },
    });
    expect(added.status).toBe(201);
    expect(added.body.change).toBe("UPDATE");
    // "The type is specified by the user and can have any value" (seeds/003): kept as given.
    expect(notesOf(added.body.record)).toEqual([["1", "pref", "Prefers email"]]);

    const second = await server.call<NoteReply>("POST", path(), {
      key: "operator",
      json: { text: "Called in", sequence: 7 },
    });
    expect(notesOf(second.body.record)).toEqual([
      ["1", "pref", "Prefers email"],
      ["7", "COMMENT", "Called in"],
    ]);

    const replaced = await server.call<NoteReply>("PUT", path("/7"), {
      key: "operator",
      json: { text: "Called in twice" },
    });
    expect(replaced.status).toBe(200);
    expect(notesOf(replaced.body.record)).toContainEqual(["7", "COMMENT", "Called in twice"]);

    const deleted = await server.call<NoteReply>("DELETE", path("/1"), { key: "operator" });
    expect(deleted.status).toBe(200);
    expect(notesOf(deleted.body.record)).toEqual([["7", "COMMENT", "Called in twice"]]);

    const rows = await readCustomerPending(server.hub.db, customerID);
    expect(rows.map((row) => row.action)).toEqual(["UPDATE", "UPDATE", "UPDATE", "UPDATE"]);
  });

  it("refuses duplicates with 409 DUPLICATE_NOTE and unknown sequences with 404 NOTE_NOT_FOUND", async () => {
    await server.call("POST", path(), { key: "operator", json: { text: "Once", sequence: 3 } });
    for (const json of [{ text: "Once" }, { text: "Other", sequence: 3 }]) {
      const reply = await server.call<ErrorBody>("POST", path(), { key: "operator", json });
      expect(reply.status, JSON.stringify(json)).toBe(409);
      expect(reply.body.error.code).toBe("DUPLICATE_NOTE");
    }
    // A PUT may not make another note a copy either; a note may be replaced by its own text.
    await server.call("POST", path(), { key: "operator", json: { text: "Twice", sequence: 5 } });
    const copy = await server.call<ErrorBody>("PUT", path("/5"), {
      key: "operator",
      json: { text: "Once", type: "comment" },
    });
    expect(copy.status).toBe(409);
    expect(copy.body.error.code).toBe("DUPLICATE_NOTE");
    const same = await server.call("PUT", path("/3"), { key: "operator", json: { text: "Once" } });
    expect(same.status).toBe(200);
    for (const [method, json] of [
      ["PUT", { text: "x" }],
      ["DELETE", undefined],
    ] as const) {
      const reply = await server.call<ErrorBody>(method, path("/99"), { key: "operator", json });
      expect(reply.status, method).toBe(404);
      expect(reply.body.error.code).toBe("NOTE_NOT_FOUND");
    }
    const noCustomer = await server.call<ErrorBody>("POST", "/api/v1/customers/987654/notes", {
      key: "operator",
      json: { text: "x" },
    });
    expect(noCustomer.status).toBe(404);
    expect(noCustomer.body.error.code).toBe("CUSTOMER_NOT_FOUND");
  });

  it("validates note bodies and allows the note routes to operator and sysadmin only", async () => {
    for (const [json, field] of [
      [{}, "body/text"],
      [{ text: "" }, "body/text"],
      [{ text: "x", pinned: true }, "body/pinned"],
      [{ text: "x", sequence: "first" }, "body/sequence"],
    ] as const) {
      const reply = await server.call<ErrorBody>("POST", path(), { key: "operator", json });
      expect(reply.status, field).toBe(400);
      expect(reply.body.error.details.field, field).toBe(field);
    }
    for (const [method, suffix, json] of [
      ["POST", "", { text: "x" }],
      ["PUT", "/1", { text: "x" }],
      ["DELETE", "/1", undefined],
    ] as const) {
      expect((await server.call(method, path(suffix), { json })).status, method).toBe(401);
      for (const role of ["viewer", "sysconfig", "jobadmin"] as const) {
        const reply = await server.call(method, path(suffix), { key: role, json });
        expect(reply.status, `${method} as ${role}`).toBe(403);
      }
    }
    const bySysadmin = await server.call("POST", path(), { key: "sysadmin", json: { text: "ok" } });
    expect(bySysadmin.status).toBe(201);
  });
});
