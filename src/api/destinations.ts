/**
 * Destination routes (SPEC 7): list the destinations, enable and disable them, show and change
 * their settings, save their credentials; running one and reading its runs and dead letters are
 * registered with them from destination-runs.ts, Datanuum's reward-points configurations
 * (seeds/000) from reward-configs.ts. Any API key reaches them; the permissions of src/domain/roles.ts then
 * decide, as they do for the CLI: configuring needs `sysadmin` or `sysconfig` (as the data-sync
 * settings), credentials `sysadmin`, runs and re-queues `sysadmin` or `jobadmin`, reading any role.
 */
import type { FastifyInstance } from "fastify";
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
  nullableText,
  orNull,
  text,
} from "./schemas/replies.js";
import {
  credentialStateSchema,
  destinationNameParams,
  jobRunSchema,
  needs,
  pauseField,
} from "./sync.js";
import { actorOf } from "./auth.js";
import type { GuardedParameters } from "./route-options.js";
import { registerDestinationRunRoutes } from "./destination-runs.js";
import { registerRewardConfigRoutes } from "./reward-configs.js";

const keyParams = {
  type: "object",
  additionalProperties: false,
  required: ["name", "key"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9_-]{1,64}$" },
    key: { type: "string", minLength: 1, maxLength: 100 },
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
          params: destinationNameParams,
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
        params: destinationNameParams,
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
        params: destinationNameParams,
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
        params: destinationNameParams,
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
  registerDestinationRunRoutes(api, destinations, tags);
  registerRewardConfigRoutes(api, destinations, tags);
}
