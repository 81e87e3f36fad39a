/**
 * Destination routes (SPEC 7): list the destinations, enable and disable them, show and change
 * their settings, save their credentials, run one now (also for chosen customers), read its runs
 * and dead letters; Datanuum's reward-points configurations (seeds/000) are registered with them
 * from reward-configs.ts. Any API key reaches them; the permissions of src/domain/roles.ts then
 * decide, as they do for the CLI: configuring needs `sysadmin` or `sysconfig` (as the data-sync
 * settings), credentials `sysadmin`, runs and re-queues `sysadmin` or `jobadmin`, reading any role.
 */
import type { FastifyInstance } from "fastify";
import { CusthubError } from "../domain/errors.js";
import { CREDENTIALS_PERMISSION } from "../domain/roles.js";
import type { DestinationDefinition } from "../sync/destination.js";
import type { DestinationService } from "../sync/destinations-service.js";
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
import {
  credentialStateSchema,
  deadLetterSchema,
  jobRunSchema,
  limitQuery,
  needs,
  pauseField,
  requeueBody,
  requeueReplySchema,
} from "./sync.js";
import { actorOf } from "./auth.js";
import type { GuardedParameters } from "./route-options.js";
import { registerRewardConfigRoutes } from "./reward-configs.js";

const nameParams = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: { name: { type: "string", pattern: "^[a-z0-9_-]{1,64}$" } },
} as const;

const keyParams = {
  type: "object",
  additionalProperties: false,
  required: ["name", "key"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9_-]{1,64}$" },
    key: { type: "string", minLength: 1, maxLength: 100 },
  },
} as const;

const runParams = {
  type: "object",
  additionalProperties: false,
  required: ["name", "runId"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9_-]{1,64}$" },
    runId: { type: "string", pattern: "^[0-9]{1,18}$" },
  },
} as const;

const valueBody = {
  type: "object",
  additionalProperties: false,
  required: ["value"],
  properties: { value: { type: "string", nullable: true, maxLength: 10_000 } },
} as const;

const credentialsBody = {
  type: "object",
  additionalProperties: false,
  required: ["fields"],
  properties: {
    fields: {
      type: "object",
      additionalProperties: { type: "string", maxLength: 4096 },
      maxProperties: 20,
    },
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

const summarySchema = component(
  "Destination",
  closedObject({
    name: text,
    description: text,
    enabled: boolean,
    queueDepth: integer,
    inFlight: integer,
    failing: integer,
    deadLetters: integer,
    lastRun: orNull(jobRunSchema),
    pause: pauseField,
  }),
);

const configViewSchema = component(
  "DestinationConfig",
  closedObject({
    name: text,
    enabled: boolean,
    settings: listOf(
      closedObject({
        key: text,
        description: text,
        value: nullableText,
        defaultValue: nullableText,
      }),
    ),
    credentialFields: listOf(closedObject({ name: text, description: text, secret: boolean })),
    credentials: orNull(credentialStateSchema),
    problem: { ...nullableText, description: "Why the settings cannot be used; null: they can" },
  }),
);

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

/** The destination settings their saved credentials are sent by (DestinationService.setConfig). */
function credentialSettingsOf(
  registry: readonly DestinationDefinition<unknown>[],
): GuardedParameters[] {
  return registry.flatMap((definition) =>
    definition.settings
      .filter((spec) => spec.sendsCredentials)
      .map((spec) => ({
        parameters: { name: definition.name, key: spec.key },
        permissions: [CREDENTIALS_PERMISSION],
        reason:
          "the setting decides where the destination's saved credentials are sent: changing it needs the roles that save them",
      })),
  );
}

export function registerDestinationRoutes(
  api: FastifyInstance,
  destinations: DestinationService,
): void {
  const tags = ["destinations"];
  api.get(
    "/destinations",
    {
      config: needs("viewSyncStatus"),
      schema: {
        summary: "Every destination: enabled, queue depth, last run, failures, dead letters",
        tags,
        response: { 200: answer("Every destination", listOf(summarySchema)) },
      },
    },
    async (request) => destinations.list(actorOf(request.actor)),
  );
  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    api.post<{ Params: { name: string } }>(
      `/destinations/:name/${verb}`,
      {
        config: needs("configureDestinations"),
        schema: {
          summary: `${verb === "enable" ? "Enable" : "Disable"} a destination (sysadmin, sysconfig)`,
          tags,
          params: nameParams,
          response: { 200: answer("The destination", summarySchema), ...unknownDestination },
        },
      },
      async (request) =>
        destinations.setEnabled(actorOf(request.actor), request.params.name, enabled),
    );
  }
  api.post<{ Params: { name: string } }>(
    "/destinations/:name/resume",
    {
      config: needs("runSyncJob"),
      schema: {
        summary:
          "End the pause a destination's receiver asked for (429, 503 with Retry-After) now (sysadmin, jobadmin)",
        tags,
        params: nameParams,
        response: { 200: answer("The destination", summarySchema), ...unknownDestination },
      },
    },
    async (request) => destinations.resume(actorOf(request.actor), request.params.name),
  );
  api.get<{ Params: { name: string } }>(
    "/destinations/:name/config",
    {
      config: needs("viewSyncStatus"),
      schema: {
        summary: "A destination's settings and credential state",
        tags,
        params: nameParams,
        response: { 200: answer("Its settings", configViewSchema), ...unknownDestination },
      },
    },
    async (request) => destinations.config(actorOf(request.actor), request.params.name),
  );
  api.put<{ Params: { name: string; key: string }; Body: { value: string | null } }>(
    "/destinations/:name/config/:key",
    {
      config: {
        ...needs("configureDestinations"),
        guardedParameters: credentialSettingsOf(destinations.registry),
      },
      bodyLimit: 16 * 1024,
      schema: {
        summary: "Change one setting of a destination, checked; null restores the default",
        tags,
        params: keyParams,
        body: valueBody,
        response: {
          200: answer("Its settings, changed", configViewSchema),
          ...failures("DESTINATION_NOT_FOUND", "INVALID_SETTING"),
        },
      },
    },
    async (request) =>
      destinations.setConfig(
        actorOf(request.actor),
        request.params.name,
        request.params.key,
        request.body.value,
      ),
  );
  api.put<{ Params: { name: string }; Body: { fields: Record<string, string> } }>(
    "/destinations/:name/credentials",
    {
      config: needs("saveSyncCredentials"),
      bodyLimit: 16 * 1024,
      schema: {
        summary: "Save a destination's credential fields, sealed (sysadmin); never returned",
        tags,
        params: nameParams,
        body: credentialsBody,
        response: {
          200: answer("Saved: where, and since when", credentialStateSchema),
          ...unknownDestination,
        },
      },
    },
    async (request) =>
      destinations.saveCredentials(
        actorOf(request.actor),
        request.params.name,
        request.body.fields,
      ),
  );
  api.post<{ Params: { name: string }; Body: { customers?: string[] } | undefined }>(
    "/destinations/:name/run",
    {
      // A POST with no body at all is a run of the queue, as `{}` is.
      config: { ...needs("runSyncJob"), bodyOptional: true },
      schema: {
        summary:
          "Run a destination now; with `customers`, queue their current records for it and send only those",
        tags,
        params: nameParams,
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
        params: nameParams,
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
        params: nameParams,
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
        params: nameParams,
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
  registerRewardConfigRoutes(api, destinations, tags);
}
