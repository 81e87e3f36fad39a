/** The batch import review: the record of every import and its failed or warned blocks (SPEC 4). */
import { existsSync } from "node:fs";
import { CusthubError } from "../domain/errors.js";
import type { Database } from "../store/database.js";
import {
  failRunningImports,
  findUnfinishedImport,
  finishImport,
  insertImport,
  listImports,
  locateImportFiles,
  readAppliedBlocks,
  readImport,
  readImportFiles,
  readReviewRows,
  recordImportProgress,
  reopenImport,
  type AppliedBlock,
  type ImportEnd,
  type ImportProgress,
  type ImportRow,
  type ReviewRow,
} from "../store/imports.js";

export type { AppliedBlock, ImportProgress, ImportRow, ReviewRow };

/** An import's id as the store keeps it: a bigint. */
const IMPORT_ID = /^\d{1,18}$/;

/** What a resumed run of an import needs (`ImportService.reopen`). */
export interface ReopenedImport {
  row: ImportRow;
  /** The import's own copy of the file: read again from its start. */
  sourcePath: string;
  failuresFile: string;
  /** The blocks that already took effect, by block number: skipped, and counted from here. */
  applied: Map<number, AppliedBlock>;
}

export interface ImportReview extends ImportRow {
  rows: ReviewRow[];
}

export class ImportService {
  constructor(private readonly db: Database) {}

  start(fields: { fileName: string; fileset: string; channel: string }): Promise<string> {
    return insertImport(this.db, fields);
  }

  record(importId: string, progress: ImportProgress, rows: readonly ReviewRow[]): Promise<void> {
    return recordImportProgress(this.db, importId, progress, rows);
  }

  finish(importId: string, fields: ImportEnd): Promise<void> {
    return finishImport(this.db, importId, fields);
  }

  /** Records, at the start, where the import's copy of the file and its failures file are. */
  located(importId: string, files: { sourcePath: string; failuresFile: string }): Promise<void> {
    return locateImportFiles(this.db, importId, files);
  }

  /** The newest import of this file that did not complete, if any, and its copy of the file. */
  unfinished(fields: {
    fileName: string;
    fileset: string;
    channel: string;
  }): Promise<{ id: string; sourcePath: string } | null> {
    return findUnfinishedImport(this.db, fields);
  }

  /**
   * Opens an import that did not complete for a resumed run: refused when it completed, when its
   * copy of the file is gone, or, unless `force`, when it is still marked running (on a server
   * another process may be running it; the embedded database marks a dead process's imports
   * failed when it opens).
   */
  async reopen(importId: string, options: { force?: boolean } = {}): Promise<ReopenedImport> {
    const found = IMPORT_ID.test(importId) ? await readImportFiles(this.db, importId) : null;
    if (!found)
      throw new CusthubError("IMPORT_NOT_FOUND", `No import with id ${importId}.`, { importId });
    const refuse = (why: string): never => {
      throw new CusthubError("INVALID_REQUEST", `Import ${importId} cannot be resumed: ${why}.`, {
        importId,
      });
    };
    if (found.row.status === "completed") refuse("it completed");
    if (found.row.status === "running" && !options.force) {
      refuse("it is still marked running (give --force if the process running it has stopped)");
    }
    if (!found.sourcePath || !found.failuresFile || !existsSync(found.sourcePath)) {
      refuse("its copy of the file is not there");
    }
    await reopenImport(this.db, importId);
    return {
      row: found.row,
      sourcePath: found.sourcePath!,
      failuresFile: found.failuresFile!,
      applied: await readAppliedBlocks(this.db, importId),
    };
  }

  /**
   * Closes the imports that a process which died (SIGKILL, power loss) left running. Only for the
   * embedded database, whose one process at a time is the caller: on a PostgreSQL server another
   * process may be importing right now.
   */
  closeInterrupted(): Promise<number> {
    return failRunningImports(
      this.db,
      "Interrupted: the process importing this file stopped before it finished. The blocks it " +
        "applied stand; `custhub imports resume ID` applies the rest, each block once.",
    );
  }

  list(limit = 50): Promise<ImportRow[]> {
    return listImports(this.db, Math.min(Math.max(Math.trunc(limit), 1), 500));
  }

  async show(importId: string): Promise<ImportReview> {
    const found = IMPORT_ID.test(importId) ? await readImport(this.db, importId) : null;
    if (!found)
      throw new CusthubError("IMPORT_NOT_FOUND", `No import with id ${importId}.`, { importId });
    return { ...found, rows: await readReviewRows(this.db, importId) };
  }
}
