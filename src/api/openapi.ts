/**
 * The OpenAPI 3.0.3 document of the API, built from the routes as they are registered (SPEC 5,
 * 10): the route schemas that validate requests are the same objects the document shows, so the
 * two cannot drift (STYLE: "schemas are the single source"). Also a small browsable page of it.
 */
import type { FastifyInstance, FastifySchema } from "fastify";
import { roleSetsFor, type ApiAccess, type Permission, type Role } from "../domain/roles.js";
import type { RouteAccess } from "./route-options.js";

export interface CollectedRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
  access: RouteAccess | undefined;
  permissions: readonly Permission[] | undefined;
}

type JsonSchema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  summary?: string;
  description?: string;
  tags?: string[];
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
  security?: Record<string, string[]>[];
  /** The roles any one of which the route's key needs. */
  "x-roles"?: readonly Role[];
  /** Roles that grant the route only together (Send Sample Message: sysconfig and jobadmin). */
  "x-roles-together"?: readonly (readonly Role[])[];
}

export interface OpenApiDocument {
  openapi: "3.0.3";
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
}

/** Remembers every route registered on `app` from now on, for the document. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // Fastify adds a HEAD for each GET; the document lists what was declared.
      if (method === "HEAD" || method === "OPTIONS") continue;
      routes.push({
        method,
        url: route.url,
        schema: route.schema,
        access: route.config?.access,
        permissions: route.config?.permissions,
      });
    }
  });
  return routes;
}

/** `/customers/:customerID` -> `/customers/{customerID}` */
const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

const operationId = (method: string, url: string): string =>
  method.toLowerCase() +
  url
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");

function parametersOf(schema: unknown, where: "path" | "query"): Parameter[] {
  const object = schema as
    { properties?: Record<string, JsonSchema>; required?: string[] } | undefined;
  return Object.entries(object?.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (object?.required ?? []).includes(name),
    schema: property,
  }));
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

/** The roles the key needs, from the table the API's check reads (auth.ts). */
function rolesOf(
  access: ApiAccess,
  permissions: readonly Permission[] | undefined,
): Pick<OpenApiOperation, "x-roles" | "x-roles-together"> {
  const sets = roleSetsFor(access, permissions);
  const together = sets.filter((set) => set.length > 1);
  return {
    "x-roles": sets.filter((set) => set.length === 1).map(([role]) => role!),
    ...(together.length > 0 ? { "x-roles-together": together } : {}),
  };
}

function operationOf(route: CollectedRoute): OpenApiOperation {
  const schema = route.schema ?? {};
  const parameters = [
    ...parametersOf(schema.params, "path"),
    ...parametersOf(schema.querystring, "query"),
  ];
  const access = route.access === "public" ? undefined : route.access;
  const responses: Record<string, unknown> = {
    "2XX": { description: "Done", content: { "application/json": { schema: {} } } },
  };
  if (parameters.length > 0 || schema.body)
    responses["400"] = errorResponse("Invalid request: the field is named");
  if (access) {
    responses["401"] = errorResponse("No API key, or not a valid one");
    responses["403"] = errorResponse("The key's roles do not allow this route");
  }
  responses.default = errorResponse("Error");
  return {
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(schema.description ? { description: schema.description } : {}),
    ...(schema.tags ? { tags: schema.tags } : {}),
    operationId: operationId(route.method, route.url),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schema.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: schema.body as JsonSchema } },
          },
        }
      : {}),
    responses,
    ...(access
      ? { security: [{ bearerAuth: [] }], ...rolesOf(access, route.permissions) }
      : { security: [] }),
  };
}

export function buildOpenApiDocument(
  routes: readonly CollectedRoute[],
  version: string,
): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route) };
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "custhub",
      version,
      description:
        "Customer hub REST API. Send an API key made with `custhub apikeys create` as `Authorization: Bearer <key>`. Errors are `{error: {code, message, details}}`.",
    },
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "A custhub API key" },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message", "details"],
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                details: { type: "object" },
              },
            },
          },
        },
      },
    },
  };
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A page listing the operations, with each one's parameters and body schema; no external assets. */
export function renderDocsPage(document: OpenApiDocument): string {
  const sections = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => {
      const roles = operation["x-roles"]
        ? [
            ...operation["x-roles"],
            ...(operation["x-roles-together"] ?? []).map((set) => set.join(" and ")),
          ].join(", ")
        : "open";
      const details = JSON.stringify(
        { parameters: operation.parameters ?? [], requestBody: operation.requestBody ?? null },
        null,
        2,
      );
      return `<details><summary><code class="m">${escapeHtml(method.toUpperCase())}</code> <code>${escapeHtml(path)}</code> ${escapeHtml(operation.summary ?? "")} <em>(${escapeHtml(roles)})</em></summary><pre>${escapeHtml(details)}</pre></details>`;
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>custhub API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}code.m{display:inline-block;width:4.5rem;font-weight:bold}details{border-bottom:1px solid #ddd;padding:.4rem 0}pre{background:#f6f6f6;padding:.6rem;overflow:auto}em{color:#666}</style>
</head><body>
<h1>custhub API ${escapeHtml(document.info.version)}</h1>
<p>${escapeHtml(document.info.description)} The machine-readable document: <a href="openapi.json">openapi.json</a>.</p>
${sections.join("\n")}
</body></html>
`;
}

export function registerOpenApiRoutes(
  api: FastifyInstance,
  routes: readonly CollectedRoute[],
  version: string,
): void {
  api.get(
    "/openapi.json",
    { config: { access: "public" }, schema: { summary: "This document", tags: ["api"] } },
    async () => buildOpenApiDocument(routes, version),
  );
  api.get(
    "/docs",
    {
      config: { access: "public" },
      schema: { summary: "A browsable page of this document", tags: ["api"] },
    },
    async (_request, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .send(renderDocsPage(buildOpenApiDocument(routes, version))),
  );
}
