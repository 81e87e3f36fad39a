/** The batch import review: the record of every import and its failed or warned blocks (SPEC 4). */
import { existsSync } from "node:fs";
import { CusthubError } from "../domain/errors.js";
import type { Database, HeldLock } from "../store/database.js";
import {
  allocateImportId,
  failRunningImport,
  findCompletedImport,
  findImportsOfFile,
  findUnfinishedImport,
  finishImport,
  insertImport,
  listImports,
  locateImportFiles,
  readImport,
  readImportFiles,
  recordImportProgress,
  reopenImport,
  runningImports,
  type ImportEnd,
  type ImportFiles,
  type ImportProgress,
  type ImportRow,
  type ImportStop,
} from "../store/imports.js";
import { readAppliedBlocks, type AppliedBlock } from "../store/import-journal.js";
import { readReviewRows, type ReviewRow } from "../store/import-review-rows.js";

export type { AppliedBlock, ImportFiles, ImportProgress, ImportRow, ImportStop, ReviewRow };

/** Review rows read at a time. */
const REVIEW_PAGE = 2000;

/** An import's id as the store keeps it: a bigint. */
const IMPORT_ID = /^\d{1,18}$/;

/** What applies the rest of an import that stopped part-way. */
export const resumeAdvice = (importId: string): string =>
  `\`custhub imports resume ${importId}\` applies the rest, each block once.`;

const interrupted = (importId: string): string =>
  "Interrupted: the process importing this file stopped before it finished. The blocks it " +
  `applied stand; ${resumeAdvice(importId)}`;

/** Before the import had its copy of the file, nothing was applied and there is none to resume. */
const NOT_RECEIVED =
  "Interrupted: the process importing this file stopped before it had received the whole file. " +
  "No block was applied; import the file again.";

/**
 * The claim of the process running an import: while it is held no other run of the import
 * starts, and when its process dies the claim goes with it (docs/import.md, "Interrupted
 * imports"). `lost` aborts when the claim is lost while the run goes on: the run must stop.
 */
export interface ImportClaim {
  readonly importId: string;
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/** What a resumed run of an import needs (`ImportService.reopen`). */
export interface ReopenedImport {
  claim: ImportClaim;
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

  /** Starts an import, claimed by this process until the claim is released. */
  async start(fields: {
    fileName: string;
    fileset: string;
    channel: string;
  }): Promise<ImportClaim> {
    const importId = await allocateImportId(this.db);
    // Claimed before its row is written: no one sees it running and unclaimed.
    const claim = await this.#claim(importId);
    if (!claim) throw new Error(`Import ${importId} is claimed before it exists.`);
    try {
      await insertImport(this.db, importId, fields);
    } catch (error) {
      await claim.release();
      throw error;
    }
    return claim;
  }

  async #claim(importId: string): Promise<ImportClaim | null> {
    const lock: HeldLock | null = await this.db.tryLock(`custhub.import.${importId}`);
    return lock && { importId, lost: lock.lost, release: () => lock.release() };
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

  /** The newest import of this file that completed, if any. */
  completed(fields: {
    fileName: string;
    fileset: string;
    channel: string;
  }): Promise<ImportRow | null> {
    return findCompletedImport(this.db, fields);
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
   * Opens an import that did not complete for a resumed run, claimed by this process. Refused
   * when it completed, when its copy of the file is gone, or when a run of it is alive, in this
   * process or another (it holds the import's claim); an import marked running whose process
   * died has no claim and is resumed.
   */
  async reopen(importId: string): Promise<ReopenedImport> {
    const refuse = (why: string): never => {
      throw new CusthubError("INVALID_REQUEST", `Import ${importId} cannot be resumed: ${why}.`, {
        importId,
      });
    };
    if (!IMPORT_ID.test(importId) || !(await readImportFiles(this.db, importId))) {
      throw new CusthubError("IMPORT_NOT_FOUND", `No import with id ${importId}.`, { importId });
    }
    const claim = await this.#claim(importId);
    if (!claim) {
      throw new CusthubError(
        "IMPORT_IN_PROGRESS",
        `Import ${importId} cannot be resumed: a process is importing it right now (if that ` +
          "process has just stopped, try again in a moment).",
        { importId },
      );
    }
    try {
      // Read again under the claim: a run that ended meanwhile may have completed it.
      const found = (await readImportFiles(this.db, importId))!;
      if (found.row.status === "completed") refuse("it completed");
      if (!found.sourcePath || !found.failuresFile || !existsSync(found.sourcePath)) {
        refuse("its copy of the file is not there");
      }
      await reopenImport(this.db, importId);
      return {
        claim,
        row: found.row,
        sourcePath: found.sourcePath!,
        failuresFile: found.failuresFile!,
        applied: await readAppliedBlocks(this.db, importId),
      };
    } catch (error) {
      await claim.release();
      throw error;
    }
  }

  /** The imports of this file a run that died may have left files of (`findImportsOfFile`). */
  ofFile(fields: { fileName: string; fileset: string }): Promise<ImportFiles[]> {
    return findImportsOfFile(this.db, fields);
  }

  /**
   * Runs `work` on the import, as recorded now, while no run of it can start: under its claim.
   * Resolves false, without running `work`, when a live run holds the claim.
   */
  async whileNotRunning(
    importId: string,
    work: (found: ImportFiles) => void | Promise<void>,
  ): Promise<boolean> {
    const claim = await this.#claim(importId);
    if (!claim) return false;
    try {
      const found = await readImportFiles(this.db, importId);
      if (found) await work(found);
      return true;
    } finally {
      await claim.release();
    }
  }

  /**
   * Marks failed the imports left marked running by a process that died (SIGKILL, power loss,
   * a lost machine): those whose claim no live process holds. Returns how many it marked.
   */
  async closeInterrupted(): Promise<number> {
    let closed = 0;
    for (const importId of await runningImports(this.db)) {
      if (await this.#closeIfDead(importId)) closed += 1;
    }
    return closed;
  }

  async #closeIfDead(importId: string): Promise<boolean> {
    const claim = await this.#claim(importId);
    if (!claim) return false;
    try {
      const located = (await readImportFiles(this.db, importId))?.sourcePath ?? null;
      return await failRunningImport(this.db, importId, {
        code: "IMPORT_INTERRUPTED",
        message: located === null ? NOT_RECEIVED : interrupted(importId),
      });
    } finally {
      await claim.release();
    }
  }

  /** The newest imports; one marked running whose process died is shown as interrupted. */
  async list(limit = 50): Promise<ImportRow[]> {
    const rows = await listImports(this.db, Math.min(Math.max(Math.trunc(limit), 1), 500));
    let closed = false;
    for (const row of rows) {
      if (row.status === "running" && (await this.#closeIfDead(row.id))) closed = true;
    }
    return closed ? this.list(limit) : rows;
  }

  async show(importId: string): Promise<ImportReview> {
    return { ...(await this.get(importId)), rows: await readReviewRows(this.db, importId) };
  }

  /** The import without its review rows; one marked running whose process died, as interrupted. */
  async get(importId: string): Promise<ImportRow> {
    const found = IMPORT_ID.test(importId) ? await readImport(this.db, importId) : null;
    if (!found)
      throw new CusthubError("IMPORT_NOT_FOUND", `No import with id ${importId}.`, { importId });
    if (found.status === "running" && (await this.#closeIfDead(importId))) {
      return (await readImport(this.db, importId))!;
    }
    return found;
  }

  /**
   * The import's review rows in block order, read a page at a time: a review of a million failed
   * blocks is printed or sent without being held whole.
   */
  async *rows(importId: string, pageSize = REVIEW_PAGE): AsyncGenerator<ReviewRow> {
    for (let after = 0; ;) {
      const page = await readReviewRows(this.db, importId, { after, span: pageSize });
      if (page.length === 0) return;
      yield* page;
      after = page.at(-1)!.blockNumber;
    }
  }
}

/**
 * The review as one JSON document, `{...row, rows: [...]}`, written as the rows are read: the
 * text `JSON.stringify(review, null, space)` gives, in pieces, with no more than one row held.
 */
export async function* reviewJson(
  row: ImportRow,
  rows: AsyncIterable<ReviewRow>,
  space: 0 | 2 = 0,
): AsyncGenerator<string> {
  const whole = JSON.stringify({ ...row, rows: [] }, null, space);
  // The document ends with the empty list: `[]}` or `[]\n}`.
  const open = whole.lastIndexOf("[]");
  yield whole.slice(0, open + 1);
  const indent = space === 0 ? "" : "\n    ";
  let first = true;
  for await (const item of rows) {
    const text = JSON.stringify(item, null, space);
    yield `${first ? "" : ","}${indent}${space === 0 ? text : text.replace(/\n/g, indent)}`;
    first = false;
  }
  yield `${first || space === 0 ? "" : "\n  "}${whole.slice(open + 1)}`;
}
