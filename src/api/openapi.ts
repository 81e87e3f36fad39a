/**
 * The OpenAPI 3.0.3 document of the API, built from the routes as they are registered (SPEC 5,
 * 10): the route schemas that validate requests and the replies each route declares
 * (schemas/replies.ts) are the same objects the document shows, so the two cannot drift (STYLE:
 * "schemas are the single source"). The failures every route of a kind meets (a refused field, a
 * missing key, a body too large) are added here from what the route declares. Also a small
 * browsable page of it.
 */
import type { FastifyInstance, FastifySchema } from "fastify";
import {
  ROLES,
  roleSetsFor,
  setsInWords,
  type ApiAccess,
  type Permission,
  type Role,
} from "../domain/roles.js";
import type { GuardedParameters, RouteAccess } from "./route-options.js";
import {
  answer,
  componentNameOf,
  failure,
  text,
  type ReplyDeclaration,
} from "./schemas/replies.js";

export interface CollectedRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
  access: RouteAccess | undefined;
  permissions: readonly Permission[] | undefined;
  guardedParameters: readonly GuardedParameters[] | undefined;
  /** The media types of the body when it is not JSON (an import's XML). */
  bodyTypes: readonly string[] | undefined;
  /** No body is taken as `{}` (`config.bodyOptional`). */
  bodyOptional: boolean;
  /** The largest JSON body the route takes, in bytes. */
  bodyLimit: number;
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
  responses: Record<string, ReplyDeclaration>;
  security?: Record<string, string[]>[];
  /** The roles any one of which the route's key needs. */
  "x-roles"?: readonly Role[];
  /** Roles that grant the route only together (Send Sample Message: sysconfig and jobadmin). */
  "x-roles-together"?: readonly (readonly Role[])[];
  /**
   * Path parameter values the route's roles do not all grant (a setting that decides where a saved
   * secret is sent): with these parameters, the roles named here instead.
   */
  "x-roles-by-parameters"?: readonly RolesByParameters[];
}

export interface RolesByParameters extends Pick<OpenApiOperation, "x-roles" | "x-roles-together"> {
  parameters: Readonly<Record<string, string>>;
  description: string;
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
        guardedParameters: route.config?.guardedParameters,
        bodyTypes: route.config?.bodyTypes,
        bodyOptional: route.config?.bodyOptional === true,
        bodyLimit: route.bodyLimit ?? app.initialConfig.bodyLimit ?? 1024 * 1024,
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

/**
 * What the route declares it answers, and the failures every route meets that takes what it
 * takes: 400 for a refused parameter or field, 401 and 403 for a key, 413 and 415 for a body (any
 * method but GET is sent one, whether the route reads it or not), 500.
 */
function responsesOf(
  route: CollectedRoute,
  takesInput: boolean,
  refusesSomeRole: boolean,
): Record<string, ReplyDeclaration> {
  const schema = route.schema ?? {};
  const declared = (schema.response ?? {}) as Record<string, ReplyDeclaration>;
  const responses: Record<string, ReplyDeclaration> = { ...declared };
  if (takesInput || declared[400]) {
    // Not a closed list: the customer routes answer the import's validation codes too.
    const also = declared[400]?.["x-error-codes"] ?? [];
    responses[400] = {
      description: `\`INVALID_REQUEST\`: a parameter, query or body field refused (\`details.field\` names it), or a JSON body that cannot be read (malformed, or empty)${also.length > 0 ? `. Also ${also.map((code) => `\`${code}\``).join(", ")}` : ""}`,
      content: failure([]).content,
    };
  }
  if (route.access !== undefined && route.access !== "public") {
    responses[401] = failure(["UNAUTHORIZED"], "`UNAUTHORIZED`: no API key, or not a valid one");
    if (refusesSomeRole)
      responses[403] = failure(
        ["FORBIDDEN"],
        route.guardedParameters?.length
          ? "`FORBIDDEN`: the key's roles do not allow this route, or not with these parameters (`x-roles-by-parameters`); nothing is changed"
          : "`FORBIDDEN`: the key's roles do not allow this route",
      );
  }
  // A body can be sent to any method but GET, read or not: JSON, under the route's limit.
  const takesBody = route.method !== "GET";
  if (takesBody && !route.bodyTypes) {
    responses[413] = failure(
      ["REQUEST_TOO_LARGE"],
      `\`REQUEST_TOO_LARGE\`: the body is over ${route.bodyLimit} bytes`,
    );
  }
  if (takesBody) {
    responses[415] = failure(
      ["INVALID_REQUEST"],
      `\`INVALID_REQUEST\`: the body is not sent as ${(route.bodyTypes ?? ["application/json"]).join(" or ")}`,
    );
  }
  responses[500] = failure(
    ["GENERAL_ERROR"],
    "`GENERAL_ERROR`: a failure of custhub's own; the `x-request-id` header finds it in the log",
  );
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

/** The body the route takes: JSON by its schema, or the media types it streams (imports). */
function requestBodyOf(route: CollectedRoute): OpenApiOperation["requestBody"] {
  const body = route.schema?.body as JsonSchema | undefined;
  if (body) {
    // Even one whose fields are all optional: no body is refused, "body must be object", unless
    // the route takes no body as `{}`.
    return { required: !route.bodyOptional, content: { "application/json": { schema: body } } };
  }
  if (route.bodyTypes) {
    const file = { type: "string", description: "The batch file, as its bytes" };
    return {
      required: true,
      content: Object.fromEntries(route.bodyTypes.map((type) => [type, { schema: file }])),
    };
  }
  return undefined;
}

function operationOf(route: CollectedRoute): OpenApiOperation {
  const schema = route.schema ?? {};
  const parameters = [
    ...parametersOf(schema.params, "path"),
    ...parametersOf(schema.querystring, "query"),
  ];
  const access = route.access === "public" ? undefined : route.access;
  const roles = access ? rolesOf(access, route.permissions) : undefined;
  const byParameters = access ? rolesByParametersOf(access, route) : [];
  const requestBody = requestBodyOf(route);
  const refusesSomeRole =
    byParameters.length > 0 || ROLES.some((role) => !roles?.["x-roles"]?.includes(role));
  const description = [schema.description, describeRolesByParameters(byParameters)]
    .filter((part) => part !== undefined)
    .join(" ");
  return {
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(description ? { description } : {}),
    ...(schema.tags ? { tags: schema.tags } : {}),
    operationId: operationId(route.method, route.url),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: responsesOf(
      route,
      // A method with a body is sent one the route does not read as well: malformed JSON is 400.
      parameters.length > 0 || requestBody !== undefined || route.method !== "GET",
      refusesSomeRole,
    ),
    ...(roles ? { security: [{ bearerAuth: [] }], ...roles } : { security: [] }),
    ...(byParameters.length > 0 ? { "x-roles-by-parameters": byParameters } : {}),
  };
}

/** The roles each guarded parameter set needs: the route's permissions and its own together. */
function rolesByParametersOf(access: ApiAccess, route: CollectedRoute): RolesByParameters[] {
  return (route.guardedParameters ?? []).map((guarded) => ({
    parameters: guarded.parameters,
    ...rolesOf(access, [...(route.permissions ?? []), ...guarded.permissions]),
    description: guarded.reason,
  }));
}

/** Each role, and each set of roles that grants only together, in words: `sysconfig and jobadmin`. */
const rolesInWords = (roles: Pick<OpenApiOperation, "x-roles" | "x-roles-together">): string[] => [
  ...(roles["x-roles"] ?? []),
  ...setsInWords(roles["x-roles-together"] ?? []),
];

/**
 * "`key=DataSyncApiUrl`, `key=DataSyncTokenUrl` need sysadmin (...)": the guarded parameter sets
 * in words, those needing the same roles for the same reason together.
 */
function describeRolesByParameters(byParameters: readonly RolesByParameters[]): string | undefined {
  if (byParameters.length === 0) return undefined;
  const groups = new Map<string, string[]>();
  for (const entry of byParameters) {
    const roles = rolesInWords(entry).join(", or ");
    const group = `need ${roles} (${entry.description})`;
    const names = Object.entries(entry.parameters)
      .map(([name, value]) => `${name}=${value}`)
      .join(", ");
    groups.set(group, [...(groups.get(group) ?? []), `\`${names}\``]);
  }
  const sentences = [...groups].map(([group, names]) => `${names.join(", ")} ${group}.`);
  return `Some values need other roles (\`x-roles-by-parameters\`): ${sentences.join(" ")}`;
}

/**
 * `value` with each schema registered as a component (schemas/replies.ts) replaced by a `$ref` to
 * it, and the components so referred to gathered in `used`.
 */
function withReferences(value: unknown, used: Map<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((item) => withReferences(item, used));
  if (typeof value !== "object" || value === null) return value;
  const name = componentNameOf(value);
  if (name !== undefined && !used.has(name)) {
    used.set(name, undefined);
    used.set(name, inner(value, used));
  }
  return name !== undefined ? { $ref: `#/components/schemas/${name}` } : inner(value, used);
}

const inner = (value: object, used: Map<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withReferences(item, used)]));

export function buildOpenApiDocument(
  routes: readonly CollectedRoute[],
  version: string,
): OpenApiDocument {
  const operations: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    operations[path] = { ...operations[path], [route.method.toLowerCase()]: operationOf(route) };
  }
  const used = new Map<string, unknown>();
  const paths = withReferences(operations, used) as OpenApiDocument["paths"];
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
      schemas: Object.fromEntries([...used].sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A page listing the operations, with each one's parameters and body schema; no external assets. */
export function renderDocsPage(document: OpenApiDocument): string {
  const sections = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => {
      const roles = operation["x-roles"] ? rolesInWords(operation).join(", ") : "open";
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
    {
      config: { access: "public" },
      schema: {
        summary: "This document",
        tags: ["api"],
        response: {
          200: answer("An OpenAPI 3.0.3 document", {
            type: "object",
            required: ["openapi", "info", "paths", "components"],
            additionalProperties: true,
            properties: { openapi: { type: "string", enum: ["3.0.3"] } },
          }),
        },
      },
    },
    async () => buildOpenApiDocument(routes, version),
  );
  api.get(
    "/docs",
    {
      config: { access: "public" },
      schema: {
        summary: "A browsable page of this document",
        tags: ["api"],
        response: { 200: answer("An HTML page", text, "text/html") },
      },
    },
    async (_request, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .send(renderDocsPage(buildOpenApiDocument(routes, version))),
  );
}
