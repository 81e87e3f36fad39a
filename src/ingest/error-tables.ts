/** The error tables of seeds/003, one per batch action, as the import review gives codes. */

/** The codes every action that writes customer data lists (Add, AddorUpdate, Update). */
const CUSTOMER_DATA_CODES = [
  "ALTERNATE_KEY_TYPECODE_UNSPECIFIED",
  "ALTERNATE_KEY_VALUE_UNSPECIFIED",
  "ATTRIBUTE_VALUE_TOO_LARGE",
  "CUSTOMER_NOTE_EMPTY",
  "GENERAL_ERROR",
  "INVALID_ATTRIBUTE_VALUE",
  "INVALID_DATE_FORMAT",
  "MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE",
  "NAME_POSITION_INVALID",
  "UNKNOWN_ATTRIBUTE_TYPE",
  "VALUE_NOT_IN_ENUMERATED_ATTRIBUTE_TYPE_VALUES",
];

/**
 * Each action's error table (seeds/003 "Batch Processing Errors"); an Update's includes the home
 * location's, which is an Update. A card association's table has no GENERAL_ERROR, but a failure
 * it has no code for still needs one.
 */
const ERROR_TABLES: Record<string, ReadonlySet<string>> = {
  Add: new Set([...CUSTOMER_DATA_CODES, "CUSTOMER_ALREADY_EXISTS"]),
  AddorUpdate: new Set(CUSTOMER_DATA_CODES),
  Update: new Set([
    ...CUSTOMER_DATA_CODES,
    "CUSTOMER_NOT_FOUND",
    "ACTIVATION_DATE_DOES_NOT_MEET_CARD_EXPIRATION_DATE",
  ]),
  Delete: new Set(["CUSTOMER_NOT_FOUND", "GENERAL_ERROR"]),
  Merge: new Set(["CUSTOMER_NOT_FOUND", "MERGE_CUSTOMER_CREATION_EXCEPTION", "GENERAL_ERROR"]),
  CardCustomerAssociation: new Set([
    "ACCOUNT_BLOCKED",
    "ACCOUNT_EXPIRED",
    "AWARD_PROGRAM_EXPIRED",
    "AWARD_PROGRAM_NOT_EFFECTIVE",
    "CARD_EXPIRED",
    "CARD_NOT_FOUND",
    "CUSTOMER_NOT_FOUND",
    "LYL_PROGRAM_EXPIRED",
    "LYL_PROGRAM_NOT_EFFECTIVE",
    "MIN_ACTIVATION_AMT_NOT_MET",
    "PROGRAM_EXPIRED",
    "PROGRAM_INACTIVE",
    "PROGRAM_NOT_EFFECTIVE",
    "GENERAL_ERROR",
  ]),
};

/**
 * A failed block's codes in the review: its action's code for the failure; a failure the table
 * has no code for is `GENERAL_ERROR`, followed by custhub's own code that says which.
 */
export function reviewCodes(action: string | null, code: string): string[] {
  return (action !== null && ERROR_TABLES[action]?.has(code)) || code === "GENERAL_ERROR"
    ? [code]
    : ["GENERAL_ERROR", code];
}
