import type { NameLocation } from "../customer.js";

/**
 * Everything a name may keep: letters (any script, with their combining marks), whitespace, and the
 * punctuation seeds/003 spares — `(`, `-`, `)` and the apostrophe, typed straight or typographic.
 * The hyphen may be Unicode's own (U+2010) or its non-breaking form (U+2011), as word processors
 * write it: dropped, `Anne‐Marie` would become `Annemarie`.
 */
const KEPT_IN_NAMES = /[\p{L}\p{M}\s()\-\u2010\u2011'’‘]/u;

/** A word starts at the beginning of the name and after a space, a hyphen or an opening parenthesis. */
const STARTS_NEXT_WORD = new Set([" ", "-", "\u2010", "\u2011", "("]);

/** A single letter (with any combining marks): what a middle initial looks like. */
const SINGLE_LETTER = /^\p{L}\p{M}*$/u;

/**
 * Cleans one name: drops digits and punctuation other than `( - ' )`, collapses runs of whitespace,
 * and capitalizes the first letter of each word, leaving the rest of the word as given
 * (seeds/003 "Customer Validation" › "Names", SPEC 3).
 *
 * @example
 * normalizeName("  mary-jane  o'neil3 "); // "Mary-Jane O'neil"
 * normalizeName("McDonald");              // "McDonald"
 */
export function normalizeName(raw: string): string {
  const kept = Array.from(raw)
    .filter((character) => KEPT_IN_NAMES.test(character))
    .join("");
  const collapsed = kept.replace(/\s+/gu, " ").trim();
  let result = "";
  let atWordStart = true;
  for (const character of collapsed) {
    // A letter whose capital is two (`ß` gives `SS`) stays as it is: capitalizing must not
    // change the letters of a name.
    const capital = atWordStart ? character.toUpperCase() : character;
    result += capital.length === character.length ? capital : character;
    atWordStart = STARTS_NEXT_WORD.has(character);
  }
  return result;
}

/**
 * Moves a middle initial typed into the first or last name to `MIDDLE` (seeds/003 "Names": "If the
 * middle initial is included as part of the first or last name, it is stripped out"). Applies only
 * while `MIDDLE` is empty, to a single-letter word at the end of `FIRST` (`John Q`) or else at the
 * start of `LAST` (`Q Public`), and only when that name keeps another word. Returns a new object.
 *
 * @example
 * moveMiddleInitial({ FIRST: "John Q", FIRST2: null, MIDDLE: null, LAST: "Public", LAST2: null });
 * // { FIRST: "John", FIRST2: null, MIDDLE: "Q", LAST: "Public", LAST2: null }
 */
export function moveMiddleInitial(
  names: Record<NameLocation, string | null>,
): Record<NameLocation, string | null> {
  const result = { ...names };
  if (names.MIDDLE !== null && names.MIDDLE.trim() !== "") return result;

  const firstWords = splitWords(names.FIRST);
  const lastOfFirst = firstWords.at(-1);
  if (firstWords.length > 1 && lastOfFirst !== undefined && SINGLE_LETTER.test(lastOfFirst)) {
    result.FIRST = firstWords.slice(0, -1).join(" ");
    result.MIDDLE = lastOfFirst;
    return result;
  }

  const lastWords = splitWords(names.LAST);
  const firstOfLast = lastWords[0];
  if (lastWords.length > 1 && firstOfLast !== undefined && SINGLE_LETTER.test(firstOfLast)) {
    result.LAST = lastWords.slice(1).join(" ");
    result.MIDDLE = firstOfLast;
  }
  return result;
}

function splitWords(name: string | null): string[] {
  const trimmed = name?.trim() ?? "";
  return trimmed === "" ? [] : trimmed.split(/\s+/u);
}
