/**
 * How a request's scalar fields overwrite a customer's (seeds/003: "new data overwrites"): the
 * customer-level fields, and the individual's names and personal values, with their date and
 * value checks.
 */
import {
  NAME_LOCATIONS,
  type CustomerState,
  type Individual,
  type ValidationIssue,
} from "./customer.js";
import { CusthubError } from "./errors.js";
import { given, homeStoreMissing, type CustomerRequest, type IndividualInput } from "./requests.js";
import { moveMiddleInitial, normalizeName } from "./rules/names.js";
import {
  checkAnnualIncome,
  checkBirthDate,
  checkEducationLevel,
  checkLanguageCode,
  checkNetWorth,
  isCalendarDate,
} from "./rules/profile.js";
import type { ApplyContext } from "./apply-request.js";

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
export const TIMESTAMP_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A `YYYY-MM-DD` date field, or `INVALID_DATE_FORMAT` naming the field. */
export function checkDate(
  value: string,
  field: string,
  pattern: RegExp = DATE_PATTERN,
  label: string = field,
): string {
  const match = pattern.exec(value);
  if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    // A timestamp field takes either form: "Format = 2015-07-24T15:25:27 (timestamp)" (seeds/003).
    const form =
      pattern === TIMESTAMP_PATTERN
        ? "YYYY-MM-DD, or a timestamp such as 2015-07-24T15:25:27"
        : "YYYY-MM-DD";
    throw new CusthubError("INVALID_DATE_FORMAT", `${label} is not a valid date (${form}).`, {
      field,
    });
  }
  return value;
}

type ScalarKey =
  | "retailStoreID"
  | "customerNumber"
  | "customerReference"
  | "orgName"
  | "custOrgTypcode"
  | "employeeID"
  | "source"
  | "businessName"
  | "customerClass";

const SCALAR_KEYS: readonly ScalarKey[] = [
  "retailStoreID",
  "customerNumber",
  "customerReference",
  "orgName",
  "custOrgTypcode",
  "employeeID",
  "source",
  "businessName",
  "customerClass",
];

/** Overwrites the customer-level fields the request gives (seeds/003: "new data overwrites"). */
export function assignScalars(
  state: CustomerState,
  request: CustomerRequest,
  context: ApplyContext,
): void {
  for (const key of SCALAR_KEYS) {
    const value = given(request[key]);
    if (value !== undefined) state[key] = value;
  }
  const signupDate = given(request.signupDate);
  if (signupDate !== undefined) {
    state.signupDate = signupDate === null ? null : checkDate(signupDate, "signupDate");
  }
  if (request.prospect !== undefined && request.prospect !== null)
    state.prospect = request.prospect;
  if (request.affiliation !== undefined) {
    const store = request.affiliation ? given(request.affiliation.retailStoreID) : null;
    if (store === undefined) throw homeStoreMissing();
    state.homeRetailStoreID = store;
  }
  if (request.lastUpdateInfo) {
    const updateDate = given(request.lastUpdateInfo.updateDate);
    state.lastUpdateInfo = {
      updateUserID: given(request.lastUpdateInfo.updateUserID) ?? null,
      // "If date is left off, Customer Engagement will fill in local time." (seeds/003)
      updateDate: updateDate
        ? checkDate(updateDate, "lastUpdateInfo.updateDate", TIMESTAMP_PATTERN)
        : context.now,
    };
  }
}

type IndividualTextKey =
  | "salutation"
  | "suffix"
  | "nickName"
  | "genderType"
  | "anniversary"
  | "maritalStatusCode"
  | "ethnicity";

export const INDIVIDUAL_TEXT_KEYS: readonly IndividualTextKey[] = [
  "salutation",
  "suffix",
  "nickName",
  "genderType",
  "anniversary",
  "maritalStatusCode",
  "ethnicity",
];

/**
 * Overwrites the individual's scalar fields. Birth date, education level, income and net worth
 * that break their rule are not written (the old value stays) and come back as warnings.
 */
export function assignIndividualScalars(
  individual: Individual,
  input: IndividualInput | undefined,
  context: Pick<ApplyContext, "validate">,
): ValidationIssue[] {
  if (!input) return [];
  const warnings: ValidationIssue[] = [];
  for (const location of NAME_LOCATIONS) {
    const value = given(input.names?.[location]);
    if (value !== undefined) individual.names[location] = value;
  }
  if (context.validate) takeMiddleInitial(individual, input);
  for (const key of INDIVIDUAL_TEXT_KEYS) {
    const value = given(input[key]);
    if (value !== undefined) individual[key] = value;
  }
  if (input.rent !== undefined && input.rent !== null) individual.rent = input.rent;
  const checked = [
    ["birthDate", checkBirthDate, "INVALID_DATE_FORMAT", "is not a real date in YYYY-MM-DD format"],
    [
      "highestEducationalLevelName",
      checkEducationLevel,
      "INVALID_EDUCATION_LEVEL",
      "is not one of SECONDARY, BACHELORS, GRADUATE, PHD",
    ],
    [
      "annualIncomeAmount",
      checkAnnualIncome,
      "INVALID_ANNUAL_INCOME",
      "is not a whole number between 0 and 100,000,000",
    ],
    [
      "netWorth",
      checkNetWorth,
      "INVALID_NET_WORTH",
      "is not a whole number between 0 and 1,000,000,000,000",
    ],
    ["languageCode", checkLanguageCode, "INVALID_LANGUAGE_CODE", "is not a 2-letter ISO code"],
  ] as const;
  for (const [field, check, code, problem] of checked) {
    const value = given(input[field]);
    if (value === undefined) continue;
    if (value === null) {
      individual[field] = null;
      continue;
    }
    const result = check(value);
    if (result.valid) {
      individual[field] = result.value;
    } else {
      warnings.push({
        field,
        code,
        message: `${field} ${problem}; the value was not written.`,
        severity: "warning",
      });
    }
  }
  return warnings;
}

/**
 * A middle initial in the first or last name the request gives is the request's `MIDDLE`, when it
 * gives none itself: it replaces the one the customer holds. Without this the rule, which fills
 * only an empty `MIDDLE`, left `John Q` whole over a customer whose `MIDDLE` an earlier import of
 * the same name had set to `Q`, and importing a file again changed the customer.
 */
function takeMiddleInitial(individual: Individual, input: IndividualInput): void {
  if (given(input.names?.MIDDLE) !== undefined) return;
  const first = given(input.names?.FIRST);
  const last = given(input.names?.LAST);
  if (!first && !last) return;
  const moved = moveMiddleInitial({
    FIRST: first ? normalizeName(first) : null,
    FIRST2: null,
    MIDDLE: null,
    LAST: last ? normalizeName(last) : null,
    LAST2: null,
  });
  if (moved.MIDDLE === null) return;
  individual.names.MIDDLE = moved.MIDDLE;
  if (first) individual.names.FIRST = moved.FIRST;
  if (last) individual.names.LAST = moved.LAST;
}
