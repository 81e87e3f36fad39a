import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { acquireDataDirLock, lockFileOf } from "../../src/services/data-dir-lock.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** A process that is certainly gone: started, exited, reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("data dir lock", () => {
  it("is taken once, refused to a second holder naming the first, and released", async () => {
    const dir = tempDir();
    const sleeper = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
    children.push(sleeper);
    writeFileSync(
      lockFileOf(dir),
      JSON.stringify({ pid: sleeper.pid, startedAt: "then", purpose: "serve" }),
    );
    expect(() => acquireDataDirLock(dir, "cli")).toThrow(
      new RegExp(`in use by process ${sleeper.pid}`),
    );
    sleeper.kill("SIGKILL");
    await waitFor(async () => sleeper.exitCode !== null || sleeper.signalCode !== null);
    const lock = acquireDataDirLock(dir, "cli");
    expect(JSON.parse(readFileSync(lockFileOf(dir), "utf8"))).toMatchObject({
      pid: process.pid,
      purpose: "cli",
    });
    lock.release();
    expect(existsSync(lockFileOf(dir))).toBe(false);
  });

  it("takes over a lock left by a process that died, and an unreadable one", async () => {
    const dir = tempDir();
    writeFileSync(
      lockFileOf(dir),
      JSON.stringify({ pid: await deadPid(), startedAt: "then", purpose: "serve" }),
    );
    acquireDataDirLock(dir, "cli").release();
    writeFileSync(lockFileOf(dir), "not json");
    acquireDataDirLock(dir, "cli").release();
  });
});
