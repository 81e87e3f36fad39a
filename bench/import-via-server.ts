/**
 * bench:import-server — the same generated batch file imported with `custhub import` twice, as a
 * user runs it: directly on a data dir (no server: the CLI opens the embedded database itself), and
 * on a data dir that `custhub serve` holds (the CLI streams the file over the admin socket and the
 * server imports it). Wall time of the `custhub import` process each time; the direct run is the
 * baseline. Target: through the server at no less than 80% of direct.
 *
 *   npm run bench:import-server -- [--count 100000]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { lockFileOf, socketAnswers } from "../src/services/data-dir-lock.js";
import { writeBatchFile } from "./batch-file.js";

const { values } = parseArgs({ options: { count: { type: "string", default: "100000" } } });
const count = Number(values.count);
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

interface Run {
  seconds: number;
  summary: { total: number; succeeded: number; failed: number };
}

/** Runs `custhub ARGS` to its end: its wall time and its JSON summary. */
function custhub(args: readonly string[]): Promise<Run> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.once("exit", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`custhub ${args.join(" ")} exited ${code}`));
      resolve({ seconds, summary: JSON.parse(stdout) as Run["summary"] });
    });
  });
}

async function serve(dataDir: string): Promise<{ stop(): Promise<void>; pid: number }> {
  const child = spawn(process.execPath, [CLI, "--data", dataDir, "serve", "--port", "0"], {
    stdio: "ignore",
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const lock = JSON.parse(readFileSync(lockFileOf(dataDir), "utf8")) as {
        pid: number;
        socket?: string;
      };
      if (lock.pid === child.pid && lock.socket && (await socketAnswers(lock.socket))) break;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error("custhub serve did not start");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** The server's peak RSS so far (Linux), in MB. */
function peakRssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

const workDir = mkdtempSync(join(tmpdir(), "custhub-bench-forward-"));
try {
  const file = join(workDir, "customers.xml");
  await writeBatchFile(file, count);
  const megabytes = statSync(file).size / 1e6;
  console.log(
    `\n${count.toLocaleString("en")} AddorUpdate blocks, ${megabytes.toFixed(0)} MB, embedded database`,
  );

  const direct = await custhub(["--data", join(workDir, "direct"), "import", file, "--json"]);
  const directRate = Math.round(count / direct.seconds);
  console.log(
    `  custhub import, no server (baseline)  ${String(directRate).padStart(7)} blocks/s  ${direct.seconds.toFixed(1)} s  (${direct.summary.succeeded} succeeded, ${direct.summary.failed} failed)`,
  );

  const servedDir = join(workDir, "served");
  const server = await serve(servedDir);
  try {
    const through = await custhub(["--data", servedDir, "import", file, "--json"]);
    const rate = Math.round(count / through.seconds);
    console.log(
      `  custhub import, through serve         ${String(rate).padStart(7)} blocks/s  ${through.seconds.toFixed(1)} s  (${through.summary.succeeded} succeeded, ${through.summary.failed} failed)  server peak RSS ${peakRssOf(server.pid)} MB`,
    );
    console.log(
      `  ratio through / direct: ${(rate / directRate).toFixed(2)} (target at least 0.80)`,
    );
  } finally {
    await server.stop();
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
