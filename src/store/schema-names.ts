/**
 * The schema and table names custhub writes into SQL, checked, and the schema the session resolves
 * unqualified names to.
 */
import type { Queryable } from "./database.js";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`${JSON.stringify(name)} must be a lower-case SQL identifier.`);
  }
  return name;
}

/** The schema unqualified table names resolve to: the one the change trigger names. */
export async function currentSchema(db: Queryable): Promise<string> {
  const [row] = await db.query<{ schema: string | null }>("SELECT current_schema() AS schema");
  if (!row?.schema) throw new Error("No current schema: the search path names none that exists.");
  return row.schema;
}

export function checkSchema(schema: string | undefined): string | undefined {
  if (schema !== undefined && !IDENTIFIER.test(schema)) {
    throw new Error(`Schema name ${JSON.stringify(schema)} must be a lower-case SQL identifier.`);
  }
  return schema;
}
