import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Hub } from "../../src/services/hub.js";
import { textArrayLiteral } from "../../src/store/sql-arrays.js";
import { engines } from "../support/databases.js";

/** What PostgreSQL makes of the literal, read back as the driver returns it. */
async function roundTrip(hub: Hub, values: readonly string[]): Promise<unknown> {
  const [row] = await hub.db.query<{ v: unknown }>("SELECT $1::text[] AS v", [
    textArrayLiteral(values),
  ]);
  return row?.v;
}

const cases: { title: string; values: string[] }[] = [
  { title: "the empty array", values: [] },
  { title: "the empty string", values: [""] },
  { title: "several empty strings", values: ["", "", ""] },
  { title: "double quotes", values: ['"', 'a"b', '""', '"quoted"'] },
  { title: "backslashes", values: ["\\", "a\\b", "\\\\", 'ends with \\"', "\\n is not a newline"] },
  { title: "commas", values: [",", "a,b", ",,"] },
  { title: "braces", values: ["{", "}", "{}", "{a,b}", "{{", '{"a"}'] },
  { title: "spaces", values: [" ", "  leading", "trailing  ", " a b ", "\t", "\n", "\r\n"] },
  { title: "NULL, which must stay a string", values: ["NULL", "null", "Null", " NULL "] },
  { title: "non-ASCII text", values: ["é", "日本語", "👍🏽", "👨‍👩‍👧", "\u00a0"] },
  { title: "a mix of everything", values: ['{"a\\,b"}', "NULL", "", " ", "x,y", "\\\"'"] },
  { title: "single quotes", values: ["'", "it's", "''"] },
];

describe.each(engines)("text array literals on $name", (engine) => {
  let hub: Hub;

  beforeAll(async () => {
    hub = await engine.freshHub();
  });

  it.each(cases)("round-trips $title", async ({ values }) => {
    expect(await roundTrip(hub, values)).toEqual(values);
  });

  it("renders the literal PostgreSQL expects", () => {
    expect(textArrayLiteral([])).toBe("{}");
    expect(textArrayLiteral(["a", 'b"c', "d\\e"])).toBe('{"a","b\\"c","d\\\\e"}');
  });

  it("round-trips any array of strings exactly", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: "grapheme" }).filter((value) => !value.includes("\u0000"))),
        async (values) => {
          expect(await roundTrip(hub, values)).toEqual(values);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("round-trips strings made of the characters that matter to the literal syntax", async () => {
    const special = fc.constantFrom('"', "\\", ",", "{", "}", " ", "N", "U", "L", "'", "\n", "a");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: special })), async (values) => {
        expect(await roundTrip(hub, values)).toEqual(values);
      }),
      { numRuns: 100 },
    );
  });
});
