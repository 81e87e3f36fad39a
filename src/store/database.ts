/**
 * One small database interface over the two PostgreSQL engines custhub runs on: PGlite (embedded,
 * file-backed, in-process; the default) and a PostgreSQL server through `pg` (when DATABASE_URL is
 * set). Both speak the same SQL; the rest of the code never knows which one it has.
 */
import { PGlite } from "@electric-sql/pglite";
import type pg from "pg";

/** Something SQL can be sent to: the database itself, or an open transaction. */
export interface Queryable {
  /** One statement with `$1`-style parameters; returns the rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A PostgreSQL server URL; without it the embedded database in `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** Folder of the embedded database files; `undefined` keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** The schema to work in (tests give each run its own); default `public`. */
  schema?: string | undefined;
  /** Connections in the server pool. */
  poolSize?: number | undefined;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function checkSchema(schema: string | undefined): string | undefined {
  if (schema !== undefined && !IDENTIFIER.test(schema)) {
    throw new Error(`Schema name ${JSON.stringify(schema)} must be a lower-case SQL identifier.`);
  }
  return schema;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const schema = checkSchema(options.schema);
  return options.databaseUrl
    ? openServer(options.databaseUrl, schema, options.poolSize ?? 10)
    : openEmbedded(options.dataDir, schema);
}

// int8 comes back as a string on both engines, as `pg` does by default: customer ids and counters
// must not lose digits past 2^53.
const INT8_OID = 20;

/** Starts an embedded PostgreSQL: file-backed in `dataDir`, or in memory without one. */
export async function startEmbedded(dataDir: string | undefined): Promise<PGlite> {
  return PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [INT8_OID]: (value: string) => value },
  });
}

async function openEmbedded(
  dataDir: string | undefined,
  schema: string | undefined,
): Promise<Database> {
  return wrapEmbedded(await startEmbedded(dataDir), { schema, ownsInstance: true });
}

/**
 * A `Database` over a running PGlite instance. PGlite has one session, so `schema` sets that
 * session's search path: share an instance only between users that take turns (tests).
 */
export async function wrapEmbedded(
  db: PGlite,
  options: { schema?: string | undefined; ownsInstance: boolean },
): Promise<Database> {
  const schema = checkSchema(options.schema);
  if (schema) {
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`);
  }
  const wrap = (target: Pick<PGlite, "query" | "exec">): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await target.query<Row>(sql, [...params]);
      return result.rows;
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  });
  return {
    kind: "pglite",
    ...wrap(db),
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    close: async () => {
      if (options.ownsInstance) await db.close();
    },
  };
}

async function openServer(
  url: string,
  schema: string | undefined,
  poolSize: number,
): Promise<Database> {
  // Loaded only for a server: the embedded database never needs it.
  const { default: pgModule } = await import("pg");
  const pool = new pgModule.Pool({
    connectionString: url,
    max: poolSize,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on("error", () => undefined);
  if (schema) {
    // IF NOT EXISTS still races between two sessions; the loser's duplicate-key error means the
    // schema is there, which is all that is asked.
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((error: { code?: string }) => {
      if (error.code !== "23505" && error.code !== "42P06") throw error;
    });
  }
  const wrap = (target: pg.Pool | pg.PoolClient): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await target.query(sql, [...params]);
      return result.rows as Row[];
    },
    async exec(sql: string) {
      await target.query(sql);
    },
  });
  return {
    kind: "postgres",
    ...wrap(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await work(wrap(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
