/**
 * One run of an import over its copy of the file: streams its blocks through the customer
 * operations in groups (block-outcomes.ts), counts each and records the review (block-review.ts),
 * writes the failed blocks (failures-file.ts), and ends the import with where its files went.
 */
import { createReadStream, constants, copyFileSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { CusthubError, isCusthubError, toError } from "../domain/errors.js";
import { GROUP_SIZE } from "../services/customer-groups.js";
import type { Hub } from "../services/hub.js";
import {
  resumeAdvice,
  type AppliedBlock,
  type ImportClaim,
  type ImportProgress,
  type ImportStop,
  type ReviewRow,
} from "../services/imports.js";
import { failureWords } from "../services/database-failures.js";
import { applyInOrder } from "./block-outcomes.js";
import { countBlockOutcome } from "./block-review.js";
import { FailuresFile } from "./failures-file.js";
import { boundHeap } from "./full-collection.js";
import { freshTemporary, publish, replace, temporaryPath } from "./import-files.js";
import { parseBlock, type PendingBlock } from "./pending-block.js";
import { readBlocks, XmlFileError, type XmlFileHead } from "./xml-blocks.js";

export interface ImportOptions {
  fileset?: string | undefined;
  channel: "cli" | "api" | "watch";
  actor: string;
  /** The data dir holding `complete/`. */
  dataDir: string;
  /** Blocks applied per group; more is faster, fewer replays on a database refusal. */
  groupSize?: number;
  onProgress?: (progress: ImportProgressEvent) => void;
  /**
   * When an earlier import of this file (same name, fileset and channel) did not complete,
   * resume it instead of starting over (`serve --watch`, for a file a crash left in hand).
   */
  resumeUnfinished?: boolean;
  /**
   * Called when the import has recorded where its copy of the file is: from then on the import
   * holds the file, and `imports resume` can take it up whatever happens next. An error before
   * this call left nothing of the file anywhere (the database unreachable, a full disk).
   */
  onRecorded?: (importId: string) => void;
}

export interface ImportProgressEvent extends ImportProgress {
  bytesRead: number;
  totalBytes: number | null;
}

export interface ImportSummary {
  importId: string;
  file: string;
  fileset: string;
  total: number;
  succeeded: number;
  failed: number;
  warnings: number;
  byAction: ImportProgress["byAction"];
  /** The archived copy of the whole file; null when the file went to failed/ instead. */
  archivedPath: string | null;
  /** The whole file's copy in failed/, when it could not be read to its end. */
  failedFilePath: string | null;
  /** The failed blocks, as XML under the original root; null when none failed. */
  failuresPath: string | null;
  /** Set when the file itself could not be read to its end (malformed XML). */
  error: ImportStop | null;
  /** Blocks an earlier, interrupted run of this import applied: counted, not applied again. */
  resumedBlocks: number;
  /** How long this run took, from reading the file's copy to the import's end. */
  seconds: number;
}

/** One run of an import over its copy of the file (`sourcePath`). */
export interface ImportRun {
  /** This process's claim on the import: released when the run ends. */
  claim: ImportClaim;
  importId: string;
  fileName: string;
  fileset: string;
  sourcePath: string;
  failuresFile: string;
  /** Blocks an earlier run applied (resumed runs); empty for a new import. */
  applied: ReadonlyMap<number, AppliedBlock>;
  /** The failures file and malformed file's copy an earlier run wrote: this run replaces them. */
  earlierFailures: string | null;
  earlierFailedCopy: string | null;
}

export async function runImport(
  hub: Hub,
  run: ImportRun,
  options: Omit<ImportOptions, "fileset">,
): Promise<ImportSummary> {
  try {
    options.onRecorded?.(run.importId);
    return await runClaimed(hub, run, options);
  } finally {
    await run.claim.release();
  }
}

/** Runs a claimed import, counted in the process's metrics (`/metrics`) while under way. */
async function runClaimed(
  hub: Hub,
  run: ImportRun,
  options: Omit<ImportOptions, "fileset">,
): Promise<ImportSummary> {
  const started = performance.now();
  const ended = hub.metrics.importStarted();
  try {
    const summary = await applyFile(hub, run, options);
    ended(summary.error ? "failed" : "completed", summary.seconds);
    return summary;
  } catch (error) {
    ended("failed", (performance.now() - started) / 1000);
    throw error;
  }
}

async function applyFile(
  hub: Hub,
  run: ImportRun,
  options: Omit<ImportOptions, "fileset">,
): Promise<ImportSummary> {
  const { importId, fileName, fileset, applied } = run;
  const started = performance.now();
  const archivedPath: string = run.sourcePath;
  const failedDir = dirname(run.failuresFile);
  const totalBytes = statSync(archivedPath).size;

  let head: XmlFileHead | undefined;
  const failures = new FailuresFile(failedDir, fileName, importId, () => head);
  const progress: ImportProgress = { total: 0, succeeded: 0, failed: 0, warnings: 0, byAction: {} };
  const reader = createReadStream(archivedPath);
  let fileError: ImportSummary["error"] = null;
  let failedFilePath: string | null = null;

  const applyGroup = async (pending: PendingBlock[]): Promise<void> => {
    // Without its claim another run may start on the import: this one stops before it applies more.
    if (run.claim.lost.aborted) {
      throw new CusthubError(
        "IMPORT_INTERRUPTED",
        `Import ${importId} stopped: ${toError(run.claim.lost.reason).message} Another run may ` +
          `take it over now; ${resumeAdvice(importId)}`,
        { importId },
      );
    }
    const outcomes = await applyInOrder(
      hub,
      pending,
      {
        actor: options.actor,
        channel: "batch",
        importId,
      },
      applied,
    );
    const review: ReviewRow[] = [];
    for (const [at, item] of pending.entries()) {
      const outcome = outcomes[at]!;
      const row = await countBlockOutcome(item, outcome, progress, failures);
      if (row) review.push(row);
      // A block an earlier run applied was counted by the process that applied it.
      if (applied.has(item.block.number)) continue;
      hub.metrics.importedBlock(
        item.action ?? "unknown",
        outcome.ok ? "succeeded" : "failed",
        outcome.ok && row !== null,
      );
    }
    await hub.imports.record(importId, progress, review);
    // The embedded database shares the process's memory: the group's garbage goes now.
    if (hub.db.kind === "pglite") boundHeap();
    options.onProgress?.({ ...progress, bytesRead: reader.bytesRead, totalBytes });
  };

  let pending: PendingBlock[] = [];
  // One group is written while the next is read and mapped: on a database server the two
  // overlap. Groups are still applied strictly one after another, in file order.
  let writing: Promise<void> = Promise.resolve();
  try {
    for await (const block of readBlocks(reader, (found) => (head = found))) {
      pending.push(parseBlock(block, head));
      if (pending.length >= (options.groupSize ?? GROUP_SIZE)) {
        const group = pending;
        pending = [];
        await writing;
        writing = applyGroup(group);
        // Keep an early failure from being reported as unhandled while the next group is read.
        writing.catch(() => undefined);
      }
    }
    await writing;
  } catch (error) {
    if (!(error instanceof XmlFileError)) {
      await writing.catch(() => undefined);
      reader.destroy();
      await failures.discard().catch(() => undefined);
      await hub.imports.finish(importId, {
        status: "failed",
        error: {
          code: isCusthubError(error) ? error.code : "GENERAL_ERROR",
          // The review's reader is not the server's operator: never the database's own words.
          message: isCusthubError(error)
            ? error.message
            : `The import stopped: ${failureWords(error)}. ${resumeAdvice(importId)}`,
          line: null,
          column: null,
        },
        archivedPath,
        failedFilePath: null,
        failuresPath: null,
      });
      throw error;
    }
    // Blocks read before the bad spot stand and are reported; the file goes to failed/.
    await writing;
    fileError = {
      code: error.code,
      message: error.message,
      line: error.line,
      column: error.column,
    };
  } finally {
    reader.destroy();
  }
  await applyGroup(pending);
  // The embedded database has no autovacuum, and a server's comes too late for the searches
  // right after a large import.
  await hub.customers.refreshStatistics(progress.succeeded - applied.size);
  const failedTemporary = temporaryPath(failedDir, fileName, importId);
  if (fileError) {
    // The file goes to failed/ (SPEC 4), and its archived copy stays: "A complete copy of the
    // incoming request is placed in the /complete/[Fileset Name]/archived directory" (seeds/003).
    copyFileSync(archivedPath, freshTemporary(failedTemporary), constants.COPYFILE_FICLONE);
    failedFilePath =
      run.earlierFailedCopy !== null
        ? replace(failedTemporary, run.earlierFailedCopy)
        : publish(failedTemporary, failedDir, fileName, importId);
  }
  const failuresPath = await failures.close(run.earlierFailures);
  await hub.imports.finish(importId, {
    status: fileError ? "failed" : "completed",
    error: fileError,
    archivedPath,
    failedFilePath,
    failuresPath,
  });
  // Recorded: the temporary names, kept till now as the trail of unrecorded files, go.
  rmSync(failures.temporary, { force: true });
  rmSync(failedTemporary, { force: true });
  return {
    importId,
    file: fileName,
    fileset,
    total: progress.total,
    succeeded: progress.succeeded,
    failed: progress.failed,
    warnings: progress.warnings,
    byAction: progress.byAction,
    archivedPath,
    failedFilePath,
    failuresPath,
    error: fileError,
    resumedBlocks: applied.size,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
