import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeEmail } from "../../src/domain/rules/email.js";

/** Any string: ASCII, printable graphemes, any code point, and raw UTF-16 units (lone surrogates). */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
);
/** Address-like strings, so `@`, `#` and dots come up often. */
const emailLike = fc.string({ unit: fc.constantFrom(..."ab.@#- \t_+".split("")) });

describe("normalizeEmail (seeds/003 Email Address, SPEC 3)", () => {
  it.each([
    ["pnewman2@example.com", "pnewman2@example.com"],
    ["  pnewman2@example.com  ", "pnewman2@example.com"],
    ["first.last+tag@mail.example.co.uk", "first.last+tag@mail.example.co.uk"],
    ["PNewman@Example.COM", "PNewman@Example.COM"],
    ["josé@exämple.de", "josé@exämple.de"],
    ["a@b.c", "a@b.c"],
    // No `@`: the `#` stands in for it.
    ["pnewman2#example.com", "pnewman2@example.com"],
    // With an `@` present, a `#` in the local part is left alone.
    ["a#b@example.com", "a#b@example.com"],
  ])("accepts %j as %j", (raw, expected) => {
    expect(normalizeEmail(raw)).toEqual({ value: expected, valid: true });
  });

  it.each([
    ["user@localhost", "user@localhost"],
    ["no-at-sign", "no-at-sign"],
    ["example.com", "example.com"],
    ["@example.com", "@example.com"],
    ["user@", "user@"],
    ["user@.com", "user@.com"],
    ["user@example.", "user@example."],
    ["user@example..com", "user@example..com"],
    ["user@@example.com", "user@@example.com"],
    ["a@b@c.com", "a@b@c.com"],
    ["john smith@example.com", "john smith@example.com"],
    ["user@exa mple.com", "user@exa mple.com"],
    // Only the first `#` becomes `@`; the one left in the domain marks the repair as unsure.
    ["a#b#c.com", "a@b#c.com"],
    ["#example.com", "@example.com"],
    ["user#localhost", "user@localhost"],
    ["#@", "#@"],
    ["user@exam#ple.com", "user@exam#ple.com"],
    ["", ""],
    ["   ", ""],
  ])("flags %j, kept as %j", (raw, expected) => {
    expect(normalizeEmail(raw)).toEqual({ value: expected, valid: false });
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, emailLike), (raw) => {
        const once = normalizeEmail(raw);
        expect(normalizeEmail(once.value)).toEqual(once);
      }),
    );
  });

  it("accepts every generated local@label.label address", () => {
    const label = fc.string({
      unit: fc.constantFrom(..."abcXYZ019-_".split("")),
      minLength: 1,
      maxLength: 10,
    });
    fc.assert(
      fc.property(label, fc.array(label, { minLength: 2, maxLength: 4 }), (local, labels) => {
        const address = `${local}@${labels.join(".")}`;
        expect(normalizeEmail(address)).toEqual({ value: address, valid: true });
      }),
    );
  });

  it("never throws", () => {
    fc.assert(fc.property(anyString, (raw) => void normalizeEmail(raw)));
  });
});
