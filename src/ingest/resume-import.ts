/**
 * The resume path: a new run of an import that did not complete, over the copy of the file it
 * recorded, applying only the blocks no earlier run applied (docs/import.md, "Interrupted imports").
 */
import type { Hub } from "../services/hub.js";
import type { ImportRow } from "../services/imports.js";
import { isTemporaryPath, sweepLeftovers } from "./import-files.js";
import { runImport, type ImportOptions, type ImportSummary } from "./import-run.js";

/** The summary of an import that completed earlier, as its run reported it. */
export function summaryOfCompleted(row: ImportRow): ImportSummary {
  return {
    importId: row.id,
    file: row.fileName,
    fileset: row.fileset,
    total: row.total,
    succeeded: row.succeeded,
    failed: row.failed,
    warnings: row.warnings,
    byAction: row.byAction,
    archivedPath: row.archivedPath,
    failedFilePath: row.failedFilePath,
    failuresPath: row.failuresPath,
    error: row.error,
    resumedBlocks: row.total,
    seconds: 0,
  };
}

/**
 * Resumes an import that did not complete (a crash, a kill, a lost database): reads its copy of
 * the file again from the start, counts the blocks the earlier run applied without applying them
 * again (the journal their transactions wrote), and applies the rest. Refused for an import that
 * completed, or one a live process is running (it holds the import's claim).
 */
export async function resumeImport(
  hub: Hub,
  importId: string,
  options: Omit<ImportOptions, "fileset" | "channel" | "resumeUnfinished">,
): Promise<ImportSummary> {
  const reopened = await hub.imports.reopen(importId);
  const { row } = reopened;
  try {
    // What the run that died left: this run writes it anew.
    sweepLeftovers(reopened, options.dataDir);
  } catch (error) {
    await reopened.claim.release();
    throw error;
  }
  return runImport(
    hub,
    {
      claim: reopened.claim,
      importId,
      fileName: row.fileName,
      fileset: row.fileset,
      sourcePath: reopened.sourcePath,
      failuresFile: reopened.failuresFile,
      applied: reopened.applied,
      // Written again by this run, in the same place: an import keeps one of each.
      earlierFailures:
        row.failuresPath ??
        // An import recorded by an earlier version took its failures file's name at its start.
        (isTemporaryPath(reopened.failuresFile) ? null : reopened.failuresFile),
      earlierFailedCopy: row.failedFilePath,
    },
    { ...options, channel: row.channel as ImportOptions["channel"] },
  );
}
