/**
 * What a customer is found by (email, phone, postal code, name) and how a search term is brought
 * to the same form, so that `find --phone "(440) 555-0100"` matches a stored `4405550100`.
 */
import { NAME_LOCATIONS, type CustomerState } from "./customer.js";
import { normalizeEmail } from "./rules/email.js";
import { normalizePhone } from "./rules/phone.js";

export const emailTerm = (raw: string): string => normalizeEmail(raw).value.toLowerCase();
export const phoneTerm = (raw: string): string => normalizePhone(raw).phoneNumber;
export const postalCodeTerm = (raw: string): string =>
  raw.replace(/[^\p{L}\p{N}-]/gu, "").toUpperCase();
/** Lower-cased words; a name query matches customers whose names hold every word. */
export const nameTerms = (raw: string): string[] =>
  raw
    .toLowerCase()
    .split(/[^\p{L}\p{N}'’-]+/u)
    .filter((word) => word.length > 0);

export interface SearchTerms {
  emails: string[];
  phones: string[];
  postalCodes: string[];
  nameTokens: string[];
}

/**
 * The longest term kept for searching, in characters. A longer value (a 5,000-letter name) is
 * stored as it is, unsearchable: its index entry would pass PostgreSQL's limit of about 2,700
 * bytes and refuse the whole customer.
 */
export const MAX_SEARCH_TERM_LENGTH = 200;

const unique = (values: Iterable<string>): string[] =>
  [...new Set(values)].filter((value) => value !== "" && value.length <= MAX_SEARCH_TERM_LENGTH);

/** The search terms of a customer: its active entries' values and the words of its names. */
export function searchTermsOf(state: CustomerState): SearchTerms {
  const individual = state.individual;
  return {
    emails: unique(
      individual.emails
        .filter((email) => email.active && email.emailAddress)
        .map((email) => emailTerm(email.emailAddress!)),
    ),
    phones: unique(
      individual.telephones
        .filter((telephone) => telephone.active && telephone.phoneNumber)
        .map((telephone) => phoneTerm(telephone.phoneNumber!)),
    ),
    postalCodes: unique(
      individual.addresses
        .filter((address) => address.active && address.postalCode)
        .map((address) => postalCodeTerm(address.postalCode!)),
    ),
    nameTokens: unique(
      NAME_LOCATIONS.flatMap((location) => nameTerms(individual.names[location] ?? "")).concat(
        nameTerms(individual.nickName ?? ""),
      ),
    ),
  };
}
