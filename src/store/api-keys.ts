/** The `api_keys` table: stored API keys, by key id, with the SHA-256 of their secret part. */
import type { Queryable } from "./database.js";

export interface StoredApiKey {
  keyId: string;
  name: string;
  roles: string[];
  secretHash: Buffer;
  createdAt: string;
  revokedAt: string | null;
}

interface ApiKeyRow {
  key_id: string;
  name: string;
  roles: string[];
  secret_hash: Uint8Array;
  created_at: Date | string;
  revoked_at: Date | string | null;
}

const COLUMNS = "key_id, name, roles, secret_hash, created_at, revoked_at";

const toStoredApiKey = (row: ApiKeyRow): StoredApiKey => ({
  keyId: row.key_id,
  name: row.name,
  roles: row.roles,
  secretHash: Buffer.from(row.secret_hash),
  createdAt: new Date(row.created_at).toISOString(),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
});

export async function insertApiKey(
  db: Queryable,
  key: { keyId: string; name: string; roles: readonly string[]; secretHash: Buffer },
): Promise<StoredApiKey> {
  const [row] = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (key_id, name, roles, secret_hash) VALUES ($1, $2, $3::text[], $4)
     RETURNING ${COLUMNS}`,
    [key.keyId, key.name, key.roles, key.secretHash],
  );
  if (!row) throw new Error("INSERT INTO api_keys returned no row");
  return toStoredApiKey(row);
}

export async function readApiKey(db: Queryable, keyId: string): Promise<StoredApiKey | null> {
  const [row] = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_id = $1`, [
    keyId,
  ]);
  return row ? toStoredApiKey(row) : null;
}

export async function listApiKeys(db: Queryable): Promise<StoredApiKey[]> {
  const rows = await db.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, key_id`,
  );
  return rows.map(toStoredApiKey);
}

/** Marks the key revoked; returns it, or null when no key has that id. Revoking twice keeps the first time. */
export async function revokeApiKey(db: Queryable, keyId: string): Promise<StoredApiKey | null> {
  const [row] = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = $1
     RETURNING ${COLUMNS}`,
    [keyId],
  );
  return row ? toStoredApiKey(row) : null;
}
