import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ATTRIBUTE_DATA_TYPES,
  checkAttributeValues,
  parseAttributeType,
  type AttributeCheck,
  type AttributeType,
} from "../../src/domain/attributes.js";
import { CusthubError, type ErrorCode } from "../../src/domain/errors.js";

function type(overrides: Partial<AttributeType> = {}): AttributeType {
  return {
    name: "Favorite",
    dataType: "TEXT",
    maxLength: null,
    editable: true,
    unique: false,
    values: [],
    ...overrides,
  };
}

const tier = type({ name: "Tier", dataType: "LIST", values: ["Silver", "Gold", "Platinum"] });

const ok = (values: string[]): AttributeCheck => ({ ok: true, values });
const failed = (code: ErrorCode): AttributeCheck => ({
  ok: false,
  code,
  message: expect.any(String) as string,
});

describe("checkAttributeValues (seeds/003 Customer Attributes)", () => {
  it.each<[string, AttributeType | undefined, string[], "add" | "update", AttributeCheck]>([
    // Existence and editability
    ["an unknown type", undefined, ["x"], "add", failed("UNKNOWN_ATTRIBUTE_TYPE")],
    ["an unknown type on update", undefined, [], "update", failed("UNKNOWN_ATTRIBUTE_TYPE")],
    [
      "an update of a non-editable type",
      type({ editable: false }),
      ["x"],
      "update",
      failed("ATTRIBUTE_NOT_EDITABLE"),
    ],
    [
      "clearing a non-editable type",
      type({ editable: false }),
      [""],
      "update",
      failed("ATTRIBUTE_NOT_EDITABLE"),
    ],
    ["an add of a non-editable type", type({ editable: false }), ["x"], "add", ok(["x"])],
    // Trimming, blanks, deletion
    ["values trimmed", type(), ["  red ", "blue"], "add", ok(["red", "blue"])],
    ["blank values dropped", type(), ["red", "", "  "], "add", ok(["red"])],
    ["an empty value tag deletes all values", type(), [""], "update", ok([])],
    ["no values at all", type(), [], "update", ok([])],
    // Unique
    ["one value on a unique type", type({ unique: true }), ["red"], "add", ok(["red"])],
    [
      "two values on a unique type",
      type({ unique: true }),
      ["red", "blue"],
      "add",
      failed("MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE"),
    ],
    [
      "one value and blanks on a unique type",
      type({ unique: true }),
      ["red", " "],
      "update",
      ok(["red"]),
    ],
    ["several values on a multi-valued type", type(), ["a", "b", "c"], "add", ok(["a", "b", "c"])],
    // Length, in characters, after trimming
    ["a value at maxLength", type({ maxLength: 5 }), [" abcde "], "add", ok(["abcde"])],
    [
      "a value over maxLength",
      type({ maxLength: 5 }),
      ["abcdef"],
      "add",
      failed("ATTRIBUTE_VALUE_TOO_LARGE"),
    ],
    ["astral characters count once", type({ maxLength: 2 }), ["😀😀"], "add", ok(["😀😀"])],
    // NUMBER
    ["NUMBER 42", type({ dataType: "NUMBER" }), ["42"], "add", ok(["42"])],
    ["NUMBER -12", type({ dataType: "NUMBER" }), ["-12"], "add", ok(["-12"])],
    ["NUMBER 3.5", type({ dataType: "NUMBER" }), ["3.5"], "add", ok(["3.5"])],
    ["NUMBER .5", type({ dataType: "NUMBER" }), [".5"], "add", ok([".5"])],
    ["NUMBER +7", type({ dataType: "NUMBER" }), ["+7"], "add", ok(["+7"])],
    ...["12a", "1,000", "1e3", "5.", "-", "NaN", "Infinity", "0x1F", "１２"].map(
      (value): [string, AttributeType, string[], "add", AttributeCheck] => [
        `NUMBER ${value}`,
        type({ dataType: "NUMBER" }),
        [value],
        "add",
        failed("INVALID_ATTRIBUTE_VALUE"),
      ],
    ),
    // LOGICAL
    ["LOGICAL Yes", type({ dataType: "LOGICAL" }), ["Yes"], "add", ok(["Yes"])],
    ["LOGICAL yes", type({ dataType: "LOGICAL" }), ["yes"], "add", ok(["Yes"])],
    ["LOGICAL NO", type({ dataType: "LOGICAL" }), [" NO "], "add", ok(["No"])],
    ...["Y", "true", "1", "nope"].map(
      (value): [string, AttributeType, string[], "add", AttributeCheck] => [
        `LOGICAL ${value}`,
        type({ dataType: "LOGICAL" }),
        [value],
        "add",
        failed("INVALID_ATTRIBUTE_VALUE"),
      ],
    ),
    // DATE, MM-DD-YYYY
    ["DATE 04-16-1957", type({ dataType: "DATE" }), ["04-16-1957"], "add", ok(["04-16-1957"])],
    ["DATE 02-29-2024", type({ dataType: "DATE" }), ["02-29-2024"], "add", ok(["02-29-2024"])],
    ["DATE 12-31-1999", type({ dataType: "DATE" }), ["12-31-1999"], "add", ok(["12-31-1999"])],
    ...["1957-04-16", "16-04-1957", "02-30-2020", "02-29-2023", "13-01-2020", "4-16-1957"].map(
      (value): [string, AttributeType, string[], "add", AttributeCheck] => [
        `DATE ${value}`,
        type({ dataType: "DATE" }),
        [value],
        "add",
        failed("INVALID_DATE_FORMAT"),
      ],
    ),
    [
      "DATE 00-00-0000",
      type({ dataType: "DATE" }),
      ["00-00-0000"],
      "add",
      failed("INVALID_DATE_FORMAT"),
    ],
    // LIST, matched case-insensitively and rewritten to the defined spelling
    ["LIST Silver", tier, ["Silver"], "add", ok(["Silver"])],
    ["LIST gold", tier, ["gold"], "update", ok(["Gold"])],
    ["LIST PLATINUM", tier, [" PLATINUM "], "add", ok(["Platinum"])],
    ["LIST several", tier, ["gold", "silver"], "add", ok(["Gold", "Silver"])],
    [
      "LIST Bronze",
      tier,
      ["Bronze"],
      "add",
      failed("VALUE_NOT_IN_ENUMERATED_ATTRIBUTE_TYPE_VALUES"),
    ],
    ["LIST Gold+", tier, ["Gold+"], "add", failed("VALUE_NOT_IN_ENUMERATED_ATTRIBUTE_TYPE_VALUES")],
    // One bad value rejects the whole set
    [
      "a bad value among good ones",
      type({ dataType: "NUMBER" }),
      ["1", "two", "3"],
      "add",
      failed("INVALID_ATTRIBUTE_VALUE"),
    ],
  ])("%s", (_case, attributeType, values, mode, expected) => {
    expect(checkAttributeValues(attributeType, "Favorite", values, mode)).toEqual(expected);
  });

  it("keeps values out of its messages", () => {
    const secret = "Secretvalue123";
    const checks = [
      checkAttributeValues(type({ maxLength: 3 }), "Favorite", [secret], "add"),
      checkAttributeValues(type({ dataType: "NUMBER" }), "Favorite", [secret], "add"),
      checkAttributeValues(type({ dataType: "LOGICAL" }), "Favorite", [secret], "add"),
      checkAttributeValues(type({ dataType: "DATE" }), "Favorite", [secret], "add"),
      checkAttributeValues(tier, "Tier", [secret], "add"),
      checkAttributeValues(type({ unique: true }), "Favorite", [secret, "x"], "add"),
    ];
    for (const check of checks) {
      expect(check.ok).toBe(false);
      if (!check.ok) expect(check.message).not.toContain(secret);
    }
  });

  it("names the unknown attribute in its message", () => {
    const check = checkAttributeValues(undefined, "Shoe size", ["9"], "add");
    expect(check).toEqual(failed("UNKNOWN_ATTRIBUTE_TYPE"));
    if (!check.ok) expect(check.message).toContain("Shoe size");
  });

  it("never throws, and an accepted set passes again unchanged", () => {
    const anyString = fc.oneof(
      fc.string(),
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: "binary" }),
      fc.constantFrom("yes", "No", "04-16-1957", "-1.5", " gold ", ""),
    );
    const attributeType = fc.record({
      name: fc.constant("Favorite"),
      dataType: fc.constantFrom(...ATTRIBUTE_DATA_TYPES),
      maxLength: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
      editable: fc.boolean(),
      unique: fc.boolean(),
      values: fc.constant(["Silver", "Gold", "Platinum"]),
    }) satisfies fc.Arbitrary<AttributeType>;
    fc.assert(
      fc.property(
        attributeType,
        fc.array(anyString, { maxLength: 4 }),
        fc.constantFrom("add" as const, "update" as const),
        (definition, values, mode) => {
          const check = checkAttributeValues(definition, "Favorite", values, mode);
          if (check.ok) {
            expect(checkAttributeValues(definition, "Favorite", check.values, mode)).toEqual(check);
          }
        },
      ),
    );
  });
});

describe("parseAttributeType", () => {
  it.each<[string, Parameters<typeof parseAttributeType>[0], AttributeType]>([
    [
      "a LIST with defaults filled in",
      { name: " Tier ", dataType: "LIST", values: [" Silver", "Gold ", "", "Platinum"] },
      tier,
    ],
    [
      "a data type in any case",
      { name: "Birthday", dataType: " date " },
      type({ name: "Birthday", dataType: "DATE" }),
    ],
    [
      "every option given",
      {
        name: "Color",
        dataType: "TEXT",
        maxLength: 10,
        editable: false,
        unique: true,
        values: [],
      },
      type({ name: "Color", maxLength: 10, editable: false, unique: true }),
    ],
    [
      "a null maxLength",
      { name: "Kids", dataType: "NUMBER", maxLength: null },
      type({ name: "Kids", dataType: "NUMBER" }),
    ],
  ])("accepts %s", (_case, input, expected) => {
    expect(parseAttributeType(input)).toEqual(expected);
  });

  it.each<[string, Parameters<typeof parseAttributeType>[0], string]>([
    ["an empty name", { name: "  ", dataType: "TEXT" }, "name"],
    ["an unknown data type", { name: "X", dataType: "STRING" }, "dataType"],
    ["an empty data type", { name: "X", dataType: "" }, "dataType"],
    ["a LIST without values", { name: "X", dataType: "LIST" }, "values"],
    ["a LIST with blank values only", { name: "X", dataType: "LIST", values: [" "] }, "values"],
    [
      "a LIST with a value twice, case ignored",
      { name: "X", dataType: "LIST", values: ["Gold", "GOLD"] },
      "values",
    ],
    [
      "a LIST value over maxLength",
      { name: "X", dataType: "LIST", maxLength: 4, values: ["Gold", "Silver"] },
      "values",
    ],
    ["values on a TEXT type", { name: "X", dataType: "TEXT", values: ["a"] }, "values"],
    ["a zero maxLength", { name: "X", dataType: "TEXT", maxLength: 0 }, "maxLength"],
    ["a negative maxLength", { name: "X", dataType: "TEXT", maxLength: -5 }, "maxLength"],
    ["a fractional maxLength", { name: "X", dataType: "TEXT", maxLength: 2.5 }, "maxLength"],
    ["a NaN maxLength", { name: "X", dataType: "TEXT", maxLength: Number.NaN }, "maxLength"],
  ])("rejects %s with INVALID_REQUEST", (_case, input, field) => {
    let thrown: unknown;
    try {
      parseAttributeType(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CusthubError);
    expect(thrown).toMatchObject({ code: "INVALID_REQUEST", details: { field } });
  });
});
