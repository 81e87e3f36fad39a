import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { OpenApiDocument } from "../../src/api/openapi.js";
import { engines } from "../support/databases.js";
import { routesOf, startServer, type ErrorBody, type RunningServer } from "./helpers.js";
import { openApiProblems } from "./openapi-checks.js";
import { stalledBody } from "../support/slow-body.js";
import { waitFor } from "../support/wait.js";

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [key: string]: unknown;
}

describe.each(engines)("API description, metrics and logs on $name", (engine) => {
  let server: RunningServer | undefined;
  afterEach(async () => server?.close());

  it("serves an OpenAPI 3.0.3 document listing every registered /api/v1 route, with bearer security", async () => {
    server = await startServer(engine);
    const reply = await server.call<OpenApiDocument>("GET", "/api/v1/openapi.json");
    expect(reply.status).toBe(200);
    const document = reply.body;
    expect(document.openapi).toBe("3.0.3");
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: "http", scheme: "bearer" }),
    });
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const expected = [
      "GET /api/v1/customers/{customerID}",
      "GET /api/v1/customers",
      "POST /api/v1/customers",
      "POST /api/v1/customers/add-or-update",
      "PATCH /api/v1/customers/{customerID}",
      "DELETE /api/v1/customers/{customerID}",
      "POST /api/v1/customers/merge",
      "POST /api/v1/customers/{customerID}/notes",
      "PUT /api/v1/customers/{customerID}/notes/{sequence}",
      "DELETE /api/v1/customers/{customerID}/notes/{sequence}",
      "POST /api/v1/cards",
      "POST /api/v1/cards/{cardNumber}/associate",
      "POST /api/v1/cards/{cardNumber}/reset-expiration",
      "POST /api/v1/cards/{cardNumber}/activate",
      "POST /api/v1/cards/{cardNumber}/deactivate",
      "POST /api/v1/cards/{cardNumber}/block",
      "POST /api/v1/cards/{cardNumber}/unblock",
      "POST /api/v1/card-programs",
      "GET /api/v1/card-programs",
      "POST /api/v1/card-programs/{code}/activate",
      "POST /api/v1/card-programs/{code}/deactivate",
      "POST /api/v1/segments",
      "GET /api/v1/segments",
      "PUT /api/v1/customers/{customerID}/segments/{segmentId}",
      "DELETE /api/v1/customers/{customerID}/segments/{segmentId}",
      "PUT /api/v1/customers/{customerID}/franchisees/{franchiseeId}",
      "DELETE /api/v1/customers/{customerID}/franchisees/{franchiseeId}",
      "PUT /api/v1/customers/{customerID}/associate-assignments",
      "POST /api/v1/transactions",
      "GET /api/v1/transactions/{retailTransactionId}",
      "POST /api/v1/imports",
      "GET /api/v1/imports",
      "GET /api/v1/imports/{id}",
      "POST /api/v1/imports/{id}/resume",
      "GET /api/v1/settings",
      "GET /api/v1/settings/{key}",
      "PUT /api/v1/settings/{key}",
      "GET /api/v1/openapi.json",
      "GET /api/v1/docs",
      "GET /healthz",
      "GET /readyz",
      "GET /metrics",
    ];
    expect(documented.sort()).toEqual(expected.sort());
    // Every route Fastify holds is in the document.
    const registered = routesOf(server);
    expect(registered.filter((route) => route.includes("/api/v1/")).length).toBe(
      expected.filter((route) => route.includes("/api/v1/")).length,
    );
    expect(documented.sort()).toEqual(registered.sort());

    const patch = document.paths["/api/v1/customers/{customerID}"]?.patch;
    expect(patch?.security).toEqual([{ bearerAuth: [] }]);
    expect(patch?.["x-roles"]).toEqual(["sysadmin", "operator"]);
    expect(patch?.parameters).toEqual([
      {
        name: "customerID",
        in: "path",
        required: true,
        schema: expect.objectContaining({ type: "string" }),
      },
    ]);
    expect(patch?.requestBody?.content["application/json"]?.schema).toMatchObject({
      type: "object",
      additionalProperties: false,
    });
    expect(document.paths["/healthz"]?.get?.security).toEqual([]);
    // The structure OpenAPI 3.0 asks for: path templates and their parameters, unique
    // operationIds, every $ref resolving, its schema rules beyond JSON Schema.
    expect(openApiProblems(document)).toEqual([]);
  });

  it("cuts with a 408 a request body that stops arriving, and one that trickles too slowly; a body in time is answered", async () => {
    const lines: string[] = [];
    server = await startServer(engine, {
      logStream: { write: (line) => void lines.push(line) },
      bodyDeadlines: {
        idleMs: 400,
        slowAfterMs: 1_000,
        minBytesPerSecond: 200,
        closingGraceMs: 60_000,
        checkEveryMs: 50,
      },
    });
    const headers = {
      authorization: `Bearer ${server.keys.operator}`,
      "content-type": "application/json",
    };
    const deadline = (ms: number) =>
      new Promise<"late">((resolve) => setTimeout(resolve, ms, "late").unref());

    const stopped = await stalledBody(server.base, "/api/v1/customers", headers, '{"orgName":');
    expect(await Promise.race([stopped.closed, deadline(10_000)])).toMatch(
      /^HTTP\/1\.1 408 Request Timeout\r\n/,
    );

    // A space every 100 ms: never idle for 400 ms, but 10 bytes/s where 200 are asked.
    const trickle = await stalledBody(server.base, "/api/v1/customers", headers, "{");
    let sent = 0;
    const pace = setInterval(() => {
      if (sent++ < 200 && !trickle.socket.destroyed) trickle.socket.write(" ");
    }, 100);
    try {
      expect(await Promise.race([trickle.closed, deadline(10_000)])).toMatch(
        /^HTTP\/1\.1 408 Request Timeout\r\n/,
      );
    } finally {
      clearInterval(pace);
    }
    expect(sent).toBeGreaterThanOrEqual(5);

    const added = await server.call("POST", "/api/v1/customers", {
      key: "operator",
      json: { orgName: "In Time Ltd" },
    });
    expect(added.status).toBe(201);
    const cuts = lines
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === "request body cut: it did not arrive in time");
    expect(cuts.map((line) => line.reason)).toEqual(["nothing arrived", "arriving too slowly"]);
  });

  it("closes, once the closing grace has passed, a connection whose request headers never end", async () => {
    const lines: string[] = [];
    server = await startServer(engine, {
      logStream: { write: (line) => void lines.push(line) },
      bodyDeadlines: {
        idleMs: 60_000,
        slowAfterMs: 60_000,
        minBytesPerSecond: 1,
        closingGraceMs: 200,
        checkEveryMs: 50,
      },
    });
    const url = new URL(server.base);
    const socket = connect(Number(url.port), url.hostname);
    let answered = "";
    socket.on("data", (chunk: Buffer) => (answered += chunk.toString("utf8")));
    socket.on("error", () => undefined);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // One request answered, then the start of a second whose headers never end, sent together:
    // once the first is answered, the server has read the second's start too. Node bounds
    // headers only while the server listens; a closing server must not wait for them forever.
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n");
    try {
      await waitFor(async () => answered.includes('{"status":"ok"}'));
      const closing = server.close();
      server = undefined;
      const late = new Promise<"late">((resolve) => setTimeout(resolve, 10_000, "late").unref());
      expect(await Promise.race([closing.then(() => "closed"), late])).toBe("closed");
      await closed;
    } finally {
      socket.destroy();
    }
    expect(answered).toMatch(/\r\n\r\n\{"status":"ok"\}HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(
      lines.some((line) => (JSON.parse(line) as LogLine).msg.startsWith("connection closed")),
    ).toBe(true);
  });

  it("fails /readyz naming both migrations once a newer custhub has migrated the database it runs on, and logs it once, not per probe", async () => {
    const lines: string[] = [];
    server = await startServer(engine, { logStream: { write: (line) => void lines.push(line) } });
    const { latestMigration } = await server.hub.health();
    expect((await server.call("GET", "/readyz")).status).toBe(200);
    await server.hub.db.query("INSERT INTO custhub_migrations (id, name) VALUES ($1, 'newer')", [
      latestMigration + 1,
    ]);
    // A load balancer probes every few seconds: the state is logged when it begins.
    for (let probe = 0; probe < 3; probe += 1) {
      const reply = await server.call<Record<string, unknown>>("GET", "/readyz");
      expect(reply.status).toBe(503);
      expect(reply.body).toMatchObject({
        status: "database newer than custhub",
        migration: latestMigration + 1,
        latestMigration,
      });
    }
    const logged = (): LogLine[] =>
      lines
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => /^(not ready|ready again)/.test(line.msg));
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 40,
        msg: "not ready: a newer custhub has migrated the database; run the newer custhub",
        migration: latestMigration + 1,
        latestMigration,
      }),
    ]);

    // The newer migration taken back (the database restored): ready again, said once.
    await server.hub.db.query("DELETE FROM custhub_migrations WHERE id = $1", [
      latestMigration + 1,
    ]);
    for (let probe = 0; probe < 2; probe += 1) {
      expect((await server.call("GET", "/readyz")).status).toBe(200);
    }
    expect(logged().map((line) => line.msg)).toEqual([
      "not ready: a newer custhub has migrated the database; run the newer custhub",
      "ready again",
    ]);
    expect(logged()[1]).toMatchObject({ level: 30, was: "database newer than custhub" });
  });

  it("fails /readyz while the database does not answer, and logs the change once each way, not per probe", async () => {
    const lines: string[] = [];
    server = await startServer(engine, { logStream: { write: (line) => void lines.push(line) } });
    const logged = (): LogLine[] =>
      lines
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => /^(not ready|ready again)/.test(line.msg));
    expect((await server.call("GET", "/readyz")).status).toBe(200);
    // The database stops answering the probe's reads (as one dropped does: no such relation).
    await server.hub.db.query("ALTER TABLE customers RENAME TO customers_gone");
    for (let probe = 0; probe < 3; probe += 1) {
      const reply = await server.call("GET", "/readyz");
      expect(reply.status).toBe(503);
      expect(reply.body).toEqual({ status: "database unreachable" });
    }
    await server.hub.db.query("ALTER TABLE customers_gone RENAME TO customers");
    for (let probe = 0; probe < 2; probe += 1) {
      expect((await server.call("GET", "/readyz")).status).toBe(200);
    }
    expect(logged().map((line) => [line.level, line.msg])).toEqual([
      [40, "not ready: the database does not answer"],
      [30, "ready again"],
    ]);
  });

  it("serves a browsable page of the document with no external assets", async () => {
    server = await startServer(engine);
    const reply = await server.call<string>("GET", "/api/v1/docs");
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^text\/html/);
    expect(reply.body).toContain("/api/v1/customers/{customerID}");
    expect(reply.body).toContain("PATCH");
    expect(reply.body).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("exposes Prometheus metrics: requests by route and status, latency, customers and queue depths", async () => {
    server = await startServer(engine);
    await server.hub.keepRecords(1 << 20);
    await server.hub.settings.set("DataSyncEnabled", "Yes");
    const { customerID } = await server.hub.customers.add(
      { orgName: "Metrics Ltd" },
      { actor: "test", channel: "api" },
    );
    expect(
      (await server.call("GET", `/api/v1/customers/${customerID}`, { key: "viewer" })).status,
    ).toBe(200);
    await server.call("GET", "/api/v1/customers/987654", { key: "viewer" });
    await server.call("GET", "/api/v1/customers/987655", { key: "viewer" });
    await server.call("GET", "/api/v1/customers/987655");
    const reply = await server.call<string>("GET", "/metrics");
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = reply.body;
    expect(text).toContain("# TYPE custhub_http_requests_total counter");
    expect(text).toContain(
      'custhub_http_requests_total{method="GET",route="/api/v1/customers/:customerID",status="200"} 1',
    );
    expect(text).toContain(
      'custhub_http_requests_total{method="GET",route="/api/v1/customers/:customerID",status="404"} 2',
    );
    expect(text).toContain(
      'custhub_http_requests_total{method="GET",route="/api/v1/customers/:customerID",status="401"} 1',
    );
    expect(text).toContain("# TYPE custhub_http_request_duration_seconds histogram");
    expect(text).toMatch(
      /custhub_http_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/customers\/:customerID",le="\+Inf"\} 4/,
    );
    expect(text).toContain('custhub_customers{state="active"} 1');
    expect(text).toContain('custhub_customers{state="total"} 1');
    expect(text).toContain('custhub_queue_depth{queue="customer_pending"} 1');
    // Three reads reached the record cache (the one without a key did not).
    const reads = (result: string) =>
      Number(
        new RegExp(`custhub_record_cache_reads_total\\{result="${result}"\\} (\\d+)`).exec(
          text,
        )?.[1],
      );
    expect(reads("hit") + reads("miss")).toBe(3);
    expect(text).toContain("custhub_record_cache_trusted 1");
    // Every sample line is `name{labels} number`.
    for (const line of text
      .trim()
      .split("\n")
      .filter((line) => !line.startsWith("#"))) {
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/);
    }
  });

  it("logs a path with every value that could be a person's data replaced, and ids and names kept", async () => {
    const lines: string[] = [];
    server = await startServer(engine, { logStream: { write: (line) => void lines.push(line) } });
    const cases = [
      ["/api/v1/customers/1000", "/api/v1/customers/1000"],
      ["/api/v1/customers/zelda%40example.com", "/api/v1/customers/[redacted]"],
      ["/api/v1/customers/Zelda%20Quintero/notes", "/api/v1/customers/[redacted]/notes"],
      ["/api/v1/customers/Zelda", "/api/v1/customers/[redacted]"],
      [
        "/api/v1/customers/1000/notes/12%20Secret%20Lane",
        "/api/v1/customers/1000/notes/[redacted]",
      ],
      ["/api/v1/destinations/datasync/runs/7", "/api/v1/destinations/datasync/runs/7"],
      ["/api/v1/settings/DataSyncApiUrl", "/api/v1/settings/DataSyncApiUrl"],
      ["/api/v1/transactions/Zelda%20Quintero", "/api/v1/transactions/[redacted]"],
      ["/api/v1/cards/4111111111111111", "/api/v1/cards/****1111"],
      ["/api/v1/custmers/zelda%40example.com", "/api/v1/custmers/[redacted]"],
      ["/api/v1/no-such/Zelda/2", "/api/v1/no-such/[redacted]/2"],
    ] as const;
    for (const [path] of cases) await server.call("GET", path, { key: "sysadmin" });
    const parsed = lines.map((line) => JSON.parse(line) as LogLine);
    const logged = parsed
      .filter((line) => line.msg === "request completed")
      .map((line) => line.path);
    expect(logged).toEqual(cases.map(([, shown]) => shown));
    // A request logged whole, as code that means well might, shows its path the same way.
    const [, [asked, shown]] = cases;
    server.app.log.info({ req: { id: "r1", method: "GET", url: asked } }, "a request");
    const whole = lines.map((line) => JSON.parse(line) as LogLine & { req?: { path?: string } });
    expect(whole.find((line) => line.msg === "a request")?.req?.path).toBe(shown);
  });

  it("logs every request line with a request id and never the customer's personal data or the key", async () => {
    const lines: string[] = [];
    server = await startServer(engine, { logStream: { write: (line) => void lines.push(line) } });
    const body = {
      individual: {
        names: { FIRST: "Zelda", LAST: "Quintero" },
        emails: [{ emailAddress: "zelda.quintero@example.com" }],
        telephones: [{ phoneNumber: "2155550199" }],
        addresses: [{ addressLine1: "12 Secret Lane", city: "Hiddenville", postalCode: "19010" }],
        birthDate: "1970-04-05",
      },
    };
    const added = await server.call<{ customerID: string }>("POST", "/api/v1/customers", {
      key: "operator",
      json: body,
    });
    expect(added.status).toBe(201);
    await server.call("GET", "/api/v1/customers?email=zelda.quintero%40example.com", {
      key: "viewer",
    });
    const failing = await server.call("GET", "/api/v1/customers/1");
    expect(failing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    // A record logged in full, as code that means well might.
    server.app.log.info(
      { customer: await server.hub.customers.get(added.body.customerID), request: body },
      "record",
    );

    const parsed = lines.map((line) => JSON.parse(line) as LogLine);
    // One line per request, as it ends.
    expect(parsed.filter((line) => line.msg === "incoming request")).toEqual([]);
    const requestLines = parsed.filter((line) => line.msg === "request completed");
    expect(requestLines.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: "POST", path: "/api/v1/customers", status: 201 },
      { method: "GET", path: "/api/v1/customers", status: 200 },
      { method: "GET", path: "/api/v1/customers/1", status: 401 },
    ]);
    for (const line of requestLines) {
      expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof line.ms).toBe("number");
    }
    expect(parsed.map((line) => line.reqId)).toContain(failing.headers.get("x-request-id"));

    const all = lines.join("\n");
    for (const secret of [
      "Zelda",
      "Quintero",
      "zelda.quintero",
      "2155550199",
      "12 Secret Lane",
      "Hiddenville",
      "19010",
      "1970-04-05",
      server.keys.operator,
      server.keys.viewer,
      "Bearer",
    ]) {
      expect(all, secret).not.toContain(secret);
    }
    expect(all).toContain("[redacted]");
  });

  it("logs a failed database statement by its class, code, message and stack: never its parameters or the customer's data", async () => {
    const lines: string[] = [];
    server = await startServer(engine, { logStream: { write: (line) => void lines.push(line) } });
    // The database refuses the write, its error carrying the statement's parameters (the record
    // among them) and a message quoting the first name it could not cast; then the search, its
    // parameters carrying the email.
    await server.hub.db.exec(
      `ALTER TABLE customers ADD CONSTRAINT refuses_this_customer
         CHECK (substring(record from 'Ottoline')::integer IS NULL)`,
    );
    const body = {
      individual: {
        names: { FIRST: "Ottoline", LAST: "Vasquez-Brandt" },
        emails: [{ emailAddress: "ottoline.vb@example.com" }],
        telephones: [{ phoneNumber: "2155550123" }],
        addresses: [{ addressLine1: "7 Hidden Mews", city: "Quietborough", postalCode: "19044" }],
        birthDate: "1968-11-23",
      },
    };
    const added = await server.call<ErrorBody>("POST", "/api/v1/customers", {
      key: "operator",
      json: body,
    });
    expect(added.status).toBe(500);
    // Nor does the caller learn the database's words: the request id finds them in the log.
    expect(added.body).toEqual({
      error: { code: "GENERAL_ERROR", message: "Internal error; see the server log.", details: {} },
    });
    await server.hub.db.exec("ALTER TABLE customers RENAME COLUMN emails TO emails_elsewhere");
    const found = await server.call<ErrorBody>(
      "GET",
      "/api/v1/customers?email=ottoline.vb%40example.com",
      { key: "viewer" },
    );
    expect(found.status).toBe(500);

    const failures = lines
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.level === 50);
    expect(failures.map((line) => line.msg)).toEqual(["request failed", "request failed"]);
    for (const failure of failures) {
      const err = failure.err as Record<string, unknown>;
      // The database's error, as the cause of the service's or as itself.
      const database = (err.cause ?? err) as Record<string, unknown>;
      expect(Object.keys(database).sort()).toEqual(["code", "message", "stack", "type"]);
      expect(database.code).toMatch(/^[0-9A-Z]{5}$/);
      expect(database.stack).toContain("\n    at ");
    }
    // An error other code logs, as the line itself with no message, or nested under any key.
    const withData = Object.assign(new Error('No customer "ottoline.vb@example.com".'), {
      params: [body],
    });
    server.app.log.error(withData);
    server.app.log.warn({ failure: { during: "a job", error: withData } }, "job failed");
    expect(lines.at(-2)).toContain('No customer \\"[redacted]\\".');

    const all = lines.join("\n");
    for (const secret of [
      "Ottoline",
      "ottoline",
      "Vasquez",
      "2155550123",
      "Hidden Mews",
      "Quietborough",
      "19044",
      "1968-11-23",
      '"params"',
      '"detail"',
      '"query"',
    ]) {
      expect(all, secret).not.toContain(secret);
    }
  });
});
