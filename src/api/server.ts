/**
 * The HTTP server: the REST API under /api/v1 and the operations endpoints. Routes declare JSON
 * schemas for their params and queries, so bad input is refused before it reaches a service, with
 * an error naming the field.
 */
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { isCusthubError, type ErrorCode } from "../domain/errors.js";
import type { Hub } from "../services/hub.js";
import { registerCustomerRoutes } from "./customers.js";
import { registerImportRoutes } from "./imports.js";

export interface ServerOptions {
  /** The data dir whose `complete/` folders imports write to. */
  dataDir: string;
  /** Log requests (method, route, status, time; never query strings or bodies: they carry PII). */
  logger?: boolean;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  CUSTOMER_NOT_FOUND: 404,
  IMPORT_NOT_FOUND: 404,
  CUSTOMER_ALREADY_EXISTS: 409,
  ALREADY_EXISTS: 409,
  GENERAL_ERROR: 500,
};

export function buildServer(hub: Hub, options: ServerOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: 1024 * 1024,
    logger: options.logger
      ? {
          level: "info",
          serializers: {
            // The path without its query: `?email=` and `?name=` are personal data.
            req: (request: { method: string; url: string; id: string }) => ({
              id: request.id,
              method: request.method,
              path: request.url.split("?")[0],
            }),
          },
        }
      : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isCusthubError(error)) {
      const status = STATUS_BY_CODE[error.code] ?? 400;
      if (status >= 500) request.log.error({ err: error.cause ?? error }, error.message);
      return reply.status(status).send({ error: error.toJSON() });
    }
    if (error.validation) {
      const first = error.validation[0];
      const extra = (first?.params as { additionalProperty?: string } | undefined)
        ?.additionalProperty;
      const field = `${error.validationContext ?? "request"}${first?.instancePath ?? ""}${extra ? `/${extra}` : ""}`;
      const problem = extra ? "is not a known field" : (first?.message ?? "is invalid");
      return reply.status(400).send({
        error: {
          code: "INVALID_REQUEST",
          message: `${field} ${problem}`,
          details: { field, issues: error.validation },
        },
      });
    }
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    return reply.status(status).send({
      error: {
        code: status >= 500 ? "GENERAL_ERROR" : "INVALID_REQUEST",
        message: status >= 500 ? "Internal error; see the server log." : error.message,
        details: {},
      },
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: "NOT_FOUND",
        message: `No route ${request.method} ${request.url.split("?")[0]}.`,
        details: {},
      },
    }),
  );

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    try {
      const health = await hub.health();
      const ready = health.migration === health.latestMigration;
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? "ready" : "migrations pending", ...health });
    } catch (error) {
      app.log.warn({ err: error }, "readiness check failed");
      return reply.status(503).send({ status: "database unreachable" });
    }
  });

  app.register(
    async (api) => {
      registerCustomerRoutes(api, hub);
      registerImportRoutes(api, hub, options.dataDir);
    },
    { prefix: "/api/v1" },
  );
  return app;
}
