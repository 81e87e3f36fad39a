/**
 * A failed block's first code is one of its action's table in seeds/003; custhub's own code, when
 * the table has none for the failure, follows GENERAL_ERROR.
 */
import { describe, expect, it } from "vitest";
import { reviewCodes } from "../../src/ingest/error-tables.js";

describe("reviewCodes", () => {
  it.each([
    ["Add", "CUSTOMER_ALREADY_EXISTS", ["CUSTOMER_ALREADY_EXISTS"]],
    // Not in the Add or Update table, which lists CUSTOMER_ALREADY_EXISTS for Add alone.
    ["AddorUpdate", "CUSTOMER_ALREADY_EXISTS", ["GENERAL_ERROR", "CUSTOMER_ALREADY_EXISTS"]],
    ["Update", "CUSTOMER_NOT_FOUND", ["CUSTOMER_NOT_FOUND"]],
    ["Update", "UNKNOWN_ALTERNATE_KEY_TYPE", ["GENERAL_ERROR", "UNKNOWN_ALTERNATE_KEY_TYPE"]],
    ["Delete", "NAME_POSITION_INVALID", ["GENERAL_ERROR", "NAME_POSITION_INVALID"]],
    ["Merge", "MERGE_CUSTOMER_CREATION_EXCEPTION", ["MERGE_CUSTOMER_CREATION_EXCEPTION"]],
    ["CardCustomerAssociation", "PROGRAM_INACTIVE", ["PROGRAM_INACTIVE"]],
    ["CardCustomerAssociation", "GENERAL_ERROR", ["GENERAL_ERROR"]],
    [null, "INVALID_REQUEST", ["GENERAL_ERROR", "INVALID_REQUEST"]],
    [null, "GENERAL_ERROR", ["GENERAL_ERROR"]],
  ])("%s failing with %s gives %j", (action, code, codes) => {
    expect(reviewCodes(action, code)).toEqual(codes);
  });
});
