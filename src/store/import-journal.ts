/**
 * The journal of an import's applied blocks: written by the transaction that applies them, read
 * by a resumed run so it applies each block once (docs/import.md, "Interrupted imports").
 */
import type { ValidationIssue } from "../domain/customer.js";
import type { Queryable } from "./database.js";

/** A block that took effect: journaled by the transaction that applied it. */
export interface AppliedBlock {
  /** 1-based position of the block in the file. */
  block: number;
  customerID: string;
  /** Values not written (severity `warning`), for the review row a resumed run writes again. */
  warnings?: ValidationIssue[];
}

export async function journalAppliedBlocks(
  tx: Queryable,
  importId: string,
  blocks: readonly AppliedBlock[],
): Promise<void> {
  if (blocks.length === 0) return;
  await tx.query(
    "INSERT INTO import_applied_blocks (import_id, blocks) VALUES ($1::bigint, $2::jsonb)",
    [importId, JSON.stringify(blocks)],
  );
}

/** The blocks of the import that took effect, by block number. */
export async function readAppliedBlocks(
  db: Queryable,
  importId: string,
): Promise<Map<number, AppliedBlock>> {
  const rows = await db.query<{ blocks: AppliedBlock[] }>(
    "SELECT blocks FROM import_applied_blocks WHERE import_id = $1::bigint",
    [importId],
  );
  const applied = new Map<number, AppliedBlock>();
  for (const row of rows) for (const block of row.blocks) applied.set(block.block, block);
  return applied;
}
