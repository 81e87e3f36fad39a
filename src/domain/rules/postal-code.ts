import type { CheckedValue } from "./checked-value.js";

/** What survives cleaning: letters, digits, `-`, space and `.` (seeds/003 "Postal Code"). */
const NOT_KEPT_IN_POSTAL_CODES = /[^\p{L}\p{Nd} .-]/gu;
const US_ZIP = /^\d{5}$/u;
const US_ZIP_PLUS_FOUR = /^\d{5}-\d{4}$/u;
/** `A1A1A1`, the Canadian form; spaces are ignored when matching it (SPEC 3). */
// Spelled out rather than with the `i` flag, which under `u` also lets `ſ` and the Kelvin sign in.
const LETTER_DIGIT_X3 = /^[A-Za-z]\d[A-Za-z]\d[A-Za-z]\d$/u;

/**
 * Cleans a postal code and checks it against `99999`, `99999-9999` or `A1A1A1` (seeds/003 "Postal
 * Code", SPEC 3). A valid `A1A1A1` code is upper-cased, its spacing kept. Letters of other scripts
 * survive cleaning, so such a code is flagged rather than silently shortened.
 *
 * @example
 * normalizePostalCode("(18901)");  // { value: "18901", valid: true }
 * normalizePostalCode("k1a 0b1");  // { value: "K1A 0B1", valid: true }
 * normalizePostalCode("49136.");   // { value: "49136.", valid: false }
 */
export function normalizePostalCode(raw: string): CheckedValue {
  const cleaned = raw.replace(NOT_KEPT_IN_POSTAL_CODES, "").trim();
  if (US_ZIP.test(cleaned) || US_ZIP_PLUS_FOUR.test(cleaned))
    return { value: cleaned, valid: true };
  if (LETTER_DIGIT_X3.test(cleaned.replaceAll(" ", ""))) {
    return { value: cleaned.toUpperCase(), valid: true };
  }
  return { value: cleaned, valid: false };
}
