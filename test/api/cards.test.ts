import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Card, CardProgram } from "../../src/domain/cards.js";
import type { CustomerResponse } from "../../src/domain/customer-response.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { engines } from "../support/databases.js";
import { waitFor } from "../support/wait.js";
import { startServer, type ErrorBody, type RunningServer } from "./helpers.js";

describe.each(engines)("card routes on $name", (engine) => {
  let server: RunningServer;
  const api = { actor: "test", channel: "api" } as const;

  beforeEach(async () => {
    server = await startServer(engine);
  });
  afterEach(async () => server.close());

  it("POST /cards puts a card on file (201); the same number again is 409 CARD_ALREADY_EXISTS", async () => {
    const reply = await server.call<Card>("POST", "/api/v1/cards", {
      key: "operator",
      json: { cardNumber: "6000000000000001", program: "GOLD", expirationDate: "2099-12-31" },
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      cardNumber: "6000000000000001",
      instrumentID: null,
      program: "GOLD",
      expirationDate: "2099-12-31",
      status: "INACTIVE",
      customerID: null,
    });
    const again = await server.call<ErrorBody>("POST", "/api/v1/cards", {
      key: "sysadmin",
      json: { cardNumber: "6000000000000001" },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("CARD_ALREADY_EXISTS");
    const bad = await server.call<ErrorBody>("POST", "/api/v1/cards", {
      key: "operator",
      json: { cardNumber: "6000 0000" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe("body/cardNumber");
    const unknown = await server.call<ErrorBody>("POST", "/api/v1/cards", {
      key: "operator",
      json: { cardNumber: "6000000000000005", colour: "red" },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.field).toBe("body/colour");
  });

  it("associates a card by customerID or alternate key, queuing the customer's UPDATE (Table H-1)", async () => {
    const first = await server.hub.customers.add({ orgName: "First" }, api);
    const second = await server.hub.customers.add(
      { orgName: "Second", alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "C-2" }] },
      api,
    );
    await server.hub.cards.add({ cardNumber: "6000000000000002" });
    await server.hub.cards.add({ cardNumber: "6000000000000003" });
    await server.hub.settings.set("DataSyncEnabled", "Yes");

    const byId = await server.call<CustomerResponse>(
      "POST",
      "/api/v1/cards/6000000000000002/associate",
      { key: "operator", json: { customerID: first.customerID } },
    );
    expect(byId.status).toBe(200);
    expect(byId.body.customerID).toBe(first.customerID);
    expect(JSON.stringify(byId.body)).toContain("6000000000000002");
    const byKey = await server.call<CustomerResponse>(
      "POST",
      "/api/v1/cards/6000000000000003/associate",
      { key: "operator", json: { alternateKey: { typeCode: "XSTORE_ID", alternateID: "C-2" } } },
    );
    expect(byKey.status).toBe(200);
    expect(byKey.body.customerID).toBe(second.customerID);
    expect((await server.hub.cards.get("6000000000000003")).status).toBe("ACTIVE");

    const rows = await readCustomerPending(server.hub.db);
    expect(rows.map((row) => [row.objName, row.uniqueId, row.action])).toEqual([
      ["Customer", first.customerID, "UPDATE"],
      ["Customer", second.customerID, "UPDATE"],
    ]);
  });

  it("answers 404 for an unknown card or customer, and 400 for a body naming both or neither", async () => {
    const customer = await server.hub.customers.add({ orgName: "C" }, api);
    await server.hub.cards.add({ cardNumber: "6000000000000004" });
    const noCard = await server.call<ErrorBody>("POST", "/api/v1/cards/6999/associate", {
      key: "operator",
      json: { customerID: customer.customerID },
    });
    expect(noCard.status).toBe(404);
    expect(noCard.body.error.code).toBe("CARD_NOT_FOUND");
    const noCustomer = await server.call<ErrorBody>(
      "POST",
      "/api/v1/cards/6000000000000004/associate",
      {
        key: "operator",
        json: { customerID: "987654" },
      },
    );
    expect(noCustomer.status).toBe(404);
    expect(noCustomer.body.error.code).toBe("CUSTOMER_NOT_FOUND");
    for (const json of [
      {},
      { customerID: customer.customerID, alternateKey: { typeCode: "EMAIL", alternateID: "x" } },
    ]) {
      const reply = await server.call<ErrorBody>(
        "POST",
        "/api/v1/cards/6000000000000004/associate",
        {
          key: "operator",
          json,
        },
      );
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe("INVALID_REQUEST");
    }
  });

  it("defines card programs, lists them, and deactivates one: its cards are refused PROGRAM_INACTIVE", async () => {
    const added = await server.call<CardProgram>("POST", "/api/v1/card-programs", {
      key: "operator",
      json: { code: "GOLD", kind: "LOYALTY", effectiveDate: "2020-01-01" },
    });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      code: "GOLD",
      kind: "LOYALTY",
      effectiveDate: "2020-01-01",
      expiryDate: null,
      active: true,
    });
    const again = await server.call<ErrorBody>("POST", "/api/v1/card-programs", {
      key: "operator",
      json: { code: "GOLD", kind: "TENDER" },
    });
    expect([again.status, again.body.error.code]).toEqual([409, "ALREADY_EXISTS"]);
    const badKind = await server.call<ErrorBody>("POST", "/api/v1/card-programs", {
      key: "operator",
      json: { code: "X", kind: "GIFT" },
    });
    expect([badKind.status, badKind.body.error.details.field]).toEqual([400, "body/kind"]);
    const backwards = await server.call<ErrorBody>("POST", "/api/v1/card-programs", {
      key: "operator",
      json: { code: "X", kind: "AWARD", effectiveDate: "2030-01-01", expiryDate: "2029-01-01" },
    });
    expect([backwards.status, backwards.body.error.details.field]).toEqual([400, "expiryDate"]);

    const listed = await server.call<{ items: CardProgram[] }>("GET", "/api/v1/card-programs", {
      key: "viewer",
    });
    expect(listed.body.items.map((program) => program.code)).toEqual(["GOLD"]);
    const off = await server.call<CardProgram>("POST", "/api/v1/card-programs/GOLD/deactivate", {
      key: "operator",
    });
    expect(off.body.active).toBe(false);
    const missing = await server.call<ErrorBody>("POST", "/api/v1/card-programs/NONE/activate", {
      key: "operator",
    });
    expect([missing.status, missing.body.error.code]).toEqual([404, "PROGRAM_NOT_FOUND"]);

    const customer = await server.hub.customers.add({ orgName: "Gold Member" }, api);
    await server.hub.cards.add({ cardNumber: "6000000000000010", program: "GOLD" });
    const refused = await server.call<ErrorBody>(
      "POST",
      "/api/v1/cards/6000000000000010/associate",
      {
        key: "operator",
        json: { customerID: customer.customerID },
      },
    );
    expect([refused.status, refused.body.error.code]).toEqual([409, "PROGRAM_INACTIVE"]);
    await server.call("POST", "/api/v1/card-programs/GOLD/activate", { key: "sysadmin" });
    const associated = await server.call<CustomerResponse>(
      "POST",
      "/api/v1/cards/6000000000000010/associate",
      { key: "operator", json: { customerID: customer.customerID } },
    );
    expect(associated.status).toBe(200);
  });

  it("allows the card routes to operator and sysadmin only", async () => {
    for (const [path, json] of [
      ["/api/v1/cards", { cardNumber: "6000000000000009" }],
      ["/api/v1/cards/6000000000000009/associate", { customerID: "1" }],
      ["/api/v1/card-programs", { code: "P", kind: "TENDER" }],
      ["/api/v1/card-programs/P/deactivate", undefined],
    ] as const) {
      expect((await server.call<ErrorBody>("POST", path, { json })).status, path).toBe(401);
      for (const role of ["viewer", "sysconfig", "jobadmin"] as const) {
        const reply = await server.call<ErrorBody>("POST", path, { key: role, json });
        expect(reply.status, `${path} as ${role}`).toBe(403);
      }
    }
    await expect(server.hub.cards.get("6000000000000009")).rejects.toMatchObject({
      code: "CARD_NOT_FOUND",
    });
  });

  it("never shows a path's card number in full: the access log and the unknown-route 404 mask it", async () => {
    const lines: string[] = [];
    await server.close();
    server = await startServer(engine, { logStream: { write: (line) => void lines.push(line) } });
    await server.hub.cards.add({ cardNumber: "4111111111111111" });
    const blocked = await server.call("POST", "/api/v1/cards/4111111111111111/block", {
      key: "operator",
    });
    expect(blocked.status).toBe(200);
    const noRoute = await server.call<ErrorBody>(
      "POST",
      "/api/v1/cards/4111111111111111/blockx?why=test",
      { key: "operator" },
    );
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.error).toMatchObject({
      code: "NOT_FOUND",
      message: "No route POST /api/v1/cards/****1111/blockx.",
    });
    // Percent-encoded, the number is still masked by its last four characters.
    const encoded = await server.call<ErrorBody>(
      "POST",
      "/api/v1/cards/5500%2D0000%2D0000%2D0004/unblock",
      { key: "operator" },
    );
    expect(encoded.status).toBe(404);
    // An encoded slash makes no route, and still no full number in the answer or the log.
    const slash = await server.call<ErrorBody>("GET", "/api/v1/cards%2F4111111111111111", {
      key: "operator",
    });
    expect(slash.status).toBe(404);
    expect(slash.body.error.message).toBe("No route GET /api/v1/cards/****1111.");

    // A request's line is written as its reply finishes, which may be after the client has it.
    const completed = () =>
      lines
        .map((line) => JSON.parse(line) as { msg: string; path?: string })
        .filter((line) => line.msg === "request completed")
        .map((line) => line.path);
    await waitFor(async () => completed().length === 4);
    expect(completed()).toEqual([
      "/api/v1/cards/****1111/block",
      "/api/v1/cards/****1111/blockx",
      "/api/v1/cards/****0004/unblock",
      "/api/v1/cards/****1111",
    ]);
    const all = lines.join("\n");
    for (const full of ["4111111111111111", "5500%2D0000", "5500-0000"])
      expect(all, full).not.toContain(full);
  });
});
