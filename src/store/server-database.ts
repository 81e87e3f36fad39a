/**
 * The PostgreSQL server engine (through `pg`, when DATABASE_URL is set) as a `Database`: a pool,
 * transactions on one of its connections, notifications and session locks on connections of
 * their own.
 */
import type pg from "pg";
import {
  changeChannel,
  ServerNotifications,
  TableWatchers,
  type Announcements,
} from "./table-watch.js";
import type { Database, Queryable, QueryOptions } from "./database.js";
import { checkIdentifier, currentSchema } from "./schema-names.js";

export async function openServer(
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
