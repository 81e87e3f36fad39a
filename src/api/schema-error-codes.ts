/**
 * The document's code for a body the customer routes' schemas refuse, where seeds/003's error
 * tables name the fault: the API answers the import's codes (SPEC 5), so content the import refuses
 * with a table's code is refused with it here too, not with `INVALID_REQUEST`.
 */
import type { FastifySchemaValidationError } from "fastify";
import { NAME_LOCATIONS } from "../domain/customer.js";
import type { ErrorCode } from "../domain/errors.js";

export interface DocumentFailure {
  code: ErrorCode;
  /** Replaces the schema's wording when the document's code reads better with its own. */
  message?: string;
}

/**
 * `field` is the failure's path as the reply names it (`body/individual/names/NICK`).
 *
 * @example
 * documentFailure(issue, "body/individual/names/NICK");
 * // { code: "NAME_POSITION_INVALID", message: 'Name location "NICK" (body/...) is not one of ...' }
 */
export function documentFailure(
  issue: FastifySchemaValidationError,
  field: string,
): DocumentFailure | undefined {
  const { keyword, instancePath, params } = issue;
  // A name's location is its key: "the location is not valid" (NAME_POSITION_INVALID).
  if (instancePath === "/individual/names" && keyword === "additionalProperties") {
    const location = String((params as { additionalProperty?: unknown }).additionalProperty);
    return {
      code: "NAME_POSITION_INVALID",
      message: `Name location ${JSON.stringify(location)} (${field}) is not one of ${NAME_LOCATIONS.join(", ")}.`,
    };
  }
  // "Number of characters or numbers exceed field length" (ATTRIBUTE_VALUE_TOO_LARGE).
  if (/^\/customAttributes\/\d+\/values\/\d+$/u.test(instancePath) && keyword === "maxLength") {
    return { code: "ATTRIBUTE_VALUE_TOO_LARGE" };
  }
  // The import's code for an attribute without a name: no type can be that attribute's.
  if (/^\/customAttributes\/\d+\/name$/u.test(instancePath) && keyword === "minLength") {
    return { code: "UNKNOWN_ATTRIBUTE_TYPE" };
  }
  // A merge party that names no one: an empty reference, a key without a type or an id. The
  // import refuses such a party as not found (docs/import.md "Customer Merge"), whatever the
  // Customer Merge Override says, and so does the merge service for one of spaces alone.
  if (
    (/^\/(source|targets\/\d+)$/u.test(instancePath) && keyword === "minProperties") ||
    (/^\/(source|targets\/\d+)\/alternateKey\/(typeCode|alternateID)$/u.test(instancePath) &&
      keyword === "minLength")
  ) {
    return { code: "CUSTOMER_NOT_FOUND", message: `${field} is empty: the party names no one.` };
  }
  // A merge with an empty list of targets, the JSON form of an empty <MergeTargetSet>: the import
  // refuses it with the merge's code (seeds/003 "Customer Merge" Requirements: a source and at
  // least one target, or two or more targets). A body without `targets` is one of the wrong form.
  if (instancePath === "/targets" && keyword === "minItems") {
    return {
      code: "MERGE_CUSTOMER_CREATION_EXCEPTION",
      message: `A merge needs a source and at least one target, or at least two targets (${field}).`,
    };
  }
  return undefined;
}
