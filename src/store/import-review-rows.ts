/** The review rows of an import: one per failed or warned block. */
import type { Queryable } from "./database.js";

export interface ReviewRow {
  blockNumber: number;
  line: number;
  action: string | null;
  key: string | null;
  outcome: "failed" | "warning";
  errorCodes: string[];
  message: string;
}

/**
 * The review rows of an import in block order: all of them, or a page: the rows after the block
 * numbered `after`, from the next one's number on across `span` block numbers (at most `span`
 * rows, and at least one while any are left). A page bounded so, and not by LIMIT, is read
 * through the key's index whatever the planner's statistics say: with a LIMIT, an embedded
 * database that had not gathered them sorted every row left for each page.
 */
export async function readReviewRows(
  db: Queryable,
  importId: string,
  page?: { after: number; span: number },
): Promise<ReviewRow[]> {
  const rows = await db.query<{
    block_number: number;
    line: number;
    action: string | null;
    block_key: string | null;
    outcome: ReviewRow["outcome"];
    error_codes: string[];
    message: string;
  }>(
    `SELECT block_number, line, action, block_key, outcome, error_codes, message
       FROM import_review_rows WHERE import_id = $1::bigint${
         page
           ? ` AND block_number > $2 AND block_number < $3 + (
                SELECT min(block_number) FROM import_review_rows
                 WHERE import_id = $1::bigint AND block_number > $2)`
           : ""
       }
      ORDER BY block_number`,
    page ? [importId, page.after, page.span] : [importId],
  );
  return rows.map((row) => ({
    blockNumber: row.block_number,
    line: row.line,
    action: row.action,
    key: row.block_key,
    outcome: row.outcome,
    errorCodes: row.error_codes,
    message: row.message,
  }));
}
