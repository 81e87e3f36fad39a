/** Segment definitions (the segment master); membership is in each customer's document. */
import type { Segment } from "../domain/customer-assignments.js";
import type { Queryable } from "./database.js";

export interface StoredSegment extends Segment {
  createdAt: Date;
}

interface SegmentRow {
  segment_id: string;
  name: string;
  description: string | null;
  created_at: Date;
}

const toSegment = (row: SegmentRow): StoredSegment => ({
  segmentId: row.segment_id,
  name: row.name,
  description: row.description,
  createdAt: row.created_at,
});

const COLUMNS = "segment_id::text AS segment_id, name, description, created_at";

/** Adds a segment; null when its name (any case) is taken. */
export async function insertSegment(
  db: Queryable,
  segment: { name: string; nameKey: string; description: string | null },
): Promise<StoredSegment | null> {
  const [row] = await db.query<SegmentRow>(
    `INSERT INTO segments (name, name_key, description) VALUES ($1, $2, $3)
     ON CONFLICT (name_key) DO NOTHING RETURNING ${COLUMNS}`,
    [segment.name, segment.nameKey, segment.description],
  );
  return row ? toSegment(row) : null;
}

/** The segment with this id, or (`nameKey`) this name. */
export async function findSegment(
  db: Queryable,
  by: { segmentId: string } | { nameKey: string },
): Promise<StoredSegment | null> {
  const [row] =
    "segmentId" in by
      ? /^\d{1,18}$/.test(by.segmentId)
        ? await db.query<SegmentRow>(
            `SELECT ${COLUMNS} FROM segments WHERE segment_id = $1::bigint`,
            [by.segmentId],
          )
        : []
      : await db.query<SegmentRow>(`SELECT ${COLUMNS} FROM segments WHERE name_key = $1`, [
          by.nameKey,
        ]);
  return row ? toSegment(row) : null;
}

/** Every segment, in id order, with how many active customers are in it. */
export async function listSegments(
  db: Queryable,
): Promise<(StoredSegment & { customerCount: number })[]> {
  const rows = await db.query<SegmentRow & { customer_count: number }>(
    `WITH members AS (
       SELECT entry->>'segmentId' AS segment_id, count(*)::int AS customer_count
         FROM customers, jsonb_array_elements(record::jsonb->'segments') AS entry
        WHERE active
        GROUP BY 1)
     SELECT s.segment_id::text AS segment_id, s.name, s.description, s.created_at,
            coalesce(m.customer_count, 0) AS customer_count
       FROM segments s LEFT JOIN members m ON m.segment_id = s.segment_id::text
      ORDER BY s.segment_id`,
  );
  return rows.map((row) => ({ ...toSegment(row), customerCount: row.customer_count }));
}
