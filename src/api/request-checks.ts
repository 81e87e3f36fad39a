/**
 * Checks every request's input passes before any route's schema sees it, made once here rather
 * than in each route's schema (docs/api.md "Errors"):
 *
 * - No text holds a NUL character. PostgreSQL text cannot store one: it refused the statement, and
 *   the caller got a 500 naming the database's encoding error. Every string and key of a JSON body,
 *   and every query string and path parameter, is checked; a NUL is 400 naming the field.
 * - A JSON body nests at most `MAX_JSON_DEPTH` levels, checked as it is parsed. A field nested
 *   5,000 arrays deep was taken (a transaction keeps its unknown fields) and overflowed the stack
 *   when the service serialized it: a 500.
 * - A body is JSON (the import route's XML aside): Fastify's `text/plain` parser is removed, so a
 *   text body is 415 as any other type no route parses, rather than a string the route's schema
 *   refused as "body must be object".
 */
import type { FastifyInstance, preValidationHookHandler } from "fastify";
import { CusthubError } from "../domain/errors.js";

/** Far deeper than any document the API takes: the PosLog example transaction nests 5 levels. */
export const MAX_JSON_DEPTH = 32;

/** A key as a field name shows it: its NUL written out, so that the message holds none. */
const shown = (key: string): string => key.replaceAll("\u0000", "\\u0000");

/** What `unstorable` found, and the keys down to it, outermost first. */
interface Unstorable {
  problem: "nul" | "depth";
  path: string[];
}

/**
 * The first place in `value` that no text column can take: a string or key holding a NUL, or an
 * object or array past the depth limit. `value` is parsed JSON, a query string or path parameters:
 * strings, numbers, booleans, null, arrays and objects only. The path is put together only for
 * what is found, on the way back up, so a clean body (nearly every one) builds no field names.
 */
function unstorable(value: unknown, depth: number): Unstorable | undefined {
  if (typeof value === "string")
    return value.includes("\u0000") ? { problem: "nul", path: [] } : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  if (depth > MAX_JSON_DEPTH) return { problem: "depth", path: [] };
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    const found = unstorable(key, depth) ?? unstorable(item, depth + 1);
    if (found) {
      found.path.unshift(shown(key));
      return found;
    }
  }
  return undefined;
}

/** The error for what `unstorable` found in `value`, naming its field under `root`. */
function findUnstorable(value: unknown, root: string): CusthubError | undefined {
  const found = unstorable(value, 1);
  if (!found) return undefined;
  const field = [root, ...found.path].join("/");
  return found.problem === "nul"
    ? new CusthubError(
        "INVALID_REQUEST",
        `${field} holds a NUL character (U+0000), which no text may hold.`,
        { field },
      )
    : new CusthubError("INVALID_REQUEST", `${field} nests deeper than ${MAX_JSON_DEPTH} levels.`, {
        field,
        maxDepth: MAX_JSON_DEPTH,
      });
}

export function installRequestChecks(app: FastifyInstance): void {
  app.removeContentTypeParser("text/plain");

  // Fastify's own JSON parser (which refuses `__proto__` and `constructor` keys), then the checks.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    parseJson(request, body as string, (error, parsed) => {
      if (error) return done(error, undefined);
      const found = findUnstorable(parsed, "body");
      if (found) return done(found, undefined);
      done(null, parsed);
    });
  });

  // In callback form, as the server's other per-request hooks.
  app.addHook("preValidation", (request, _reply, done) => {
    done(findUnstorable(request.params, "params") ?? findUnstorable(request.query, "querystring"));
  });

  // A route that takes no body as `{}` (`config.bodyOptional`) gets one to validate: a hook of
  // that route's own, so that no other request pays for looking.
  app.addHook("onRoute", (route) => {
    if (!route.config?.bodyOptional) return;
    route.preValidation = [...[route.preValidation ?? []].flat(), emptyBodyIfNone];
  });
}

const emptyBodyIfNone: preValidationHookHandler = (request, _reply, done) => {
  if (request.body === undefined) request.body = {};
  done();
};
