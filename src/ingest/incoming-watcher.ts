/**
 * `custhub serve --watch`: imports the files dropped into `<data>/incoming/<fileset>/`, each once.
 *
 * A file is taken when it has stopped growing (same size and modification time on two looks in
 * a row), by renaming it into `incoming/<fileset>/.processing/`: a rename is atomic, so a file is
 * never taken twice, and what is in `.processing/` is exactly the work in hand. After its import
 * the file is removed from there (its copy is in `complete/<fileset>/archived/`). A file found in
 * `.processing/` at start was interrupted by a crash: its import is resumed, and the blocks the
 * interrupted run applied are not applied again (docs/import.md, "Interrupted imports"); if its
 * import had completed, it is let go. A file whose import failed before it recorded its copy of
 * the file (the database unreachable, a full disk) stays in `.processing/` and is tried again,
 * less and less often: nothing else holds it. The import's own files under `complete/` are
 * written under hidden temporary names and named when whole (`import-files.ts`); they are never
 * in `incoming/`, and a name starting with `.` is never taken there.
 * Polling, not fs.watch: it behaves the same on every file system, network shares included.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
} from "node:fs";
import { join } from "node:path";
import { toError } from "../domain/errors.js";
import type { Hub } from "../services/hub.js";
import { importFile } from "./import-file.js";
import { DEFAULT_FILESET, isFilesetName } from "./import-names.js";
import type { ImportSummary } from "./import-run.js";
import { syncFolder } from "./import-files.js";

export interface WatcherOptions {
  dataDir: string;
  /** How often to look, in milliseconds (default 2000). */
  intervalMs?: number;
  onImported?: (summary: ImportSummary) => void;
  /** `retryInMs` when the file is kept, to be tried again then; absent when it was let go. */
  onError?: (error: Error, file: string, retryInMs?: number) => void;
  /** Told once of each file or folder in `incoming/` that is not taken, and why. */
  onIgnored?: (path: string, reason: string) => void;
}

export interface Watcher {
  /** Stops looking; resolves when the file in hand (if any) is imported. */
  stop(): Promise<void>;
}

const PROCESSING = ".processing";

/** The longest wait before a kept file is tried again. */
const MAX_RETRY_MS = 5 * 60_000;

/** A file kept in `.processing/` after a failed try: when to try it again, and how. */
interface Retry {
  tries: number;
  at: number;
  resumeUnfinished: boolean;
}

interface Seen {
  size: number;
  mtimeMs: number;
}

export function startIncomingWatcher(hub: Hub, options: WatcherOptions): Watcher {
  const incoming = join(options.dataDir, "incoming");
  mkdirSync(join(incoming, DEFAULT_FILESET), { recursive: true });
  const lastLook = new Map<string, Seen>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const intervalMs = options.intervalMs ?? 2000;
  const retries = new Map<string, Retry>();

  const importOne = async (
    fileset: string,
    processingPath: string,
    name: string,
    resumeUnfinished: boolean,
  ): Promise<void> => {
    let recorded = false;
    try {
      const summary = await importFile(hub, processingPath, {
        fileset,
        channel: "watch",
        actor: "watch",
        dataDir: options.dataDir,
        resumeUnfinished,
        onRecorded: () => (recorded = true),
      });
      options.onImported?.(summary);
    } catch (error) {
      if (!recorded) {
        // Nothing holds the file but this folder: kept, and tried again later, the same way.
        const tries = (retries.get(processingPath)?.tries ?? 0) + 1;
        const waitMs = Math.min(intervalMs * 2 ** tries, MAX_RETRY_MS);
        retries.set(processingPath, { tries, at: Date.now() + waitMs, resumeUnfinished });
        options.onError?.(toError(error), join(fileset, name), waitMs);
        return;
      }
      // The import holds its copy and says what happened; `imports resume` takes it up.
      options.onError?.(toError(error), join(fileset, name));
    }
    retries.delete(processingPath);
    rmSync(processingPath, { force: true });
  };

  const ignored = new Set<string>();
  const ignore = (path: string, reason: string): void => {
    if (ignored.has(path)) return;
    ignored.add(path);
    options.onIgnored?.(path, reason);
  };
  const look = async (): Promise<void> => {
    const { filesets, strays } = survey(incoming);
    for (const [name, reason] of strays) ignore(join(incoming, name), reason);
    for (const fileset of filesets) {
      const folder = join(incoming, fileset);
      const processing = join(folder, PROCESSING);
      mkdirSync(processing, { recursive: true, mode: 0o700 });
      // Where files are taken to, read and removed: a link placed there would have the watcher
      // import and remove the files of a folder elsewhere, and a folder of someone else's would let
      // them change a file after it was taken.
      if (!isOwnFolder(processing)) {
        ignore(
          processing,
          "not a folder of custhub's own (a link, or another user's): nothing in this fileset is taken",
        );
        continue;
      }
      for (const name of files(processing)) {
        if (stopped) return;
        const path = join(processing, name);
        const retry = retries.get(path);
        if (retry && Date.now() < retry.at) continue;
        // Found here at start, a crash left it in hand; kept after a failed try, it is tried as then.
        await importOne(fileset, path, name, retry?.resumeUnfinished ?? true);
      }
      const { files: dropped, strays: inFileset } = contentsOf(folder);
      for (const [name, reason] of inFileset) ignore(join(folder, name), reason);
      for (const name of dropped) {
        if (stopped) return;
        const path = join(folder, name);
        const now = statOf(path);
        const before = lastLook.get(path);
        lastLook.set(path, now ?? { size: -1, mtimeMs: -1 });
        if (!now || !before || before.size !== now.size || before.mtimeMs !== now.mtimeMs) continue;
        lastLook.delete(path);
        const claimed = join(processing, name);
        // One by that name is kept for another try: this one waits, and is not taken over it.
        if (existsSync(claimed)) continue;
        try {
          renameSync(path, claimed);
        } catch {
          continue; // Taken or removed meanwhile.
        }
        // Replaced by a link after it was looked at: the link is let go, never followed.
        if (!lstatSync(claimed).isFile()) {
          rmSync(claimed, { force: true });
          ignore(path, "links are not followed: put the file itself in the fileset's folder");
          continue;
        }
        // On the disk before the import starts: after a power cut the file is found in hand, where
        // its import is taken up, not in the folder again, where it would be imported anew.
        syncFolder(processing);
        syncFolder(folder);
        await importOne(fileset, claimed, name, false);
      }
    }
  };

  const tick = (): void => {
    running = look()
      .catch((error: unknown) => options.onError?.(toError(error), incoming))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/**
 * What `incoming/` holds, in one read: the fileset folders, and what is never taken (files beside
 * the filesets, badly named folders) with why.
 */
function survey(incoming: string): { filesets: string[]; strays: [string, string][] } {
  const filesets: string[] = [];
  const strays: [string, string][] = [];
  for (const entry of readdirSync(incoming, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    if (entry.isDirectory() && isFilesetName(entry.name)) filesets.push(entry.name);
    else if (entry.isDirectory()) {
      strays.push([entry.name, "a fileset's name is 1-64 letters, digits, '.', '_' or '-'"]);
    } else if (entry.isFile()) {
      strays.push([entry.name, "a file goes in a fileset's folder: incoming/<fileset>/"]);
    }
  }
  return { filesets, strays };
}

/**
 * A fileset's folder in one read: its files, in name order, and what is never taken in it
 * (folders, links and the like) with why.
 */
function contentsOf(folder: string): { files: string[]; strays: [string, string][] } {
  const files: string[] = [];
  const strays: [string, string][] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    if (entry.isFile()) files.push(entry.name);
    else if (entry.isDirectory()) {
      strays.push([
        entry.name,
        "folders in a fileset are not looked into: files go in incoming/<fileset>/ itself",
      ]);
    } else if (entry.isSymbolicLink()) {
      strays.push([
        entry.name,
        "links are not followed: put the file itself in the fileset's folder",
      ]);
    } else strays.push([entry.name, "only plain files are imported"]);
  }
  return { files: files.sort(), strays };
}

function files(folder: string): string[] {
  return contentsOf(folder).files;
}

/**
 * Whether `path` is a folder, not a link, of this process's user, that no one else may write to.
 * One of ours that others may write to (made by an earlier custhub under a umask such as 002) is
 * made 0700 rather than passed by, so an upgrade does not stop its fileset.
 */
function isOwnFolder(path: string): boolean {
  const stat = lstatSync(path);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) return false;
  if ((stat.mode & 0o022) !== 0) chmodSync(path, 0o700);
  return true;
}

/** The file's size and time, or a link's own: a link is never followed. */
function statOf(path: string): Seen | null {
  try {
    const stat = lstatSync(path);
    return { size: stat.size, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  }
}
