import type { CheckedValue } from "./checked-value.js";

const MALE_MARKS = new Set(["M", "m", "1"]);
const FEMALE_MARKS = new Set(["F", "f", "W", "w", "0"]);

/**
 * Reduces a gender to `M` or `F` by its first character; any other value is kept (trimmed) and
 * flagged invalid (seeds/003 "Customer Validation" › "Gender", SPEC 3).
 *
 * @example
 * normalizeGender("Woman"); // { value: "F", valid: true }
 * normalizeGender("X");     // { value: "X", valid: false }
 */
export function normalizeGender(raw: string): CheckedValue {
  const trimmed = raw.trim();
  const first = trimmed.charAt(0);
  if (MALE_MARKS.has(first)) return { value: "M", valid: true };
  if (FEMALE_MARKS.has(first)) return { value: "F", valid: true };
  return { value: trimmed, valid: false };
}
