import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkAnnualIncome,
  checkBirthDate,
  checkEducationLevel,
  checkNetWorth,
  EDUCATION_LEVELS,
  isCalendarDate,
} from "../../src/domain/rules/profile.js";

/** Any string: ASCII, printable graphemes, any code point, and raw UTF-16 units (lone surrogates). */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
);

describe("checkBirthDate (seeds/003 PersonalSummary, SPEC 3)", () => {
  it.each([
    ["1957-04-16", "1957-04-16"],
    [" 1957-04-16\n", "1957-04-16"],
    ["2000-02-29", "2000-02-29"],
    ["2024-02-29", "2024-02-29"],
    ["1999-12-31", "1999-12-31"],
    ["0001-01-01", "0001-01-01"],
  ])("accepts %j as %j", (raw, value) => {
    expect(checkBirthDate(raw)).toEqual({ value, valid: true });
  });

  it.each([
    ["1957-02-30"],
    ["1900-02-29"],
    ["2023-02-29"],
    ["1957-04-31"],
    ["1957-13-01"],
    ["1957-00-10"],
    ["1957-04-00"],
    ["0000-01-01"],
    ["04-16-1957"],
    ["1957/04/16"],
    ["1957-4-16"],
    ["57-04-16"],
    ["1957-04-16T00:00:00Z"],
    ["19570416"],
    ["April 16, 1957"],
    ["１９５７-04-16"],
    [""],
  ])("rejects %j", (raw) => {
    expect(checkBirthDate(raw)).toEqual({ value: raw.trim(), valid: false });
  });

  it("agrees with the JavaScript calendar on every day of years 1900-2100", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (year, month, day) => {
          const date = new Date(Date.UTC(year, month - 1, day));
          const real = date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
          expect(isCalendarDate(year, month, day)).toBe(real);
        },
      ),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void checkBirthDate(raw)));
  });
});

describe("checkEducationLevel (seeds/003 SocioEconomicProfile, SPEC 3)", () => {
  it("lists the document's levels", () => {
    expect(EDUCATION_LEVELS).toEqual(["SECONDARY", "BACHELORS", "GRADUATE", "PHD"]);
  });

  it.each([
    ["PHD\n   ", "PHD"],
    ["PHD", "PHD"],
    ["phd", "PHD"],
    ["Secondary", "SECONDARY"],
    [" bachelors ", "BACHELORS"],
    ["GRADUATE", "GRADUATE"],
  ])("accepts %j as %j", (raw, value) => {
    expect(checkEducationLevel(raw)).toEqual({ value, valid: true });
  });

  it.each([["Ph.D."], ["MASTERS"], ["BACHELOR"], ["High school"], [""]])("rejects %j", (raw) => {
    expect(checkEducationLevel(raw)).toEqual({ value: raw.trim(), valid: false });
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void checkEducationLevel(raw)));
  });
});

describe("checkAnnualIncome (seeds/003 SocioEconomicProfile, SPEC 3)", () => {
  it.each([
    ["123456", "123456"],
    ["0", "0"],
    ["100000000", "100000000"],
    [" 55000 ", "55000"],
    ["00042", "42"],
  ])("accepts %j as %j", (raw, value) => {
    expect(checkAnnualIncome(raw)).toEqual({ value, valid: true });
  });

  it.each([
    ["-1"],
    ["1.5"],
    ["100000001"],
    ["1,000"],
    ["+5"],
    ["1e6"],
    ["12a"],
    ["$100"],
    ["１２３"],
    [""],
  ])("rejects %j", (raw) => {
    expect(checkAnnualIncome(raw)).toEqual({ value: raw.trim(), valid: false });
  });

  it("accepts exactly the whole numbers 0..100,000,000", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -10n, max: 200_000_000n }), (amount) => {
        expect(checkAnnualIncome(amount.toString()).valid).toBe(
          amount >= 0n && amount <= 100_000_000n,
        );
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void checkAnnualIncome(raw)));
  });
});

describe("checkNetWorth (seeds/003 SocioEconomicProfile, SPEC 3)", () => {
  it.each([
    ["1234567", "1234567"],
    ["0", "0"],
    ["1000000000000", "1000000000000"],
    ["100000001", "100000001"],
    ["0001", "1"],
  ])("accepts %j as %j", (raw, value) => {
    expect(checkNetWorth(raw)).toEqual({ value, valid: true });
  });

  it.each([["1000000000001"], ["-1"], ["1.5"], ["9".repeat(400)], ["1 000"], [""]])(
    "rejects %j",
    (raw) => {
      expect(checkNetWorth(raw)).toEqual({ value: raw.trim(), valid: false });
    },
  );

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void checkNetWorth(raw)));
  });
});
