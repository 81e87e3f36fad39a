/**
 * The OpenAPI document against the server it describes, for a user who generates a client from
 * it: every operation is driven through its success and its main failures, and each answer is
 * checked against the reply the document declares for its status (the status is declared, the
 * content type is the declared one, the body passes the declared schema, an error's code is one
 * the reply lists). The document lists exactly the routes the server holds, is well formed, and
 * names the roles each operation admits.
 *
 * Long, as the API is wide: one walk through every operation, in the order its data needs.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { OpenApiDocument } from "../../src/api/openapi.js";
import { ROLES, type Role } from "../../src/domain/roles.js";
import { pauseDestination } from "../../src/store/sync-pauses.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import { DatanuumReceiver } from "../simulators/datanuum-receiver.js";
import { cutOffImport } from "../support/cut-off-import.js";
import { engines } from "../support/databases.js";
import { closedPort } from "../support/ports.js";
import { tempDir } from "../support/temp-dirs.js";
import { configureSync } from "../sync/helpers.js";
import {
  routesOf,
  startServer,
  type CallOptions,
  type ErrorBody,
  type Reply,
  type RunningServer,
} from "./helpers.js";
import {
  conformityChecker,
  openApiProblems,
  operationsOf,
  type Operation,
} from "./openapi-checks.js";

/** Path parameters the data-sync routes find something under; any other is `1`. */
const HELD: Record<string, string> = {
  name: "datanuum",
  key: "rewardPointsConfig",
  config: "DATANUUM_CONFIG_01",
};

/** The template with each parameter filled in. */
const filled = (template: string): string =>
  template.replace(/\{(\w+)\}/g, (_whole, name: string) => HELD[name] ?? "1");

describe.each(engines)("the OpenAPI document against the server on $name", (engine) => {
  let server: RunningServer | undefined;
  let receiver: DataSyncReceiver | undefined;
  let datanuum: DatanuumReceiver | undefined;
  afterEach(async () => {
    await server?.close();
    await receiver?.close();
    await datanuum?.close();
  });

  async function start(
    dataDir = tempDir(),
  ): Promise<{ server: RunningServer; document: OpenApiDocument }> {
    receiver = await DataSyncReceiver.start();
    datanuum = await DatanuumReceiver.start();
    const sync = receiver;
    server = await startServer(engine, { dataDir }, async (hub) => ({
      dataSync: await configureSync(hub, sync),
    }));
    const reply = await server.call<OpenApiDocument>("GET", "/api/v1/openapi.json");
    expect(reply.status).toBe(200);
    return { server, document: reply.body };
  }

  it("admits to each operation exactly the roles its x-roles and x-roles-together name, and x-roles-by-parameters where it lists values", async () => {
    const { server, document } = await start();
    // The data-sync services check the roles again, once the request is valid: these reach them.
    const dn = datanuum!;
    const reaching: Record<string, CallOptions & { path?: string }> = {
      "POST /api/v1/sync/dead-letters/requeue": { json: { all: true } },
      "PUT /api/v1/destinations/{name}/config/{key}": {
        path: "/api/v1/destinations/datanuum/config/rewardPointsConfig",
        json: { value: null },
      },
      "PUT /api/v1/destinations/{name}/credentials": {
        path: "/api/v1/destinations/datasync/credentials",
        json: { fields: { clientId: receiver!.clientId, clientSecret: receiver!.clientSecret } },
      },
      "POST /api/v1/destinations/{name}/run": { json: {} },
      "POST /api/v1/destinations/{name}/dead-letters/requeue": { json: { all: true } },
      "POST /api/v1/datanuum/configs": {
        json: { code: "DATANUUM_CONFIG_01", apiUrl: dn.apiUrl, apiKey: dn.apiKey },
      },
      "PUT /api/v1/datanuum/configs/{config}/credentials": { json: { apiKey: dn.apiKey } },
    };
    const pairs: Role[][] = [["sysconfig", "jobadmin"]];
    const keys = new Map<string, string>(ROLES.map((role) => [role, server.keys[role]]));
    for (const roles of pairs) {
      const created = await server.hub.apiKeys.create({ name: roles.join(" and "), roles });
      keys.set(roles.join("+"), created.key);
    }
    const secured = operationsOf(document).filter((op) => op.operation.security?.length);
    expect(secured.length).toBeGreaterThan(50);
    for (const op of secured) {
      const granting = [
        ...(op.operation["x-roles"] ?? []).map((role) => [role]),
        ...(op.operation["x-roles-together"] ?? []),
      ];
      expect(granting.length, op.name).toBeGreaterThan(0);
      const request = reaching[op.name] ?? {};
      const path = request.path ?? filled(op.template);
      for (const roles of [...ROLES.map((role) => [role]), ...pairs]) {
        const admitted = granting.some((set) => set.every((role) => roles.includes(role)));
        const reply = await server.call(op.method, path, {
          ...request,
          key: keys.get(roles.join("+"))!,
        });
        if (admitted) expect(reply.status, `${op.name} as ${roles.join("+")}`).not.toBe(403);
        else expect(reply.status, `${op.name} as ${roles.join("+")}`).toBe(403);
      }
    }

    // Parameter values that need other roles (a setting that decides where a saved secret is
    // sent): with them, the operation admits exactly the roles x-roles-by-parameters names.
    const guarded = secured.flatMap((op) =>
      (op.operation["x-roles-by-parameters"] ?? []).map((entry) => ({ op, entry })),
    );
    expect(
      guarded.map(({ op, entry }) => `${op.name} ${JSON.stringify(entry.parameters)}`),
    ).toEqual(
      expect.arrayContaining([
        'PUT /api/v1/settings/{key} {"key":"DataSyncApiUrl"}',
        'PUT /api/v1/settings/{key} {"key":"DataSyncTokenUrl"}',
        'PUT /api/v1/destinations/{name}/config/{key} {"name":"datasync","key":"DataSyncApiUrl"}',
        'PUT /api/v1/destinations/{name}/config/{key} {"name":"datasync","key":"DataSyncTokenUrl"}',
        'PUT /api/v1/destinations/{name}/config/{key} {"name":"newbase","key":"baseUrl"}',
        'PUT /api/v1/destinations/{name}/config/{key} {"name":"socialhub","key":"baseUrl"}',
      ]),
    );
    for (const { op, entry } of guarded) {
      const granting = [
        ...(entry["x-roles"] ?? []).map((role) => [role]),
        ...(entry["x-roles-together"] ?? []),
      ];
      const path = op.template.replace(
        /\{(\w+)\}/g,
        (_whole, name: string) => entry.parameters[name] ?? HELD[name] ?? "1",
      );
      const what = `${op.name} with ${JSON.stringify(entry.parameters)}`;
      for (const roles of [...ROLES.map((role) => [role]), ...pairs]) {
        const admitted = granting.some((set) => set.every((role) => roles.includes(role)));
        const reply = await server.call<ErrorBody>(op.method, path, {
          json: { value: null },
          key: keys.get(roles.join("+"))!,
        });
        if (admitted) expect(reply.status, `${what} as ${roles.join("+")}`).not.toBe(403);
        else
          expect([reply.status, reply.body.error?.code], `${what} as ${roles.join("+")}`).toEqual([
            403,
            "FORBIDDEN",
          ]);
      }
    }
  });
  it("lists exactly the routes the server holds, and is a well-formed OpenAPI 3.0 document", async () => {
    const { server, document } = await start();
    const documented = operationsOf(document).map((op) => op.name);
    expect(documented.sort()).toEqual(routesOf(server).sort());
    // The data-sync and destination routes are served here, and so documented.
    expect(documented).toContain("POST /api/v1/sync/sample");
    expect(documented).toContain("GET /api/v1/destinations/{name}/runs/{runId}");
    expect(openApiProblems(document)).toEqual([]);
    // Every declared schema compiles, every $ref in it resolving.
    const conform = conformityChecker(document);
    for (const op of operationsOf(document)) {
      for (const [status, reply] of Object.entries(op.operation.responses)) {
        for (const mediaType of Object.keys(reply.content)) {
          expect(
            () => conform.validator(op, status, mediaType),
            `${op.name} ${status}`,
          ).not.toThrow();
        }
      }
    }
  });

  it("answers every operation as the document declares: its success and its main failures", async () => {
    const dataDir = tempDir();
    const { server, document } = await start(dataDir);
    const dn = datanuum!;
    const operations = new Map(operationsOf(document).map((op) => [op.name, op]));
    const conform = conformityChecker(document);
    const answered = new Set<string>();

    /** Sends `step` as its operation's first granted key (or `key`) and checks the answer. */
    async function expectReply<Body = Record<string, unknown>>(
      name: string,
      status: number,
      step: CallOptions & { path?: string; code?: string; anonymous?: boolean } = {},
    ): Promise<Reply<Body>> {
      const op = operations.get(name);
      if (!op) throw new Error(`The document has no operation ${name}.`);
      const { path = filled(op.template), code, anonymous, ...call } = step;
      const key = anonymous ? undefined : (call.key ?? grantedKey(op));
      const reply = await server.call<Body>(op.method, path, { ...call, key });
      const what = `${name} (${path}) answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 300)}`;
      expect(reply.status, what).toBe(status);
      expect(conform.problems(op, reply), what).toEqual([]);
      if (code !== undefined) expect((reply.body as ErrorBody).error.code, what).toBe(code);
      answered.add(`${name} ${status}`);
      return reply;
    }
    const grantedKey = (op: Operation): string | undefined => {
      if (!op.operation.security?.length) return undefined;
      const [role] = op.operation["x-roles"] ?? [];
      return role ? server.keys[role] : undefined;
    };

    // What every operation meets by what it takes: no key, a refused role, a refused field,
    // a body too large or of the wrong type.
    const tooLarge = JSON.stringify({ filler: "x".repeat(1024 * 1024) });
    for (const op of operations.values()) {
      const { operation } = op;
      if (operation.security?.length) {
        await expectReply(op.name, 401, { anonymous: true, code: "UNAUTHORIZED" });
        const refused = ROLES.find((role) => !operation["x-roles"]?.includes(role));
        if (refused && operation.responses[403])
          await expectReply(op.name, 403, { key: server.keys[refused], code: "FORBIDDEN" });
      }
      const param = operation.parameters?.find((parameter) => parameter.in === "path");
      const jsonBody = operation.requestBody?.content["application/json"];
      // A body that is not JSON (an import's XML), of the first type the operation takes.
      const [fileType] = Object.keys(operation.requestBody?.content ?? {});
      const file =
        fileType && !jsonBody ? { raw: "<Customers/>", headers: { "content-type": fileType } } : {};
      if (param) {
        const bad = invalidValue(param.schema);
        await expectReply(op.name, 400, {
          path: op.template
            .replace(`{${param.name}}`, encodeURIComponent(bad))
            .replace(/\{(\w+)\}/g, (_w, n: string) => HELD[n] ?? "1"),
          json: jsonBody ? {} : undefined,
          code: "INVALID_REQUEST",
        });
      } else if (operation.parameters?.length) {
        await expectReply(op.name, 400, {
          ...file,
          path: `${filled(op.template)}?notAField=1`,
          code: "INVALID_REQUEST",
        });
      } else if (jsonBody) {
        await expectReply(op.name, 400, { json: { notAField: 1 }, code: "INVALID_REQUEST" });
      }
      // Malformed JSON, whether or not the route reads a body.
      if (op.method !== "GET")
        await expectReply(op.name, 400, { raw: "{", code: "INVALID_REQUEST" });
      // No body: refused where one is required, taken where not.
      if (jsonBody && operation.requestBody?.required) {
        await expectReply(op.name, 400, { code: "INVALID_REQUEST" });
      } else if (jsonBody) {
        const reply = await server.call(op.method, filled(op.template), { key: grantedKey(op) });
        expect(reply.status, `${op.name} without a body`).not.toBe(400);
      }
      if (op.method !== "GET" && !("raw" in file)) {
        await expectReply(op.name, 413, { raw: tooLarge, code: "REQUEST_TOO_LARGE" });
        await expectReply(op.name, 415, {
          raw: "x",
          headers: { "content-type": "text/plain" },
          code: "INVALID_REQUEST",
        });
      } else if (operation.requestBody) {
        await expectReply(op.name, 415, { json: {}, code: "INVALID_REQUEST" });
      }
    }

    // The operations (open) and the description.
    await expectReply("GET /healthz", 200);
    await expectReply("GET /readyz", 200);
    await expectReply("GET /metrics", 200);
    await expectReply("GET /api/v1/openapi.json", 200);
    await expectReply("GET /api/v1/docs", 200);

    // Customers.
    const person = (first: string, id: string) => ({
      individual: { names: { FIRST: first, LAST: "Contract" } },
      alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: id }],
    });
    const unknown = "999999999";
    const added = async (name: string, status: number, json: unknown) =>
      (await expectReply<{ customerID: string }>(name, status, { json })).body.customerID;
    const ann = await added("POST /api/v1/customers", 201, person("Ann", "C-1"));
    await expectReply("POST /api/v1/customers", 409, {
      json: person("Ann", "C-1"),
      code: "CUSTOMER_ALREADY_EXISTS",
    });
    const bob = await added("POST /api/v1/customers", 201, person("Bob", "C-2"));
    await expectReply("GET /api/v1/customers/{customerID}", 200, {
      path: `/api/v1/customers/${ann}`,
    });
    await expectReply("GET /api/v1/customers/{customerID}", 404, {
      path: `/api/v1/customers/${unknown}`,
      code: "CUSTOMER_NOT_FOUND",
    });
    await expectReply("GET /api/v1/customers", 200, {
      path: "/api/v1/customers?alternateKeyType=XSTORE_ID&alternateKeyId=C-1",
    });
    await expectReply("GET /api/v1/customers", 200, {
      path: "/api/v1/customers?name=Contract&limit=1",
    });
    await expectReply("GET /api/v1/customers", 400, {
      path: "/api/v1/customers?alternateKeyType=XSTORE_ID",
      code: "INVALID_REQUEST",
    });
    const carl = await added("POST /api/v1/customers/add-or-update", 201, person("Carl", "C-3"));
    await expectReply("POST /api/v1/customers/add-or-update", 200, {
      json: { ...person("Carl", "C-3"), orgName: "Carl Ltd" },
    });
    // Alternate keys another customer holds.
    const annsKey = {
      alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "C-1", updateType: "New" }],
    };
    await expectReply("PATCH /api/v1/customers/{customerID}", 409, {
      path: `/api/v1/customers/${bob}`,
      json: annsKey,
      code: "CUSTOMER_ALREADY_EXISTS",
    });
    await expectReply("POST /api/v1/customers/add-or-update", 409, {
      json: {
        alternateKeys: [...person("x", "C-1").alternateKeys, ...person("x", "C-2").alternateKeys],
      },
      code: "CUSTOMER_ALREADY_EXISTS",
    });
    await expectReply("PATCH /api/v1/customers/{customerID}", 200, {
      path: `/api/v1/customers/${ann}`,
      json: { orgName: "Ann Ltd" },
    });
    await expectReply("PATCH /api/v1/customers/{customerID}", 404, {
      path: `/api/v1/customers/${unknown}`,
      json: { orgName: "x" },
      code: "CUSTOMER_NOT_FOUND",
    });

    // Notes.
    const notes = `/api/v1/customers/${ann}/notes`;
    await expectReply("POST /api/v1/customers/{customerID}/notes", 201, {
      path: notes,
      json: { text: "Called", sequence: 5 },
    });
    await expectReply("POST /api/v1/customers/{customerID}/notes", 409, {
      path: notes,
      json: { text: "Called" },
      code: "DUPLICATE_NOTE",
    });
    await expectReply("POST /api/v1/customers/{customerID}/notes", 404, {
      path: `/api/v1/customers/${unknown}/notes`,
      json: { text: "x" },
      code: "CUSTOMER_NOT_FOUND",
    });
    await expectReply("POST /api/v1/customers/{customerID}/notes", 201, {
      path: notes,
      json: { text: "Wrote" },
    });
    await expectReply("PUT /api/v1/customers/{customerID}/notes/{sequence}", 200, {
      path: `${notes}/5`,
      json: { text: "Called back" },
    });
    await expectReply("PUT /api/v1/customers/{customerID}/notes/{sequence}", 409, {
      path: `${notes}/5`,
      json: { text: "Wrote" },
      code: "DUPLICATE_NOTE",
    });
    await expectReply("PUT /api/v1/customers/{customerID}/notes/{sequence}", 404, {
      path: `${notes}/77`,
      json: { text: "x" },
      code: "NOTE_NOT_FOUND",
    });
    await expectReply("PUT /api/v1/customers/{customerID}/notes/{sequence}", 404, {
      path: `/api/v1/customers/${unknown}/notes/5`,
      json: { text: "x" },
      code: "CUSTOMER_NOT_FOUND",
    });
    await expectReply("DELETE /api/v1/customers/{customerID}/notes/{sequence}", 200, {
      path: `${notes}/5`,
    });
    await expectReply("DELETE /api/v1/customers/{customerID}/notes/{sequence}", 404, {
      path: `${notes}/5`,
      code: "NOTE_NOT_FOUND",
    });
    await expectReply("DELETE /api/v1/customers/{customerID}/notes/{sequence}", 404, {
      path: `/api/v1/customers/${unknown}/notes/5`,
      code: "CUSTOMER_NOT_FOUND",
    });

    // Card programs and cards.
    await expectReply("POST /api/v1/card-programs", 201, {
      json: { code: "GOLD", kind: "LOYALTY" },
    });
    await expectReply("POST /api/v1/card-programs", 409, {
      json: { code: "GOLD", kind: "LOYALTY" },
      code: "ALREADY_EXISTS",
    });
    await expectReply("POST /api/v1/card-programs", 201, {
      json: { code: "PAUSED", kind: "AWARD" },
    });
    await expectReply("GET /api/v1/card-programs", 200);
    for (const verb of ["activate", "deactivate"]) {
      await expectReply(`POST /api/v1/card-programs/{code}/${verb}`, 200, {
        path: `/api/v1/card-programs/PAUSED/${verb}`,
      });
      await expectReply(`POST /api/v1/card-programs/{code}/${verb}`, 404, {
        path: `/api/v1/card-programs/NOPE/${verb}`,
        code: "PROGRAM_NOT_FOUND",
      });
    }
    await expectReply("POST /api/v1/cards", 201, {
      json: { cardNumber: "4111-0001", program: "GOLD" },
    });
    await expectReply("POST /api/v1/cards", 409, {
      json: { cardNumber: "4111-0001" },
      code: "CARD_ALREADY_EXISTS",
    });
    await expectReply("POST /api/v1/cards", 201, {
      json: { cardNumber: "4111-0002", program: "PAUSED" },
    });
    const card = "/api/v1/cards/4111-0001";
    await expectReply("POST /api/v1/cards/{cardNumber}/associate", 200, {
      path: `${card}/associate`,
      json: { customerID: ann },
    });
    await expectReply("POST /api/v1/cards/{cardNumber}/associate", 409, {
      path: "/api/v1/cards/4111-0002/associate",
      json: { customerID: ann },
      code: "PROGRAM_INACTIVE",
    });
    await expectReply("POST /api/v1/cards/{cardNumber}/associate", 404, {
      path: "/api/v1/cards/4111-0404/associate",
      json: { customerID: ann },
      code: "CARD_NOT_FOUND",
    });
    await expectReply("POST /api/v1/cards/{cardNumber}/associate", 404, {
      path: `${card}/associate`,
      json: { customerID: unknown },
      code: "CUSTOMER_NOT_FOUND",
    });
    await expectReply("POST /api/v1/cards/{cardNumber}/reset-expiration", 200, {
      path: `${card}/reset-expiration`,
      json: { expirationDate: "2099-12-31" },
    });
    await expectReply("POST /api/v1/cards/{cardNumber}/reset-expiration", 404, {
      path: "/api/v1/cards/4111-0404/reset-expiration",
      json: { expirationDate: "2099-12-31" },
      code: "CARD_NOT_FOUND",
    });
    const status = async (verb: string, expected: number, code?: string) =>
      expectReply(`POST /api/v1/cards/{cardNumber}/${verb}`, expected, {
        path: `${card}/${verb}`,
        code,
      });
    await status("activate", 409, "CARD_ALREADY_ACTIVE");
    await status("deactivate", 200);
    await status("deactivate", 409, "CARD_NOT_ACTIVE");
    await status("activate", 200);
    await status("unblock", 409, "CARD_NOT_BLOCKED");
    await status("block", 200);
    await status("block", 409, "CARD_ALREADY_BLOCKED");
    await status("unblock", 200);
    // A card no one holds: the change answers no record.
    await expectReply("POST /api/v1/cards/{cardNumber}/block", 200, {
      path: "/api/v1/cards/4111-0002/block",
    });
    for (const verb of ["activate", "deactivate", "block", "unblock"]) {
      await expectReply(`POST /api/v1/cards/{cardNumber}/${verb}`, 404, {
        path: `/api/v1/cards/4111-0404/${verb}`,
        code: "CARD_NOT_FOUND",
      });
    }

    // Segments, franchisees, associates.
    const segment = (
      await expectReply<{ segmentId: string }>("POST /api/v1/segments", 201, {
        json: { name: "VIP" },
      })
    ).body.segmentId;
    await expectReply("POST /api/v1/segments", 409, {
      json: { name: "vip" },
      code: "ALREADY_EXISTS",
    });
    await expectReply("GET /api/v1/segments", 200);
    const membership = "/api/v1/customers/{customerID}/segments/{segmentId}";
    await expectReply(`PUT ${membership}`, 200, {
      path: `/api/v1/customers/${ann}/segments/${segment}`,
    });
    await expectReply(`PUT ${membership}`, 404, {
      path: `/api/v1/customers/${ann}/segments/424242`,
      code: "SEGMENT_NOT_FOUND",
    });
    await expectReply(`PUT ${membership}`, 404, {
      path: `/api/v1/customers/${unknown}/segments/${segment}`,
      code: "CUSTOMER_NOT_FOUND",
    });
    await expectReply(`DELETE ${membership}`, 200, {
      path: `/api/v1/customers/${ann}/segments/${segment}`,
    });
    await expectReply(`DELETE ${membership}`, 404, {
      path: `/api/v1/customers/${ann}/segments/${segment}`,
      code: "CUSTOMER_NOT_IN_SEGMENT",
    });
    const franchisee = "/api/v1/customers/{customerID}/franchisees/{franchiseeId}";
    await expectReply(`PUT ${franchisee}`, 200, {
      path: `/api/v1/customers/${ann}/franchisees/7`,
      json: { franchiseeName: "North" },
    });
    await expectReply(`PUT ${franchisee}`, 404, {
      path: `/api/v1/customers/${unknown}/franchisees/7`,
      json: { franchiseeName: "North" },
      code: "CUSTOMER_NOT_FOUND",
    });
    await expectReply(`DELETE ${franchisee}`, 200, {
      path: `/api/v1/customers/${ann}/franchisees/7`,
    });
    await expectReply(`DELETE ${franchisee}`, 404, {
      path: `/api/v1/customers/${ann}/franchisees/7`,
      code: "FRANCHISEE_NOT_FOUND",
    });
    const associates = "PUT /api/v1/customers/{customerID}/associate-assignments";
    await expectReply(associates, 200, {
      path: `/api/v1/customers/${ann}/associate-assignments`,
      json: { associateAssignment: [{ role: "STYLIST", associateID: "A-1" }] },
    });
    await expectReply(associates, 404, {
      path: `/api/v1/customers/${unknown}/associate-assignments`,
      json: { associateAssignment: [] },
      code: "CUSTOMER_NOT_FOUND",
    });

    // Transactions.
    const sale = {
      retailTransactionId: "T-1",
      businessDate: "2026-01-02",
      subtotal: 10,
      customerId: ann,
    };
    await expectReply("POST /api/v1/transactions", 201, { json: sale });
    await expectReply("POST /api/v1/transactions", 200, { json: sale });
    await expectReply("POST /api/v1/transactions", 409, {
      json: { ...sale, subtotal: 11 },
      code: "TRANSACTION_ALREADY_EXISTS",
    });
    await expectReply("POST /api/v1/transactions", 404, {
      json: { ...sale, retailTransactionId: "T-2", customerId: unknown },
      code: "CUSTOMER_NOT_FOUND",
    });
    const posted = await expectReply<{ transaction: unknown }>(
      "GET /api/v1/transactions/{retailTransactionId}",
      200,
      { path: "/api/v1/transactions/T-1" },
    );
    // The reply schemas describe and do not shape: the transaction, an open object, comes whole.
    expect(posted.body.transaction).toEqual(sale);
    await expectReply("GET /api/v1/transactions/{retailTransactionId}", 404, {
      path: "/api/v1/transactions/T-404",
      code: "TRANSACTION_NOT_FOUND",
    });

    // Merge and delete.
    await expectReply("POST /api/v1/customers/merge", 201, {
      json: { targets: [{ customerID: bob }, { customerID: carl }] },
    });
    await expectReply("POST /api/v1/customers/merge", 404, {
      json: { source: { customerID: unknown }, targets: [{ customerID: ann }] },
      code: "CUSTOMER_NOT_FOUND",
    });

    // Imports.
    const xml = `<?xml version="1.0"?>\n<Customers>\n<Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>I-1</AlternateID></AlternateKey></Customer>\n<Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>I-2</AlternateID></AlternateKey></Customer>\n</Customers>\n`;
    const asXml = { raw: xml, headers: { "content-type": "application/xml" } };
    const imported = (
      await expectReply<{ importId: string }>("POST /api/v1/imports", 201, {
        ...asXml,
        path: "/api/v1/imports?fileName=one.xml",
      })
    ).body.importId;
    await expectReply("POST /api/v1/imports", 422, {
      raw: "<Customers><Customer></Custom>",
      headers: { "content-type": "text/xml" },
    });
    await expectReply("GET /api/v1/imports", 200);
    await expectReply("GET /api/v1/imports/{id}", 200, { path: `/api/v1/imports/${imported}` });
    await expectReply("GET /api/v1/imports/{id}", 404, {
      path: "/api/v1/imports/424242",
      code: "IMPORT_NOT_FOUND",
    });
    const file = join(tempDir(), "cut.xml");
    writeFileSync(file, xml.replaceAll("I-", "J-"));
    const cut = await cutOffImport(server.hub, file, { channel: "api", dataDir, groupSize: 1 });
    await expectReply("POST /api/v1/imports/{id}/resume", 200, {
      path: `/api/v1/imports/${cut}/resume`,
    });
    await expectReply("POST /api/v1/imports/{id}/resume", 400, {
      path: `/api/v1/imports/${cut}/resume`,
      code: "INVALID_REQUEST",
    });
    await expectReply("POST /api/v1/imports/{id}/resume", 404, {
      path: "/api/v1/imports/424242/resume",
      code: "IMPORT_NOT_FOUND",
    });
    const held = await server.hub.imports.start({
      fileName: "held.xml",
      fileset: "web",
      channel: "api",
    });
    await expectReply("POST /api/v1/imports/{id}/resume", 409, {
      path: `/api/v1/imports/${held.importId}/resume`,
      code: "IMPORT_IN_PROGRESS",
    });
    await held.release();

    // Settings.
    await expectReply("GET /api/v1/settings", 200);
    await expectReply("GET /api/v1/settings/{key}", 200, {
      path: "/api/v1/settings/DataSyncApiUrl",
    });
    await expectReply("PUT /api/v1/settings/{key}", 200, {
      path: "/api/v1/settings/DataSyncIntervalSeconds",
      json: { value: 120 },
    });
    await expectReply("PUT /api/v1/settings/{key}", 403, {
      path: "/api/v1/settings/DataSyncTokenUrl",
      key: server.keys.sysconfig,
      json: { value: "https://elsewhere.example/token" },
      code: "FORBIDDEN",
    });
    await expectReply("PUT /api/v1/settings/{key}", 400, {
      path: "/api/v1/settings/DataSyncIntervalSeconds",
      json: { value: "often" },
      code: "INVALID_SETTING",
    });

    // Data sync.
    await expectReply("POST /api/v1/sync/sample", 200);
    await server.hub.settings.set("DataSyncCredentialKeyName", "nothing-saved");
    await expectReply("POST /api/v1/sync/sample", 400, { code: "CREDENTIALS_NOT_FOUND" });
    await server.hub.settings.set("DataSyncCredentialKeyName", "datasync");
    const tokenUrl = await server.hub.settings.get("DataSyncTokenUrl");
    await server.hub.settings.set("DataSyncTokenUrl", `http://127.0.0.1:${await closedPort()}/`);
    await expectReply("POST /api/v1/sync/sample", 502, { code: "TOKEN_REQUEST_FAILED" });
    await server.hub.settings.set("DataSyncTokenUrl", String(tokenUrl));
    await expectReply("POST /api/v1/sync/run", 200);
    await expectReply("GET /api/v1/sync/status", 200);
    await expectReply("GET /api/v1/sync/dead-letters", 200);
    await expectReply("POST /api/v1/sync/dead-letters/requeue", 200, { json: { all: true } });
    await expectReply("POST /api/v1/sync/dead-letters/requeue", 400, {
      json: { ids: ["424242"] },
      code: "DEAD_LETTER_NOT_FOUND",
    });

    // Destinations and Datanuum's configurations.
    const config = { code: "DATANUUM_CONFIG_01", apiUrl: dn.apiUrl, apiKey: dn.apiKey };
    await expectReply("POST /api/v1/datanuum/configs", 201, { json: config });
    await expectReply("POST /api/v1/datanuum/configs", 409, {
      json: config,
      code: "ALREADY_EXISTS",
    });
    await expectReply("GET /api/v1/datanuum/configs", 200);
    for (const verb of ["disable", "enable"]) {
      await expectReply(`POST /api/v1/datanuum/configs/{config}/${verb}`, 200);
      await expectReply(`POST /api/v1/datanuum/configs/{config}/${verb}`, 404, {
        path: `/api/v1/datanuum/configs/NOPE/${verb}`,
        code: "REWARD_CONFIG_NOT_FOUND",
      });
    }
    await expectReply("PUT /api/v1/datanuum/configs/{config}/credentials", 200, {
      json: { apiKey: dn.apiKey },
    });
    await expectReply("PUT /api/v1/datanuum/configs/{config}/credentials", 404, {
      path: "/api/v1/datanuum/configs/NOPE/credentials",
      json: { apiKey: "x" },
      code: "REWARD_CONFIG_NOT_FOUND",
    });
    await expectReply("GET /api/v1/destinations", 200);
    const nowhere = (template: string) =>
      template
        .replace("{name}", "nowhere")
        .replace(/\{(\w+)\}/g, (_w, n: string) => HELD[n] ?? "1");
    const unknownDestination = async (name: string, json?: unknown) =>
      expectReply(name, 404, {
        path: nowhere(name.split(" ")[1]!),
        json,
        code: "DESTINATION_NOT_FOUND",
      });
    for (const verb of ["enable", "disable"]) {
      await expectReply(`POST /api/v1/destinations/{name}/${verb}`, 200);
      await unknownDestination(`POST /api/v1/destinations/{name}/${verb}`);
    }
    await expectReply("GET /api/v1/destinations/{name}/config", 200);
    await unknownDestination("GET /api/v1/destinations/{name}/config");
    await expectReply("PUT /api/v1/destinations/{name}/config/{key}", 200, {
      json: { value: "DATANUUM_CONFIG_01" },
    });
    await expectReply("PUT /api/v1/destinations/{name}/config/{key}", 400, {
      path: "/api/v1/destinations/datanuum/config/posRegisterField",
      json: { value: "ref5" },
      code: "INVALID_SETTING",
    });
    await unknownDestination("PUT /api/v1/destinations/{name}/config/{key}", { value: null });
    const fields = { clientId: receiver!.clientId, clientSecret: receiver!.clientSecret };
    await expectReply("PUT /api/v1/destinations/{name}/credentials", 200, {
      path: "/api/v1/destinations/datasync/credentials",
      json: { fields },
    });
    await unknownDestination("PUT /api/v1/destinations/{name}/credentials", { fields });
    const run = await expectReply<{ run: { id: string } }>(
      "POST /api/v1/destinations/{name}/run",
      200,
      { json: { customers: [ann] } },
    );
    await expectReply("POST /api/v1/destinations/{name}/run", 409, {
      json: {},
      code: "DESTINATION_DISABLED",
    });
    await expectReply("POST /api/v1/destinations/{name}/run", 404, {
      json: { customers: [unknown] },
      code: "CUSTOMER_NOT_FOUND",
    });
    await unknownDestination("POST /api/v1/destinations/{name}/run", {});
    // A receiver asked the data-sync endpoint to slow down: runs are refused until it resumes.
    await pauseDestination(server.hub.db, {
      destination: "datasync",
      delayMs: 60_000,
      status: 429,
      reason: "message 1 answered 429",
    });
    await expectReply("POST /api/v1/sync/run", 409, { code: "DESTINATION_PAUSED" });
    await expectReply("POST /api/v1/destinations/{name}/run", 409, {
      path: "/api/v1/destinations/datasync/run",
      json: {},
      code: "DESTINATION_PAUSED",
    });
    await expectReply("GET /api/v1/sync/status", 200);
    await expectReply("POST /api/v1/destinations/{name}/resume", 200, {
      path: "/api/v1/destinations/datasync/resume",
    });
    await unknownDestination("POST /api/v1/destinations/{name}/resume");
    await expectReply("GET /api/v1/destinations/{name}/runs", 200);
    await unknownDestination("GET /api/v1/destinations/{name}/runs");
    await expectReply("GET /api/v1/destinations/{name}/runs/{runId}", 200, {
      path: `/api/v1/destinations/datanuum/runs/${run.body.run.id}`,
    });
    await unknownDestination("GET /api/v1/destinations/{name}/runs/{runId}");
    await expectReply("GET /api/v1/destinations/{name}/runs/{runId}", 404, {
      path: "/api/v1/destinations/datanuum/runs/424242",
      code: "RUN_NOT_FOUND",
    });
    await expectReply("GET /api/v1/destinations/{name}/dead-letters", 200);
    await unknownDestination("GET /api/v1/destinations/{name}/dead-letters");
    await expectReply("POST /api/v1/destinations/{name}/dead-letters/requeue", 200, {
      json: { all: true },
    });
    await expectReply("POST /api/v1/destinations/{name}/dead-letters/requeue", 400, {
      json: { ids: ["424242"] },
      code: "DEAD_LETTER_NOT_FOUND",
    });
    await unknownDestination("POST /api/v1/destinations/{name}/dead-letters/requeue", {
      all: true,
    });

    // Last, as it retires Ann.
    await expectReply("DELETE /api/v1/customers/{customerID}", 200, {
      path: `/api/v1/customers/${ann}`,
    });
    await expectReply("DELETE /api/v1/customers/{customerID}", 404, {
      path: `/api/v1/customers/${ann}`,
      code: "CUSTOMER_NOT_FOUND",
    });

    // Every declared reply was met, but those a test cannot bring about on demand.
    const unmet = operationsOf(document).flatMap((op) =>
      Object.keys(op.operation.responses)
        .filter((status) => !answered.has(`${op.name} ${status}`))
        .map((status) => `${op.name} ${status}`),
    );
    const beyondReach = (entry: string) =>
      // An internal failure; a lost database session during an import; a database down.
      / 500$/.test(entry) || / 503$/.test(entry);
    expect(unmet.filter((entry) => !beyondReach(entry))).toEqual([]);
  });
});

/** A value the parameter's schema refuses. */
function invalidValue(schema: Record<string, unknown>): string {
  if (schema.type === "integer") return "x";
  if (
    typeof schema.maxLength === "number" &&
    schema.pattern === undefined &&
    schema.enum === undefined
  )
    return "x".repeat(schema.maxLength + 1);
  return "!";
}
