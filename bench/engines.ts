/**
 * A hub for one benchmark run: PGlite in a fresh temporary data dir, or a fresh schema on the
 * PostgreSQL server; `dispose` removes what the run made.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openHub, type Hub } from "../src/services/hub.js";

export interface BenchHub {
  hub: Hub;
  /** The data dir of the run (imports write `complete/` there). */
  dataDir: string;
  dispose(): Promise<void>;
}

export async function openBenchHub(
  engine: "pglite" | "postgres",
  serverUrl?: string,
): Promise<BenchHub> {
  const dataDir = mkdtempSync(join(tmpdir(), "custhub-bench-"));
  if (engine === "pglite") {
    const hub = await openHub({ dataDir, databaseUrl: undefined });
    return {
      hub,
      dataDir,
      async dispose() {
        await hub.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (!serverUrl) throw new Error("PostgreSQL needs --database-url (or BENCH_DATABASE_URL)");
  const schema = `bench_${process.pid}_${Date.now()}`;
  const hub = await openHub({ dataDir: "", databaseUrl: serverUrl }, { schema });
  return {
    hub,
    dataDir,
    async dispose() {
      await hub.db.exec(`DROP SCHEMA ${schema} CASCADE`);
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
