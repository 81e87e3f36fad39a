/**
 * The embedded database belongs to one process at a time (SPEC 1): two processes on the same
 * PGlite files would corrupt them. The process that opens the data dir writes `custhub.lock` in it
 * (created exclusively, so only one wins) naming its pid; the next one is refused with a message
 * naming that pid. A lock whose pid is gone (SIGKILL, power loss) is taken over.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CusthubError } from "../domain/errors.js";

export interface LockOwner {
  pid: number;
  startedAt: string;
  /** What holds it: `serve`, or a one-off command. */
  purpose: string;
}

export interface DataDirLock {
  release(): void;
}

export const lockFileOf = (dataDir: string): string => join(dataDir, "custhub.lock");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    return typeof owner.pid === "number" ? (owner as LockOwner) : null;
  } catch {
    return null;
  }
}

export function acquireDataDirLock(dataDir: string, purpose: string): DataDirLock {
  const path = lockFileOf(dataDir);
  const owner: LockOwner = { pid: process.pid, startedAt: new Date().toISOString(), purpose };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      return {
        release() {
          if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readOwner(path);
    if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw new CusthubError(
        "GENERAL_ERROR",
        `The data dir ${dataDir} is in use by process ${holder.pid} (custhub ${holder.purpose}, since ${holder.startedAt}); ` +
          "stop it first, or use a PostgreSQL server (DATABASE_URL) for several processes at once.",
        { dataDir, pid: holder.pid, purpose: holder.purpose },
      );
    }
    // Stale (its process is gone) or unreadable: move it aside atomically, then try again.
    try {
      renameSync(path, `${path}.stale-${process.pid}`);
      rmSync(`${path}.stale-${process.pid}`, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  throw new CusthubError("GENERAL_ERROR", `Could not take the lock of data dir ${dataDir}.`, {
    dataDir,
  });
}
