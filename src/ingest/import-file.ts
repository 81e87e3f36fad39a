/**
 * Imports one batch file: copies it to `complete/<fileset>/archived/`, streams its blocks through
 * the customer operations in groups (each block keeps its own outcome), writes every failed block
 * to `complete/<fileset>/failed/<name>_failures.xml` under the original root, and records the
 * import with one review row per failed or warned block (seeds/003 "Batch File Response"; SPEC 4).
 *
 * This module starts a new import: it checks the names, places the archived copy and records it;
 * the run over the copy is import-run.ts, a resumed run resume-import.ts.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CusthubError, toError } from "../domain/errors.js";
import type { Hub } from "../services/hub.js";
import {
  discardNamed,
  failuresName,
  publish,
  sameContent,
  sweepDeadRuns,
  temporaryPath,
} from "./import-files.js";
import { checkFileset, DEFAULT_FILESET, safeName } from "./import-names.js";
import { runImport, type ImportOptions, type ImportSummary } from "./import-run.js";
import { resumeImport, summaryOfCompleted } from "./resume-import.js";

/**
 * Imports `input` — a file path, or a stream of the file's bytes (an upload) with its name.
 * Resolves with the summary; a file that cannot be read at all rejects.
 */
export async function importFile(
  hub: Hub,
  input: string | { stream: Readable; fileName: string },
  options: ImportOptions,
): Promise<ImportSummary> {
  const fileset = checkFileset(options.fileset ?? DEFAULT_FILESET);
  const fileName = safeName(typeof input === "string" ? input : input.fileName);
  if (typeof input === "string") {
    try {
      if (!statSync(input).isFile()) throw new Error("not a regular file");
    } catch (error) {
      throw new CusthubError(
        "INVALID_REQUEST",
        `Cannot read ${input}: ${toError(error).message}.`,
        { file: input },
        { cause: error },
      );
    }
  }
  const archivedDir = join(options.dataDir, "complete", fileset, "archived");
  const failedDir = join(options.dataDir, "complete", fileset, "failed");
  mkdirSync(archivedDir, { recursive: true });
  mkdirSync(failedDir, { recursive: true });
  await sweepDeadRuns(hub, { fileName, fileset }, options.dataDir);

  if (options.resumeUnfinished && typeof input === "string") {
    const unfinished = await hub.imports.unfinished({
      fileName,
      fileset,
      channel: options.channel,
    });
    // Only the same file: an older import of another file by the same name is not resumed.
    if (unfinished !== null && (await sameContent(input, unfinished.sourcePath))) {
      return resumeImport(hub, unfinished.id, options);
    }
    // A crash after the import completed and before the file was let go: it is not imported again.
    const done = await hub.imports.completed({ fileName, fileset, channel: options.channel });
    if (done?.archivedPath && (await sameContent(input, done.archivedPath))) {
      return summaryOfCompleted(done);
    }
  }
  const claim = await hub.imports.start({ fileName, fileset, channel: options.channel });
  const { importId } = claim;
  // "A complete copy of the incoming request is placed in the /complete/[Fileset Name]/archived
  // directory" — copied first, then read from the copy, so an upload is read from disk once. The
  // copy takes its name only when it is whole: a crash mid-way leaves no archived file.
  const archiveTemporary = temporaryPath(archivedDir, fileName, importId);
  let archivedPath: string | undefined;
  const source = typeof input === "string" ? createReadStream(input) : input.stream;
  try {
    await pipeline(source, createWriteStream(archiveTemporary, { flags: "wx" }));
    archivedPath = publish(archiveTemporary, archivedDir, fileName, importId);
  } catch (error) {
    // An upload cut off mid-way, a full disk: nothing was applied; the import says why.
    discardNamed(archiveTemporary, { folder: archivedDir, name: fileName, importId });
    const message = `The file could not be received: ${toError(error).message}`;
    await hub.imports
      .finish(importId, {
        status: "failed",
        error: { code: "INVALID_REQUEST", message, line: null, column: null },
        archivedPath: null,
        failedFilePath: null,
        failuresPath: null,
      })
      .finally(() => claim.release());
    throw new CusthubError("INVALID_REQUEST", message, { file: fileName }, { cause: error });
  }
  // Where the failures are written; the file takes its name when it is whole, or the one with the
  // import id when another import's file has it by then (docs/import.md, "Name clashes").
  const failuresFile = temporaryPath(failedDir, failuresName(fileName), importId);
  try {
    await hub.imports.located(importId, { sourcePath: archivedPath, failuresFile });
  } catch (error) {
    // Unrecorded, the copy could never be resumed from: the caller keeps the file instead.
    rmSync(archivedPath, { force: true });
    rmSync(archiveTemporary, { force: true });
    await claim.release();
    throw error;
  }
  // Recorded: the copy's temporary name, kept till now as the trail of an unrecorded copy, goes.
  rmSync(archiveTemporary, { force: true });
  return runImport(
    hub,
    {
      claim,
      importId,
      fileName,
      fileset,
      sourcePath: archivedPath,
      failuresFile,
      applied: new Map(),
      earlierFailures: null,
      earlierFailedCopy: null,
    },
    options,
  );
}
