import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/api/request-checks.js";
import { engines } from "../support/databases.js";
import { startServer, type ErrorBody, type RunningServer } from "./helpers.js";

const api = { actor: "test", channel: "api" } as const;

/** `[[[...1...]]]`, `levels` arrays deep, as JSON text (JSON.stringify itself overflows on it). */
const nested = (levels: number): string => `${"[".repeat(levels)}1${"]".repeat(levels)}`;

describe.each(engines)("request checks on $name", (engine) => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer(engine);
  });
  afterEach(async () => server.close());

  it("answers 400 naming the field for a NUL character in any text: body, key, query string, path", async () => {
    const { customerID } = await server.hub.customers.add({ orgName: "Buyer" }, api);
    const transaction = {
      retailTransactionId: "T-NUL",
      businessDate: "2024-05-01",
      subtotal: 10,
      customerId: customerID,
    };
    const cases: [string, string, { json?: unknown; key: "operator" | "sysadmin" }, string][] = [
      [
        "POST",
        "/api/v1/customers",
        {
          key: "operator",
          json: {
            individual: {
              names: { FIRST: "Secret" },
              emails: [{ emailAddress: "secret.person\u0000@example.com" }],
            },
          },
        },
        "body/individual/emails/0/emailAddress",
      ],
      [
        "POST",
        "/api/v1/customers/add-or-update",
        {
          key: "operator",
          json: { alternateKeys: [{ typeCode: "EMAIL", alternateID: "a\u0000b" }] },
        },
        "body/alternateKeys/0/alternateID",
      ],
      [
        "PATCH",
        `/api/v1/customers/${customerID}`,
        { key: "operator", json: { notes: [{ text: "x", type: "GEN\u0000" }] } },
        "body/notes/0/type",
      ],
      ["POST", "/api/v1/segments", { key: "operator", json: { name: "seg\u0000x" } }, "body/name"],
      // A transaction keeps the fields it does not read: they are checked all the same.
      [
        "POST",
        "/api/v1/transactions",
        { key: "operator", json: { ...transaction, memo: { lines: ["ok", "a\u0000b"] } } },
        "body/memo/lines/1",
      ],
      [
        "POST",
        "/api/v1/transactions",
        { key: "operator", json: { ...transaction, ["me\u0000mo"]: "x" } },
        "body/me\\u0000mo",
      ],
      ["GET", "/api/v1/customers?email=a%00b", { key: "operator" }, "querystring/email"],
      [
        "GET",
        "/api/v1/customers?alternateKeyType=EMAIL&alternateKeyId=a%00b",
        { key: "operator" },
        "querystring/alternateKeyId",
      ],
      ["GET", "/api/v1/settings/DataSync%00Enabled", { key: "sysadmin" }, "params/key"],
    ];
    for (const [method, path, options, field] of cases) {
      const reply = await server.call<ErrorBody>(method, path, options);
      expect(reply.status, field).toBe(400);
      expect(reply.body.error, field).toEqual({
        code: "INVALID_REQUEST",
        message: `${field} holds a NUL character (U+0000), which no text may hold.`,
        details: { field },
      });
    }
    expect(await server.hub.customers.find({ name: "Secret" })).toEqual({
      items: [],
      nextCursor: null,
    });
    expect(await server.hub.segments.list()).toEqual([]);
  });

  it(`answers 400 naming the field for a JSON body nested deeper than ${MAX_JSON_DEPTH} levels, and takes one as deep as that`, async () => {
    const { customerID } = await server.hub.customers.add({ orgName: "Buyer" }, api);
    const transaction = (id: string, extra: string) =>
      `{"retailTransactionId":"${id}","businessDate":"2024-05-01","subtotal":10,` +
      `"customerId":"${customerID}","extra":${extra}}`;

    const deep = await server.call<ErrorBody>("POST", "/api/v1/transactions", {
      key: "operator",
      raw: transaction("T-DEEP", nested(5_000)),
    });
    expect(deep.status).toBe(400);
    const field = `body/extra${"/0".repeat(MAX_JSON_DEPTH - 1)}`;
    expect(deep.body.error).toEqual({
      code: "INVALID_REQUEST",
      message: `${field} nests deeper than ${MAX_JSON_DEPTH} levels.`,
      details: { field, maxDepth: MAX_JSON_DEPTH },
    });

    // The body is one level, `extra` the rest.
    const deepest = await server.call<{ created: boolean }>("POST", "/api/v1/transactions", {
      key: "operator",
      raw: transaction("T-DEEPEST", nested(MAX_JSON_DEPTH - 1)),
    });
    expect(deepest.status).toBe(201);
    const tooDeep = await server.call<ErrorBody>("POST", "/api/v1/customers", {
      key: "operator",
      raw: `{"notes":${nested(MAX_JSON_DEPTH)}}`,
    });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error.details.field).toBe(`body/notes${"/0".repeat(MAX_JSON_DEPTH - 1)}`);
  });

  it("answers 415 naming application/json for a body that is not JSON; the import route takes XML and names it", async () => {
    const { customerID } = await server.hub.customers.add({ orgName: "Buyer" }, api);
    const cases: [string, string, string, string][] = [
      ["POST", "/api/v1/customers", "application/xml", "<a/>"],
      ["POST", "/api/v1/customers", "text/xml", "<a/>"],
      ["POST", "/api/v1/customers", "text/plain", '{"orgName": "Plain"}'],
      ["PATCH", `/api/v1/customers/${customerID}`, "text/plain; charset=utf-8", "orgName"],
      ["POST", "/api/v1/transactions", "application/xml", "<Transaction/>"],
      ["POST", "/api/v1/segments", "application/x-www-form-urlencoded", "name=x"],
    ];
    for (const [method, path, type, raw] of cases) {
      const reply = await server.call<ErrorBody>(method, path, {
        key: "operator",
        raw,
        headers: { "content-type": type },
      });
      const sent = type.split(";")[0]!;
      expect(reply.status, `${path} ${type}`).toBe(415);
      expect(reply.body.error, `${path} ${type}`).toEqual({
        code: "INVALID_REQUEST",
        message: `The body is sent as application/json, not ${sent}.`,
        details: { contentType: sent, accepted: ["application/json"] },
      });
    }
    expect((await server.hub.customers.find({ name: "Plain" })).items).toEqual([]);
    expect(await server.hub.segments.list()).toEqual([]);

    const xml = `<?xml version="1.0"?>\n<Customers><Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>XML-1</AlternateID></AlternateKey></Customer></Customers>\n`;
    const imported = await server.call<{ succeeded: number }>("POST", "/api/v1/imports", {
      key: "operator",
      raw: xml,
      headers: { "content-type": "application/xml" },
    });
    expect(imported.status).toBe(201);
    expect(imported.body.succeeded).toBe(1);
    for (const type of ["text/plain", "application/json"]) {
      const refused = await server.call<ErrorBody>("POST", "/api/v1/imports", {
        key: "operator",
        raw: type === "text/plain" ? xml : "{}",
        headers: { "content-type": type },
      });
      expect(refused.status, type).toBe(415);
      expect(refused.body.error.message, type).toBe(
        `The body is sent as application/xml or text/xml, not ${type}.`,
      );
    }
    expect(await server.hub.imports.list()).toHaveLength(1);
  });
});
