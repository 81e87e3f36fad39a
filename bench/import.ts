/**
 * bench:import — a generated batch file of N `AddorUpdate` blocks (about 1.3 KB each) imported end
 * to end (read, map, validate, store with history and outbox rows, review), on PGlite and, given
 * a URL, on PostgreSQL; against the baseline of saxes alone tokenizing the same file. On PostgreSQL
 * it also prints the server's floor: the server alone writing the rows the import wrote.
 *
 * Each import runs in a process of its own (bench/import-child.mjs: plain Node on the compiled code,
 * as `custhub import` runs), so its peak RSS is the import's alone: not the file's generation, not
 * the baseline's, not the other engine's (PGlite's WASM heap stays in its process), not this
 * process's TypeScript loader, not the embedded database's creation (done before, in a process of
 * its own, as a user's first run does it once). The script builds dist/ first.
 *
 *   npm run bench:import -- [--count 100000] [--database-url postgres://...] [--engine pglite|postgres|both]
 */
import { fork } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SaxesParser } from "saxes";
import { writeBatchFile } from "./batch-file.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    "database-url": { type: "string" },
    engine: { type: "string", default: "both" },
  },
});
const serverUrl = values["database-url"] ?? process.env.BENCH_DATABASE_URL;

interface Measured {
  /** PostgreSQL only: the server alone writing the rows the import wrote (import-child.mjs). */
  floorSeconds: number | null;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  succeeded: number;
  failed: number;
}

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

/**
 * Runs one engine's import (or the embedded database's creation) in a process of its own: plain
 * Node on the compiled code (bench/import-child.mjs), and waits for its figures.
 */
function inChild(task: string, file: string, workDir: string): Promise<Measured> {
  const child = fork(
    fileURLToPath(new URL("./import-child.mjs", import.meta.url)),
    [task, file, workDir],
    {
      env: { ...process.env, BENCH_DATABASE_URL: serverUrl ?? "" },
      // Not the TypeScript loader this process runs under: its memory would count in the import's.
      execArgv: [],
    },
  );
  return new Promise((resolve, reject) => {
    let result: Measured | undefined;
    child.on("message", (message) => (result = message as Measured));
    child.on("error", reject);
    child.on("exit", (code) =>
      result
        ? resolve(result)
        : reject(new Error(`bench/import-child.mjs ${task} exited with ${code}`)),
    );
  });
}

const count = Number(values.count);
const engine = values.engine;
if (engine !== "both" && engine !== "pglite" && engine !== "postgres") {
  throw new Error("--engine is pglite, postgres or both");
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
    `  saxes alone (baseline)   ${String(tokenizeRate).padStart(8)} blocks/s  ${tokenizeSeconds.toFixed(1)} s`,
  );
  const report = (name: string, result: Measured): void => {
    const rate = Math.round(count / result.seconds);
    console.log(
      `  import on ${name.padEnd(14)} ${String(rate).padStart(8)} blocks/s  ${result.seconds.toFixed(1)} s  ` +
        `CPU ${result.cpuSeconds.toFixed(1)} s  peak RSS ${result.peakRssMb} MB  ratio ${(rate / tokenizeRate).toFixed(2)}  ` +
        JSON.stringify({ succeeded: result.succeeded, failed: result.failed }),
    );
  };
  if (engine !== "postgres") {
    await inChild("create-pglite", file, workDir);
    report("PGlite", await inChild("pglite", file, workDir));
  }
  if (serverUrl && engine !== "pglite") {
    const result = await inChild("postgres", file, workDir);
    report("PostgreSQL", result);
    if (result.floorSeconds !== null) {
      // The ceiling no client design can pass on this schema and server: see import-child.mjs.
      const floorRate = Math.round(count / result.floorSeconds);
      console.log(
        `  server floor (same rows) ${String(floorRate).padStart(8)} blocks/s  ${result.floorSeconds.toFixed(1)} s  ` +
          `the server alone writing the import's rows; import/floor ${(count / result.seconds / floorRate).toFixed(2)}`,
      );
    }
  } else {
    console.log("  PostgreSQL: skipped (give --database-url or BENCH_DATABASE_URL to measure it)");
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
