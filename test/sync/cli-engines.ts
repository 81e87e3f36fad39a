/**
 * The engines the sync CLI tests run the built `custhub` on: a PGlite data dir, and (with
 * TEST_DATABASE_URL) a fresh database on the PostgreSQL server. `openDirect` opens the same store
 * in the test process, between CLI runs, to queue changes and look at the tables.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openHub, type Hub } from "../../src/services/hub.js";
import { createServerDatabase, serverUrl } from "../support/server-database.js";
import { testMasterKey } from "./helpers.js";

export interface CliStore {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  /** The master key as the CLI sees it: CUSTHUB_MASTER_KEY on PostgreSQL, the key file on PGlite. */
  masterKey: { fromEnvironment: string | undefined; keyFile: string };
  /** Runs `work` with a hub on the store; on PGlite only while no CLI process holds it. */
  openDirect<T>(work: (hub: Hub) => Promise<T>): Promise<T>;
  tearDown(): Promise<void>;
}

export interface CliEngine {
  name: "pglite" | "postgres";
  setUp(): Promise<CliStore>;
}

const embedded: CliEngine = {
  name: "pglite",
  async setUp() {
    const dataDir = mkdtempSync(join(tmpdir(), "custhub-sync-cli-"));
    return {
      env: { CUSTHUB_DATA_DIR: dataDir },
      dataDir,
      masterKey: { fromEnvironment: undefined, keyFile: join(dataDir, "master.key") },
      async openDirect(work) {
        const hub = await openHub({ dataDir, databaseUrl: undefined }, { purpose: "test" });
        try {
          return await work(hub);
        } finally {
          await hub.close();
        }
      },
      tearDown: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  },
};

const server: CliEngine = {
  name: "postgres",
  async setUp() {
    const database = await createServerDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "custhub-sync-cli-"));
    const key = testMasterKey();
    const hub = await openHub({ dataDir, databaseUrl: database.url }, { poolSize: 4 });
    return {
      env: { CUSTHUB_DATA_DIR: dataDir, DATABASE_URL: database.url, CUSTHUB_MASTER_KEY: key },
      dataDir,
      masterKey: { fromEnvironment: key, keyFile: join(dataDir, "master.key") },
      openDirect: (work) => work(hub),
      async tearDown() {
        await hub.close();
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const cliEngines: CliEngine[] = serverUrl ? [embedded, server] : [embedded];
