/**
 * What routes answer, declared as each route's `schema.response` (Fastify's place for it) and
 * shown by the OpenAPI document: the success bodies, and the failures each route can meet,
 * `{error: {code, message, details}}` (SPEC 5) under the status error-replies.ts gives the code.
 *
 * They also write the answers (Fastify serializes a reply by its status's schema), so an answer
 * holds what its schema names and no more: an object meant to pass through whole says
 * `additionalProperties: true`. test/api/openapi-contract.test.ts checks every answer against
 * them. They are closed (`additionalProperties: false`) so that a generated client knows every
 * field.
 */
import type { ErrorCode } from "../../domain/errors.js";
import { statusOf } from "../error-replies.js";

export type Schema = Record<string, unknown>;

/** Schemas the OpenAPI document shows once, under `components/schemas/<name>`, by identity. */
const componentNames = new WeakMap<object, string>();

/** Registers `schema` as the component `name`: the document refers to it wherever it is used. */
export function component<S extends Schema>(name: string, schema: S): S {
  componentNames.set(schema, name);
  return schema;
}

export const componentNameOf = (schema: object): string | undefined => componentNames.get(schema);

export const text = { type: "string" } as const;
export const nullableText = { type: "string", nullable: true } as const;
export const integer = { type: "integer" } as const;
export const nullableInteger = { type: "integer", nullable: true } as const;
export const number = { type: "number" } as const;
export const boolean = { type: "boolean" } as const;
/** A timestamp as JSON writes a Date (ISO 8601, UTC). */
export const timestamp = { type: "string", format: "date-time" } as const;
export const nullableTimestamp = { ...timestamp, nullable: true } as const;
export const oneOfText = <T extends string>(values: readonly T[]) =>
  ({ type: "string", enum: [...values] }) as const;

export const listOf = <S>(items: S) => ({ type: "array", items }) as const;

/**
 * An object holding exactly `properties`, every one of them always present except `optional`.
 */
export function closedObject<P extends Record<string, unknown>>(
  properties: P,
  optional: readonly (keyof P & string)[] = [],
) {
  const required = Object.keys(properties).filter((name) => !optional.includes(name));
  return {
    type: "object",
    additionalProperties: false,
    properties,
    // OpenAPI 3.0 wants a non-empty list, or none.
    ...(required.length > 0 ? { required } : {}),
  } as const;
}

/** `schema`, or null in its place. */
export const orNull = <S extends Schema>(schema: S) => ({ ...schema, nullable: true }) as const;

/** The body of every failure (SPEC 5). */
const errorBodySchema = component("Error", {
  type: "object",
  additionalProperties: false,
  required: ["error"],
  properties: {
    error: {
      type: "object",
      additionalProperties: false,
      required: ["code", "message", "details"],
      properties: {
        code: { type: "string", description: "One of the import's error codes (docs/api.md)" },
        message: { type: "string", description: "For people: names the field or the thing" },
        details: {
          type: "object",
          additionalProperties: true,
          description: "For machines: the field, the id, the limits",
        },
      },
    },
  },
});

export interface ReplyDeclaration {
  description: string;
  content: Record<string, { schema: Schema }>;
  /** Headers the reply may carry (OpenAPI's response headers). */
  headers?: Record<string, { description: string; schema: Schema }>;
  /** For a failure: the codes it comes with. */
  "x-error-codes"?: readonly ErrorCode[];
}

/** A reply of `status` with `schema` as its JSON body (or as `mediaType`). */
export const answer = (
  description: string,
  schema: Schema,
  mediaType = "application/json",
): ReplyDeclaration => ({ description, content: { [mediaType]: { schema } } });

/** A failure answered with these codes, as `{error: {code, message, details}}`. */
export const failure = (codes: readonly ErrorCode[], description?: string): ReplyDeclaration => ({
  description: description ?? codes.map((code) => `\`${code}\``).join(", "),
  content: { "application/json": { schema: errorBodySchema } },
  "x-error-codes": [...codes],
});

/**
 * The failures a route meets beyond those every route of its kind meets (openapi.ts adds those:
 * 400, 401, 403, 413, 415, 500), each under the status error-replies.ts answers its code with.
 *
 * @example
 * failures("CUSTOMER_NOT_FOUND", "DUPLICATE_NOTE") // => {404: ..., 409: ...}
 */
export function failures(...codes: ErrorCode[]): Record<number, ReplyDeclaration> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes)
    byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, listed]) => [status, failure(listed)]));
}
