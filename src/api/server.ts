/**
 * The HTTP server: the REST API under /api/v1 and the operations endpoints (SPEC 5, 9, 10).
 *
 * Every /api/v1 route declares its JSON schemas and who may call it; the schemas refuse bad input
 * before a service sees it (a 400 naming the field) and are collected into the OpenAPI document;
 * the declared access is checked against the caller's API key. `/healthz`, `/readyz` and
 * `/metrics` stay open, for probes and scrapers that hold no key.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import Fastify, { type FastifyInstance } from "fastify";
import type { Health, Hub } from "../services/hub.js";
import type { DataSync } from "../sync/data-sync.js";
import { registerSettingsRoutes } from "./settings.js";
import { registerSyncRoutes } from "./sync.js";
import { registerDestinationRoutes } from "./destinations.js";
import { authenticateApiKeys, requireDeclaredAccess } from "./auth.js";
import { registerCardRoutes } from "./cards.js";
import { registerSegmentRoutes } from "./segments.js";
import { registerCustomerAssignmentRoutes } from "./customer-assignments.js";
import { registerTransactionRoutes } from "./transactions.js";
import { registerCustomerWriteRoutes } from "./customer-writes.js";
import { registerCustomerRoutes } from "./customers.js";
import { installErrorReplies } from "./error-replies.js";
import { registerImportRoutes } from "./imports.js";
import { registerNoteRoutes } from "./notes.js";
import { installRequestChecks } from "./request-checks.js";
import { BODY_DEADLINES, installBodyDeadlines, type BodyDeadlines } from "./body-deadlines.js";
import { AccessLog, loggerOptions, type LogDestination } from "./log-redaction.js";
import { HttpMetrics, type DatabaseFigures } from "./metrics.js";
import { collectRoutes, registerOpenApiRoutes } from "./openapi.js";
import {
  answer,
  closedObject,
  integer,
  oneOfText,
  text,
  type ReplyDeclaration,
} from "./schemas/replies.js";

export interface ServerOptions {
  /** The data dir whose `complete/` folders imports write to. */
  dataDir: string;
  /** The data-sync job the /sync routes drive; without it they are not served. */
  dataSync?: DataSync | undefined;
  /** Log requests (method, route, status, time; never query strings, bodies or headers). */
  logger?: boolean;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: LogDestination;
  /**
   * Whether the process is shutting down (`serve` on SIGTERM): `/readyz` then answers 503 while
   * the listener stays open for the work in hand, so a load balancer stops sending new requests.
   */
  stopping?: () => boolean;
  /** How long request bodies may take to arrive (tests shorten them): BODY_DEADLINES. */
  bodyDeadlines?: BodyDeadlines;
}

/** The largest body any route takes whole; imports stream theirs and are not bound by it. */
const BODY_LIMIT = 1024 * 1024;

const healthFields = {
  database: oneOfText(["pglite", "postgres"]),
  migration: integer,
  latestMigration: integer,
  customers: closedObject({ total: integer, active: integer }),
  queues: closedObject({
    customerPending: integer,
    transactionPending: integer,
    progress: integer,
  }),
};

/** Why the database keeps the process from being ready, as /readyz answers and the log says it. */
const NOT_READY_BECAUSE = {
  "migrations pending": "the database's migrations are not all applied",
  "database newer than custhub": "a newer custhub has migrated the database; run the newer custhub",
  "database unreachable": "the database does not answer",
} as const;
type ReadinessStatus = keyof typeof NOT_READY_BECAUSE;

const readiness: Record<number, ReplyDeclaration> = {
  200: answer(
    "Ready: the database answers and its migrations are current",
    closedObject({ status: oneOfText(["ready"]), ...healthFields }),
  ),
  503: answer(
    "Not ready: the figures when the database answered, none when it did not or the process is shutting down",
    closedObject(
      {
        status: oneOfText([...Object.keys(NOT_READY_BECAUSE), "shutting down"]),
        ...healthFields,
      },
      ["database", "migration", "latestMigration", "customers", "queues"],
    ),
  ),
};

const { version } = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
) as { version: string };

export function buildServer(hub: Hub, options: ServerOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: options.logger || options.logStream ? loggerOptions(options.logStream) : false,
    // Each log line of a request carries its id (Fastify binds it as `reqId`); the caller sees it
    // in `x-request-id`, to quote when reporting a problem.
    genReqId: () => randomUUID(),
    logController: new AccessLog(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
  });
  // First: it counts the handlers of every route registered after it.
  installBodyDeadlines(app, options.bodyDeadlines ?? BODY_DEADLINES);
  installErrorReplies(app);
  installRequestChecks(app);
  const routes = collectRoutes(app);
  const metrics = new HttpMetrics();

  // Hooks in callback form: on every request, a promise apiece is measurable.
  app.addHook("onRequest", (request, reply, done) => {
    void reply.header("x-request-id", request.id);
    done();
  });
  app.addHook("onResponse", (request, reply, done) => {
    // The route pattern, never the path: ids in paths would make one series per customer.
    metrics.observe(
      request.method,
      request.routeOptions.url ?? "unmatched",
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get(
    "/healthz",
    {
      schema: {
        summary: "Liveness",
        tags: ["operations"],
        response: { 200: answer("Alive", closedObject({ status: oneOfText(["ok"]) })) },
      },
    },
    async () => ({ status: "ok" }),
  );
  /**
   * Why /readyz last answered 503, if it did: a change is logged when it happens, not on every
   * probe of a load balancer (one every few seconds).
   */
  let notReady: ReadinessStatus | undefined;
  const readinessIs = (status: ReadinessStatus | "ready", fields: object): void => {
    const now = status === "ready" ? undefined : status;
    if (now === notReady) return;
    if (now === undefined) app.log.info({ ...fields, was: notReady }, "ready again");
    else app.log.warn(fields, `not ready: ${NOT_READY_BECAUSE[now]}`);
    notReady = now;
  };
  app.get(
    "/readyz",
    {
      schema: {
        summary: "Readiness: database reachable, migrations current",
        tags: ["operations"],
        response: readiness,
      },
    },
    async (_request, reply) => {
      if (options.stopping?.()) return reply.status(503).send({ status: "shutting down" });
      let health: Health;
      try {
        health = await hub.health();
      } catch (error) {
        readinessIs("database unreachable", { err: error });
        return reply.status(503).send({ status: "database unreachable" });
      }
      const { migration, latestMigration } = health;
      // A newer custhub may have migrated the database while this one ran: only the newer one
      // knows its schema, and the figures name both migrations.
      const status =
        migration > latestMigration
          ? "database newer than custhub"
          : migration < latestMigration
            ? "migrations pending"
            : "ready";
      readinessIs(status, { migration, latestMigration });
      return reply.status(status === "ready" ? 200 : 503).send({ status, ...health });
    },
  );
  app.get(
    "/metrics",
    {
      schema: {
        summary: "Prometheus metrics",
        tags: ["operations"],
        response: {
          200: answer("The Prometheus text exposition", text, "text/plain; version=0.0.4"),
        },
      },
    },
    async (_request, reply) => {
      // A database that does not answer leaves its figures out; the scrape still succeeds, so
      // the process's own counters stay continuous and `custhub_database_up` says why.
      let database: DatabaseFigures | undefined;
      try {
        const [health, destinations] = await Promise.all([hub.health(), hub.destinationQueues()]);
        database = { health, destinations };
      } catch (error) {
        app.log.warn({ err: error }, "metrics: the database did not answer");
      }
      return reply.type("text/plain; version=0.0.4; charset=utf-8").send(
        metrics.render({
          database,
          operations: hub.metrics,
          cache: hub.customers.recordCache?.stats(),
        }),
      );
    },
  );

  app.register(
    async (api) => {
      requireDeclaredAccess(api);
      authenticateApiKeys(api, hub.apiKeys);
      registerCustomerRoutes(api, hub);
      registerCustomerWriteRoutes(api, hub);
      registerNoteRoutes(api, hub);
      registerCardRoutes(api, hub);
      registerSegmentRoutes(api, hub);
      registerCustomerAssignmentRoutes(api, hub);
      registerTransactionRoutes(api, hub);
      registerImportRoutes(api, hub, options.dataDir);
      registerSettingsRoutes(api, hub);
      if (options.dataSync) registerSyncRoutes(api, options.dataSync);
      if (options.dataSync) registerDestinationRoutes(api, options.dataSync.destinations);
      registerOpenApiRoutes(api, routes, version);
    },
    { prefix: "/api/v1" },
  );
  return app;
}
