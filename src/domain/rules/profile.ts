import type { CheckedValue } from "./checked-value.js";

/** seeds/003 "SocioEconomicProfile" › `HighestEducationalLevelName`: the only accepted values. */
export const EDUCATION_LEVELS = ["SECONDARY", "BACHELORS", "GRADUATE", "PHD"] as const;

const MAX_ANNUAL_INCOME = 100_000_000n;
const MAX_NET_WORTH = 1_000_000_000_000n;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/u;

/**
 * Checks a birth date: only `YYYY-MM-DD` naming a real calendar day is accepted (seeds/003
 * "PersonalSummary" › `BirthDate`: "any other format will result in the BirthDate not being
 * written"). Year 0000 is refused: the Gregorian calendar, and PostgreSQL, have no year zero.
 *
 * @example
 * checkBirthDate("1957-04-16"); // { value: "1957-04-16", valid: true }
 * checkBirthDate("1957-02-30"); // { value: "1957-02-30", valid: false }
 */
export function checkBirthDate(raw: string): CheckedValue {
  const value = raw.trim();
  const parts = ISO_DATE.exec(value);
  const valid =
    parts !== null && isCalendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]));
  return { value, valid };
}

/**
 * True when year/month/day name a day of the Gregorian calendar (years 1-9999). Shared with the
 * `MM-DD-YYYY` attribute dates of seeds/003 "Customer Attributes".
 */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || year < 1 || year > 9999) return false;
  if (!Number.isInteger(month) || month < 1 || month > 12) return false;
  return Number.isInteger(day) && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Checks the highest education level against {@link EDUCATION_LEVELS}, ignoring case and
 * surrounding whitespace; a valid value is upper-cased (seeds/003 "SocioEconomicProfile").
 *
 * @example
 * checkEducationLevel("PHD\n   "); // { value: "PHD", valid: true }
 */
export function checkEducationLevel(raw: string): CheckedValue {
  const value = raw.trim();
  const upper = value.toUpperCase();
  const level = EDUCATION_LEVELS.find((candidate) => candidate === upper);
  return level === undefined ? { value, valid: false } : { value: level, valid: true };
}

/**
 * Checks an annual income: a whole number from 0 to 100,000,000 (seeds/003 "SocioEconomicProfile"
 * › `AnnualIncomeAmount`). Digits only; a valid value loses its leading zeros.
 *
 * @example
 * checkAnnualIncome("123456"); // { value: "123456", valid: true }
 * checkAnnualIncome("1.5");    // { value: "1.5", valid: false }
 */
export function checkAnnualIncome(raw: string): CheckedValue {
  return checkWholeNumber(raw, MAX_ANNUAL_INCOME);
}

/**
 * Checks a net worth: a whole number from 0 to 1,000,000,000,000 (seeds/003 "SocioEconomicProfile"
 * › `NetWorth`). Digits only; a valid value loses its leading zeros.
 *
 * @example
 * checkNetWorth("1234567"); // { value: "1234567", valid: true }
 */
export function checkNetWorth(raw: string): CheckedValue {
  return checkWholeNumber(raw, MAX_NET_WORTH);
}

function checkWholeNumber(raw: string, max: bigint): CheckedValue {
  const value = raw.trim();
  if (!/^\d+$/u.test(value)) return { value, valid: false };
  const amount = BigInt(value);
  return amount <= max ? { value: amount.toString(), valid: true } : { value, valid: false };
}

/**
 * `LanguageCode`: "The 2-letter ISO language code for the customer's preferred language"
 * (seeds/003). Two letters, kept in the case given (`fr`, `FR`).
 */
export function checkLanguageCode(raw: string): CheckedValue {
  const value = raw.trim();
  return { value, valid: /^[A-Za-z]{2}$/u.test(value) };
}
