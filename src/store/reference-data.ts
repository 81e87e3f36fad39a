/** Settings, alternate key types and attribute types: the small tables everything else consults. */
import type { AttributeType } from "../domain/attributes.js";
import type { Database, Queryable } from "./database.js";
import { ANY_DESTINATION_ENABLED } from "./destinations.js";

export async function readStoredSettings(db: Queryable): Promise<Map<string, unknown>> {
  const rows = await db.query<{ key: string; value: unknown }>("SELECT key, value FROM settings");
  return new Map(rows.map((row) => [row.key, row.value]));
}

export async function writeSetting(db: Queryable, key: string, value: unknown): Promise<void> {
  await db.query(
    `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
}

/**
 * Writes one setting once `check` has accepted the stored settings it is read with, in one
 * transaction with the table locked against other writers (readers go on): two settings that
 * must agree, changed at once by two processes, cannot together break what each was checked
 * against.
 */
export async function writeSettingChecked(
  db: Database,
  key: string,
  value: unknown,
  check: (stored: Map<string, unknown>) => void,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("LOCK TABLE settings IN SHARE ROW EXCLUSIVE MODE");
    check(await readStoredSettings(tx));
    await writeSetting(tx, key, value);
  });
}

/** Everything a customer write consults, read together. */
export interface WriteReference {
  settings: Map<string, unknown>;
  alternateKeyTypes: string[];
  attributeTypes: AttributeType[];
  /** Whether any sync destination (other than the data-sync endpoint's setting) is enabled. */
  anyDestinationEnabled: boolean;
}

/**
 * The settings, alternate key types, attribute types and whether any destination is enabled, in
 * one round trip: every group of customer writes reads them in its own transaction.
 */
export async function readWriteReference(db: Queryable): Promise<WriteReference> {
  const [row] = await db.query<{
    settings: Record<string, unknown>;
    key_types: string[];
    attribute_types: AttributeTypeRow[];
    any_destination: boolean;
  }>(
    `SELECT (SELECT coalesce(json_object_agg(key, value), '{}') FROM settings) AS settings,
            (SELECT coalesce(array_agg(type_code ORDER BY type_code), '{}') FROM alternate_key_types) AS key_types,
            (SELECT coalesce(json_agg(t ORDER BY t.name), '[]') FROM (${ATTRIBUTE_TYPES}) AS t) AS attribute_types,
            ${ANY_DESTINATION_ENABLED} AS any_destination`,
  );
  return {
    settings: new Map(Object.entries(row!.settings)),
    alternateKeyTypes: row!.key_types,
    attributeTypes: row!.attribute_types.map(attributeType),
    anyDestinationEnabled: row!.any_destination,
  };
}

export async function listAlternateKeyTypes(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ type_code: string }>(
    "SELECT type_code FROM alternate_key_types ORDER BY type_code",
  );
  return rows.map((row) => row.type_code);
}

/** Adds a type code; false when it was already there. */
export async function insertAlternateKeyType(db: Queryable, typeCode: string): Promise<boolean> {
  const rows = await db.query(
    "INSERT INTO alternate_key_types (type_code) VALUES ($1) ON CONFLICT DO NOTHING RETURNING type_code",
    [typeCode],
  );
  return rows.length > 0;
}

interface AttributeTypeRow {
  name: string;
  data_type: AttributeType["dataType"];
  max_length: number | null;
  editable: boolean;
  is_unique: boolean;
  values: string[] | null;
}

const ATTRIBUTE_TYPES = `SELECT t.name, t.data_type, t.max_length, t.editable, t.is_unique,
         (SELECT array_agg(v.value ORDER BY v.position) FROM attribute_type_values v
           WHERE v.attribute_name = t.name) AS values
    FROM attribute_types t`;

const attributeType = (row: AttributeTypeRow): AttributeType => ({
  name: row.name,
  dataType: row.data_type,
  maxLength: row.max_length,
  editable: row.editable,
  unique: row.is_unique,
  values: row.values ?? [],
});

export async function listAttributeTypes(db: Queryable): Promise<AttributeType[]> {
  const rows = await db.query<AttributeTypeRow>(`${ATTRIBUTE_TYPES} ORDER BY t.name`);
  return rows.map(attributeType);
}

/** Adds a definition; false when one of that name (in any case) exists. */
export async function insertAttributeType(db: Queryable, type: AttributeType): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO attribute_types (name, name_key, data_type, max_length, editable, is_unique)
     VALUES ($1, upper($1), $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING name`,
    [type.name, type.dataType, type.maxLength, type.editable, type.unique],
  );
  if (rows.length === 0) return false;
  if (type.values.length > 0) {
    await db.query(
      `INSERT INTO attribute_type_values (attribute_name, position, value)
       SELECT $1, ordinality, value FROM unnest($2::text[]) WITH ORDINALITY AS v (value, ordinality)`,
      [type.name, type.values],
    );
  }
  return true;
}

/** Which of these alternate key type codes are not in the managed list. */
export async function unknownKeyTypes(
  db: Queryable,
  typeCodes: readonly string[],
): Promise<string[]> {
  if (typeCodes.length === 0) return [];
  const rows = await db.query<{ type_code: string }>(
    `SELECT wanted AS type_code FROM unnest($1::text[]) AS wanted
      WHERE NOT EXISTS (SELECT 1 FROM alternate_key_types t WHERE t.type_code = wanted)`,
    [[...typeCodes]],
  );
  return rows.map((row) => row.type_code);
}
