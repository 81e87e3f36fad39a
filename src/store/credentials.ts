/**
 * The credential store table (seeds/001: a credential map named by DataSyncCredentialMapName,
 * holding the client ID and secret under DataSyncCredentialKeyName). It stores ciphertext only:
 * sealing and opening happen in src/sync/secrets, with a master key the database never sees.
 */
import type { Queryable } from "./database.js";

export interface SealedCredential {
  mapName: string;
  keyName: string;
  /** AES-256-GCM ciphertext with its nonce and tag, as written by src/sync/secrets. */
  encryptedValue: string;
  /** Which master key sealed it (a fingerprint, not the key). */
  masterKeyId: string;
  updatedAt: string;
}

export async function writeSealedCredential(
  db: Queryable,
  credential: Omit<SealedCredential, "updatedAt">,
): Promise<string> {
  const [row] = await db.query<{ updated_at: Date }>(
    `INSERT INTO credential_store (map_name, key_name, encrypted_value, master_key_id)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (map_name, key_name) DO UPDATE
       SET encrypted_value = excluded.encrypted_value, master_key_id = excluded.master_key_id,
           updated_at = now()
     RETURNING updated_at`,
    [credential.mapName, credential.keyName, credential.encryptedValue, credential.masterKeyId],
  );
  return new Date(row?.updated_at ?? Date.now()).toISOString();
}

export async function readSealedCredential(
  db: Queryable,
  mapName: string,
  keyName: string,
): Promise<SealedCredential | null> {
  const [row] = await db.query<{
    encrypted_value: string;
    master_key_id: string;
    updated_at: Date;
  }>(
    `SELECT encrypted_value, master_key_id, updated_at FROM credential_store
      WHERE map_name = $1 AND key_name = $2`,
    [mapName, keyName],
  );
  if (!row) return null;
  return {
    mapName,
    keyName,
    encryptedValue: row.encrypted_value,
    masterKeyId: row.master_key_id,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
