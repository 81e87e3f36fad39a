/**
 * The embedded database belongs to one process at a time (SPEC 1): two processes on the same
 * PGlite files would corrupt them. The process that opens the data dir writes `custhub.lock` in it
 * (created exclusively, so only one wins) naming its pid and, for `custhub serve`, the admin
 * socket that CLI commands are forwarded to (docs/cli-forwarding.md). The next process is refused
 * with a message naming the holder, or, while a server holds it, hands its work to that server.
 *
 * A lock is honoured only while its holder is alive: a dead pid (SIGKILL, power loss), a pid now
 * worn by another program (its start time differs), or a server whose admin socket no longer
 * takes connections, is stale, and the next process takes the lock over without a manual step.
 */
import { createConnection } from "node:net";
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CusthubError } from "../domain/errors.js";

export interface LockOwner {
  pid: number;
  startedAt: string;
  /** What holds it: `serve`, or a one-off command. */
  purpose: string;
  /** The process's start time as the kernel counts it (Linux), to tell a reused pid apart. */
  processStart?: string;
  /** Where a serving process takes forwarded CLI commands. */
  socket?: string;
}

export interface DataDirLock {
  readonly owner: LockOwner;
  release(): void;
}

/** Who holds a data dir, as far as can be told. */
export type LockState =
  | { state: "free" }
  /** The holder is gone; the next process takes the lock over. */
  | { state: "stale"; owner: LockOwner }
  /** A live `custhub serve` answering on its admin socket. */
  | { state: "serving"; owner: LockOwner & { socket: string } }
  /** A live process without an admin socket: a one-off command. */
  | { state: "busy"; owner: LockOwner };

export const lockFileOf = (dataDir: string): string => join(dataDir, "custhub.lock");

/** How long a server that has taken the lock may take to open its admin socket. */
const SOCKET_GRACE_MS = 3_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the lock's pid still runs the process that wrote it. */
function holderRuns(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  if (owner.processStart === undefined) return true;
  const now = processStartOf(owner.pid);
  return now === undefined || now === owner.processStart;
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    return typeof owner.pid === "number" ? (owner as LockOwner) : null;
  } catch {
    return null;
  }
}

/** Whether something accepts connections on the Unix socket at `path`. */
export function socketAnswers(path: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    const done = (answers: boolean): void => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // accepted, but busy: still a listener.
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Who holds the data dir. A server that holds the lock but does not answer on its socket is given
 * a short grace (it may be starting) before it is called stale.
 */
export async function lockStateOf(dataDir: string): Promise<LockState> {
  const owner = readOwner(lockFileOf(dataDir));
  if (!owner) return { state: "free" };
  if (owner.pid === process.pid || !holderRuns(owner)) return { state: "stale", owner };
  if (owner.socket === undefined) return { state: "busy", owner };
  const deadline = Date.now() + SOCKET_GRACE_MS;
  for (;;) {
    if (await socketAnswers(owner.socket)) {
      return { state: "serving", owner: { ...owner, socket: owner.socket } };
    }
    if (!holderRuns(owner)) return { state: "stale", owner };
    if (Date.now() >= deadline) return { state: "stale", owner };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface AcquireOptions {
  /** The admin socket this process will serve forwarded commands on. */
  socket?: string;
  /**
   * The pid of a holder already found stale by `lockStateOf` (alive, but not answering on its
   * socket): its lock is taken over too.
   */
  staleHolder?: number;
}

export function acquireDataDirLock(
  dataDir: string,
  purpose: string,
  options: AcquireOptions = {},
): DataDirLock {
  const path = lockFileOf(dataDir);
  const owner: LockOwner = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    purpose,
    ...(processStartOf(process.pid) === undefined
      ? {}
      : { processStart: processStartOf(process.pid)! }),
    ...(options.socket === undefined ? {} : { socket: options.socket }),
  };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      return {
        owner,
        release() {
          if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readOwner(path);
    if (
      holder &&
      holder.pid !== process.pid &&
      holder.pid !== options.staleHolder &&
      holderRuns(holder)
    ) {
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
