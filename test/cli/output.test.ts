/** The CLI's table for people: columns as wide as their widest cell, however many rows. */
import { describe, expect, it } from "vitest";
import { table } from "../../src/cli/output.js";

describe("table", () => {
  it("pads each column to its widest cell", () => {
    expect(
      table(
        ["ID", "FILE"],
        [
          ["7", "a.xml"],
          ["1000", "b"],
        ],
      ),
    ).toBe("ID    FILE\n7     a.xml\n1000  b");
  });

  it("prints the review of an import with 400,000 failed blocks", () => {
    // As many rows as arguments a spread into Math.max can never take.
    const rows = Array.from({ length: 400_000 }, (_, at) => [String(at + 1), "failed"]);
    const printed = table(["BLOCK", "OUTCOME"], rows);
    expect(printed.split("\n")).toHaveLength(400_001);
    expect(printed.endsWith("\n400000  failed")).toBe(true);
  });
});
