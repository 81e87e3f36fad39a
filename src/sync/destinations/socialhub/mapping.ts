/**
 * The customer record to SocialHub's "Update Customer Information" (seeds/004 "Properties"), one
 * body field per property the document lists. The wire names and codes are those of SocialHub's
 * own n8n node (github.com/Socialhub-AI/n8n-nodes-socialhub, nodes/SocialHub.node.ts, operation
 * `updateConsumer`): `postelCode` is spelled so there, gender is 0 unknown / 1 male / 2 female,
 * and the flags are 0 / 1. Pure: no I/O.
 *
 * The update carries the whole of what custhub holds: a value custhub does not have is sent empty
 * (`""`, or null for the birthday, 0 for gender), so a value removed in custhub is removed in
 * SocialHub too.
 */
import type { CustomerResponse } from "../../../domain/customer-response.js";
import { customerCodeOf, preferred, sendableContacts, text } from "../customer-record.js";

/** The body of `v1/consumer/updateInfo/{customerCode}`; seeds/004's properties, in its order. */
export interface SocialhubCustomerUpdate {
  /** Email: the customer's email address. */
  email: string;
  /** Customer Name: the full name. */
  name: string;
  /** Gender: 0 unknown, 1 male, 2 female. */
  gender: 0 | 1 | 2;
  /** Birthday, "in yyyy-MM-dd format"; null when custhub has none. */
  birthday: string | null;
  /** Postal Code (SocialHub's own spelling of the field). */
  postelCode: string;
  /** Customer Address: the full address. */
  address: string;
  /** Customer Receive SMS Flag: 1 when the customer consents to SMS messages. */
  receiveSmsFlag: 0 | 1;
  /** Customer Receive Email Flag: 1 when the customer consents to emails. */
  receiveEmailFlag: 0 | 1;
  /** Language: the preferred language. */
  language: string;
}

export interface SocialhubMessage {
  /** Customer Code: "Unique identifier for the customer to update (required)". */
  customerCode: string;
  body: SocialhubCustomerUpdate;
}

type Individual = CustomerResponse["entityInformation"]["individual"];
type AddressEntry = Individual["contactInformation"]["address"][number];

/**
 * The update for one customer; null when it has no customer code (seeds/004 "Troubleshooting":
 * missing codes cause errors, so none is sent).
 *
 * @example
 * socialhubMessageOf(record, null)?.body.birthday // "1957-04-16"
 */
export function socialhubMessageOf(
  record: CustomerResponse,
  customerCodeKeyType: string | null,
): SocialhubMessage | null {
  const customerCode = customerCodeOf(record, customerCodeKeyType);
  if (customerCode === null) return null;
  const individual = record.entityInformation.individual;
  const summary = individual.personalSummary;
  const address = preferred(
    individual.contactInformation.address.filter((entry) => entry.activeFlag === "true"),
  );
  // A valid one only: SocialHub refuses an email that is not one (docs/connectors.md).
  const email = preferred(
    sendableContacts(individual.contactInformation.email).filter(
      (entry) => text(entry.emailAddress) !== null,
    ),
  );
  return {
    customerCode,
    body: {
      email: text(email?.emailAddress) ?? "",
      name: individual.name.name
        .map((name) => text(name.value))
        .filter((part): part is string => part !== null)
        .join(" "),
      gender: genderOf(summary.genderType),
      birthday: birthdayOf(summary.birthDate),
      postelCode: text(address?.postalCode) ?? "",
      address: fullAddressOf(address),
      receiveSmsFlag: consentOf(record, SMS_CONSENT_TYPES),
      receiveEmailFlag: consentOf(record, ["EMAIL"]),
      language: text(summary.languageCode) ?? "",
    },
  };
}

/** custhub keeps gender as M or F (seeds/003 GenderType); anything else is unknown. */
function genderOf(genderType: string | null): 0 | 1 | 2 {
  const mark = genderType?.trim().toUpperCase();
  if (mark === "M") return 1;
  if (mark === "F") return 2;
  return 0;
}

/** yyyy-MM-dd, or null: custhub stores birth dates so, and anything else would be refused. */
function birthdayOf(birthDate: string | null): string | null {
  return birthDate !== null && /^\d{4}-\d{2}-\d{2}$/.test(birthDate) ? birthDate : null;
}

/**
 * The full address on one line: street lines, apartment, city, territory and country, joined
 * with ", ". The postal code has its own field. A country code goes in capitals, as to the other
 * connectors (custhub keeps the country as given, "us"); a country name stays as given.
 */
function fullAddressOf(address: AddressEntry | null): string {
  if (address === null) return "";
  return [
    address.addressLine1,
    address.addressLine2,
    address.addressLine3,
    address.addressLine4,
    address.apartmentNumber,
    address.city,
    address.territory,
    countryOf(address.country),
  ]
    .map((part) => text(part))
    .filter((part): part is string => part !== null)
    .join(", ");
}

function countryOf(country: string | null): string | null {
  const given = text(country);
  return given !== null && /^[A-Za-z]{2,3}$/.test(given) ? given.toUpperCase() : given;
}

/**
 * seeds/003 knows the contact types Mail, Email, Phone and Fax; a text message goes to a phone,
 * so the SMS flag is the SMS preference when the customer has one, else the Phone preference.
 */
const SMS_CONSENT_TYPES = ["SMS", "PHONE"] as const;

/**
 * 1 when the first of `contactTypes` the customer has a preference for grants permission; 0 when
 * it refuses, or when there is none (consent is never assumed).
 */
function consentOf(record: CustomerResponse, contactTypes: readonly string[]): 0 | 1 {
  const preferences = record.personalPreferences.contactPreference;
  for (const contactType of contactTypes) {
    const preference = preferences.find(
      (candidate) => candidate.contactType.toUpperCase() === contactType,
    );
    if (preference) return preference.permission === "true" ? 1 : 0;
  }
  return 0;
}
