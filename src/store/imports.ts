/**
 * The imports table: one row per file, with its running counts and how it ended. Its review rows
 * are read in import-review-rows.ts, its journal of applied blocks kept in import-journal.ts.
 */
import type { Queryable } from "./database.js";
import type { ReviewRow } from "./import-review-rows.js";

/**
 * Why an import stopped before the end of its file: a malformed file (with its line and column), an
 * interrupted run (`IMPORT_INTERRUPTED`), a file that could not be received. The import summary and
 * the review give the same object.
 */
export interface ImportStop {
  code: string;
  message: string;
  line: number | null;
  column: number | null;
}

export interface ImportRow {
  id: string;
  fileName: string;
  fileset: string;
  channel: string;
  status: "running" | "completed" | "failed";
  startedAt: Date;
  finishedAt: Date | null;
  total: number;
  succeeded: number;
  failed: number;
  warnings: number;
  byAction: Record<string, { succeeded: number; failed: number }>;
  error: ImportStop | null;
  /** The archived copy of the whole file; null when the file went to failed/ instead. */
  archivedPath: string | null;
  /** The whole file's copy in failed/, when it could not be read to its end. */
  failedFilePath: string | null;
  failuresPath: string | null;
}

const IMPORT_COLUMNS = `id::text AS id, file_name, fileset, channel, status, started_at, finished_at, total,
  succeeded, failed, warnings, by_action, error, error_code, error_line, error_column, archived_path,
  failed_file_path, failures_path`;

interface ImportRecord {
  id: string;
  file_name: string;
  fileset: string;
  channel: string;
  status: ImportRow["status"];
  started_at: Date;
  finished_at: Date | null;
  total: number;
  succeeded: number;
  failed: number;
  warnings: number;
  by_action: ImportRow["byAction"];
  error: string | null;
  error_code: string | null;
  error_line: number | null;
  error_column: number | null;
  archived_path: string | null;
  failed_file_path: string | null;
  failures_path: string | null;
}

const toImport = (row: ImportRecord): ImportRow => ({
  id: row.id,
  fileName: row.file_name,
  fileset: row.fileset,
  channel: row.channel,
  status: row.status,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  total: row.total,
  succeeded: row.succeeded,
  failed: row.failed,
  warnings: row.warnings,
  byAction: row.by_action,
  error:
    row.error === null
      ? null
      : {
          code: row.error_code ?? "GENERAL_ERROR",
          message: row.error,
          line: row.error_line,
          column: row.error_column,
        },
  archivedPath: row.archived_path,
  failedFilePath: row.failed_file_path,
  failuresPath: row.failures_path,
});

/** A new import's id, taken before its row is written so the import can be claimed first. */
export async function allocateImportId(db: Queryable): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    "SELECT nextval(pg_get_serial_sequence('imports', 'id'))::text AS id",
  );
  return row!.id;
}

export async function insertImport(
  db: Queryable,
  importId: string,
  fields: { fileName: string; fileset: string; channel: string },
): Promise<void> {
  await db.query(
    "INSERT INTO imports (id, file_name, fileset, channel, status) VALUES ($1::bigint, $2, $3, $4, 'running')",
    [importId, fields.fileName, fields.fileset, fields.channel],
  );
}

export interface ImportProgress {
  total: number;
  succeeded: number;
  failed: number;
  warnings: number;
  byAction: ImportRow["byAction"];
}

/** Records a batch of review rows and the running counts, in one statement. */
export async function recordImportProgress(
  db: Queryable,
  importId: string,
  progress: ImportProgress,
  rows: readonly ReviewRow[],
): Promise<void> {
  // One statement, so atomic on its own: the review rows and the counts that include them.
  // Error codes travel comma-joined: unnest flattens arrays of arrays.
  await db.query(
    `WITH review AS (
       INSERT INTO import_review_rows (import_id, block_number, line, action, block_key, outcome, error_codes, message)
       SELECT $1::bigint, block_number, line, action, block_key, outcome, string_to_array(codes, ','), message
         FROM unnest($7::int[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
           AS r (block_number, line, action, block_key, outcome, codes, message))
     UPDATE imports SET total = $2, succeeded = $3, failed = $4, warnings = $5, by_action = $6::jsonb
      WHERE id = $1::bigint`,
    [
      importId,
      progress.total,
      progress.succeeded,
      progress.failed,
      progress.warnings,
      JSON.stringify(progress.byAction),
      rows.map((row) => row.blockNumber),
      rows.map((row) => row.line),
      rows.map((row) => row.action),
      rows.map((row) => row.key),
      rows.map((row) => row.outcome),
      rows.map((row) => row.errorCodes.join(",")),
      rows.map((row) => row.message),
    ],
  );
}

/** How an import ended, and where its files went. */
export interface ImportEnd {
  status: "completed" | "failed";
  error: ImportStop | null;
  archivedPath: string | null;
  failedFilePath: string | null;
  failuresPath: string | null;
}

export async function finishImport(
  db: Queryable,
  importId: string,
  fields: ImportEnd,
): Promise<void> {
  await db.query(
    `UPDATE imports SET status = $2, error = $3, error_code = $4, error_line = $5, error_column = $6,
            archived_path = $7, failed_file_path = $8, failures_path = $9, finished_at = now()
      WHERE id = $1::bigint`,
    [
      importId,
      fields.status,
      fields.error?.message ?? null,
      fields.error?.code ?? null,
      fields.error?.line ?? null,
      fields.error?.column ?? null,
      fields.archivedPath,
      fields.failedFilePath,
      fields.failuresPath,
    ],
  );
}

/** The imports marked running, oldest first. */
export async function runningImports(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    "SELECT id::text AS id FROM imports WHERE status = 'running' ORDER BY imports.id",
  );
  return rows.map((row) => row.id);
}

/** Marks an import that is still marked running failed, with why; false when it was not running. */
export async function failRunningImport(
  db: Queryable,
  importId: string,
  error: { code: string; message: string },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE imports SET status = 'failed', error = $2, error_code = $3, error_line = NULL,
            error_column = NULL, finished_at = now()
      WHERE id = $1::bigint AND status = 'running' RETURNING id`,
    [importId, error.message, error.code],
  );
  return rows.length > 0;
}

export async function listImports(db: Queryable, limit: number): Promise<ImportRow[]> {
  const rows = await db.query<ImportRecord>(
    `SELECT ${IMPORT_COLUMNS} FROM imports ORDER BY imports.id DESC LIMIT $1`,
    [limit],
  );
  return rows.map(toImport);
}

export async function readImport(db: Queryable, importId: string): Promise<ImportRow | null> {
  const [row] = await db.query<ImportRecord>(
    `SELECT ${IMPORT_COLUMNS} FROM imports WHERE id = $1::bigint`,
    [importId],
  );
  return row ? toImport(row) : null;
}

/** Where an import's copy of the file and its failures file are, from its start (migration 0012). */
export async function locateImportFiles(
  db: Queryable,
  importId: string,
  files: { sourcePath: string; failuresFile: string },
): Promise<void> {
  await db.query("UPDATE imports SET source_path = $2, failures_file = $3 WHERE id = $1::bigint", [
    importId,
    files.sourcePath,
    files.failuresFile,
  ]);
}

/** An import as a resumed run needs it: where its files are. */
export interface ImportFiles {
  row: ImportRow;
  sourcePath: string | null;
  failuresFile: string | null;
}

export async function readImportFiles(
  db: Queryable,
  importId: string,
): Promise<ImportFiles | null> {
  const [row] = await db.query<
    ImportRecord & { source_path: string | null; failures_file: string | null }
  >(`SELECT ${IMPORT_COLUMNS}, source_path, failures_file FROM imports WHERE id = $1::bigint`, [
    importId,
  ]);
  return row
    ? { row: toImport(row), sourcePath: row.source_path, failuresFile: row.failures_file }
    : null;
}

/**
 * The imports of this file (fileset and name, by any channel) a run that died may have left
 * temporary files of: each that did not complete, and the newest, whose run may have died right
 * after it ended.
 */
export async function findImportsOfFile(
  db: Queryable,
  fields: { fileName: string; fileset: string },
): Promise<ImportFiles[]> {
  const rows = await db.query<
    ImportRecord & { source_path: string | null; failures_file: string | null }
  >(
    `SELECT ${IMPORT_COLUMNS}, source_path, failures_file FROM imports
      WHERE file_name = $1 AND fileset = $2
        AND (status <> 'completed'
             OR id = (SELECT max(id) FROM imports WHERE file_name = $1 AND fileset = $2))
      ORDER BY imports.id`,
    [fields.fileName, fields.fileset],
  );
  return rows.map((row) => ({
    row: toImport(row),
    sourcePath: row.source_path,
    failuresFile: row.failures_file,
  }));
}

/** The newest import of this file (fileset, name, channel) that completed, if any. */
export async function findCompletedImport(
  db: Queryable,
  fields: { fileName: string; fileset: string; channel: string },
): Promise<ImportRow | null> {
  const [row] = await db.query<ImportRecord>(
    `SELECT ${IMPORT_COLUMNS} FROM imports
      WHERE file_name = $1 AND fileset = $2 AND channel = $3 AND status = 'completed'
      ORDER BY imports.id DESC LIMIT 1`,
    [fields.fileName, fields.fileset, fields.channel],
  );
  return row ? toImport(row) : null;
}

/**
 * The newest import of this file (fileset, name, channel) that did not complete: the one a
 * resumed run continues.
 */
export async function findUnfinishedImport(
  db: Queryable,
  fields: { fileName: string; fileset: string; channel: string },
): Promise<{ id: string; sourcePath: string } | null> {
  const [row] = await db.query<{ id: string; source_path: string }>(
    `SELECT id::text AS id, source_path FROM imports
      WHERE file_name = $1 AND fileset = $2 AND channel = $3 AND status <> 'completed'
        AND source_path IS NOT NULL
      ORDER BY imports.id DESC LIMIT 1`,
    [fields.fileName, fields.fileset, fields.channel],
  );
  return row ? { id: row.id, sourcePath: row.source_path } : null;
}

/**
 * Starts the import over for a resumed run: running again, its counts and review rows cleared
 * (the run counts every block again, the applied ones from the journal). The journal stays.
 */
export async function reopenImport(db: Queryable, importId: string): Promise<void> {
  await db.query(
    `WITH cleared AS (DELETE FROM import_review_rows WHERE import_id = $1::bigint)
     UPDATE imports SET status = 'running', error = NULL, error_code = NULL, error_line = NULL,
            error_column = NULL, finished_at = NULL, total = 0,
            succeeded = 0, failed = 0, warnings = 0, by_action = '{}'
      WHERE id = $1::bigint`,
    [importId],
  );
}
