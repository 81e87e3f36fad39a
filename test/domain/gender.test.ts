import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeGender } from "../../src/domain/rules/gender.js";

/** Any string: ASCII, printable graphemes, any code point, and raw UTF-16 units (lone surrogates). */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
);

describe("normalizeGender (seeds/003 Gender, SPEC 3)", () => {
  it.each([
    ["M", "M"],
    ["m", "M"],
    ["1", "M"],
    ["MALE", "M"],
    ["male", "M"],
    ["Man", "M"],
    ["  m  ", "M"],
    ["10", "M"],
    ["F", "F"],
    ["f", "F"],
    ["W", "F"],
    ["w", "F"],
    ["0", "F"],
    ["female", "F"],
    ["FEMALE", "F"],
    ["Woman", "F"],
    ["\tF\n", "F"],
    ["01", "F"],
  ])("reads %j as %j", (raw, expected) => {
    expect(normalizeGender(raw)).toEqual({ value: expected, valid: true });
  });

  it.each([["X"], ["U"], ["unknown"], ["2"], ["-"], ["  other "], ["ᴍ"], ["Ｍ"], [""], ["   "]])(
    "keeps %j trimmed and flags it invalid",
    (raw) => {
      expect(normalizeGender(raw)).toEqual({ value: raw.trim(), valid: false });
    },
  );

  it("is idempotent", () => {
    fc.assert(
      fc.property(anyString, (raw) => {
        const once = normalizeGender(raw);
        expect(normalizeGender(once.value)).toEqual(once);
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void normalizeGender(raw)));
  });
});
