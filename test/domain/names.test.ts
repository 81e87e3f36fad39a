import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NameLocation } from "../../src/domain/customer.js";
import { moveMiddleInitial, normalizeName } from "../../src/domain/rules/names.js";

/** Any string: ASCII, printable graphemes, any code point, and raw UTF-16 units (lone surrogates). */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
);
/** Name-like strings: letters, the kept punctuation, separators and some that must go. */
const nameLike = fc.string({
  unit: fc.constantFrom(..."abcXYZ éßŉǆ\u0301 \t\n-\u2010\u2011()'’‘.,3_!".split("")),
});

type Names = Record<NameLocation, string | null>;
const names = (given: Partial<Names>): Names => ({
  FIRST: null,
  FIRST2: null,
  MIDDLE: null,
  LAST: null,
  LAST2: null,
  ...given,
});

describe("normalizeName (seeds/003 Names, SPEC 3)", () => {
  it.each([
    ["john", "John"],
    ["JOHN", "JOHN"],
    ["McDonald", "McDonald"],
    ["mcdonald", "Mcdonald"],
    ["mary-jane", "Mary-Jane"],
    ["mary jane", "Mary Jane"],
    ["o'neil", "O'neil"],
    ["d’angelo", "D’angelo"],
    ["d‘angelo", "D‘angelo"],
    ["smith (jones)", "Smith (Jones)"],
    ["josé", "José"],
    ["élodie", "Élodie"],
    ["łukasz", "Łukasz"],
    ["ßtraße", "ßtraße"],
    ["von ßtraße", "Von ßtraße"],
    ["  john   paul  ", "John Paul"],
    ["john\t\npaul", "John Paul"],
    // Digits and punctuation other than ( - ' ) go.
    ["john3", "John"],
    ["j0hn", "Jhn"],
    ["john.", "John"],
    ["st. john", "St John"],
    ["smith, jr", "Smith Jr"],
    ["john_paul", "Johnpaul"],
    ["jo!hn@", "John"],
    ["a  1  b", "A B"],
    ["123", ""],
    ["", ""],
    ["   ", ""],
    // A word starts after a hyphen or an opening parenthesis, not after an apostrophe.
    ["-john", "-John"],
    ["(john)", "(John)"],
    // The hyphen typed as Unicode's own HYPHEN (U+2010) or NON-BREAKING HYPHEN (U+2011), as word
    // processors write it, is the document's "-": kept as given, and a word starts after it.
    ["anne\u2010marie", "Anne\u2010Marie"],
    ["jean\u2011luc", "Jean\u2011Luc"],
    ["'john", "'john"],
  ])("normalizes %j to %j", (raw, expected) => {
    expect(normalizeName(raw)).toBe(expected);
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, nameLike), (raw) => {
        const once = normalizeName(raw);
        expect(normalizeName(once)).toBe(once);
      }),
    );
  });

  it("keeps only letters, marks, single spaces and ( - ‐ ‑ ' ’ ‘ )", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, nameLike), (raw) => {
        const result = normalizeName(raw);
        expect(result).toMatch(/^[\p{L}\p{M} ()\-\u2010\u2011'’‘]*$/u);
        expect(result).not.toMatch(/ {2}|^ | $/u);
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void normalizeName(raw)));
  });
});

describe("moveMiddleInitial (seeds/003 Names, SPEC 3)", () => {
  it.each<[string, Partial<Names>, Partial<Names>]>([
    [
      "a trailing initial of FIRST",
      { FIRST: "John Q", LAST: "Public" },
      { FIRST: "John", MIDDLE: "Q", LAST: "Public" },
    ],
    [
      "a leading initial of LAST",
      { FIRST: "John", LAST: "Q Public" },
      { FIRST: "John", MIDDLE: "Q", LAST: "Public" },
    ],
    [
      "FIRST before LAST",
      { FIRST: "John Q", LAST: "R Public" },
      { FIRST: "John", MIDDLE: "Q", LAST: "R Public" },
    ],
    [
      "an accented initial",
      { FIRST: "Marie É", LAST: "Curie" },
      { FIRST: "Marie", MIDDLE: "É", LAST: "Curie" },
    ],
    [
      "only the last word of a longer FIRST",
      { FIRST: "Mary Jane Q", LAST: "Public" },
      { FIRST: "Mary Jane", MIDDLE: "Q", LAST: "Public" },
    ],
    [
      "into a blank MIDDLE",
      { FIRST: "John Q", MIDDLE: "  ", LAST: "Public" },
      { FIRST: "John", MIDDLE: "Q", LAST: "Public" },
    ],
  ])("moves %s", (_case, input, expected) => {
    expect(moveMiddleInitial(names(input))).toEqual(names(expected));
  });

  it.each<[string, Partial<Names>]>([
    ["when MIDDLE is already set", { FIRST: "John Q", MIDDLE: "Quincy", LAST: "Public" }],
    ["a one-word FIRST", { FIRST: "Q", LAST: "Public" }],
    ["a one-word LAST", { FIRST: "John", LAST: "Q" }],
    ["a leading initial of FIRST", { FIRST: "J Quincy", LAST: "Public" }],
    ["a trailing initial of LAST", { FIRST: "John", LAST: "Public Q" }],
    ["a two-letter word", { FIRST: "John Qu", LAST: "Public" }],
    ["from FIRST2 or LAST2", { FIRST2: "Ann B", LAST2: "C Doe" }],
    ["when every name is null", {}],
  ])("moves nothing for %s", (_case, input) => {
    expect(moveMiddleInitial(names(input))).toEqual(names(input));
  });

  it("returns a new object and leaves its input alone", () => {
    const input = names({ FIRST: "John Q", LAST: "Public" });
    const result = moveMiddleInitial(input);
    expect(result).not.toBe(input);
    expect(input).toEqual(names({ FIRST: "John Q", LAST: "Public" }));
  });

  it("is idempotent after normalizeName", () => {
    const nullableName = fc.option(fc.oneof(nameLike, anyString), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          FIRST: nullableName,
          FIRST2: nullableName,
          MIDDLE: nullableName,
          LAST: nullableName,
          LAST2: nullableName,
        }),
        (raw) => {
          const normalized = Object.fromEntries(
            Object.entries(raw).map(([location, value]) => [
              location,
              value === null ? null : normalizeName(value),
            ]),
          ) as Names;
          const once = moveMiddleInitial(normalized);
          expect(moveMiddleInitial(once)).toEqual(once);
        },
      ),
    );
  });
});
