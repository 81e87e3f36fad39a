import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildServer } from "../../src/api/server.js";
import type { CustomerResponse } from "../../src/domain/customer-response.js";
import type { CustomerRequest } from "../../src/domain/requests.js";
import type { ChangeContext, CustomerOperation } from "../../src/services/customers.js";
import type { Hub } from "../../src/services/hub.js";
import { engines } from "../support/databases.js";
import { tempDir } from "../support/temp-dirs.js";

const api: ChangeContext = { actor: "tester", channel: "api" };

interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

interface Page {
  items: CustomerResponse[];
  nextCursor: string | null;
}

interface Reply<Body> {
  status: number;
  contentType: string | null;
  body: Body;
}

/** The customers the search tests page through: one shared email, phone, postal code, last name. */
const searchable = (first: string, extra: Partial<CustomerRequest> = {}): CustomerRequest => ({
  individual: {
    names: { FIRST: first, LAST: "Pagewood" },
    emails: [{ typeCode: "HOME", primaryFlag: true, emailAddress: "family@pagewood.example" }],
    telephones: [{ typeCode: "HOME", primaryFlag: true, phoneNumber: "4405550177" }],
    addresses: [
      {
        typeCode: "HOME",
        primaryFlag: true,
        addressLine1: "7 Birch Rd",
        city: "Solon",
        territory: "OH",
        postalCode: "44139",
        country: "US",
      },
    ],
  },
  ...extra,
});

describe.each(engines)("REST API on $name", (engine) => {
  let hub: Hub;
  let app: FastifyInstance;
  let base: string;
  /** A viewer's key: every read here is allowed to it (SPEC 5). */
  let viewerKey: string;
  let operatorKey: string;

  beforeEach(async () => {
    hub = await engine.freshHub();
    viewerKey = (await hub.apiKeys.create({ name: "reader", roles: ["viewer"] })).key;
    operatorKey = (await hub.apiKeys.create({ name: "importer", roles: ["operator"] })).key;
    app = buildServer(hub, { dataDir: tempDir() });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  afterEach(async () => {
    await app.close();
  });

  async function call<Body>(path: string): Promise<Reply<Body>> {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${viewerKey}` },
    });
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      body: (await response.json()) as Body,
    };
  }

  /** Follows `nextCursor` from the first page to the last; returns the pages. */
  async function allPages(query: string): Promise<Page[]> {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const suffix: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
      const reply: Reply<Page> = await call<Page>(`/api/v1/customers?${query}${suffix}`);
      expect(reply.status).toBe(200);
      pages.push(reply.body);
      cursor = reply.body.nextCursor;
      expect(pages.length).toBeLessThan(20);
    } while (cursor !== null);
    return pages;
  }

  async function addSearchable(): Promise<string[]> {
    const operations: CustomerOperation[] = ["Ann", "Bea", "Cy", "Dee", "Eve"].map((first) => ({
      action: "Add",
      request: searchable(first),
    }));
    // Someone who matches none of the searches.
    operations.push({
      action: "Add",
      request: {
        individual: {
          names: { FIRST: "Other", LAST: "Person" },
          emails: [{ emailAddress: "other@example.com" }],
          telephones: [{ phoneNumber: "2155550100" }],
          addresses: [{ postalCode: "18901", city: "Doylestown" }],
        },
      },
    });
    const outcomes = await hub.customers.applyBatch(operations, api);
    const ids = outcomes.map((outcome) => {
      if (!outcome.ok) throw outcome.error;
      return outcome.customerID;
    });
    return ids.slice(0, 5).sort((a, b) => Number(a) - Number(b));
  }

  it("GET /healthz answers ok", async () => {
    const reply = await call<{ status: string }>("/healthz");
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ status: "ok" });
  });

  it("GET /readyz answers ready with the health of a migrated hub", async () => {
    const reply = await call<{ status: string; database: string; migration: number }>("/readyz");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: "ready", database: engine.name });
    expect(reply.body).toEqual(
      expect.objectContaining({
        migration: (await hub.health()).latestMigration,
        customers: { total: 0, active: 0 },
      }),
    );
  });

  it("GET /api/v1/customers/{id} returns the customer's record", async () => {
    const added = await hub.customers.add(
      {
        individual: {
          names: { FIRST: "Ann", LAST: "Lee" },
          emails: [{ typeCode: "HOME", primaryFlag: true, emailAddress: "ann.lee@example.com" }],
        },
        alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "REST-1" }],
      },
      api,
    );
    const reply = await call<CustomerResponse>(`/api/v1/customers/${added.customerID}`);
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.body).toEqual(JSON.parse(JSON.stringify(added.record)));
    expect(reply.body).toEqual(
      JSON.parse(JSON.stringify(await hub.customers.get(added.customerID))),
    );
    expect(reply.body.customerID).toBe(added.customerID);
    expect(reply.body.entityInformation.individual.name.name[0]).toEqual({
      location: "FIRST",
      value: "Ann",
    });
    expect(reply.body.alternateKey).toEqual([{ typeCode: "XSTORE_ID", alternateID: "REST-1" }]);
  });

  it("GET /api/v1/customers/{id} answers 404 CUSTOMER_NOT_FOUND for an unknown id", async () => {
    const reply = await call<ErrorBody>("/api/v1/customers/987654321");
    expect(reply.status).toBe(404);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.body).toEqual({
      error: {
        code: "CUSTOMER_NOT_FOUND",
        message: expect.stringContaining("987654321"),
        details: { customerID: "987654321" },
      },
    });
  });

  it("GET /api/v1/customers/{id} answers 400 INVALID_REQUEST naming customerID for a non-numeric id", async () => {
    for (const id of ["abc", "12a", "-1", "1234567890123456789"]) {
      const reply = await call<ErrorBody>(`/api/v1/customers/${id}`);
      expect(reply.status, id).toBe(400);
      expect(reply.body.error.code, id).toBe("INVALID_REQUEST");
      expect(reply.body.error.message, id).toContain("customerID");
      expect(reply.body.error.details, id).toMatchObject({ field: "params/customerID" });
    }
  });

  it("GET /api/v1/customers finds a customer by alternate key", async () => {
    const added = await hub.customers.add(
      {
        individual: { names: { FIRST: "Kay", LAST: "Dee" } },
        alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "X-42" }],
      },
      api,
    );
    await hub.customers.add(
      { alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: "X-43" }] },
      api,
    );
    const reply = await call<Page>(
      "/api/v1/customers?alternateKeyType=XSTORE_ID&alternateKeyId=X-42",
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      items: [JSON.parse(JSON.stringify(added.record))],
      nextCursor: null,
    });

    // The type code is matched case-insensitively; an unheld key finds nothing.
    const lower = await call<Page>(
      "/api/v1/customers?alternateKeyType=xstore_id&alternateKeyId=X-42",
    );
    expect(lower.body.items.map((item) => item.customerID)).toEqual([added.customerID]);
    const none = await call<Page>(
      "/api/v1/customers?alternateKeyType=XSTORE_ID&alternateKeyId=X-99",
    );
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });

  it("GET /api/v1/customers answers 400 naming the missing half of an alternate key", async () => {
    const onlyType = await call<ErrorBody>("/api/v1/customers?alternateKeyType=XSTORE_ID");
    expect(onlyType.status).toBe(400);
    expect(onlyType.body.error.code).toBe("INVALID_REQUEST");
    expect(onlyType.body.error.details).toEqual({ field: "alternateKeyId" });
    expect(onlyType.body.error.message).toContain("alternateKeyId");

    const onlyId = await call<ErrorBody>("/api/v1/customers?alternateKeyId=X-42");
    expect(onlyId.status).toBe(400);
    expect(onlyId.body.error.code).toBe("INVALID_REQUEST");
    expect(onlyId.body.error.details).toEqual({ field: "alternateKeyType" });
    expect(onlyId.body.error.message).toContain("alternateKeyType");
  });

  it("GET /api/v1/customers answers 400 naming an unknown query parameter", async () => {
    const reply = await call<ErrorBody>("/api/v1/customers?email=a%40b.com&shoeSize=42");
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe("INVALID_REQUEST");
    expect(reply.body.error.message).toContain("shoeSize");
    expect(reply.body.error.details).toMatchObject({ field: "querystring/shoeSize" });
  });

  it("GET /api/v1/customers searches by email, phone, name and postal code, a page at a time", async () => {
    const ids = await addSearchable();
    const searches = [
      "email=Family%40Pagewood.example",
      "phone=" + encodeURIComponent("(440) 555-0177"),
      "name=pagewood",
      "postalCode=44139",
      "name=PAGEWOOD&postalCode=44139&email=family%40pagewood.example",
    ];
    for (const search of searches) {
      const pages = await allPages(`${search}&limit=2`);
      expect(
        pages.map((page) => page.items.length),
        search,
      ).toEqual([2, 2, 1]);
      expect(
        pages.flatMap((page) => page.items.map((item) => item.customerID)),
        search,
      ).toEqual(ids);
      expect(pages.at(-1)?.nextCursor, search).toBeNull();
      for (const page of pages.slice(0, -1))
        expect(page.nextCursor, search).toEqual(expect.any(String));
    }

    // A page exactly as big as the result has no next page.
    const whole = await allPages("name=pagewood&limit=5");
    expect(whole).toHaveLength(1);
    expect(whole[0]?.items.map((item) => item.customerID)).toEqual(ids);

    // Two words must both match; a name nobody has finds nothing.
    const bea = await call<Page>("/api/v1/customers?name=" + encodeURIComponent("Bea Pagewood"));
    expect(
      bea.body.items.map((item) => item.entityInformation.individual.name.name[0]?.value),
    ).toEqual(["Bea"]);
    const nobody = await call<Page>("/api/v1/customers?name=nobody");
    expect(nobody.body).toEqual({ items: [], nextCursor: null });
  });

  it("GET /api/v1/customers answers 400 for a limit out of 1..500 and a cursor it did not issue", async () => {
    for (const limit of ["0", "501", "-1", "two", "1.5"]) {
      const reply = await call<ErrorBody>(`/api/v1/customers?name=x&limit=${limit}`);
      expect(reply.status, limit).toBe(400);
      expect(reply.body.error.code, limit).toBe("INVALID_REQUEST");
      expect(reply.body.error.message, limit).toContain("limit");
    }
    for (const limit of ["1", "500"]) {
      expect((await call<Page>(`/api/v1/customers?name=x&limit=${limit}`)).status, limit).toBe(200);
    }
    const badCursor = await call<ErrorBody>("/api/v1/customers?name=x&cursor=not-a-cursor");
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.code).toBe("INVALID_REQUEST");
  });

  it("answers 404 JSON for an unknown route", async () => {
    for (const path of ["/nope", "/api/v1/nothing-here", "/api/v2/customers/1"]) {
      const reply = await call<ErrorBody>(`${path}?email=secret%40example.com`);
      expect(reply.status, path).toBe(404);
      expect(reply.contentType, path).toMatch(/^application\/json/);
      expect(reply.body, path).toEqual({
        error: { code: "NOT_FOUND", message: `No route GET ${path}.`, details: {} },
      });
    }
  });

  it("sends a large import's review as it reads it, a page at a time, never held whole", async () => {
    const blocks = '<Customer Action="Bogus"/>\n'.repeat(4_500);
    const posted = await fetch(`${base}/api/v1/imports?fileName=refused.xml`, {
      method: "POST",
      headers: { "content-type": "application/xml", authorization: `Bearer ${operatorKey}` },
      body: `<Customers>\n${blocks}</Customers>\n`,
    });
    const { importId } = (await posted.json()) as { importId: string };
    const response = await fetch(`${base}/api/v1/imports/${importId}`, {
      headers: { authorization: `Bearer ${viewerKey}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    // Streamed: its length is not known before its end.
    expect(response.headers.get("transfer-encoding")).toBe("chunked");
    expect(response.headers.get("content-length")).toBeNull();
    const review = (await response.json()) as { rows: { blockNumber: number }[] };
    // The same document as the whole review, across several pages of rows.
    expect(review).toEqual(JSON.parse(JSON.stringify(await hub.imports.show(importId))));
    expect(review.rows.map((row) => row.blockNumber)).toEqual(
      Array.from({ length: 4_500 }, (_, at) => at + 1),
    );
    // Read a thousand at a time, page after page, the rows are the same, in block order.
    const paged: number[] = [];
    for await (const row of hub.imports.rows(importId, 1_000)) paged.push(row.blockNumber);
    expect(paged).toEqual(review.rows.map((row) => row.blockNumber));
  });

  it("imports an XML body, answers with the summary, and serves the review", async () => {
    const xml = `<?xml version="1.0"?>\n<Customers>\n<Customer Action="Add"><AlternateKey TypeCode="XSTORE_ID"><AlternateID>API-1</AlternateID></AlternateKey></Customer>\n<Customer Action="Update"><CustomerID>999999</CustomerID><OrgName>x</OrgName></Customer>\n</Customers>\n`;
    const posted = await fetch(`${base}/api/v1/imports?fileset=web&fileName=upload.xml`, {
      method: "POST",
      headers: { "content-type": "application/xml", authorization: `Bearer ${operatorKey}` },
      body: xml,
    });
    expect(posted.status).toBe(201);
    const summary = (await posted.json()) as {
      importId: string;
      file: string;
      fileset: string;
      total: number;
      failed: number;
    };
    expect(summary).toMatchObject({ file: "upload.xml", fileset: "web", total: 2, failed: 1 });
    const review = await call<{ rows: { errorCodes: string[]; line: number }[] }>(
      `/api/v1/imports/${summary.importId}`,
    );
    expect(review.status).toBe(200);
    expect(review.body.rows).toEqual([
      expect.objectContaining({ errorCodes: ["CUSTOMER_NOT_FOUND"], line: 4 }),
    ]);
    const list = await call<{ id: string }[]>("/api/v1/imports");
    expect(list.body.map((row) => row.id)).toEqual([summary.importId]);
    expect((await call<ErrorBody>("/api/v1/imports/424242")).body.error.code).toBe(
      "IMPORT_NOT_FOUND",
    );
    // A completed import has nothing left to resume (docs/import.md, "Interrupted imports").
    const resume = (id: string) =>
      fetch(`${base}/api/v1/imports/${id}/resume`, {
        method: "POST",
        headers: { authorization: `Bearer ${operatorKey}` },
      });
    const done = await resume(summary.importId);
    expect(done.status).toBe(400);
    expect(((await done.json()) as ErrorBody).error.message).toBe(
      `Import ${summary.importId} cannot be resumed: it completed.`,
    );
    expect((await resume("424242")).status).toBe(404);
    // One a run holds is not resumed beside it.
    const held = await hub.imports.start({ fileName: "held.xml", fileset: "web", channel: "api" });
    const busy = await resume(held.importId);
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as ErrorBody).error.code).toBe("IMPORT_IN_PROGRESS");
    await held.release();
    const malformed = await fetch(`${base}/api/v1/imports`, {
      method: "POST",
      headers: { "content-type": "text/xml", authorization: `Bearer ${operatorKey}` },
      body: '<Customers><Customer Action="Add"></Custom></Customers>',
    });
    expect(malformed.status).toBe(422);
    expect(((await malformed.json()) as { error: { line: number } }).error.line).toBe(1);
    const badFileset = await fetch(`${base}/api/v1/imports?fileset=../etc`, {
      method: "POST",
      headers: { "content-type": "application/xml", authorization: `Bearer ${operatorKey}` },
      body: xml,
    });
    expect(badFileset.status).toBe(400);
    // A JSON body is no batch file: 415, and nothing recorded or written.
    const before = (await hub.imports.list()).length;
    const asJson = await fetch(`${base}/api/v1/imports?fileName=json.xml`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${operatorKey}` },
      body: '{"a":1}',
    });
    expect(asJson.status).toBe(415);
    expect(((await asJson.json()) as ErrorBody).error.message).toContain("application/xml");
    expect((await hub.imports.list()).length).toBe(before);
  });
});
