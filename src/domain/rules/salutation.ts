import type { CheckedValue } from "./checked-value.js";

/** The prefixes of seeds/003 "Customer Validation" › "Prefix (Salutation)", in document order. */
export const SALUTATIONS = [
  "Mr",
  "Miss",
  "Mrs",
  "Ms",
  "Dr",
  "Imam",
  "Rev.",
  "Sir",
  "Sister",
  "Father",
  "Hon.",
  "HRH",
] as const;

/** The suffixes of seeds/003 "Customer Validation" › "Suffix" (Table 2-1), in document order. */
export const SUFFIXES = [
  "Esq.",
  "Sr.",
  "Jr.",
  "II",
  "III",
  "IV",
  "V",
  "2nd",
  "3rd",
  "4th",
] as const;

/** Typo tolerance applies only to canonical values this long once folded (SPEC 3). */
const MIN_FUZZY_LENGTH = 3;

/**
 * Rewrites a prefix that matches or is "very close" to one of {@link SALUTATIONS} to its canonical
 * spelling; anything else comes back trimmed and invalid (seeds/003 "Prefix (Salutation)", SPEC 3).
 *
 * @example
 * normalizeSalutation(" MR ");  // { value: "Mr", valid: true }
 * normalizeSalutation("Mrss");  // { value: "Mrs", valid: true }
 * normalizeSalutation("Baron"); // { value: "Baron", valid: false }
 */
export function normalizeSalutation(raw: string): CheckedValue {
  return matchCanonical(raw, SALUTATIONS);
}

/**
 * Rewrites a suffix that matches or is "very close" to one of {@link SUFFIXES} to its canonical
 * spelling; anything else comes back trimmed and invalid (seeds/003 "Suffix", SPEC 3).
 *
 * @example
 * normalizeSuffix("sr");  // { value: "Sr.", valid: true }
 * normalizeSuffix("VI");  // { value: "VI", valid: false }
 */
export function normalizeSuffix(raw: string): CheckedValue {
  return matchCanonical(raw, SUFFIXES);
}

/**
 * "Very close" (SPEC 3): equal after folding (case, dots and spaces ignored), or at Levenshtein
 * distance 1 from a folded canonical value of length 3 or more. An exact folded match wins. Among
 * several canonicals at distance 1 the one sharing the longest prefix with the input wins, then the
 * first in document order: `Mrss` is one edit from both `Miss` and `Mrs`, and the doubled letter
 * makes `Mrs` the likely intent.
 */
function matchCanonical(raw: string, canonicals: readonly string[]): CheckedValue {
  const trimmed = raw.trim();
  const folded = fold(trimmed);
  const exact = canonicals.find((canonical) => fold(canonical) === folded);
  if (exact !== undefined) return { value: exact, valid: true };

  let best: { canonical: string; sharedPrefix: number } | undefined;
  for (const canonical of canonicals) {
    const target = fold(canonical);
    if ([...target].length < MIN_FUZZY_LENGTH || !withinOneEdit(folded, target)) continue;
    const sharedPrefix = sharedPrefixLength(folded, target);
    if (best === undefined || sharedPrefix > best.sharedPrefix) best = { canonical, sharedPrefix };
  }
  return best === undefined
    ? { value: trimmed, valid: false }
    : { value: best.canonical, valid: true };
}

function fold(value: string): string {
  return value.toLowerCase().replace(/[.\s]/gu, "");
}

/** True when the Levenshtein distance between `a` and `b` (counted in code points) is exactly 1. */
function withinOneEdit(a: string, b: string): boolean {
  const left = [...a];
  const right = [...b];
  if (Math.abs(left.length - right.length) > 1) return false;
  const [shorter, longer] = left.length <= right.length ? [left, right] : [right, left];
  let start = 0;
  while (start < shorter.length && shorter[start] === longer[start]) start += 1;
  if (shorter.length === longer.length) {
    // One substitution at `start`, the rest equal (and not zero edits: the exact case is handled).
    return (
      start < shorter.length &&
      shorter.slice(start + 1).join("") === longer.slice(start + 1).join("")
    );
  }
  // One insertion into the shorter one at `start`.
  return shorter.slice(start).join("") === longer.slice(start + 1).join("");
}

function sharedPrefixLength(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  let length = 0;
  while (length < left.length && length < right.length && left[length] === right[length])
    length += 1;
  return length;
}
