import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePostalCode } from "../../src/domain/rules/postal-code.js";

/** Any string: ASCII, printable graphemes, any code point, and raw UTF-16 units (lone surrogates). */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
);
/** Postal-code-like strings, so valid shapes come up often. */
const postalLike = fc.string({ unit: fc.constantFrom(..."0123456789kKaB -.()#\t".split("")) });

describe("normalizePostalCode (seeds/003 Postal Code, SPEC 3)", () => {
  it.each([
    // 99999
    ["49136", "49136"],
    ["18901", "18901"],
    ["44139", "44139"],
    [" 44139 ", "44139"],
    ["(18901)", "18901"],
    ["#44139", "44139"],
    ["4\u00a04139", "44139"],
    // 99999-9999
    ["18901-1234", "18901-1234"],
    ["(18901-1234)", "18901-1234"],
    // A1A1A1, spaces ignored, upper-cased
    ["K1A0B1", "K1A0B1"],
    ["K1A 0B1", "K1A 0B1"],
    ["k1a 0b1", "K1A 0B1"],
    ["k 1 a 0 b 1", "K 1 A 0 B 1"],
  ])("accepts %j as %j", (raw, expected) => {
    expect(normalizePostalCode(raw)).toEqual({ value: expected, valid: true });
  });

  it.each([
    ["1234", "1234"],
    ["123456", "123456"],
    ["49136.", "49136."],
    ["49 136", "49 136"],
    ["18901-123", "18901-123"],
    ["189011234", "189011234"],
    ["18901 1234", "18901 1234"],
    ["K1A-0B1", "K1A-0B1"],
    ["(k1a-0b1)", "k1a-0b1"],
    ["k1a0b", "k1a0b"],
    ["1A1A1A", "1A1A1A"],
    ["ſ1a0b1", "ſ1a0b1"],
    ["４９１３６", "４９１３６"],
    ["SW1A 1AA", "SW1A 1AA"],
    ["!!!", ""],
  ])("flags %j, kept as %j", (raw, expected) => {
    expect(normalizePostalCode(raw)).toEqual({ value: expected, valid: false });
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, postalLike), (raw) => {
        const once = normalizePostalCode(raw);
        expect(normalizePostalCode(once.value)).toEqual(once);
      }),
    );
  });

  it("keeps only letters, digits, '-', ' ' and '.'", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, postalLike), (raw) => {
        expect(normalizePostalCode(raw).value).toMatch(/^[\p{L}\p{Nd} .-]*$/u);
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void normalizePostalCode(raw)));
  });
});
