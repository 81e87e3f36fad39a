/**
 * One small database interface over the two PostgreSQL engines custhub runs on: PGlite (embedded,
 * file-backed, in-process; the default) and a PostgreSQL server through `pg` (when DATABASE_URL is
 * set). Both speak the same SQL; the rest of the code never knows which one it has. Each engine's
 * `Database` is made in its own module: embedded-database.ts, server-database.ts.
 */
import { openEmbedded } from "./embedded-database.js";
import { checkSchema } from "./schema-names.js";
import { openServer } from "./server-database.js";

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

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const schema = checkSchema(options.schema);
  return options.databaseUrl
    ? openServer(options.databaseUrl, schema, {
        poolSize: options.poolSize ?? 10,
        preparedStatements: options.preparedStatements ?? true,
      })
    : openEmbedded(options.dataDir, schema);
}
