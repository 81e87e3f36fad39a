import {
  NAME_LOCATIONS,
  type Address,
  type Email,
  type Individual,
  type NameLocation,
  type Telephone,
  type ValidationIssue,
} from "../customer.js";
import type { CheckedValue } from "./checked-value.js";
import { normalizeEmail } from "./email.js";
import { normalizeGender } from "./gender.js";
import { moveMiddleInitial, normalizeName } from "./names.js";
import { normalizePhone } from "./phone.js";
import { normalizePostalCode } from "./postal-code.js";
import {
  checkAnnualIncome,
  checkBirthDate,
  checkEducationLevel,
  checkNetWorth,
  EDUCATION_LEVELS,
} from "./profile.js";
import { normalizeSalutation, normalizeSuffix, SALUTATIONS, SUFFIXES } from "./salutation.js";

export interface NormalizeIndividualOptions {
  /** Whether a missing first or last name marks the customer invalid (SPEC 3). */
  requireNames: boolean;
}

export interface NormalizedIndividual {
  individual: Individual;
  issues: ValidationIssue[];
}

/**
 * Applies every rule of seeds/003 "Customer Validation" (as settled by SPEC 3) to one individual
 * and lists what it found. Invalid data is kept, not dropped: an invalid salutation, suffix or
 * gender stays as given (trimmed) with an `error`; a postal code, email or phone that fails is kept
 * as cleaned (as given, if cleaning leaves nothing) and its entry loses `validFlag`. Birth date, education, income and net worth that
 * fail are not written (set to null) and reported as `warning`s (seeds/003 "PersonalSummary",
 * "SocioEconomicProfile"). Only active contact entries are checked; an entry whose `validFlag`
 * came in true was forced valid by the request (seeds/003 `ValidFlag`), so it stays valid and no
 * issue is recorded, though its values are still normalized. Blank strings count as absent.
 * Messages never repeat the customer's value, so no personal data leaks into them.
 *
 * @example
 * const { individual, issues } = normalizeIndividual(input, { requireNames: true });
 */
export function normalizeIndividual(
  input: Individual,
  options: NormalizeIndividualOptions,
): NormalizedIndividual {
  const issues: ValidationIssue[] = [];
  const names = normalizeNames(input.names, options, issues);

  const salutation = keepAsGiven(input.salutation, normalizeSalutation, issues, {
    field: "salutation",
    code: "INVALID_SALUTATION",
    message: `Salutation is not one of ${SALUTATIONS.join(", ")}, nor close to one.`,
  });
  const suffix = keepAsGiven(input.suffix, normalizeSuffix, issues, {
    field: "suffix",
    code: "INVALID_SUFFIX",
    message: `Suffix is not one of ${SUFFIXES.join(", ")}, nor close to one.`,
  });
  const genderType = keepAsGiven(input.genderType, normalizeGender, issues, {
    field: "genderType",
    code: "INVALID_GENDER",
    message: "Gender must start with M, m or 1 (male) or F, f, W, w or 0 (female).",
  });

  const birthDate = writeIfValid(input.birthDate, checkBirthDate, issues, {
    field: "birthDate",
    code: "INVALID_DATE_FORMAT",
    message: "Birth date is not a real date in YYYY-MM-DD format; it was not written.",
  });
  const highestEducationalLevelName = writeIfValid(
    input.highestEducationalLevelName,
    checkEducationLevel,
    issues,
    {
      field: "highestEducationalLevelName",
      code: "INVALID_EDUCATION_LEVEL",
      message: `Education level must be one of ${EDUCATION_LEVELS.join(", ")}; it was not written.`,
    },
  );
  const annualIncomeAmount = writeIfValid(input.annualIncomeAmount, checkAnnualIncome, issues, {
    field: "annualIncomeAmount",
    code: "INVALID_ANNUAL_INCOME",
    message: "Annual income must be a whole number from 0 to 100,000,000; it was not written.",
  });
  const netWorth = writeIfValid(input.netWorth, checkNetWorth, issues, {
    field: "netWorth",
    code: "INVALID_NET_WORTH",
    message: "Net worth must be a whole number from 0 to 1,000,000,000,000; it was not written.",
  });

  return {
    individual: {
      ...input,
      names,
      salutation,
      suffix,
      genderType,
      birthDate,
      highestEducationalLevelName,
      annualIncomeAmount,
      netWorth,
      addresses: input.addresses.map((address, index) => normalizeAddress(address, index, issues)),
      emails: input.emails.map((email, index) => normalizeEmailEntry(email, index, issues)),
      telephones: input.telephones.map((phone, index) => normalizeTelephone(phone, index, issues)),
    },
    issues,
  };
}

function normalizeNames(
  input: Record<NameLocation, string | null>,
  options: NormalizeIndividualOptions,
  issues: ValidationIssue[],
): Record<NameLocation, string | null> {
  const cleaned = { ...input };
  for (const location of NAME_LOCATIONS) {
    const raw = input[location];
    cleaned[location] = raw === null ? null : nonBlank(normalizeName(raw));
  }
  const names = moveMiddleInitial(cleaned);
  if (options.requireNames && names.FIRST === null) {
    issues.push({
      field: "names.FIRST",
      code: "FIRST_NAME_MISSING",
      message: "First name is missing.",
      severity: "error",
    });
  }
  if (options.requireNames && names.LAST === null) {
    issues.push({
      field: "names.LAST",
      code: "LAST_NAME_MISSING",
      message: "Last name is missing.",
      severity: "error",
    });
  }
  return names;
}

function normalizeAddress(address: Address, index: number, issues: ValidationIssue[]): Address {
  if (!address.active) return address;
  const present = nonBlank(address.postalCode);
  const checked = present === null ? null : normalizePostalCode(present);
  const validFlag = settleEntry(address.validFlag, checked?.valid ?? true, issues, {
    field: `addresses[${index}].postalCode`,
    code: "INVALID_POSTAL_CODE",
    message: "Postal code does not match 99999, 99999-9999 or A1A1A1; the address is invalid.",
    entry: { kind: "address", index },
  });
  return { ...address, postalCode: cleanedOrGiven(checked?.value, present), validFlag };
}

function normalizeEmailEntry(email: Email, index: number, issues: ValidationIssue[]): Email {
  if (!email.active) return email;
  const present = nonBlank(email.emailAddress);
  const checked = present === null ? null : normalizeEmail(present);
  const validFlag = settleEntry(email.validFlag, checked?.valid ?? true, issues, {
    field: `emails[${index}].emailAddress`,
    code: "INVALID_EMAIL",
    message: "Email address is not of the form local@sub-domain.domain; the email is invalid.",
    entry: { kind: "email", index },
  });
  return { ...email, emailAddress: checked?.value ?? null, validFlag };
}

function normalizeTelephone(phone: Telephone, index: number, issues: ValidationIssue[]): Telephone {
  if (!phone.active) return phone;
  const present = nonBlank(phone.phoneNumber);
  if (present === null) {
    // No number to check: nothing is invalid, the extension alone is still cleaned to digits.
    const { extension } = normalizePhone("", phone.extension);
    return { ...phone, phoneNumber: null, extension, areaCode: null, validFlag: true };
  }
  const normalized = normalizePhone(present, phone.extension);
  const validFlag = settleEntry(phone.validFlag, normalized.valid, issues, {
    field: `telephones[${index}].phoneNumber`,
    code: "INVALID_PHONE",
    message: "Phone number is empty once cleaned or starts with 0; the telephone is invalid.",
    entry: { kind: "telephone", index },
  });
  return {
    ...phone,
    phoneNumber: cleanedOrGiven(normalized.phoneNumber, present),
    extension: normalized.extension,
    areaCode: normalized.areaCode,
    validFlag,
  };
}

/**
 * An entry's valid flag: forced by the request, or earned by passing its rule (an absent value
 * passes). Only an entry that is neither gets an issue (seeds/003 `ValidFlag` sets the flag
 * "regardless of internal validation").
 */
function settleEntry(
  forcedValid: boolean,
  ruleValid: boolean,
  issues: ValidationIssue[],
  issue: Omit<ValidationIssue, "severity">,
): boolean {
  if (forcedValid) return true;
  if (!ruleValid) issues.push({ ...issue, severity: "error" });
  return ruleValid;
}

/**
 * The cleaned value, unless cleaning left nothing of a value that was given: then the value as
 * given (trimmed), since invalid data is saved, not dropped (SPEC 2) — and so a second pass finds
 * the same invalid value instead of an absent, valid one.
 */
function cleanedOrGiven(cleaned: string | undefined, given: string | null): string | null {
  if (given === null) return null;
  return cleaned === undefined || cleaned === "" ? given.trim() : cleaned;
}

type Finding = Pick<ValidationIssue, "field" | "code" | "message">;

/** A present value, rewritten by its rule; kept (trimmed) when invalid, and reported as an error. */
function keepAsGiven(
  raw: string | null,
  rule: (value: string) => CheckedValue,
  issues: ValidationIssue[],
  finding: Finding,
): string | null {
  const present = nonBlank(raw);
  if (present === null) return null;
  const checked = rule(present);
  if (!checked.valid) issues.push({ ...finding, severity: "error" });
  return checked.value;
}

/** A present value, written only when its rule accepts it; else null, reported as a warning. */
function writeIfValid(
  raw: string | null,
  rule: (value: string) => CheckedValue,
  issues: ValidationIssue[],
  finding: Finding,
): string | null {
  const present = nonBlank(raw);
  if (present === null) return null;
  const checked = rule(present);
  if (checked.valid) return checked.value;
  issues.push({ ...finding, severity: "warning" });
  return null;
}

function nonBlank(value: string | null): string | null {
  return value === null || value.trim() === "" ? null : value;
}
