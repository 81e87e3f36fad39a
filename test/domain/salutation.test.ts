import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  normalizeSalutation,
  normalizeSuffix,
  SALUTATIONS,
  SUFFIXES,
} from "../../src/domain/rules/salutation.js";

/** Any string: ASCII, printable graphemes, any code point, and raw UTF-16 units (lone surrogates). */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
);
/** Strings built from the canonical spellings' own characters, so near misses come up often. */
const nearMiss = (canonicals: readonly string[]) =>
  fc.string({ unit: fc.constantFrom(...new Set(canonicals.join("").toLowerCase() + " .")) });

describe("normalizeSalutation (seeds/003 Prefix, SPEC 3)", () => {
  it("lists the document's prefixes in document order", () => {
    expect(SALUTATIONS).toEqual([
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
    ]);
  });

  it.each(SALUTATIONS.map((canonical) => [canonical]))("keeps the canonical %j", (canonical) => {
    expect(normalizeSalutation(canonical)).toEqual({ value: canonical, valid: true });
  });

  it.each([
    // The document's and SPEC's examples.
    ["MR", "Mr"],
    ["Mr.", "Mr"],
    ["mr.", "Mr"],
    // Case, dots and spaces ignored.
    ["  mr  ", "Mr"],
    ["M R", "Mr"],
    ["mrs.", "Mrs"],
    ["MS", "Ms"],
    ["dr.", "Dr"],
    ["rev", "Rev."],
    ["REV.", "Rev."],
    ["hon", "Hon."],
    ["h.r.h.", "HRH"],
    ["SISTER", "Sister"],
    // Levenshtein distance 1 to a canonical of folded length 3 or more.
    ["Mrss", "Mrs"],
    ["Mis", "Miss"],
    ["Misss", "Miss"],
    ["Imm", "Imam"],
    ["Imaam", "Imam"],
    ["Rv.", "Rev."],
    ["Revv", "Rev."],
    ["Sirr", "Sir"],
    ["Sistr", "Sister"],
    ["fathr", "Father"],
    ["HR", "HRH"],
    // Ties at distance 1: the longest shared prefix, then document order (Miss before Mrs).
    ["Mss", "Miss"],
    // `Mr` is too short for typo tolerance, so `Mrr` lands on `Mrs`, the only one edit away.
    ["Mrr", "Mrs"],
  ])("rewrites %j to %j", (raw, expected) => {
    expect(normalizeSalutation(raw)).toEqual({ value: expected, valid: true });
  });

  it.each([
    ["Baron"],
    ["Lord"],
    ["M"],
    ["Drr"],
    ["Mx"],
    ["Professor"],
    // A transposition is two edits.
    ["Fahter"],
    ["  Count  "],
    [""],
    ["   "],
  ])("flags %j as invalid, keeping it trimmed", (raw) => {
    expect(normalizeSalutation(raw)).toEqual({ value: raw.trim(), valid: false });
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, nearMiss(SALUTATIONS)), (raw) => {
        const once = normalizeSalutation(raw);
        expect(normalizeSalutation(once.value)).toEqual(once);
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void normalizeSalutation(raw)));
  });
});

describe("normalizeSuffix (seeds/003 Suffix, SPEC 3)", () => {
  it("lists the document's suffixes in document order", () => {
    expect(SUFFIXES).toEqual(["Esq.", "Sr.", "Jr.", "II", "III", "IV", "V", "2nd", "3rd", "4th"]);
  });

  it.each(SUFFIXES.map((canonical) => [canonical]))("keeps the canonical %j", (canonical) => {
    expect(normalizeSuffix(canonical)).toEqual({ value: canonical, valid: true });
  });

  it.each([
    // The document's and SPEC's examples.
    ["sr", "Sr."],
    ["SR", "Sr."],
    ["sr.", "Sr."],
    ["jr", "Jr."],
    ["JR.", "Jr."],
    ["esq", "Esq."],
    ["ii", "II"],
    ["i i i", "III"],
    ["iv", "IV"],
    ["v", "V"],
    ["2ND", "2nd"],
    ["3 rd", "3rd"],
    ["4TH", "4th"],
    // Distance 1 to a canonical of folded length 3 or more.
    ["Esqq", "Esq."],
    ["Eq", "Esq."],
    ["iiii", "III"],
    ["2d", "2nd"],
    ["4h", "4th"],
    // `3nd` is one edit from 2nd and 3rd; the shared first character picks 3rd.
    ["3nd", "3rd"],
  ])("rewrites %j to %j", (raw, expected) => {
    expect(normalizeSuffix(raw)).toEqual({ value: expected, valid: true });
  });

  it.each([["VI"], ["Jnr"], ["Snr"], ["X"], ["1st"], ["PhD"], [""]])(
    "flags %j as invalid (two-letter canonicals get no typo tolerance)",
    (raw) => {
      expect(normalizeSuffix(raw)).toEqual({ value: raw.trim(), valid: false });
    },
  );

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, nearMiss(SUFFIXES)), (raw) => {
        const once = normalizeSuffix(raw);
        expect(normalizeSuffix(once.value)).toEqual(once);
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void normalizeSuffix(raw)));
  });
});
