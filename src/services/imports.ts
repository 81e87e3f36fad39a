/** The batch import review: the record of every import and its failed or warned blocks (SPEC 4). */
import { CusthubError } from "../domain/errors.js";
import type { Database } from "../store/database.js";
import {
  failRunningImports,
  finishImport,
  insertImport,
  listImports,
  readImport,
  readReviewRows,
  recordImportProgress,
  type ImportEnd,
  type ImportProgress,
  type ImportRow,
  type ReviewRow,
} from "../store/imports.js";

export type { ImportProgress, ImportRow, ReviewRow };

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

  /**
   * Closes the imports that a process which died (SIGKILL, power loss) left running. Only for the
   * embedded database, whose one process at a time is the caller: on a PostgreSQL server another
   * process may be importing right now.
   */
  closeInterrupted(): Promise<number> {
    return failRunningImports(
      this.db,
      "Interrupted: the process importing this file stopped before it finished. The blocks counted " +
        "here were applied and stand; import the file again to apply the rest (AddorUpdate converges).",
    );
  }

  list(limit = 50): Promise<ImportRow[]> {
    return listImports(this.db, Math.min(Math.max(Math.trunc(limit), 1), 500));
  }

  async show(importId: string): Promise<ImportReview> {
    const found = /^\d{1,18}$/.test(importId) ? await readImport(this.db, importId) : null;
    if (!found)
      throw new CusthubError("IMPORT_NOT_FOUND", `No import with id ${importId}.`, { importId });
    return { ...found, rows: await readReviewRows(this.db, importId) };
  }
}
