/**
 * Datanuum's reward-points configuration routes (seeds/000 "RewardPointsConfig"): list them, add
 * one with its API key, enable or disable one, replace its key. Configuring needs `sysadmin` or
 * `sysconfig`, keys `sysadmin`, reading any role (src/domain/roles.ts).
 */
import type { FastifyInstance } from "fastify";
import type { DestinationService } from "../sync/destinations-service.js";
import {
  answer,
  boolean,
  closedObject,
  component,
  failures,
  listOf,
  text,
} from "./schemas/replies.js";
import { credentialStateSchema, needs } from "./sync.js";
import { actorOf } from "./auth.js";

const configParams = {
  type: "object",
  additionalProperties: false,
  required: ["config"],
  properties: { config: { type: "string", minLength: 1, maxLength: 64 } },
} as const;

const rewardConfigBody = {
  type: "object",
  additionalProperties: false,
  required: ["code", "apiUrl", "apiKey"],
  properties: {
    code: { type: "string", minLength: 1, maxLength: 64 },
    apiUrl: { type: "string", minLength: 1, maxLength: 2000 },
    apiKey: { type: "string", minLength: 1, maxLength: 4096 },
    enabled: { type: "boolean" },
  },
} as const;

const apiKeyBody = {
  type: "object",
  additionalProperties: false,
  required: ["apiKey"],
  properties: { apiKey: { type: "string", minLength: 1, maxLength: 4096 } },
} as const;

const rewardConfigSchema = component(
  "RewardConfig",
  closedObject({
    id: text,
    code: text,
    apiUrl: text,
    enabled: boolean,
    createdAt: text,
    updatedAt: text,
    credentials: credentialStateSchema,
  }),
);

const unknownConfig = failures("REWARD_CONFIG_NOT_FOUND");

/** Registered by `registerDestinationRoutes`, under the same tag. */
export function registerRewardConfigRoutes(
  api: FastifyInstance,
  destinations: DestinationService,
  tags: string[],
): void {
  // Datanuum's reward-points configurations (seeds/000 "RewardPointsConfig").
  api.get(
    "/datanuum/configs",
    {
      config: needs("viewSyncStatus"),
      schema: {
        summary: "Datanuum reward-points configurations",
        tags,
        response: { 200: answer("Every configuration; never a key", listOf(rewardConfigSchema)) },
      },
    },
    async (request) => destinations.listRewardConfigs(actorOf(request.actor)),
  );
  api.post<{ Body: { code: string; apiUrl: string; apiKey: string; enabled?: boolean } }>(
    "/datanuum/configs",
    {
      config: needs("configureDestinations", "saveSyncCredentials"),
      bodyLimit: 16 * 1024,
      schema: {
        summary: "Add a Datanuum reward-points configuration with its API key (sysadmin)",
        tags,
        body: rewardConfigBody,
        response: {
          201: answer("Added; its key is never shown", rewardConfigSchema),
          ...failures("ALREADY_EXISTS"),
        },
      },
    },
    async (request, reply) => {
      const created = await destinations.addRewardConfig(actorOf(request.actor), request.body);
      return reply.status(201).send(created);
    },
  );
  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    api.post<{ Params: { config: string } }>(
      `/datanuum/configs/:config/${verb}`,
      {
        config: needs("configureDestinations"),
        schema: {
          summary: `${verb === "enable" ? "Enable" : "Disable"} a reward-points configuration, by code or id`,
          tags,
          params: configParams,
          response: { 200: answer("The configuration", rewardConfigSchema), ...unknownConfig },
        },
      },
      async (request) =>
        destinations.setRewardConfigEnabled(actorOf(request.actor), request.params.config, enabled),
    );
  }
  api.put<{ Params: { config: string }; Body: { apiKey: string } }>(
    "/datanuum/configs/:config/credentials",
    {
      config: needs("saveSyncCredentials"),
      bodyLimit: 16 * 1024,
      schema: {
        summary: "Replace a reward-points configuration's API key (sysadmin); never returned",
        tags,
        params: configParams,
        body: apiKeyBody,
        response: {
          200: answer("Saved: where, and since when", credentialStateSchema),
          ...unknownConfig,
        },
      },
    },
    async (request) =>
      destinations.saveRewardConfigKey(
        actorOf(request.actor),
        request.params.config,
        request.body.apiKey,
      ),
  );
}
