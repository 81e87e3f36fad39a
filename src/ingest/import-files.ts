/**
 * How an import puts its files under `complete/<fileset>/` so that each appears whole or not at
 * all, whatever step a crash cuts (docs/import.md, "What a crash leaves"): a file is written under
 * a hidden temporary name in its own folder (`.<name>.<import id>.partial`), flushed to the disk,
 * and then given its name by a hard link, which is atomic and never replaces a file, so the name
 * is taken only once the file is whole. The temporary name stays, a second name of the same file,
 * until the database records the file's name: a crash in between leaves the trail by which the
 * next run tells the file as one nobody recorded, and removes it (`sweepLeftovers`).
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  type Stats,
} from "node:fs";
import { opendir } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { CusthubError } from "../domain/errors.js";
import { compareIds } from "../domain/ids.js";
import type { Hub } from "../services/hub.js";
import type { ImportFiles, ImportRow } from "../services/imports.js";

/**
 * The failures file's name: "_failures appended to the original filename" (seeds/003), before its
 * extension, which is kept as written when it is `.xml` in any case (`Batch.XML` gives
 * `Batch_failures.XML`) and is `.xml` otherwise, for what the file holds is XML.
 */
export function failuresName(fileName: string): string {
  const extension = extname(fileName);
  const stem = fileName.slice(0, fileName.length - extension.length);
  return `${stem}_failures${/^\.xml$/i.test(extension) ? extension : ".xml"}`;
}

/** `name` in `folder` with the import id added to its stem: `stem-<id>.ext`. */
function idPath(folder: string, name: string, importId: string): string {
  const extension = extname(name);
  return join(folder, `${name.slice(0, name.length - extension.length)}-${importId}${extension}`);
}

/** The names a file of the import can take in `folder`: `name`, else `stem-<id>.ext`. */
const namesFor = (folder: string, name: string, importId: string): string[] => [
  join(folder, name),
  idPath(folder, name, importId),
];

/**
 * Where the import writes a file before it is whole: hidden (the watcher and a person listing the
 * folder pass it by) and the import's alone, for it holds the import id.
 */
export const temporaryPath = (folder: string, name: string, importId: string): string =>
  join(folder, `.${name}.${importId}.partial`);

/** A temporary file's name (`temporaryPath`), with the import id in it as the store keeps ids. */
const TEMPORARY_NAME = /^\..*\.(\d{1,18})\.partial$/;

/** Whether `path` names a temporary file (`temporaryPath`). */
export const isTemporaryPath = (path: string): boolean => TEMPORARY_NAME.test(basename(path));

/**
 * Makes `path` free for a new temporary file. A leftover is removed rather than written over: it
 * may be a second name of a file already named, which writing would change.
 */
export function freshTemporary(path: string): string {
  rmSync(path, { force: true });
  return path;
}

/** Flushes a file's bytes to the disk, before a name makes it look whole. */
function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Flushes a folder's entries, so a rename or a link made in it outlasts a power cut. Where a
 * folder cannot be opened so (Windows), the file system keeps its entries its own way.
 */
export function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = openSync(folder, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EPERM" && code !== "EISDIR") throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Gives the whole file at `temporary` its name in `folder`: `name`, or `stem-<id>.ext` when that
 * is taken. Never replaces a file, so two imports of files by one name each keep their own. The
 * temporary name stays; the caller removes it once the database records the returned path.
 */
export function publish(temporary: string, folder: string, name: string, importId: string): string {
  syncFile(temporary);
  for (const path of namesFor(folder, name, importId)) {
    try {
      linkSync(temporary, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") {
        throw error;
      }
      // A file system without hard links (FAT, some network shares): renamed into place instead,
      // when the name is still free.
      if (exists(path)) continue;
      renameSync(temporary, path);
    }
    syncFolder(folder);
    return path;
  }
  throw new CusthubError(
    "GENERAL_ERROR",
    `Both ${name} and its name with the import id ${importId} are taken in ${folder}.`,
    { folder, name, importId },
  );
}

/**
 * Puts the whole file at `temporary` in the place of `path`, a file of the same import an
 * earlier run wrote: a rename, which replaces it in one step.
 */
export function replace(temporary: string, path: string): string {
  syncFile(temporary);
  renameSync(temporary, path);
  syncFolder(dirname(path));
  return path;
}

/**
 * Removes the temporary file and each name in `folder` it was given (the same file), unless
 * `keep` names it: what a run leaves of a file the database does not record.
 */
export function discardNamed(
  temporary: string,
  { folder, name, importId }: { folder: string; name: string; importId: string },
  keep: ReadonlySet<string> = new Set(),
): void {
  const left = statOf(temporary);
  if (!left) return;
  for (const path of namesFor(folder, name, importId)) {
    const named = statOf(path);
    if (named && named.ino === left.ino && named.dev === left.dev && !keep.has(path)) {
      rmSync(path, { force: true });
    }
  }
  rmSync(temporary, { force: true });
}

const statOf = (path: string): Stats | null => {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
};

const exists = (path: string): boolean => statOf(path) !== null;

/** The folders an import's files go to, as it recorded them or, unrecorded, by its fileset. */
function foldersOf(found: ImportFiles, dataDir: string): { archived: string; failed: string } {
  const complete = join(dataDir, "complete", found.row.fileset);
  return {
    archived: found.sourcePath ? dirname(found.sourcePath) : join(complete, "archived"),
    failed: found.failuresFile ? dirname(found.failuresFile) : join(complete, "failed"),
  };
}

/** The temporary files an import may leave, each with the name its file takes in its folder. */
function temporariesOf(
  found: ImportFiles,
  dataDir: string,
): { folder: string; name: string; temporary: string }[] {
  const { archived, failed } = foldersOf(found, dataDir);
  const { id, fileName } = found.row;
  return [
    { folder: archived, name: fileName },
    { folder: failed, name: failuresName(fileName) },
    { folder: failed, name: fileName },
  ].map((file) => ({ ...file, temporary: temporaryPath(file.folder, file.name, id) }));
}

/** Whether a run of the import that died may have left temporary files. */
function hasLeftovers(found: ImportFiles, dataDir: string): boolean {
  return temporariesOf(found, dataDir).some((file) => exists(file.temporary));
}

/**
 * Removes what a run of the import that died left: its temporary files, and each file that got
 * its name from one (the same file under both names) but that the database does not record, for
 * nobody knows of it and a new run writes it again. Only for an import no process runs.
 */
export function sweepLeftovers(found: ImportFiles, dataDir: string): void {
  const recorded = new Set(
    [
      found.sourcePath,
      found.row.archivedPath,
      found.row.failuresPath,
      found.row.failedFilePath,
    ].filter((path): path is string => path !== null),
  );
  for (const { folder, name, temporary } of temporariesOf(found, dataDir)) {
    discardNamed(temporary, { folder, name, importId: found.row.id }, recorded);
  }
}

/**
 * Removes what runs of imports of this file that died left in `complete/` (docs/import.md, "What
 * a crash leaves"), before the file is imported again: each import no live process runs.
 */
export async function sweepDeadRuns(
  hub: Hub,
  fields: { fileName: string; fileset: string },
  dataDir: string,
): Promise<void> {
  for (const found of await hub.imports.ofFile(fields)) {
    if (!hasLeftovers(found, dataDir)) continue;
    await hub.imports.whileNotRunning(found.row.id, (now) => sweepLeftovers(now, dataDir));
  }
}

/** A folder's entries, read a few at a time; none when it does not exist. */
async function* entriesOf(
  folder: string,
): AsyncGenerator<{ name: string; isDirectory(): boolean }> {
  let dir;
  try {
    dir = await opendir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  yield* dir;
}

/** The ids of the imports with a temporary file in `complete/<fileset>/{archived,failed}/`. */
async function importsWithTemporaries(dataDir: string): Promise<string[]> {
  const complete = join(dataDir, "complete");
  const ids = new Set<string>();
  for await (const fileset of entriesOf(complete)) {
    if (!fileset.isDirectory()) continue;
    for (const folder of ["archived", "failed"]) {
      for await (const entry of entriesOf(join(complete, fileset.name, folder))) {
        const id = TEMPORARY_NAME.exec(entry.name)?.[1];
        if (id !== undefined) ids.add(id);
      }
    }
  }
  return [...ids].sort(compareIds);
}

/**
 * Removes what runs that died left in `complete/` of every import no live process runs, resumed
 * or imported again later or not (`custhub serve`, at its start). The imports are found by their
 * temporary files, so the folders are listed but the imports' rows are not all read. `onSwept`
 * is told of each import whose leftovers were removed, `onError` of each that could not be swept
 * (the others still are).
 */
export async function sweepAllDeadRuns(
  hub: Hub,
  dataDir: string,
  handlers: {
    onSwept: (row: ImportRow) => void;
    onError: (error: unknown, importId: string) => void;
  },
): Promise<void> {
  for (const importId of await importsWithTemporaries(dataDir)) {
    try {
      await hub.imports.whileNotRunning(importId, (found) => {
        if (!hasLeftovers(found, dataDir)) return;
        sweepLeftovers(found, dataDir);
        handlers.onSwept(found.row);
      });
    } catch (error) {
      handlers.onError(error, importId);
    }
  }
}

/** Whether two files hold the same bytes (sizes first, then SHA-256 digests, streamed). */
export async function sameContent(a: string, b: string): Promise<boolean> {
  const size = (path: string): number | null => {
    try {
      return statSync(path).size;
    } catch {
      return null;
    }
  };
  if (size(a) === null || size(a) !== size(b)) return false;
  const digest = async (path: string): Promise<string> => {
    const hash = createHash("sha256");
    await pipeline(createReadStream(path), hash);
    return hash.digest("hex");
  };
  return (await digest(a)) === (await digest(b));
}
