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
import { startEmbedded, wrapEmbedded } from "../../src/store/database.js";
import { Hub, openHub } from "../../src/services/hub.js";

export interface Engine {
  name: "pglite" | "postgres";
  /** A hub on a fresh, migrated schema. */
  freshHub(): Promise<Hub>;
}

const serverUrl = process.env.TEST_DATABASE_URL;

const schemaName = (): string => `t_${randomBytes(6).toString("hex")}`;

const opened: { hub: Hub; schema: string }[] = [];
let sharedPGlite: Promise<PGlite> | undefined;

const pglite: Engine = {
  name: "pglite",
  async freshHub() {
    const template = process.env.CUSTHUB_TEST_EMBEDDED_TEMPLATE;
    sharedPGlite ??= startEmbedded(undefined, template ? { template } : {});
    const db = await wrapEmbedded(await sharedPGlite, {
      schema: schemaName(),
      ownsInstance: false,
    });
    const hub = new Hub(db);
    await hub.migrate();
    return hub;
  },
};

const postgres: Engine = {
  name: "postgres",
  async freshHub() {
    const schema = schemaName();
    const hub = await openHub({ dataDir: "", databaseUrl: serverUrl }, { schema, poolSize: 4 });
    opened.push({ hub, schema });
    return hub;
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
