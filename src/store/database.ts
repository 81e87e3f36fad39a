/**
 * One small database interface over the two PostgreSQL engines custhub runs on: PGlite (embedded,
 * file-backed, in-process; the default) and a PostgreSQL server through `pg` (when DATABASE_URL is
 * set). Both speak the same SQL; the rest of the code never knows which one it has.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import { toError } from "../domain/errors.js";
import {
  changeChannel,
  keysOfPayload,
  quoteIdentifier,
  ServerNotifications,
  TableWatchers,
  type Announcements,
} from "./table-watch.js";

export interface QueryOptions {
  /**
   * Keeps the statement prepared under this name on each server connection that runs it, so the
   * server parses and plans it once, not on every call. Only for a statement whose text never
   * changes under the name, sent often (a full batch's insert). Ignored where statements are not
   * prepared: the embedded database, or a server opened with `preparedStatements: false`.
   */
  prepared?: string | undefined;
}

/** Something SQL can be sent to: the database itself, or an open transaction. */
export interface Queryable {
  /** One statement with `$1`-style parameters; returns the rows. */
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<Row[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Tells this process's watchers of `table` (see `Database.watch`) which of its rows were
   * written: once the transaction commits, before `transaction()` resolves (never when it rolls
   * back); at once outside a transaction. `keys` are the rows' keys, as the table's change
   * trigger sends them.
   */
  announce(table: string, keys: readonly string[]): void;
}

/** Hears of rows written to a table (`Database.watch`). */
export interface TableWatcher {
  /** These rows were written (by this process, or by another one through the server). */
  changed(keys: readonly string[]): void;
  /** Changes may go unheard from now on: the server connection that hears them was lost. */
  lost(): void;
  /** Changes are heard again; any made while they were not are unknown. */
  restored(): void;
}

export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Hears of every row written to `table`: this process's writes when they commit (`announce`),
   * and, on a PostgreSQL server, every other process's too, through the notifications the
   * table's change trigger sends (docs/storage.md, "Record cache"). Resolves once listening;
   * the returned function stops it. On the embedded database every writer is in this process.
   */
  watch(table: string, watcher: TableWatcher): Promise<() => Promise<void>>;
  /**
   * Takes the lock named `name` (in this schema) if no one holds it, in this process or another:
   * held until released, or until this process dies, when the server frees it with the session.
   * Null when it is held. On the embedded database, which is this process's alone, it is held
   * in memory. Names a piece of work a process is doing (an import), so another can tell a run
   * that is alive from one whose process died.
   */
  tryLock(name: string): Promise<HeldLock | null>;
  close(): Promise<void>;
}

/** PostgreSQL's `deadlock_detected`: the server rolled this transaction back to free another. */
const DEADLOCK_DETECTED = "40P01";

/** Whether the server rolled the transaction back to break a deadlock with another writer. */
export const isDeadlock = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === DEADLOCK_DETECTED;

/**
 * Runs `transaction` again, up to `attempts` times in all, when the server broke a deadlock by
 * rolling it back. For a transaction whose locks cannot be taken in one order by every writer: a
 * card association locks the card and then its customers, a merge its customers and then their
 * cards. `transaction` must do nothing outside the database that a second run would repeat.
 */
export async function retryingDeadlocks<T>(
  transaction: () => Promise<T>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= attempts || !isDeadlock(error)) throw error;
    }
  }
}

/** A lock `Database.tryLock` took. */
export interface HeldLock {
  /**
   * Aborted when the lock is lost without being released: the server connection holding it
   * broke, so another process may take it now. Work done under the lock must stop.
   */
  readonly lost: AbortSignal;
  release(): Promise<void>;
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
  /**
   * Whether statements given a `prepared` name are kept prepared on the server (default true).
   * Off behind a connection pooler that cannot keep them: PgBouncer in transaction mode before
   * 1.21, or without `max_prepared_statements`.
   */
  preparedStatements?: boolean | undefined;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function checkIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`${JSON.stringify(name)} must be a lower-case SQL identifier.`);
  }
  return name;
}

/** The schema unqualified table names resolve to: the one the change trigger names. */
async function currentSchema(db: Queryable): Promise<string> {
  const [row] = await db.query<{ schema: string | null }>("SELECT current_schema() AS schema");
  if (!row?.schema) throw new Error("No current schema: the search path names none that exists.");
  return row.schema;
}

function checkSchema(schema: string | undefined): string | undefined {
  if (schema !== undefined && !IDENTIFIER.test(schema)) {
    throw new Error(`Schema name ${JSON.stringify(schema)} must be a lower-case SQL identifier.`);
  }
  return schema;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const schema = checkSchema(options.schema);
  return options.databaseUrl
    ? openServer(options.databaseUrl, schema, {
        poolSize: options.poolSize ?? 10,
        preparedStatements: options.preparedStatements ?? true,
      })
    : openEmbedded(options.dataDir, schema);
}

const execFileAsync = promisify(execFile);

// int8 comes back as a string on both engines, as `pg` does by default: customer ids and counters
// must not lose digits past 2^53.
const INT8_OID = 20;

/**
 * The embedded database's buffer pool. PGlite keeps PostgreSQL's default of 128 MB, all of it in
 * the process's memory once touched; 32 MB costs imports and reads nothing measurable (the
 * operating system caches the files beneath it) and keeps about 60 MB out of the peak RSS of an
 * import (docs/storage.md, "Two engines, one dialect").
 */
const EMBEDDED_SHARED_BUFFERS = "32MB";

/**
 * Runs the embedded database's WASM code as V8's baseline compiler (Liftoff) makes it, never
 * recompiled by the optimizing one (TurboFan). TurboFan compiles PostgreSQL's hot functions on
 * background threads, and the memory it took stays with those threads' allocator for good: 50 to
 * 90 MB of an import's peak RSS, and a different amount on every run. Without it an import on the
 * embedded database runs about a tenth slower (docs/storage.md, "Memory"). It must be set before
 * the module is compiled; it changes nothing for a database server.
 */
function baselineWasmOnly(): void {
  setFlagsFromString("--liftoff-only");
}

/**
 * A new, empty embedded database as initdb leaves it, written at build time
 * (scripts/embedded-template.mjs): a new data dir is made from it. initdb in the process peaked at
 * about 760 MB RSS and took 2.3 s; loading this takes about 330 MB and 1 s (docs/storage.md).
 */
export const EMBEDDED_TEMPLATE = fileURLToPath(
  new URL("./embedded-template.tar.gz", import.meta.url),
);

/**
 * Starts an embedded PostgreSQL: file-backed in `dataDir`, or in memory without one. A database
 * made new (in memory, or in a data dir that holds none yet) is made from `template` when that
 * file is there, else by initdb.
 */
export async function startEmbedded(
  dataDir: string | undefined,
  { template = EMBEDDED_TEMPLATE, here = false }: { template?: string; here?: boolean } = {},
): Promise<PGlite> {
  let fresh = dataDir === undefined || !existsSync(join(dataDir, "PG_VERSION"));
  if (
    fresh &&
    dataDir !== undefined &&
    !here &&
    existsSync(template) &&
    existsSync(CREATE_SCRIPT)
  ) {
    await createInChild(dataDir, template);
    fresh = false;
  }
  const loadDataDir =
    fresh && existsSync(template) ? new Blob([readFileSync(template)]) : undefined;
  baselineWasmOnly();
  return PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
    parsers: { [INT8_OID]: (value: string) => value },
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
  });
}

/** The script that makes a new data dir from the template, in a process of its own. */
const CREATE_SCRIPT = fileURLToPath(new URL("./create-embedded.js", import.meta.url));

/**
 * Makes a new embedded database in `dataDir` from `template` in a short-lived process of its own.
 * Unpacking the template grows PGlite's WASM memory, which never shrinks: made in this process,
 * a first import on a new data dir peaked 40 to 60 MB higher than every later one
 * (docs/storage.md, "Memory"). Run from the compiled code only; from `src/` it is made here.
 */
async function createInChild(dataDir: string, template: string): Promise<void> {
  try {
    await execFileAsync(process.execPath, [CREATE_SCRIPT, dataDir, template], {
      maxBuffer: 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(
      `Could not make a new embedded database in ${dataDir}: ${stderr.split("\n").at(-1) || toError(error).message}`,
      { cause: error },
    );
  }
}

/** Writes the template `startEmbedded` makes new data dirs from: a new database, gzipped tar. */
export async function writeEmbeddedTemplate(path: string): Promise<void> {
  const db = await PGlite.create();
  try {
    const dump = await db.dumpDataDir("gzip");
    writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.close();
  }
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
  const watchers = new TableWatchers();
  const wrap = (target: Pick<PGlite, "query" | "exec">, commit?: Announcements): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await target.query<Row>(sql, [...params]);
      return result.rows;
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
    announce: (table, keys) => watchers.announce(table, keys, commit),
  });
  const base = wrap(db);
  const held = new Set<string>();
  return {
    kind: "pglite",
    ...base,
    async transaction(work) {
      const commit: Announcements = [];
      const result = await db.transaction((tx) => work(wrap(tx, commit)));
      watchers.deliver(commit);
      return result;
    },
    // The embedded database is this process's alone (the data dir's lock), and its session is
    // shared: the change trigger's notifications are heard in-process, raw SQL writes included.
    async watch(table, watcher) {
      const channel = changeChannel(await currentSchema(base), checkIdentifier(table));
      const stopLocal = watchers.add(table, watcher);
      const quoted = quoteIdentifier(channel);
      const heard = (payload: string) => watcher.changed(keysOfPayload(payload));
      await db.listen(quoted, heard).catch((error: unknown) => {
        stopLocal();
        throw error;
      });
      return async () => {
        stopLocal();
        // Not the function listen() returns: it drops the quotes, and `schema.table` needs them.
        await db.unlisten(quoted, heard);
      };
    },
    // The data dir's lock keeps every other process away: a lock held in memory is enough.
    async tryLock(name) {
      if (held.has(name)) return null;
      held.add(name);
      return {
        lost: new AbortController().signal,
        release: async () => void held.delete(name),
      };
    },
    close: async () => {
      if (options.ownsInstance) await db.close();
    },
  };
}

async function openServer(
  url: string,
  schema: string | undefined,
  { poolSize, preparedStatements }: { poolSize: number; preparedStatements: boolean },
): Promise<Database> {
  // Loaded only for a server: the embedded database never needs it.
  const { default: pgModule } = await import("pg");
  // Every session of this database: the pool's, and each held lock's.
  const session = {
    connectionString: url,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  };
  const pool = new pgModule.Pool({ ...session, max: poolSize });
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on("error", () => undefined);
  if (schema) {
    // IF NOT EXISTS still races between two sessions; the loser's duplicate-key error means the
    // schema is there, which is all that is asked.
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((error: { code?: string }) => {
      if (error.code !== "23505" && error.code !== "42P06") throw error;
    });
  }
  const watchers = new TableWatchers();
  let notifications: ServerNotifications | undefined;
  const wrap = (target: pg.Pool | pg.PoolClient, commit?: Announcements): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}) {
      const name = preparedStatements ? options.prepared : undefined;
      const result = await target.query({ text: sql, values: [...params], name });
      return result.rows as Row[];
    },
    async exec(sql: string) {
      await target.query(sql);
    },
    announce: (table, keys) => watchers.announce(table, keys, commit),
  });
  const base = wrap(pool);
  const lockSessions = new Set<pg.Client>();
  return {
    kind: "postgres",
    ...base,
    async transaction(work) {
      const client = await pool.connect();
      const commit: Announcements = [];
      try {
        await client.query("BEGIN");
        const result = await work(wrap(client, commit));
        await client.query("COMMIT");
        watchers.deliver(commit);
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async watch(table, watcher) {
      const channel = changeChannel(await currentSchema(base), checkIdentifier(table));
      notifications ??= new ServerNotifications(
        () => new pgModule.Client({ connectionString: url, keepAlive: true }),
      );
      const stopLocal = watchers.add(table, watcher);
      const stopServer = await notifications.listen(channel, watcher).catch((error: unknown) => {
        stopLocal();
        throw error;
      });
      return async () => {
        stopLocal();
        await stopServer();
      };
    },
    // A session lock on a connection of its own, outside the pool: it lives as long as the
    // session, and the server frees it when the session ends, a dead process's too.
    async tryLock(name) {
      const client = new pgModule.Client({ ...session, keepAlive: true });
      const lost = new AbortController();
      let released = false;
      const broke = (error?: Error) => {
        lockSessions.delete(client);
        if (!released) {
          lost.abort(
            new Error(`The lock ${name} was lost: ${error?.message ?? "its connection ended"}.`),
          );
        }
      };
      client.on("error", broke);
      client.on("end", () => broke());
      await client.connect();
      try {
        const [row] = (
          await client.query<{ taken: boolean }>(
            "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || '.' || $1, 0)) AS taken",
            [name],
          )
        ).rows;
        if (!row?.taken) {
          released = true;
          await client.end();
          return null;
        }
      } catch (error) {
        released = true;
        await client.end().catch(() => undefined);
        throw error;
      }
      lockSessions.add(client);
      return {
        lost: lost.signal,
        release: async () => {
          if (released) return;
          released = true;
          lockSessions.delete(client);
          // Ending the session frees its locks.
          await client.end().catch(() => undefined);
        },
      };
    },
    async close() {
      await notifications?.close();
      await Promise.all([...lockSessions].map((client) => client.end().catch(() => undefined)));
      await pool.end();
    },
  };
}
