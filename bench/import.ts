/**
 * bench:import — a generated batch file of N `AddorUpdate` blocks (about 1.3 KB each) imported end
 * to end (read, map, validate, store with history and outbox rows, review), on PGlite and, given
 * a URL, on PostgreSQL; against the baseline of saxes alone tokenizing the same file.
 *
 *   npm run bench:import -- [--count 100000] [--database-url postgres://...] [--engine pglite|postgres|both]
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SaxesParser } from "saxes";
import { importFile } from "../src/ingest/import-file.js";
import { openHub, type Hub } from "../src/services/hub.js";
import { writeBatchFile } from "./batch-file.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    "database-url": { type: "string" },
    // One engine per run gives each its own peak RSS: PGlite's WASM heap stays in the process.
    engine: { type: "string", default: "both" },
  },
});
const count = Number(values.count);
const serverUrl = values["database-url"] ?? process.env.BENCH_DATABASE_URL;
const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** Baseline: saxes alone, counting the blocks, doing nothing with them. */
async function tokenize(path: string): Promise<number> {
  const parser = new SaxesParser();
  let blocks = 0;
  parser.on("closetag", (tag) => {
    if (tag.name === "Customer") blocks += 1;
  });
  const stream = createReadStream(path);
  stream.setEncoding("utf8");
  for await (const chunk of stream) parser.write(chunk as string);
  parser.close();
  return blocks;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const workDir = mkdtempSync(join(tmpdir(), "custhub-bench-import-"));
const file = join(workDir, "customers.xml");
try {
  await writeBatchFile(file, count);
  const megabytes = statSync(file).size / 1e6;
  const tokenizeSeconds = await timed(() => tokenize(file));
  const tokenizeRate = Math.round(count / tokenizeSeconds);
  console.log(
    `\n${count.toLocaleString("en")} AddorUpdate blocks, ${megabytes.toFixed(0)} MB (${((megabytes * 1e6) / count / 1000).toFixed(2)} KB a block)`,
  );
  console.log(
    `  saxes alone (baseline)   ${String(tokenizeRate).padStart(8)} blocks/s  ${tokenizeSeconds.toFixed(1)} s  peak RSS ${peakRssMb()} MB`,
  );

  const measure = async (
    name: string,
    open: () => Promise<{ hub: Hub; dataDir: string; dispose(): Promise<void> }>,
  ) => {
    const target = await open();
    let summary;
    const seconds = await timed(async () => {
      summary = await importFile(target.hub, file, {
        channel: "cli",
        actor: "bench",
        dataDir: target.dataDir,
      });
    });
    await target.dispose();
    const rate = Math.round(count / seconds);
    console.log(
      `  import on ${name.padEnd(14)} ${String(rate).padStart(8)} blocks/s  ${seconds.toFixed(1)} s  peak RSS ${peakRssMb()} MB  ratio ${(rate / tokenizeRate).toFixed(2)}  (${JSON.stringify({ succeeded: summary!.succeeded, failed: summary!.failed })})`,
    );
  };

  const engine = values.engine;
  if (engine !== "both" && engine !== "pglite" && engine !== "postgres") {
    throw new Error("--engine is pglite, postgres or both");
  }
  if (engine !== "postgres")
    await measure("PGlite", async () => {
      const dataDir = join(workDir, "pglite");
      const hub = await openHub({ dataDir, databaseUrl: undefined });
      await hub.settings.set("DataSyncEnabled", true);
      return { hub, dataDir, dispose: () => hub.close() };
    });
  if (serverUrl && engine !== "pglite") {
    await measure("PostgreSQL", async () => {
      const schema = `bench_${process.pid}_${Date.now()}`;
      const hub = await openHub({ dataDir: "", databaseUrl: serverUrl }, { schema });
      await hub.settings.set("DataSyncEnabled", true);
      return {
        hub,
        dataDir: join(workDir, "server"),
        async dispose() {
          await hub.db.exec(`DROP SCHEMA ${schema} CASCADE`);
          await hub.close();
        },
      };
    });
  } else {
    console.log("  PostgreSQL: skipped (give --database-url or BENCH_DATABASE_URL to measure it)");
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
