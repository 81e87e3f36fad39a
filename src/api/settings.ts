/**
 * Settings routes (SPEC 1, 6): the settings the documents name (`DataSyncEnabled`,
 * `DataSyncApiUrl`, ...) read and changed through the API, as `custhub config get|set` does.
 */
import type { FastifyInstance } from "fastify";
import {
  permissionsToChange,
  SETTING_KEYS,
  SETTINGS,
  type SettingKey,
} from "../domain/settings.js";
import type { Hub } from "../services/hub.js";
import { actorOf } from "./auth.js";
import "./route-options.js";
import { answer, closedObject, failures, type Schema } from "./schemas/replies.js";

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

/** A setting's value as its kind has it; null only where its default is (none set). */
function valueSchemaOf(key: SettingKey): Schema {
  const definition: (typeof SETTINGS)[SettingKey] & { choices?: readonly string[] } = SETTINGS[key];
  const { description } = definition;
  if (definition.kind === "boolean") return { type: "boolean", description };
  if (definition.kind === "integer") {
    const { min, max } = definition as { min?: number; max?: number };
    return {
      type: "integer",
      ...(min !== undefined ? { minimum: min } : {}),
      ...(max !== undefined ? { maximum: max } : {}),
      description,
    };
  }
  const nullable = definition.default === null;
  return {
    type: "string",
    ...(nullable ? { nullable } : {}),
    ...(definition.kind === "choice" && definition.choices
      ? { enum: [...definition.choices, ...(nullable ? [null] : [])] }
      : {}),
    description,
  };
}

const settingsSchema = closedObject(
  Object.fromEntries(SETTING_KEYS.map((key) => [key, valueSchemaOf(key)])),
);

/** The settings a key that may change settings may still not change (SettingsService.change). */
const guardedKeys = SETTING_KEYS.flatMap((key) => {
  const permissions = permissionsToChange(key);
  return permissions.length === 0
    ? []
    : [
        {
          parameters: { key },
          permissions,
          reason:
            "the setting decides where the saved data-sync credentials are sent: changing it needs the roles that save them",
        },
      ];
});

const settingSchema = closedObject({
  key: keyParams.properties.key,
  value: valueBody.properties.value,
});

export function registerSettingsRoutes(api: FastifyInstance, hub: Hub): void {
  api.get(
    "/settings",
    {
      config: { access: "readSettings" },
      schema: {
        summary: "Every setting with its value",
        tags: ["settings"],
        response: { 200: answer("Every setting, by name", settingsSchema) },
      },
    },
    async () => hub.settings.all(),
  );
  api.get<{ Params: { key: string } }>(
    "/settings/:key",
    {
      config: { access: "readSettings" },
      schema: {
        summary: "One setting",
        tags: ["settings"],
        params: keyParams,
        response: { 200: answer("The setting's value", settingSchema) },
      },
    },
    async (request) => ({
      key: request.params.key,
      value: await hub.settings.get(request.params.key),
    }),
  );
  api.put<{ Params: { key: string }; Body: { value: string | boolean | number | null } }>(
    "/settings/:key",
    {
      config: { access: "changeSettings", guardedParameters: guardedKeys },
      bodyLimit: 4 * 1024,
      schema: {
        summary: "Change one setting; checked as `custhub config set` checks it",
        tags: ["settings"],
        params: keyParams,
        body: valueBody,
        response: {
          200: answer("The value as stored", settingSchema),
          ...failures("INVALID_SETTING"),
        },
      },
    },
    async (request) => {
      const raw = request.body.value;
      const value = await hub.settings.change(
        actorOf(request.actor),
        request.params.key,
        typeof raw === "number" ? String(raw) : raw,
      );
      return { key: request.params.key, value };
    },
  );
}
