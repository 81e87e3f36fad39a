/**
 * Batches travel in one round trip as parallel arrays expanded by `unnest` (graphile-worker's
 * way). A column that is itself an array goes as a text array literal and is cast back per row.
 */

/** `["a", "b\"c"]` -> `{"a","b\"c"}`: a PostgreSQL array literal of text. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}

/**
 * `VALUES ($1::bigint, $2::jsonb), ($3::bigint, $4::jsonb), ...` for `rows` of parameters with
 * the given casts. Large values (JSON documents) travel as parameters of their own this way,
 * instead of being escaped into one array literal: for the customer and outbox rows that halves
 * the cost of a batch.
 */
export function valuesList(casts: readonly string[], rowCount: number): string {
  // The wire protocol numbers parameters with 16 bits.
  if (rowCount * casts.length > 65_535) {
    throw new RangeError(
      `${rowCount} rows of ${casts.length} parameters exceed 65,535 parameters.`,
    );
  }
  const rows: string[] = [];
  for (let row = 0; row < rowCount; row += 1) {
    const base = row * casts.length;
    rows.push(`(${casts.map((cast, column) => `$${base + column + 1}::${cast}`).join(", ")})`);
  }
  return `VALUES ${rows.join(", ")}`;
}
