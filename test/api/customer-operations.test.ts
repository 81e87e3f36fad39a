import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CustomerResponse } from "../../src/domain/customer-response.js";
import type { Card } from "../../src/domain/cards.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { readTransactionPending } from "../../src/store/transactions.js";
import { engines } from "../support/databases.js";
import { startServer, type ErrorBody, type RunningServer } from "./helpers.js";

interface EditReply {
  customerID: string;
  change: "UPDATE" | null;
  record: CustomerResponse;
}

interface CardReply {
  card: Card;
  record: CustomerResponse | null;
}

interface PostedReply {
  retailTransactionId: string;
  customerID: string;
  created: boolean;
  counted: boolean;
  record: CustomerResponse;
}

const exampleTransaction = (): Record<string, unknown> =>
  JSON.parse(
    readFileSync(new URL("../fixtures/transaction-example.json", import.meta.url), "utf8"),
  ) as Record<string, unknown>;

describe.each(engines)("customer operation routes on $name", (engine) => {
  let server: RunningServer;
  const api = { actor: "test", channel: "api" } as const;

  beforeEach(async () => {
    server = await startServer(engine);
  });
  afterEach(async () => server.close());

  /** A customer holding an active card, with DataSyncEnabled on and the queue empty. */
  async function holderWithCard(cardNumber: string): Promise<string> {
    const { customerID } = await server.hub.customers.add({ orgName: "Holder" }, api);
    await server.hub.cards.add({ cardNumber, expirationDate: "2099-12-31" });
    await server.hub.cards.associate({ cardNumber, customerID }, api);
    await server.hub.settings.set("DataSyncEnabled", "Yes");
    await server.hub.db.exec("DELETE FROM data_sync_cust_pending_queue");
    return customerID;
  }

  const queuedActions = async () =>
    (await readCustomerPending(server.hub.db)).map((row) => [
      row.objName,
      row.uniqueId,
      row.action,
    ]);

  it("Table H-1: each customer operation queues its customer's UPDATE", async () => {
    const customerID = await holderWithCard("8000000000000001");
    const { segmentId } = await server.hub.segments.create({ name: "VIP" });
    const calls: [method: string, path: string, json?: unknown][] = [
      ["POST", "/api/v1/cards/8000000000000001/reset-expiration", { expirationDate: "2100-01-31" }],
      ["POST", "/api/v1/cards/8000000000000001/deactivate"],
      ["POST", "/api/v1/cards/8000000000000001/activate"],
      ["POST", "/api/v1/cards/8000000000000001/block"],
      ["POST", "/api/v1/cards/8000000000000001/unblock"],
      ["PUT", `/api/v1/customers/${customerID}/segments/${segmentId}`],
      ["DELETE", `/api/v1/customers/${customerID}/segments/${segmentId}`],
      ["PUT", `/api/v1/customers/${customerID}/franchisees/2`, { franchiseeName: "North" }],
      ["DELETE", `/api/v1/customers/${customerID}/franchisees/2`],
      [
        "PUT",
        `/api/v1/customers/${customerID}/associate-assignments`,
        { associateAssignment: [{ role: "STYLIST", associateID: "E-1" }] },
      ],
    ];
    for (const [method, path, json] of calls) {
      await server.hub.db.exec("DELETE FROM data_sync_cust_pending_queue");
      const reply = await server.call<unknown>(method, path, { key: "operator", json });
      expect(reply.status, `${method} ${path}`).toBe(200);
      expect(await queuedActions(), `${method} ${path}`).toEqual([
        ["Customer", customerID, "UPDATE"],
      ]);
    }
    const record = await server.hub.customers.get(customerID);
    expect(record.customerCards.instrument).toEqual([
      expect.objectContaining({ status: "ACTIVE", expirationDate: "2100-01-31" }),
    ]);
    expect(record.associateAssignments).toEqual({
      associateAssignment: [{ role: "STYLIST", associateID: "E-1", retailStoreID: null }],
    });
  });

  it("answers card status changes with the card and the holder's record, and 409 for a change the status refuses", async () => {
    await holderWithCard("8000000000000002");
    const blocked = await server.call<CardReply>("POST", "/api/v1/cards/8000000000000002/block", {
      key: "operator",
    });
    expect(blocked.status).toBe(200);
    expect(blocked.body.card).toMatchObject({ cardNumber: "8000000000000002", status: "BLOCKED" });
    expect(blocked.body.record?.customerCards.instrument[0]?.status).toBe("BLOCKED");
    expect(blocked.body.card).not.toHaveProperty("blockedFrom");

    for (const [path, code] of [
      ["activate", "ACCOUNT_BLOCKED"],
      ["deactivate", "ACCOUNT_BLOCKED"],
      ["block", "CARD_ALREADY_BLOCKED"],
    ] as const) {
      const reply = await server.call<ErrorBody>("POST", `/api/v1/cards/8000000000000002/${path}`, {
        key: "operator",
      });
      expect(reply.status, path).toBe(409);
      expect(reply.body.error.code, path).toBe(code);
    }
    await server.call("POST", "/api/v1/cards/8000000000000002/unblock", { key: "operator" });
    for (const [path, code] of [
      ["activate", "CARD_ALREADY_ACTIVE"],
      ["unblock", "CARD_NOT_BLOCKED"],
    ] as const) {
      const reply = await server.call<ErrorBody>("POST", `/api/v1/cards/8000000000000002/${path}`, {
        key: "operator",
      });
      expect(reply.status, path).toBe(409);
      expect(reply.body.error.code, path).toBe(code);
    }
    const missing = await server.call<ErrorBody>("POST", "/api/v1/cards/8999/activate", {
      key: "operator",
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("CARD_NOT_FOUND");

    const badDate = await server.call<ErrorBody>(
      "POST",
      "/api/v1/cards/8000000000000002/reset-expiration",
      { key: "operator", json: { expirationDate: "31/12/2100" } },
    );
    expect(badDate.status).toBe(400);
    expect(badDate.body.error.details.field).toBe("body/expirationDate");
    const past = await server.call<ErrorBody>(
      "POST",
      "/api/v1/cards/8000000000000002/reset-expiration",
      { key: "operator", json: { expirationDate: "2000-01-01" } },
    );
    expect(past.status).toBe(400);
    expect(past.body.error.details.field).toBe("expirationDate");
    const extra = await server.call<ErrorBody>(
      "POST",
      "/api/v1/cards/8000000000000002/reset-expiration",
      { key: "operator", json: { expirationDate: "2100-01-01", reason: "lost" } },
    );
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.field).toBe("body/reason");
  });

  it("creates and lists segments, adds and removes a customer, with clear 404s and 409s", async () => {
    const created = await server.call<{ segmentId: string; name: string }>(
      "POST",
      "/api/v1/segments",
      { key: "operator", json: { name: "Gold", description: "spent 1000 or more" } },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Gold", description: "spent 1000 or more" });
    expect(created.body.segmentId).toMatch(/^\d+$/);
    const duplicate = await server.call<ErrorBody>("POST", "/api/v1/segments", {
      key: "operator",
      json: { name: "GOLD" },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe("ALREADY_EXISTS");
    const digits = await server.call<ErrorBody>("POST", "/api/v1/segments", {
      key: "operator",
      json: { name: "2024" },
    });
    expect(digits.status).toBe(400);
    expect(digits.body.error.details.field).toBe("name");

    const { customerID } = await server.hub.customers.add({ orgName: "Member" }, api);
    const path = `/api/v1/customers/${customerID}/segments/${created.body.segmentId}`;
    const added = await server.call<EditReply>("PUT", path, { key: "operator" });
    expect(added.status).toBe(200);
    expect(added.body.change).toBe("UPDATE");
    expect(added.body.record.customerSegments.segment).toEqual([
      { segmentId: created.body.segmentId, segmentName: "Gold" },
    ]);
    const again = await server.call<EditReply>("PUT", path, { key: "operator" });
    expect(again.status).toBe(200);
    expect(again.body.change).toBeNull();

    const listed = await server.call<{ items: { name: string; customerCount: number }[] }>(
      "GET",
      "/api/v1/segments",
      { key: "viewer" },
    );
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item) => [item.name, item.customerCount])).toEqual([["Gold", 1]]);

    expect((await server.call<EditReply>("DELETE", path, { key: "operator" })).status).toBe(200);
    const notIn = await server.call<ErrorBody>("DELETE", path, { key: "operator" });
    expect(notIn.status).toBe(404);
    expect(notIn.body.error.code).toBe("CUSTOMER_NOT_IN_SEGMENT");
    const noSegment = await server.call<ErrorBody>(
      "PUT",
      `/api/v1/customers/${customerID}/segments/999`,
      { key: "operator" },
    );
    expect(noSegment.status).toBe(404);
    expect(noSegment.body.error.code).toBe("SEGMENT_NOT_FOUND");
    const noCustomer = await server.call<ErrorBody>(
      "PUT",
      `/api/v1/customers/987654/segments/${created.body.segmentId}`,
      { key: "operator" },
    );
    expect(noCustomer.status).toBe(404);
    expect(noCustomer.body.error.code).toBe("CUSTOMER_NOT_FOUND");
    const byName = await server.call<ErrorBody>(
      "PUT",
      `/api/v1/customers/${customerID}/segments/Gold`,
      { key: "operator" },
    );
    expect(byName.status).toBe(400);
    expect(byName.body.error.details.field).toBe("params/segmentId");
  });

  it("sets franchisees and associate assignments, refusing malformed bodies naming the field", async () => {
    const { customerID } = await server.hub.customers.add({ orgName: "Franchised" }, api);
    const put = await server.call<EditReply>(
      "PUT",
      `/api/v1/customers/${customerID}/franchisees/2`,
      { key: "operator", json: { franchiseeName: "<FRANCHISEE NAME> " } },
    );
    expect(put.status).toBe(200);
    expect(put.body.record.franchisees).toEqual({
      franchisee: [{ franchiseeId: 2, franchiseeName: "<FRANCHISEE NAME> " }],
    });
    const missing = await server.call<ErrorBody>(
      "DELETE",
      `/api/v1/customers/${customerID}/franchisees/3`,
      { key: "operator" },
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("FRANCHISEE_NOT_FOUND");

    const cases: [string, string, unknown, string][] = [
      [
        "PUT",
        `/api/v1/customers/${customerID}/franchisees/0`,
        { franchiseeName: "x" },
        "params/franchiseeId",
      ],
      ["PUT", `/api/v1/customers/${customerID}/franchisees/2`, {}, "body/franchiseeName"],
      [
        "PUT",
        `/api/v1/customers/${customerID}/franchisees/2`,
        { franchiseeName: 7, x: 1 },
        "body/x",
      ],
      [
        "PUT",
        `/api/v1/customers/${customerID}/associate-assignments`,
        { associateAssignment: [{ role: "A" }] },
        "body/associateAssignment/0/associateID",
      ],
      [
        "PUT",
        `/api/v1/customers/${customerID}/associate-assignments`,
        // Ajv's coerceTypes "array" takes a lone value as a list of one, then refuses the entry.
        { associateAssignment: "E-1" },
        "body/associateAssignment/0",
      ],
    ];
    for (const [method, path, json, field] of cases) {
      const reply = await server.call<ErrorBody>(method, path, { key: "operator", json });
      expect(reply.status, `${path} ${JSON.stringify(json)}`).toBe(400);
      expect(reply.body.error.code).toBe("INVALID_REQUEST");
      expect(reply.body.error.details.field, `${path} ${JSON.stringify(json)}`).toBe(field);
    }
    const malformed = await server.call<ErrorBody>(
      "PUT",
      `/api/v1/customers/${customerID}/associate-assignments`,
      { key: "operator", raw: '{"associateAssignment": [' },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("INVALID_REQUEST");
    const twice = await server.call<ErrorBody>(
      "PUT",
      `/api/v1/customers/${customerID}/associate-assignments`,
      {
        key: "operator",
        json: {
          associateAssignment: [
            { role: "STYLIST", associateID: "E-1" },
            { role: "Stylist", associateID: "E-2" },
          ],
        },
      },
    );
    expect(twice.status).toBe(400);
    expect(twice.body.error.details.field).toBe("associateAssignment[1].role");
  });

  it("posts the document's example transaction: 201, a retry 200, other content 409, both queues", async () => {
    const { customerID } = await server.hub.customers.add({ orgName: "Buyer" }, api);
    await server.hub.settings.set("DataSyncEnabled", "Yes");
    const payload = { ...exampleTransaction(), customerId: customerID };
    const posted = await server.call<PostedReply>("POST", "/api/v1/transactions", {
      key: "operator",
      json: payload,
    });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({
      retailTransactionId: "99901000022017110710000100",
      customerID,
      created: true,
      counted: true,
    });
    expect(posted.body.record.entityInformation.individual.yearToDateActivitySummary).toEqual({
      yearToDateReturnsAmount: "0",
      yearToDateSalesAmount: "1325",
      yearToDateTransactionCount: "1",
      yearToDateItemsSoldCount: "1",
      yearToDateItemsReturnedCount: "0",
    });
    const retry = await server.call<PostedReply>("POST", "/api/v1/transactions", {
      key: "operator",
      json: payload,
    });
    expect(retry.status).toBe(200);
    expect(retry.body.created).toBe(false);
    const conflict = await server.call<ErrorBody>("POST", "/api/v1/transactions", {
      key: "operator",
      json: { ...payload, total: 1 },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe("TRANSACTION_ALREADY_EXISTS");

    expect(
      (await readTransactionPending(server.hub.db)).map((row) => [
        row.objName,
        row.uniqueId,
        row.action,
      ]),
    ).toEqual([["Transaction", "99901000022017110710000100", "CREATE"]]);
    // Once: the retry and the refused conflict queued nothing.
    expect(await queuedActions()).toEqual([["Customer", customerID, "UPDATE"]]);

    const read = await server.call<{ customerID: string; transaction: unknown }>(
      "GET",
      "/api/v1/transactions/99901000022017110710000100",
      { key: "viewer" },
    );
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ customerID, transaction: payload });
    const unknown = await server.call<ErrorBody>("GET", "/api/v1/transactions/NOPE", {
      key: "viewer",
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("TRANSACTION_NOT_FOUND");
  });

  it("refuses malformed, mistyped, unknown-customer and oversized transactions", async () => {
    const { customerID } = await server.hub.customers.add({ orgName: "Buyer" }, api);
    const base = { ...exampleTransaction(), customerId: customerID };
    const cases: [string, unknown, number, string, string?][] = [
      [
        "no id",
        { ...base, retailTransactionId: undefined },
        400,
        "INVALID_REQUEST",
        "body/retailTransactionId",
      ],
      ["subtotal as text", { ...base, subtotal: "a lot" }, 400, "INVALID_REQUEST", "body/subtotal"],
      [
        "bad date",
        { ...base, businessDate: "07-11-2017" },
        400,
        "INVALID_REQUEST",
        "body/businessDate",
      ],
      [
        "unreal date",
        { ...base, businessDate: "2017-02-30" },
        400,
        "INVALID_DATE_FORMAT",
        "businessDate",
      ],
      ["no customer", { ...base, customerId: null }, 400, "INVALID_REQUEST", "customerId"],
      ["unknown customer", { ...base, customerId: "987654" }, 404, "CUSTOMER_NOT_FOUND"],
      [
        "line quantity",
        { ...base, lineItems: [{ lineItemTypeCode: "Sale", quantity: -2 }] },
        400,
        "INVALID_REQUEST",
        "body/lineItems/0/quantity",
      ],
    ];
    for (const [name, json, status, code, field] of cases) {
      const reply = await server.call<ErrorBody>("POST", "/api/v1/transactions", {
        key: "operator",
        json,
      });
      expect(reply.status, name).toBe(status);
      expect(reply.body.error.code, name).toBe(code);
      if (field) expect(reply.body.error.details.field, name).toBe(field);
    }
    const malformed = await server.call<ErrorBody>("POST", "/api/v1/transactions", {
      key: "operator",
      raw: '{"retailTransactionId": "X",',
    });
    expect(malformed.status).toBe(400);
    const huge = await server.call<ErrorBody>("POST", "/api/v1/transactions", {
      key: "operator",
      json: { ...base, notes: "x".repeat(1024 * 1024) },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("REQUEST_TOO_LARGE");
    expect(
      await server.hub.transactions
        .get("99901000022017110710000100")
        .catch((e: { code: string }) => e.code),
    ).toBe("TRANSACTION_NOT_FOUND");
  });

  it("allows the changes to operator and sysadmin, the reads to viewers too, and no key to none", async () => {
    const { customerID } = await server.hub.customers.add({ orgName: "Guarded" }, api);
    const changes: [string, string, unknown][] = [
      ["POST", "/api/v1/cards/8000000000000009/reset-expiration", { expirationDate: "2100-01-01" }],
      ["POST", "/api/v1/cards/8000000000000009/activate", undefined],
      ["POST", "/api/v1/cards/8000000000000009/deactivate", undefined],
      ["POST", "/api/v1/cards/8000000000000009/block", undefined],
      ["POST", "/api/v1/cards/8000000000000009/unblock", undefined],
      ["POST", "/api/v1/segments", { name: "Guarded" }],
      ["PUT", `/api/v1/customers/${customerID}/segments/1`, undefined],
      ["DELETE", `/api/v1/customers/${customerID}/segments/1`, undefined],
      ["PUT", `/api/v1/customers/${customerID}/franchisees/1`, { franchiseeName: "F" }],
      ["DELETE", `/api/v1/customers/${customerID}/franchisees/1`, undefined],
      ["PUT", `/api/v1/customers/${customerID}/associate-assignments`, { associateAssignment: [] }],
      ["POST", "/api/v1/transactions", { ...exampleTransaction(), customerId: customerID }],
    ];
    const reads = ["/api/v1/segments", "/api/v1/transactions/99901000022017110710000100"];
    for (const [method, path, json] of changes) {
      expect((await server.call(method, path, { json })).status, `${method} ${path}`).toBe(401);
      for (const role of ["viewer", "sysconfig", "jobadmin"] as const) {
        const reply = await server.call<ErrorBody>(method, path, { key: role, json });
        expect(reply.status, `${method} ${path} as ${role}`).toBe(403);
      }
    }
    for (const path of reads) {
      expect((await server.call("GET", path)).status, path).toBe(401);
      for (const role of ["sysconfig", "jobadmin"] as const) {
        expect((await server.call("GET", path, { key: role })).status, `${path} as ${role}`).toBe(
          403,
        );
      }
    }
    // Nothing was done by the refused calls.
    expect((await server.hub.segments.list()).length).toBe(0);
    await expect(server.hub.transactions.get("99901000022017110710000100")).rejects.toMatchObject({
      code: "TRANSACTION_NOT_FOUND",
    });
    // The right roles get through (to the operation's own answer).
    const segment = await server.call("POST", "/api/v1/segments", {
      key: "sysadmin",
      json: { name: "Guarded" },
    });
    expect(segment.status).toBe(201);
    expect((await server.call("GET", "/api/v1/segments", { key: "viewer" })).status).toBe(200);
    const posted = await server.call("POST", "/api/v1/transactions", {
      key: "sysadmin",
      json: { ...exampleTransaction(), customerId: customerID },
    });
    expect(posted.status).toBe(201);
  });
});
