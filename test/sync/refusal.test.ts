import { describe, expect, it } from "vitest";
import { withoutValue } from "../../src/sync/destinations/refusal.js";

describe("withoutValue: a key's value out of an error text (SPEC 9)", () => {
  it.each([
    // [text, value, expected]
    [
      'query {"serial":"erin.private@example.net"}',
      "erin.private@example.net",
      'query {"serial":"[EMAIL key]"}',
    ],
    [
      "PUT /v1/consumer/updateInfo/a%20b failed",
      "a b",
      "PUT /v1/consumer/updateInfo/[EMAIL key] failed",
    ],
    ["HTTP 400: code 40 refused", "40", "HTTP 400: code [EMAIL key] refused"],
    ["HTTP 400: 40", "40", "HTTP 400: [EMAIL key]"],
    ["no key here", "x.y", "no key here"],
    ["a(b) and a(b)", "a(b)", "[EMAIL key] and [EMAIL key]"],
    ["nothing", "", "nothing"],
  ])("%j without %j", (text, value, expected) => {
    expect(withoutValue(text, value, "[EMAIL key]")).toBe(expected);
  });
});
