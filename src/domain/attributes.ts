/**
 * Custom attribute types and the checks their values must pass (seeds/003 "Customer Attributes",
 * SPEC 2). A failed check rejects the whole add or update, so it returns an error code rather
 * than an issue stored with the customer.
 */
import { CusthubError, type ErrorCode } from "./errors.js";
import { isCalendarDate } from "./rules/profile.js";

export const ATTRIBUTE_DATA_TYPES = ["TEXT", "NUMBER", "LOGICAL", "DATE", "LIST"] as const;
export type AttributeDataType = (typeof ATTRIBUTE_DATA_TYPES)[number];

/** An attribute type definition, as managed through the API, CLI and UI (SPEC 2). */
export interface AttributeType {
  name: string;
  dataType: AttributeDataType;
  /** Longest value accepted, in characters; null for no limit. */
  maxLength: number | null;
  /** A non-editable attribute "cannot be updated through web services" once defined (seeds/003). */
  editable: boolean;
  /** One value per customer when true, several when false (seeds/003 "Unique"). */
  unique: boolean;
  /** The allowed values of a LIST type, in their defined spelling; empty for other types. */
  values: string[];
}

export type AttributeCheck =
  { ok: true; values: string[] } | { ok: false; code: ErrorCode; message: string };

export interface AttributeTypeInput {
  name: string;
  dataType: string;
  maxLength?: number | null;
  editable?: boolean;
  unique?: boolean;
  values?: string[];
}

/** Signed decimals without exponent: `-12`, `3.5`, `.5`. */
const NUMERIC = /^[-+]?(?:\d+(?:\.\d+)?|\.\d+)$/u;
const US_DATE = /^(\d{2})-(\d{2})-(\d{4})$/u;

/**
 * Checks the values sent for one custom attribute against its type (seeds/003 "Customer
 * Attributes"): the type must exist; an update may not touch a non-editable type; values are
 * trimmed and blanks dropped (an update left with none deletes all values); a unique type takes
 * one value; each value must fit `maxLength` and its data type — NUMBER numeric, LOGICAL `Yes`/`No`,
 * DATE a real `MM-DD-YYYY` date, LIST one of the defined values. LOGICAL and LIST values come back
 * in their canonical spelling. Messages name the attribute and the value's position, never the
 * value: attributes may hold personal data (seeds/003 "Customer Attributes", Note).
 *
 * @example
 * checkAttributeValues(tier, "Tier", [" gold "], "update"); // { ok: true, values: ["Gold"] }
 */
export function checkAttributeValues(
  type: AttributeType | undefined,
  name: string,
  values: string[],
  mode: "add" | "update",
): AttributeCheck {
  if (type === undefined) {
    return fail("UNKNOWN_ATTRIBUTE_TYPE", `Attribute type "${name}" is not defined.`);
  }
  if (mode === "update" && !type.editable) {
    return fail("ATTRIBUTE_NOT_EDITABLE", `Attribute "${type.name}" is not editable.`);
  }
  const given = values.map((value) => value.trim()).filter((value) => value !== "");
  if (type.unique && given.length > 1) {
    return fail(
      "MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE",
      `Attribute "${type.name}" is unique and takes one value, not ${given.length}.`,
    );
  }
  const checked: string[] = [];
  for (const [index, value] of given.entries()) {
    const position = `Value ${index + 1} of attribute "${type.name}"`;
    if (type.maxLength !== null && [...value].length > type.maxLength) {
      return fail(
        "ATTRIBUTE_VALUE_TOO_LARGE",
        `${position} is longer than ${type.maxLength} characters.`,
      );
    }
    const result = checkDataType(type, value, position);
    if (!result.ok) return result;
    checked.push(result.value);
  }
  return { ok: true, values: checked };
}

function checkDataType(
  type: AttributeType,
  value: string,
  position: string,
): { ok: true; value: string } | { ok: false; code: ErrorCode; message: string } {
  switch (type.dataType) {
    case "TEXT":
      return { ok: true, value };
    case "NUMBER":
      return NUMERIC.test(value)
        ? { ok: true, value }
        : fail("INVALID_ATTRIBUTE_VALUE", `${position} must be a number.`);
    case "LOGICAL": {
      const lower = value.toLowerCase();
      if (lower === "yes") return { ok: true, value: "Yes" };
      if (lower === "no") return { ok: true, value: "No" };
      return fail("INVALID_ATTRIBUTE_VALUE", `${position} must be Yes or No.`);
    }
    case "DATE": {
      const parts = US_DATE.exec(value);
      return parts !== null && isCalendarDate(Number(parts[3]), Number(parts[1]), Number(parts[2]))
        ? { ok: true, value }
        : fail("INVALID_DATE_FORMAT", `${position} must be a real date in MM-DD-YYYY format.`);
    }
    case "LIST": {
      const lower = value.toLowerCase();
      const defined = type.values.find((allowed) => allowed.toLowerCase() === lower);
      return defined !== undefined
        ? { ok: true, value: defined }
        : fail(
            "VALUE_NOT_IN_ENUMERATED_ATTRIBUTE_TYPE_VALUES",
            `${position} is not one of the values defined for the list: ${definedValues(type.values)}.`,
          );
    }
  }
}

/**
 * Validates an attribute type definition and returns it in canonical form (name and values
 * trimmed, data type upper-cased; `editable` defaults to true, `unique` to false). Throws
 * `INVALID_REQUEST`, naming the offending field in `details.field`, for an empty name, an unknown
 * data type, a non-positive or fractional `maxLength`, a LIST without values or with values that
 * differ only in case or exceed `maxLength`, or values on a type other than LIST.
 *
 * @example
 * parseAttributeType({ name: "Tier", dataType: "list", values: ["Silver", "Gold", "Platinum"] });
 */
export function parseAttributeType(input: AttributeTypeInput): AttributeType {
  const name = input.name.trim();
  if (name === "") invalid("name", "An attribute type needs a name.");

  const dataType = ATTRIBUTE_DATA_TYPES.find(
    (candidate) => candidate === input.dataType.trim().toUpperCase(),
  );
  if (dataType === undefined) {
    invalid(
      "dataType",
      `Attribute type "${name}" has data type "${input.dataType}"; expected one of ${ATTRIBUTE_DATA_TYPES.join(", ")}.`,
    );
  }

  const maxLength = input.maxLength ?? null;
  if (maxLength !== null && !(Number.isInteger(maxLength) && maxLength > 0)) {
    invalid(
      "maxLength",
      `Attribute type "${name}" has maxLength ${maxLength}; expected a positive whole number.`,
    );
  }

  const values = (input.values ?? []).map((value) => value.trim()).filter((value) => value !== "");
  if (dataType === "LIST") checkListValues(name, values, maxLength);
  else if (values.length > 0) {
    invalid("values", `Attribute type "${name}" is ${dataType}; only a LIST type takes values.`);
  }

  return {
    name,
    dataType,
    maxLength,
    editable: input.editable ?? true,
    unique: input.unique ?? false,
    values,
  };
}

function checkListValues(name: string, values: string[], maxLength: number | null): void {
  if (values.length === 0) invalid("values", `LIST attribute type "${name}" needs its values.`);
  const seen = new Set<string>();
  for (const value of values) {
    const lower = value.toLowerCase();
    // Values match case-insensitively, so two spellings of one value would be ambiguous.
    if (seen.has(lower)) {
      invalid("values", `LIST attribute type "${name}" defines "${value}" twice (case ignored).`);
    }
    seen.add(lower);
    if (maxLength !== null && [...value].length > maxLength) {
      invalid(
        "values",
        `LIST attribute type "${name}" defines "${value}", longer than its maxLength ${maxLength}.`,
      );
    }
  }
}

function fail(code: ErrorCode, message: string): { ok: false; code: ErrorCode; message: string } {
  return { ok: false, code, message };
}

function invalid(field: string, message: string): never {
  throw new CusthubError("INVALID_REQUEST", message, { field });
}

/** A list's defined values for a message: the first 20, and how many more there are. */
function definedValues(values: readonly string[]): string {
  const shown = values.slice(0, 20).join(", ");
  return values.length > 20 ? `${shown} and ${values.length - 20} more` : shown || "(none)";
}
