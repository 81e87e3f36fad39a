/**
 * Every failure leaves the API as `{error: {code, message, details}}` with the import's codes
 * (SPEC 5), and the HTTP status that code stands for.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isCusthubError, type ErrorCode } from "../domain/errors.js";
import { pathOf } from "./log-redaction.js";
import { documentFailure } from "./schema-error-codes.js";

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CUSTOMER_NOT_FOUND: 404,
  IMPORT_NOT_FOUND: 404,
  CARD_NOT_FOUND: 404,
  API_KEY_NOT_FOUND: 404,
  NOTE_NOT_FOUND: 404,
  SEGMENT_NOT_FOUND: 404,
  CUSTOMER_NOT_IN_SEGMENT: 404,
  FRANCHISEE_NOT_FOUND: 404,
  TRANSACTION_NOT_FOUND: 404,
  DESTINATION_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  REWARD_CONFIG_NOT_FOUND: 404,
  PROGRAM_NOT_FOUND: 404,
  DESTINATION_DISABLED: 409,
  DESTINATION_PAUSED: 409,
  REWARD_CONFIG_DISABLED: 409,
  CUSTOMER_ALREADY_EXISTS: 409,
  CARD_ALREADY_EXISTS: 409,
  ALREADY_EXISTS: 409,
  DUPLICATE_NOTE: 409,
  IMPORT_IN_PROGRESS: 409,
  // A card in a state that refuses the association: the request is fine, the card is not.
  CARD_EXPIRED: 409,
  ACCOUNT_BLOCKED: 409,
  ACCOUNT_EXPIRED: 409,
  AWARD_PROGRAM_EXPIRED: 409,
  AWARD_PROGRAM_NOT_EFFECTIVE: 409,
  LYL_PROGRAM_EXPIRED: 409,
  LYL_PROGRAM_NOT_EFFECTIVE: 409,
  PROGRAM_EXPIRED: 409,
  PROGRAM_INACTIVE: 409,
  PROGRAM_NOT_EFFECTIVE: 409,
  // A card status change its current status does not allow (docs/api.md "Cards").
  CARD_ALREADY_ACTIVE: 409,
  CARD_NOT_ACTIVE: 409,
  CARD_ALREADY_BLOCKED: 409,
  CARD_NOT_BLOCKED: 409,
  TRANSACTION_ALREADY_EXISTS: 409,
  REQUEST_TOO_LARGE: 413,
  GENERAL_ERROR: 500,
  // The token endpoint or the receiver failed custhub, not the caller's request (Send Sample).
  TOKEN_REQUEST_FAILED: 502,
  DELIVERY_FAILED: 502,
  // The database session holding the import's claim broke: resumable once it is back.
  IMPORT_INTERRUPTED: 503,
};

export function statusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 400;
}

const JSON_BODY = ["application/json"] as const;

/** What a caller learns of a failure of custhub's own: its `x-request-id` finds it in the log. */
const INTERNAL_ERROR = {
  error: { code: "GENERAL_ERROR", message: "Internal error; see the server log.", details: {} },
} as const;

/**
 * The media type the request's body is sent as, without parameters and cut to a length a message
 * may quote; `""` without a Content-Type.
 */
export const mediaTypeOf = (request: FastifyRequest): string =>
  (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase().slice(0, 100);

/**
 * 415 for a body sent as a type the route does not take (docs/api.md "Errors"), naming the types
 * it does: JSON, or what the route's `bodyTypes` says (imports take XML).
 */
export function replyUnsupportedBodyType(
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const sent = mediaTypeOf(request);
  const accepted = request.routeOptions.config.bodyTypes ?? JSON_BODY;
  return reply.status(415).send({
    error: {
      code: "INVALID_REQUEST",
      message: `The body is sent as ${accepted.join(" or ")}, not ${sent || "without a Content-Type"}.`,
      details: { contentType: sent, accepted: [...accepted] },
    },
  });
}

export function installErrorReplies(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // A Content-Type no parser of the route's takes (request-checks.ts keeps text/plain out too).
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
      return replyUnsupportedBodyType(request, reply);
    if (isCusthubError(error)) {
      const status = statusOf(error.code);
      // The error and its cause (log-redaction.ts logs their class, code, message and stack); the
      // message is not the line's: a wrapped database error's message may quote a value.
      if (status >= 500) request.log.error({ err: error }, "request failed");
      if (status === 401) void reply.header("www-authenticate", 'Bearer realm="custhub"');
      // A GENERAL_ERROR's message may quote the database's ("The change could not be saved:
      // invalid byte sequence for encoding ..."): the caller gets the log's pointer instead.
      if (error.code === "GENERAL_ERROR") return reply.status(status).send(INTERNAL_ERROR);
      return reply.status(status).send({ error: error.toJSON() });
    }
    if (error.validation) {
      const first = error.validation[0];
      const params = first?.params as
        { additionalProperty?: string; missingProperty?: string } | undefined;
      const extra = params?.additionalProperty;
      const missing = params?.missingProperty;
      const named = extra ?? missing;
      const field = `${error.validationContext ?? "request"}${first?.instancePath ?? ""}${named ? `/${named}` : ""}`;
      const problem = extra
        ? "is not a known field"
        : missing
          ? "is required"
          : (first?.message ?? "is invalid");
      const documented =
        first && error.validationContext === "body" ? documentFailure(first, field) : undefined;
      // A document's code is answered with its own status: a merge party naming no one is a 404
      // here as when the merge service finds it.
      return reply.status(documented ? statusOf(documented.code) : 400).send({
        error: {
          code: documented?.code ?? "INVALID_REQUEST",
          message: documented?.message ?? `${field} ${problem}`,
          details: { field, issues: error.validation },
        },
      });
    }
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, "request failed");
      return reply.status(status).send(INTERNAL_ERROR);
    }
    const code: ErrorCode = status === 413 ? "REQUEST_TOO_LARGE" : "INVALID_REQUEST";
    return reply.status(status).send({ error: { code, message: error.message, details: {} } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: "NOT_FOUND",
        message: `No route ${request.method} ${pathOf(request.url)}.`,
        details: {},
      },
    }),
  );
}
