/** `custhub serve` as a real process on a data dir, ready once its admin socket takes commands. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { lockFileOf, socketAnswers } from "../../src/services/data-dir-lock.js";
import { CLI } from "./cli.js";
import { waitFor } from "./wait.js";

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  /** What it wrote to stdout and stderr so far (logs). */
  output(): string;
  /** SIGTERM, then waits for it to exit; resolves with its exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, then waits for it to be gone. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every server a test left running (call from afterEach/afterAll). */
export function killServers(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

export async function startServe(
  dataDir: string,
  options: { env?: NodeJS.ProcessEnv; args?: readonly string[] } = {},
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [CLI, "--data", dataDir, "serve", "--port", "0", ...(options.args ?? [])],
    { env: { PATH: process.env.PATH, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const pid = child.pid!;
  // On a PostgreSQL server no lock or admin socket is taken: its log says when it serves.
  const embedded = options.env?.DATABASE_URL === undefined;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`custhub serve exited early:\n${output}`);
    if (!embedded) return output.includes("custhub is serving");
    try {
      const lock = JSON.parse(readFileSync(lockFileOf(dataDir), "utf8")) as {
        pid: number;
        socket?: string;
      };
      return (
        lock.pid === pid &&
        lock.socket !== undefined &&
        (await socketAnswers(lock.socket)) &&
        output.includes("custhub is serving")
      );
    } catch {
      return false;
    }
  }, 60_000);
  return {
    child,
    pid,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      const code = await exited(child);
      running.delete(child);
      return code;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
      running.delete(child);
    },
  };
}
