/**
 * Destinations' own state beside the queues (migration 0007): each one's enabled flag and its
 * settings as text, and Datanuum's reward-points configurations (seeds/000 "RewardPointsConfig").
 * Checking the values is the destination definitions' work (src/sync/destinations/).
 */
import type { Queryable } from "./database.js";

/** The destinations whose flag in `sync_destinations` is on. */
export async function enabledDestinationNames(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    "SELECT name FROM sync_destinations WHERE enabled ORDER BY name",
  );
  return rows.map((row) => row.name);
}

/** SQL: whether any destination in `sync_destinations` is enabled (one indexed look-up). */
export const ANY_DESTINATION_ENABLED = "EXISTS (SELECT 1 FROM sync_destinations WHERE enabled)";

export async function setDestinationEnabled(
  db: Queryable,
  name: string,
  enabled: boolean,
): Promise<void> {
  await db.query(
    `INSERT INTO sync_destinations (name, enabled) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = now()`,
    [name, enabled],
  );
}

/** The stored settings of a destination (only those set). */
export async function readDestinationSettings(
  db: Queryable,
  destination: string,
): Promise<Record<string, string | null>> {
  const rows = await db.query<{ key: string; value: string | null }>(
    "SELECT key, value FROM sync_destination_settings WHERE destination = $1",
    [destination],
  );
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

export async function writeDestinationSetting(
  db: Queryable,
  destination: string,
  key: string,
  value: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO sync_destination_settings (destination, key, value) VALUES ($1, $2, $3)
     ON CONFLICT (destination, key) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [destination, key, value],
  );
}

export interface RewardConfigRow {
  id: string;
  code: string;
  apiUrl: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface RewardConfigDbRow {
  id: string;
  code: string;
  api_url: string;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The id as text under its own name: order by `datanuum_reward_configs.id`, not `id` (the text). */
const REWARD_COLUMNS = "id::text AS id, code, api_url, enabled, created_at, updated_at";

function toRewardConfig(row: RewardConfigDbRow): RewardConfigRow {
  return {
    id: row.id,
    code: row.code,
    apiUrl: row.api_url,
    enabled: row.enabled,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Adds a configuration; null when the code is taken. */
export async function insertRewardConfig(
  db: Queryable,
  config: { code: string; apiUrl: string; enabled: boolean },
): Promise<RewardConfigRow | null> {
  const [row] = await db.query<RewardConfigDbRow>(
    `INSERT INTO datanuum_reward_configs (code, api_url, enabled) VALUES ($1, $2, $3)
     ON CONFLICT (code) DO NOTHING
     RETURNING ${REWARD_COLUMNS}`,
    [config.code, config.apiUrl, config.enabled],
  );
  return row ? toRewardConfig(row) : null;
}

export async function listRewardConfigs(db: Queryable): Promise<RewardConfigRow[]> {
  const rows = await db.query<RewardConfigDbRow>(
    `SELECT ${REWARD_COLUMNS} FROM datanuum_reward_configs ORDER BY datanuum_reward_configs.id`,
  );
  return rows.map(toRewardConfig);
}

/** Finds a configuration by its code, or, for a whole number, by its id (seeds/000: "code or ID"). */
export async function findRewardConfig(
  db: Queryable,
  codeOrId: string,
): Promise<RewardConfigRow | null> {
  const byId = /^\d{1,18}$/.test(codeOrId) ? codeOrId : null;
  const [row] = await db.query<RewardConfigDbRow>(
    `SELECT ${REWARD_COLUMNS} FROM datanuum_reward_configs
      WHERE code = $1 OR id = $2::bigint
      ORDER BY (code = $1) DESC LIMIT 1`,
    [codeOrId, byId],
  );
  return row ? toRewardConfig(row) : null;
}

export async function setRewardConfigEnabled(
  db: Queryable,
  id: string,
  enabled: boolean,
): Promise<RewardConfigRow | null> {
  const [row] = await db.query<RewardConfigDbRow>(
    `UPDATE datanuum_reward_configs SET enabled = $2, updated_at = now() WHERE id = $1::bigint
     RETURNING ${REWARD_COLUMNS}`,
    [id, enabled],
  );
  return row ? toRewardConfig(row) : null;
}
