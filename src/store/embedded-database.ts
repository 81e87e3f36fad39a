/**
 * The embedded engine (PGlite: file-backed, in-process; the default) as a `Database`: starting it,
 * from the template new data dirs are made from, and wrapping a running instance.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { PGlite } from "@electric-sql/pglite";
import { toError } from "../domain/errors.js";
import {
  changeChannel,
  keysOfPayload,
  quoteIdentifier,
  TableWatchers,
  type Announcements,
} from "./table-watch.js";
import type { Database, Queryable } from "./database.js";
import { checkIdentifier, checkSchema, currentSchema } from "./schema-names.js";

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

export async function openEmbedded(
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
