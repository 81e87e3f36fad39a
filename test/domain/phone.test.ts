import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePhone } from "../../src/domain/rules/phone.js";

/** Any string: ASCII, printable graphemes, any code point, and raw UTF-16 units (lone surrogates). */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
);
/** Phone-like strings: digits, the kept letters and the usual separators. */
const phoneLike = fc.string({ unit: fc.constantFrom(..."0111123456789xXeEtT .-()+#".split("")) });
/** North American numbers as people type them: optional 1, area code 2-9xx, then 7 digits. */
const northAmerican = fc
  .tuple(
    fc.constantFrom("", "1", "1-", "+1 "),
    fc.integer({ min: 200, max: 999 }),
    fc.integer({ min: 0, max: 9_999_999 }),
    fc.constantFrom("", " x100", " ext. 42", " EXT 7", " t9"),
  )
  .map(
    ([prefix, area, rest, extension]) =>
      `${prefix}(${area}) ${String(rest).padStart(7, "0")}${extension}`,
  );

describe("normalizePhone (seeds/003 Phone and Area Code, SPEC 3)", () => {
  it.each<[string, string | null | undefined, string, string | null, string | null, boolean]>([
    // raw, extension argument, phoneNumber, extension, areaCode, valid
    ["4405550100", undefined, "4405550100", null, "440", true],
    ["440-555-0100", undefined, "4405550100", null, "440", true],
    ["(440) 555-0100", null, "4405550100", null, "440", true],
    ["1-440-555-0100", undefined, "4405550100", null, "440", true],
    ["+1 (440) 555-0100", undefined, "4405550100", null, "440", true],
    ["14405550100", undefined, "4405550100", null, "440", true],
    ["8005550102", "100", "8005550102", "100", "800", true],
    ["(800) 555-0102 x100", undefined, "8005550102", "100", "800", true],
    ["800-555-0102 X100", undefined, "8005550102", "100", "800", true],
    ["800.555.0102 ext.100", undefined, "8005550102", "100", "800", true],
    ["800 555 0102 EXT 100", undefined, "8005550102", "100", "800", true],
    ["8005550102e100", undefined, "8005550102", "100", "800", true],
    ["8005550102t100", undefined, "8005550102", "100", "800", true],
    ["8005550102 Tel 100", undefined, "8005550102", "100", "800", true],
    ["8005550102 x", undefined, "8005550102", null, "800", true],
    ["8005550102 x1 x2", undefined, "8005550102", "12", "800", true],
    // An explicit extension wins, kept as digits.
    ["8005550102 x100", "200", "8005550102", "200", "800", true],
    ["8005550102 x100", " ext 2-00 ", "8005550102", "200", "800", true],
    ["8005550102 x100", "", "8005550102", "100", "800", true],
    ["8005550102 x100", "abc", "8005550102", "100", "800", true],
    ["8005550102", null, "8005550102", null, "800", true],
    // Area code only from 10 digits, or 11 starting with 1.
    ["5550100", undefined, "5550100", null, null, true],
    ["15550100", undefined, "5550100", null, null, true],
    ["24405550100", undefined, "24405550100", null, null, true],
    ["440555010012", undefined, "440555010012", null, null, true],
    // Counted before leading 1s go, as seeds/003 "Area Code" counts them.
    ["1440555010", undefined, "440555010", null, "144", true],
    ["11405550100", undefined, "405550100", null, "140", true],
    ["114405550100", undefined, "4405550100", null, null, true],
    // Invalid: empty, or starting with 0.
    ["0123456789", undefined, "0123456789", null, "012", false],
    ["1-0123-4567", undefined, "01234567", null, null, false],
    ["x100", undefined, "", "100", null, false],
    ["Tel. 440-555-0100", undefined, "", "4405550100", null, false],
    ["111", undefined, "", null, null, false],
    ["call me", undefined, "", null, null, false],
    ["", undefined, "", null, null, false],
    ["４４０５５５０１００", undefined, "", null, null, false],
  ])("normalizes %j (extension %j)", (raw, extension, phoneNumber, cut, areaCode, valid) => {
    expect(normalizePhone(raw, extension)).toEqual({
      phoneNumber,
      extension: cut,
      areaCode,
      valid,
    });
  });

  it("is idempotent on the number, extension and validity", () => {
    fc.assert(
      fc.property(
        fc.oneof(anyString, phoneLike),
        fc.option(phoneLike, { nil: null }),
        (raw, ext) => {
          const once = normalizePhone(raw, ext);
          const twice = normalizePhone(once.phoneNumber, once.extension);
          expect({ ...twice, areaCode: null }).toEqual({ ...once, areaCode: null });
        },
      ),
    );
  });

  it("is idempotent, area code included, on North American numbers", () => {
    fc.assert(
      fc.property(northAmerican, (raw) => {
        const once = normalizePhone(raw);
        expect(normalizePhone(once.phoneNumber, once.extension)).toEqual(once);
        expect(once.areaCode).toBe(once.phoneNumber.slice(0, 3));
      }),
    );
  });

  it("leaves only digits, never a leading 1", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, phoneLike), (raw) => {
        const { phoneNumber, extension } = normalizePhone(raw);
        expect(phoneNumber).toMatch(/^(?:[02-9]\d*)?$/u);
        expect(extension ?? "0").toMatch(/^\d+$/u);
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, anyString, (raw, ext) => void normalizePhone(raw, ext)));
  });
});
