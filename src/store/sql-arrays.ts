/**
 * Batches travel in one round trip as parallel arrays expanded by `unnest` (graphile-worker's
 * way). A column that is itself an array goes as a text array literal and is cast back per row.
 */

/** `["a", "b\"c"]` -> `{"a","b\"c"}`: a PostgreSQL array literal of text. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}
