/**
 * Checks of an OpenAPI document and of answers against it, for the contract test and the API
 * description's own test.
 */
import { AjvCompiler } from "@fastify/ajv-compiler";
import type { OpenApiDocument, OpenApiOperation } from "../../src/api/openapi.js";
import type { ErrorBody, Reply } from "./helpers.js";

export interface Operation {
  /** `POST /api/v1/customers/{customerID}/notes` */
  name: string;
  method: string;
  template: string;
  operation: OpenApiOperation;
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${template}`,
      method: method.toUpperCase(),
      template,
      operation,
    })),
  );
}

/** Escapes one JSON-pointer segment, then for the URI fragment it travels in. */
const pointer = (...segments: string[]): string =>
  segments
    .map((part) => encodeURIComponent(part.replaceAll("~", "~0").replaceAll("/", "~1")))
    .join("/");

/** The media type with its parameters but `charset`, spaced one way. */
const mediaTypeOf = (header: string): string =>
  header
    .split(";")
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== "" && !part.startsWith("charset="))
    .join("; ");

/**
 * Checks answers against the document with Fastify's own Ajv (OpenAPI 3.0's `nullable` is an Ajv
 * keyword): nothing coerced, removed or defaulted, every error reported.
 */
export function conformityChecker(document: OpenApiDocument) {
  const compile = AjvCompiler()(
    {},
    {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: true,
        strict: false,
      },
      onCreate: (ajv) => void ajv.addSchema(document as object, "openapi"),
    },
  );
  const validator = (op: Operation, status: string, mediaType: string) =>
    compile({
      schema: {
        $ref: `openapi#/${pointer("paths", op.template, op.method.toLowerCase(), "responses", status, "content", mediaType, "schema")}`,
      },
    });
  const problems = (op: Operation, reply: Reply<unknown>): string[] => {
    const declared = op.operation.responses[String(reply.status)];
    if (!declared) return [`status ${reply.status} is not declared`];
    const sent = mediaTypeOf(reply.headers.get("content-type") ?? "");
    const mediaType = Object.keys(declared.content).find((type) => mediaTypeOf(type) === sent);
    if (mediaType === undefined)
      return [`content type ${sent} is not one of ${Object.keys(declared.content).join(", ")}`];
    const validate = validator(op, String(reply.status), mediaType);
    const found: string[] = validate(reply.body)
      ? []
      : (validate.errors ?? []).map(
          (error) =>
            `${error.instancePath || "body"} ${error.message ?? ""} ${JSON.stringify(error.params)}`,
        );
    const codes = declared["x-error-codes"];
    const code = (reply.body as Partial<ErrorBody>).error?.code;
    if (codes && !codes.includes(code as never))
      found.push(`error code ${code} is not one of ${codes.join(", ")}`);
    return found;
  };
  return { validator, problems };
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * Where the document breaks OpenAPI 3.0.3's structure: the fields each object must have, path
 * templates and their parameters, unique operationIds, security naming defined schemes, every
 * `$ref` resolving, and the schema rules 3.0 has beyond JSON Schema (`nullable`, no `type` lists).
 */
export function openApiProblems(document: OpenApiDocument): string[] {
  const problems: string[] = [];
  const problem = (at: string, what: string) => problems.push(`${at}: ${what}`);
  if (document.openapi !== "3.0.3") problem("#", "openapi is not 3.0.3");
  if (typeof document.info?.title !== "string" || typeof document.info?.version !== "string")
    problem("#/info", "title and version are required strings");
  const schemes = Object.keys(document.components?.securitySchemes ?? {});
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith("/")) problem(path, "a path starts with /");
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!).sort();
    for (const [method, operation] of Object.entries(item)) {
      const at = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method)) problem(at, "not an HTTP method");
      if (ids.has(operation.operationId))
        problem(at, `operationId ${operation.operationId} repeats`);
      ids.add(operation.operationId);
      const parameters = operation.parameters ?? [];
      const inPath = parameters.filter((parameter) => parameter.in === "path");
      if (JSON.stringify(inPath.map((p) => p.name).sort()) !== JSON.stringify(templated))
        problem(at, "path parameters differ from the template");
      for (const parameter of parameters) {
        if (!["path", "query", "header", "cookie"].includes(parameter.in))
          problem(at, `parameter ${parameter.name} in ${parameter.in}`);
        if (parameter.in === "path" && parameter.required !== true)
          problem(at, `path parameter ${parameter.name} not required`);
        if (!parameter.schema) problem(at, `parameter ${parameter.name} has no schema`);
      }
      const body = operation.requestBody;
      if (body && Object.values(body.content).some((media) => !media.schema))
        problem(at, "a body media type has no schema");
      const responses = Object.entries(operation.responses ?? {});
      if (responses.length === 0) problem(at, "no responses");
      if (!responses.some(([status]) => /^2\d\d$/.test(status))) problem(at, "no success response");
      for (const [status, reply] of responses) {
        if (!/^[1-5]\d\d$|^[1-5]XX$|^default$/.test(status)) problem(at, `response key ${status}`);
        if (typeof reply.description !== "string" || reply.description === "")
          problem(at, `response ${status} has no description`);
        for (const [type, media] of Object.entries(reply.content ?? {})) {
          if (!/^[a-z]+\/[a-z0-9.+-]+(; ?[a-z]+=[^;]+)*$/i.test(type))
            problem(at, `media type ${type}`);
          if (!media.schema) problem(at, `response ${status} ${type} has no schema`);
        }
      }
      for (const requirement of operation.security ?? [])
        for (const scheme of Object.keys(requirement))
          if (!schemes.includes(scheme)) problem(at, `security scheme ${scheme} is not defined`);
    }
  }
  walk(document, "#", (value, at) => {
    if (typeof value.$ref === "string") {
      if (!resolves(document, value.$ref)) problem(at, `$ref ${value.$ref} does not resolve`);
      if (Object.keys(value).length > 1) problem(at, "$ref has siblings, which 3.0 ignores");
    }
    if (Array.isArray(value.type)) problem(at, "type is a list");
    if ("const" in value) problem(at, "const");
    if (Array.isArray(value.required) && value.required.length === 0) problem(at, "empty required");
    if (value.nullable === true && typeof value.type !== "string")
      problem(at, "nullable without type");
  });
  return problems;
}

function walk(
  value: unknown,
  at: string,
  visit: (object: Record<string, unknown>, at: string) => void,
): void {
  if (Array.isArray(value))
    return value.forEach((item, index) => walk(item, `${at}/${index}`, visit));
  if (typeof value !== "object" || value === null) return;
  visit(value as Record<string, unknown>, at);
  for (const [key, child] of Object.entries(value)) walk(child, `${at}/${key}`, visit);
}

function resolves(document: unknown, ref: string): boolean {
  if (!ref.startsWith("#/")) return false;
  let node: unknown = document;
  for (const part of ref.slice(2).split("/")) {
    const key = part.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof node !== "object" || node === null || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}
