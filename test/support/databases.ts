/**
 * Runs the same storage and service tests on every engine: PGlite always, and the PostgreSQL
 * server named by TEST_DATABASE_URL when it is set. Each test gets a fresh schema, migrated. One
 * PGlite instance serves all the tests of a file (starting one costs seconds); PGlite has a single
 * session, so those tests take turns, as vitest runs them.
 */
import { randomBytes } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll } from "vitest";
import { startEmbedded, wrapEmbedded } from "../../src/store/embedded-database.js";
import { Hub, openHub } from "../../src/services/hub.js";

export interface Engine {
  name: "pglite" | "postgres";
  /** A hub on a fresh, migrated schema. */
  freshHub(): Promise<Hub>;
  /**
   * The hub of a process started after `hub`'s died (SIGKILL), on the same schema: what `hub`'s
   * runs held (their import claims) is free, and whatever they were doing never goes on.
   */
  restart(hub: Hub): Promise<Hub>;
}

const serverUrl = process.env.TEST_DATABASE_URL;

const schemaName = (): string => `t_${randomBytes(6).toString("hex")}`;

const opened: { hub: Hub; schema: string }[] = [];
let sharedPGlite: Promise<PGlite> | undefined;
/** The schema of each hub a test was given. */
const schemas = new WeakMap<Hub, string>();

const schemaOf = (hub: Hub): string => {
  const schema = schemas.get(hub);
  if (!schema) throw new Error("Not a hub of an engine's: it has no schema of its own.");
  return schema;
};

const pglite: Engine = {
  name: "pglite",
  async freshHub() {
    const template = process.env.CUSTHUB_TEST_EMBEDDED_TEMPLATE;
    sharedPGlite ??= startEmbedded(undefined, template ? { template } : {});
    const schema = schemaName();
    const db = await wrapEmbedded(await sharedPGlite, { schema, ownsInstance: false });
    const hub = new Hub(db);
    await hub.migrate();
    schemas.set(hub, schema);
    return hub;
  },
  async restart(hub) {
    const schema = schemaOf(hub);
    // The claims of the embedded database are held in a wrapper's memory: a new one holds none.
    const restarted = new Hub(
      await wrapEmbedded(await sharedPGlite!, { schema, ownsInstance: false }),
    );
    schemas.set(restarted, schema);
    // As opening the data dir does (openHub).
    await restarted.imports.closeInterrupted();
    return restarted;
  },
};

const postgres: Engine = {
  name: "postgres",
  async freshHub() {
    const schema = schemaName();
    const hub = await openHub({ dataDir: "", databaseUrl: serverUrl }, { schema, poolSize: 4 });
    opened.push({ hub, schema });
    schemas.set(hub, schema);
    return hub;
  },
  async restart(hub) {
    const schema = schemaOf(hub);
    // Its sessions end, the claims' with them, as a killed process's do.
    await hub.close();
    const restarted = await openHub(
      { dataDir: "", databaseUrl: serverUrl },
      { schema, poolSize: 4 },
    );
    opened.push({ hub: restarted, schema });
    schemas.set(restarted, schema);
    return restarted;
  },
};

/** The engines this run tests on. */
export const engines: Engine[] = serverUrl ? [pglite, postgres] : [pglite];

afterAll(async () => {
  const done = opened.splice(0);
  for (const { hub } of done) await hub.close().catch(() => undefined);
  // Dropped through a connection of its own: most tests have closed their hub by now.
  if (serverUrl && done.length > 0) {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    for (const { schema } of done) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
  if (sharedPGlite) await (await sharedPGlite).close();
  sharedPGlite = undefined;
});
