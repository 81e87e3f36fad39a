/**
 * Data-sync routes (SPEC 10; seeds/001): Send Sample Message, a job run, the status, dead letters.
 * Any API key reaches them; the data-sync permissions then decide (seeds/001: Send Sample Message
 * needs `sysadmin`, or `sysconfig` and `jobadmin` together), as they do for the CLI.
 */
import type { FastifyInstance } from "fastify";
import { CusthubError } from "../domain/errors.js";
import type { Permission } from "../domain/roles.js";
import type { DataSync } from "../sync/data-sync.js";
import { actorOf } from "./auth.js";
import "./route-options.js";
import {
  answer,
  boolean,
  closedObject,
  component,
  failures,
  integer,
  listOf,
  nullableInteger,
  nullableText,
  oneOfText,
  orNull,
  text,
} from "./schemas/replies.js";

/** A run of the data-sync job or of a destination (docs/sync.md). */
export const jobRunSchema = component(
  "JobRun",
  closedObject({
    id: text,
    destination: text,
    worker: text,
    trigger: text,
    startedAt: text,
    finishedAt: nullableText,
    outcome: oneOfText(["running", "succeeded", "failed", "stopped", "abandoned"]),
    error: nullableText,
    moved: integer,
    delivered: integer,
    failed: integer,
    deadLettered: integer,
  }),
);

export const deadLetterSchema = component(
  "DeadLetter",
  closedObject({
    id: text,
    destination: text,
    messageId: text,
    objName: text,
    action: text,
    uniqueId: { ...text, description: "The customerID or retail transaction id" },
    attempts: integer,
    lastStatus: nullableInteger,
    lastError: nullableText,
    enqueuedAt: text,
    deadAt: text,
  }),
);

const destinationPauseSchema = component(
  "DestinationPause",
  closedObject({
    destination: text,
    pausedUntil: { ...text, description: "No message goes to the destination before this instant" },
    pausedAt: text,
    status: { ...nullableInteger, description: "The receiver's answer that asked for the pause" },
    reason: text,
  }),
);

/** The pause a destination's receiver asked for, where a destination's state shows it. */
export const pauseField = {
  ...orNull(destinationPauseSchema),
  description: "The pause the receiver asked for (429, 503 with Retry-After); null: none",
};

/** What may be shown of saved credentials: where they are, that they are, since when. */
export const credentialStateSchema = component(
  "CredentialState",
  closedObject({ mapName: text, keyName: text, saved: boolean, updatedAt: nullableText }),
);

export const requeueReplySchema = closedObject({ requeued: integer });

const sampleReplySchema = closedObject({
  message: closedObject({ action: text, payload: text, type: text, uniqueId: text }),
  status: { ...integer, description: "The receiver's HTTP status" },
  body: { ...text, description: "The receiver's answer" },
  accepted: { ...boolean, description: "The receiver answered 200" },
});

const statusReplySchema = closedObject({
  enabled: boolean,
  intervalSeconds: integer,
  cron: {
    ...nullableText,
    description: "DataSyncCron; when set, runs start at its times instead of every intervalSeconds",
  },
  apiUrl: nullableText,
  tokenUrl: nullableText,
  credentials: orNull(credentialStateSchema),
  queues: closedObject({
    customerPending: integer,
    transactionPending: integer,
    progress: integer,
    inFlight: integer,
    retrying: integer,
    deadLetters: integer,
  }),
  lastRuns: listOf(jobRunSchema),
  pause: pauseField,
});

/** Dead letters to re-queue: ids, or all (the sync and the destinations routes alike). */
export const requeueBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    ids: {
      type: "array",
      items: { type: "string", pattern: "^[0-9]{1,18}$" },
      minItems: 1,
      maxItems: 1000,
    },
    all: { type: "boolean" },
  },
} as const;

/** A destination named in the path (the destinations routes and their runs). */
export const destinationNameParams = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: { name: { type: "string", pattern: "^[a-z0-9_-]{1,64}$" } },
} as const;

/** How many to list (dead letters, runs). */
export const limitQuery = {
  type: "object",
  additionalProperties: false,
  properties: { limit: { type: "integer", minimum: 1, maximum: 1000 } },
} as const;

/**
 * Any key reaches a data-sync route; it then needs the roles of the data-sync permissions its
 * service checks, named here so that the key is checked for them as the request arrives and the
 * OpenAPI document shows them.
 */
export const needs = (...permissions: Permission[]) =>
  ({ access: "useDataSync", permissions }) as const;

export function registerSyncRoutes(api: FastifyInstance, dataSync: DataSync): void {
  api.post(
    "/sync/sample",
    {
      config: needs("sendSampleMessage"),
      schema: {
        summary: "Send Sample Message with the saved credentials; the receiver's answer",
        tags: ["sync"],
        response: {
          200: answer("Sent: what the receiver answered", sampleReplySchema),
          ...failures(
            "SYNC_NOT_CONFIGURED",
            "CREDENTIALS_NOT_FOUND",
            "TOKEN_REQUEST_FAILED",
            "DELIVERY_FAILED",
          ),
        },
      },
    },
    async (request) => dataSync.sendSample(actorOf(request.actor)),
  );
  api.post(
    "/sync/run",
    {
      config: needs("runSyncJob"),
      schema: {
        summary: "Run the data-sync job once; the run's record (outcome, counts)",
        tags: ["sync"],
        response: { 200: answer("The run", jobRunSchema), ...failures("DESTINATION_PAUSED") },
      },
    },
    async (request) => dataSync.runOnce(actorOf(request.actor), { trigger: "api" }),
  );
  api.get(
    "/sync/status",
    {
      config: needs("viewSyncStatus"),
      schema: {
        summary: "Queue depths, the last runs, dead letters",
        tags: ["sync"],
        response: { 200: answer("The data-sync settings in use and its state", statusReplySchema) },
      },
    },
    async (request) => dataSync.status(actorOf(request.actor)),
  );
  api.get<{ Querystring: { limit?: number } }>(
    "/sync/dead-letters",
    {
      config: needs("viewSyncStatus"),
      schema: {
        summary: "The dead letters, oldest first",
        tags: ["sync"],
        querystring: limitQuery,
        response: { 200: answer("The dead letters", listOf(deadLetterSchema)) },
      },
    },
    async (request) => dataSync.deadLetters(actorOf(request.actor), request.query.limit),
  );
  api.post<{ Body: { ids?: string[]; all?: boolean } }>(
    "/sync/dead-letters/requeue",
    {
      config: needs("manageDeadLetters"),
      schema: {
        summary: "Put dead letters back in the queue: `ids`, or `all: true`",
        tags: ["sync"],
        body: requeueBody,
        response: {
          200: answer("How many were put back", requeueReplySchema),
          ...failures("DEAD_LETTER_NOT_FOUND"),
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
      return dataSync.requeue(actorOf(request.actor), all ? "all" : ids!);
    },
  );
}
