/**
 * Settings routes (SPEC 1, 6): the settings the documents name (`DataSyncEnabled`,
 * `DataSyncApiUrl`, ...) read and changed through the API, as `custhub config get|set` does.
 */
import type { FastifyInstance } from "fastify";
import { SETTING_KEYS } from "../domain/settings.js";
import type { Hub } from "../services/hub.js";
import "./route-options.js";

const keyParams = {
  type: "object",
  additionalProperties: false,
  required: ["key"],
  properties: { key: { type: "string", enum: [...SETTING_KEYS] } },
} as const;

const valueBody = {
  type: "object",
  additionalProperties: false,
  required: ["value"],
  // A setting takes text (URLs, names, choices), a switch or a number; null restores the default.
  properties: {
    value: {
      anyOf: [{ type: "string", nullable: true }, { type: "boolean" }, { type: "integer" }],
    },
  },
} as const;

export function registerSettingsRoutes(api: FastifyInstance, hub: Hub): void {
  api.get(
    "/settings",
    {
      config: { access: "readSettings" },
      schema: { summary: "Every setting with its value", tags: ["settings"] },
    },
    async () => hub.settings.all(),
  );
  api.get<{ Params: { key: string } }>(
    "/settings/:key",
    {
      config: { access: "readSettings" },
      schema: { summary: "One setting", tags: ["settings"], params: keyParams },
    },
    async (request) => ({
      key: request.params.key,
      value: await hub.settings.get(request.params.key),
    }),
  );
  api.put<{ Params: { key: string }; Body: { value: string | boolean | number | null } }>(
    "/settings/:key",
    {
      config: { access: "changeSettings" },
      bodyLimit: 4 * 1024,
      schema: {
        summary: "Change one setting; checked as `custhub config set` checks it",
        tags: ["settings"],
        params: keyParams,
        body: valueBody,
      },
    },
    async (request) => {
      const raw = request.body.value;
      const value = await hub.settings.set(
        request.params.key,
        typeof raw === "number" ? String(raw) : raw,
      );
      return { key: request.params.key, value };
    },
  );
}
