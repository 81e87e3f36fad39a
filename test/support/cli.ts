/** Runs the built `custhub` binary as a real process, as a user would. */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<CliResult> {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does).`);
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      // Room for a long output (a large import's review) beside execFile's 1 MiB default. The
      // timeout ends a command that hangs, well before the test's own; an import of thousands of
      // blocks on a loaded machine can take most of a minute.
      { env: { PATH: process.env.PATH, ...env }, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/**
 * Points the data sync at `receiver` through `custhub config set`, as a user would, with a run
 * every second. `cli` runs a command on the data dir in question.
 */
export async function configureSyncThroughCli(
  cli: (args: string[]) => Promise<CliResult>,
  receiver: { messagesUrl: string; tokenUrl: string },
): Promise<void> {
  for (const [key, value] of [
    ["DataSyncApiUrl", receiver.messagesUrl],
    ["DataSyncTokenUrl", receiver.tokenUrl],
    ["DataSyncCredentialKeyName", "datasync"],
    ["DataSyncIntervalSeconds", "1"],
    ["DataSyncEnabled", "true"],
  ] as const) {
    const set = await cli(["config", "set", key, value]);
    if (set.code !== 0) throw new Error(`config set ${key} exited ${set.code}: ${set.stderr}`);
  }
}
