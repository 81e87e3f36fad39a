/**
 * Destination run routes (SPEC 7): run one now (also for chosen customers), read its runs and
 * their results, list and re-queue its dead letters. Running and re-queueing need `sysadmin` or
 * `jobadmin`, reading any role (src/domain/roles.ts).
 */
import type { FastifyInstance } from "fastify";
import { CusthubError } from "../domain/errors.js";
import type { DestinationService } from "../sync/destinations-service.js";
import {
  answer,
  closedObject,
  failures,
  listOf,
  nullableInteger,
  nullableText,
  oneOfText,
  orNull,
  text,
} from "./schemas/replies.js";
import {
  deadLetterSchema,
  destinationNameParams,
  jobRunSchema,
  limitQuery,
  needs,
  requeueBody,
  requeueReplySchema,
} from "./sync.js";
import { actorOf } from "./auth.js";

const runParams = {
  type: "object",
  additionalProperties: false,
  required: ["name", "runId"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9_-]{1,64}$" },
    runId: { type: "string", pattern: "^[0-9]{1,18}$" },
  },
} as const;

const runBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    customers: {
      type: "array",
      items: { type: "string", minLength: 1, maxLength: 100 },
      minItems: 1,
      maxItems: 1000,
    },
  },
} as const;

const runReportSchema = closedObject({
  run: jobRunSchema,
  results: listOf(
    closedObject({
      uniqueId: text,
      objName: text,
      action: text,
      messageId: text,
      outcome: oneOfText(["sent", "skipped", "failed", "dead"]),
      status: nullableInteger,
      error: nullableText,
      at: text,
    }),
  ),
  customers: orNull(
    listOf(
      closedObject({
        customerID: text,
        outcome: oneOfText(["sent", "skipped", "failed", "dead", "not sent", "refused"]),
        action: {
          ...nullableText,
          description: "What went or was tried (UPDATE, DELETE); null: nothing",
        },
        status: nullableInteger,
        error: nullableText,
      }),
    ),
  ),
});

const unknownDestination = failures("DESTINATION_NOT_FOUND");

/** Registered by `registerDestinationRoutes`, under the same tag. */
export function registerDestinationRunRoutes(
  api: FastifyInstance,
  destinations: DestinationService,
  tags: string[],
): void {
  api.post<{ Params: { name: string }; Body: { customers?: string[] } | undefined }>(
    "/destinations/:name/run",
    {
      // A POST with no body at all is a run of the queue, as `{}` is.
      config: { ...needs("runSyncJob"), bodyOptional: true },
      schema: {
        summary:
          "Run a destination now; with `customers`, queue their current records for it and send only those",
        tags,
        params: destinationNameParams,
        body: runBody,
        response: {
          200: answer("The run and what each delivery did", runReportSchema),
          ...failures(
            "DESTINATION_NOT_FOUND",
            "CUSTOMER_NOT_FOUND",
            "DESTINATION_DISABLED",
            "DESTINATION_PAUSED",
          ),
        },
      },
    },
    async (request) =>
      destinations.run(actorOf(request.actor), request.params.name, {
        trigger: "api",
        ...(request.body?.customers ? { customers: request.body.customers } : {}),
      }),
  );
  api.get<{ Params: { name: string }; Querystring: { limit?: number } }>(
    "/destinations/:name/runs",
    {
      config: needs("viewSyncStatus"),
      schema: {
        summary: "A destination's runs, newest first",
        tags,
        params: destinationNameParams,
        querystring: limitQuery,
        response: { 200: answer("Its runs", listOf(jobRunSchema)), ...unknownDestination },
      },
    },
    async (request) =>
      destinations.runs(actorOf(request.actor), request.params.name, request.query.limit),
  );
  api.get<{ Params: { name: string; runId: string } }>(
    "/destinations/:name/runs/:runId",
    {
      config: needs("viewSyncStatus"),
      schema: {
        summary: "One run and the results it kept",
        tags,
        params: runParams,
        response: {
          200: answer("The run and what each delivery did", runReportSchema),
          ...failures("DESTINATION_NOT_FOUND", "RUN_NOT_FOUND"),
        },
      },
    },
    async (request) =>
      destinations.runReport(actorOf(request.actor), request.params.name, request.params.runId),
  );
  api.get<{ Params: { name: string }; Querystring: { limit?: number } }>(
    "/destinations/:name/dead-letters",
    {
      config: needs("viewSyncStatus"),
      schema: {
        summary: "A destination's dead letters, oldest first",
        tags,
        params: destinationNameParams,
        querystring: limitQuery,
        response: {
          200: answer("Its dead letters", listOf(deadLetterSchema)),
          ...unknownDestination,
        },
      },
    },
    async (request) =>
      destinations.deadLetters(actorOf(request.actor), request.params.name, request.query.limit),
  );
  api.post<{ Params: { name: string }; Body: { ids?: string[]; all?: boolean } }>(
    "/destinations/:name/dead-letters/requeue",
    {
      config: needs("manageDeadLetters"),
      schema: {
        summary: "Put a destination's dead letters back in its queue: `ids`, or `all: true`",
        tags,
        params: destinationNameParams,
        body: requeueBody,
        response: {
          200: answer("How many were put back", requeueReplySchema),
          ...failures("DESTINATION_NOT_FOUND", "DEAD_LETTER_NOT_FOUND"),
        },
      },
    },
    async (request) => {
      const { ids, all } = request.body;
      if ((all === true) === (ids !== undefined)) {
        throw new CusthubError("INVALID_REQUEST", "Give either `ids` or `all: true`.", {
          field: "body",
        });
      }
      return destinations.requeue(actorOf(request.actor), request.params.name, all ? "all" : ids!);
    },
  );
}
