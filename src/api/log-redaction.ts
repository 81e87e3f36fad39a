/**
 * Logs never carry customer personal data (SPEC 9; issue 6: names, emails, phones, addresses,
 * birth dates) nor credentials. Pino's own `redact` needs every path spelt out, and a customer
 * record nests its names and addresses at several depths; so every logged plain object is walked
 * and the values under these keys replaced, wherever they sit.
 */
import {
  LogController,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from "fastify";
import { mask } from "../domain/cards.js";

/** Where log lines go: one JSON line per `write`. */
export interface LogDestination {
  write(line: string): void;
}

type LoggerOptions = Exclude<FastifyServerOptions["logger"], boolean | undefined>;

export const REDACTED = "[redacted]";

/** Compared lower-case: the request fields, the record's fields, and credentials. */
const PERSONAL_KEYS = new Set(
  [
    // names
    "name",
    "names",
    "firstName",
    "lastName",
    "middleName",
    "nickName",
    "fullName",
    "salutation",
    // emails, phones
    "email",
    "emails",
    "emailAddress",
    "telephone",
    "telephones",
    "phone",
    "phoneNumber",
    // addresses
    "address",
    "addresses",
    "addressLine1",
    "addressLine2",
    "addressLine3",
    "addressLine4",
    "apartmentNumber",
    "city",
    "postalCode",
    // dates of a person's life
    "birthDate",
    "anniversary",
    // credentials
    "authorization",
    "cookie",
    "key",
    "apiKey",
    "secret",
    "clientSecret",
    "password",
  ].map((key) => key.toLowerCase()),
);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/**
 * The nouns PostgreSQL puts before a quoted name of its own (`constraint "customers_pkey"`,
 * `encoding "UTF8"`); a quoted value follows a colon or `value` instead
 * (`invalid input syntax for type bigint: "..."`, `value "..." is out of range`).
 */
const NAME_BEFORE_QUOTE =
  /\b(?:relation|table|column|constraint|index|encoding|function|schema|sequence|trigger|view|database|role|parameter|extension|collation|savepoint|cursor|statement|portal) $/i;

/** A quoted run: where PostgreSQL and `JSON.parse` put the value they refused. */
const QUOTED = /"[^"]*"|(?<![\p{L}\p{N}])'[^']*'/gu;

/**
 * An error message with the values it quotes replaced: a database error quotes the value it
 * refused, `JSON.parse` the text it could not read, and either may be a customer's.
 */
function messageForLog(message: string): string {
  return message.replace(QUOTED, (quoted: string, offset: number) =>
    NAME_BEFORE_QUOTE.test(message.slice(Math.max(0, offset - 12), offset))
      ? quoted
      : `${quoted[0]}${REDACTED}${quoted[0]}`,
  );
}

/** An error as logged: its class, code, message and stack, and its cause the same way. */
type LoggedError = {
  type: string;
  code?: string;
  message: string;
  stack: string;
  cause?: LoggedError | typeof REDACTED;
};

/**
 * An error as it may be logged. Only its class, code, message (values taken out) and stack: a
 * database error carries the statement's parameters (`params`: a customer's whole record on a
 * failed write), the failing row (`detail`) and the SQL, and any error may carry data properties
 * of its own, so nothing else of it is copied.
 */
function errorForLog(error: Error, depth = 0): LoggedError {
  const type = error.constructor.name || error.name;
  const message = messageForLog(error.message);
  // The stack's first lines repeat the message unredacted: only the frames are kept.
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  const logged: LoggedError = {
    type,
    message,
    stack: [`${type}: ${message}`, ...frames].join("\n"),
  };
  const code: unknown = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") logged.code = String(code);
  if (error.cause !== undefined) {
    logged.cause =
      error.cause instanceof Error && depth < 5 ? errorForLog(error.cause, depth + 1) : REDACTED;
  }
  return logged;
}

/**
 * A copy of `value` with personal fields replaced. Plain objects and arrays are walked, and an
 * error at any depth is logged as `errorForLog` has it. Requests and replies have their own
 * serializers, which log no bodies or headers.
 */
export function redactPersonalData(value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactPersonalData(item, depth + 1));
  if (value instanceof Error) return errorForLog(value);
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = PERSONAL_KEYS.has(key.toLowerCase())
      ? REDACTED
      : redactPersonalData(item, depth + 1);
  }
  return copy;
}

/** The card number of a `/cards/{cardNumber}` path, routed or not. */
const CARD_IN_PATH = /(\/cards\/)([^/]+)/i;

/**
 * The path as logs and messages show it: without its query (`?email=` is personal), and with the
 * card number of a `/cards/{cardNumber}/...` path masked as every message masks one (docs/api.md
 * "Cards": card numbers never appear in full in messages or logs).
 */
export function pathOf(url: string): string {
  const query = url.indexOf("?");
  // Decoded whole first: `/cards%2F4111...` is the same path to a reader of the log.
  const path = decoded(query === -1 ? url : url.slice(0, query));
  return path.replace(
    CARD_IN_PATH,
    (_match, cards: string, cardNumber: string) => `${cards}${mask(cardNumber)}`,
  );
}

const decoded = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * A segment of a path no route matched that a log shows: a lower-case word (`customers`, `v1`),
 * a number, or a card number as `pathOf` masked it.
 */
const PLAIN_SEGMENT = /^(?:[a-z][a-z0-9-]*|\d+|\*+\d{1,4})$/;
/** A parameter value a log shows: a number (an id), or a name of letters, digits, `_`, `.`, `-`. */
const NUMBER = /^\d{1,30}$/;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/**
 * Parameters that name a customer: only a number is shown there. An email, a phone or a name
 * typed where the customerID goes is the customer's own data.
 */
const CUSTOMER_PARAMETERS = new Set(["customerID"]);

/** What the log reads of a request: a Fastify request, or a plain object logged as one. */
type LoggedRequest = Pick<FastifyRequest, "url"> & {
  routeOptions?: { url?: string | undefined } | undefined;
  params?: unknown;
};

/**
 * The path as the request log shows it: as `pathOf`, and with every value that could be a
 * person's data (typed where an id goes, or in a path no route knows) replaced. A matched route's
 * path is its pattern with each parameter's value that is a number or a plain name; a path no
 * route matched keeps its segments that are lower-case words or numbers.
 *
 * @example
 * // route /api/v1/customers/:customerID, asked as /api/v1/customers/ann%40example.com
 * loggedPathOf(request) // => "/api/v1/customers/[redacted]"
 */
export function loggedPathOf(request: LoggedRequest): string {
  const pattern = request.routeOptions?.url;
  if (pattern === undefined || pattern.includes("*")) {
    return pathOf(request.url)
      .split("/")
      .map((segment) => (segment === "" || PLAIN_SEGMENT.test(segment) ? segment : REDACTED))
      .join("/");
  }
  const params = (request.params ?? {}) as Record<string, unknown>;
  return pattern.replace(/:(\w+)/g, (_match, name: string) => {
    const value = String(params[name] ?? "");
    if (name === "cardNumber") return mask(value);
    if (NUMBER.test(value)) return value;
    return !CUSTOMER_PARAMETERS.has(name) && NAME.test(value) ? value : REDACTED;
  });
}

/** The request as logged: id, method, and the path as `loggedPathOf` shows it. */
const requestForLog = (request: LoggedRequest & { id: string; method: string }) => ({
  id: request.id,
  method: request.method,
  path: loggedPathOf(request),
});

/**
 * One line per request, as it ends: method, path, status and milliseconds, beside the `reqId`
 * every line of the request carries. Fastify's default is two lines (in, out) through the
 * request and reply serializers; on a cached read that logging was a third of the time served.
 */
export class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      method: request.method,
      path: loggedPathOf(request),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, "request errored");
    else reply.log.info(line, "request completed");
  }

  // Fastify's own lines for these put the error's message, unredacted, in `msg`.
  override defaultErrorLog(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ err: error }, "request failed");
    else reply.log.info({ err: error }, "request refused");
  }

  override writeHeadError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn({ err: error }, "the error reply could not be written");
  }
}

export function loggerOptions(stream: LogDestination | undefined): LoggerOptions {
  return {
    level: "info",
    ...(stream ? { stream } : {}),
    serializers: {
      req: requestForLog,
      // The `log` formatter, which pino runs first, has made every error an `errorForLog` object;
      // pino's own `err` serializer would take that for an error again and log it as an `Object`.
      err: (error: FastifyError) => (error instanceof Error ? errorForLog(error) : error),
    },
    formatters: {
      log: (object: Record<string, unknown>) =>
        redactPersonalData(object) as Record<string, unknown>,
    },
    hooks: {
      // Given an error and no message, pino makes the error's own message the line's `msg`.
      logMethod(args, method) {
        const [first] = args as unknown[];
        const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
        if (args.length === 1 && error instanceof Error) {
          return method.apply(this, [first as object, messageForLog(error.message)]);
        }
        return method.apply(this, args);
      },
    },
  };
}
