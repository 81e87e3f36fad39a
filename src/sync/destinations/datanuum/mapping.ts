/**
 * A queued customer record to Datanuum's customer body (seeds/000 "Builds customer payload"):
 * personal information (first name, last name, gender, birth date), contact details (mobile
 * phone, email address), nationality from the country, and the POS register code. The field
 * names are written down in docs/connectors.md ("Datanuum").
 */
import { CusthubError } from "../../../domain/errors.js";
import type { CustomerResponse } from "../../../domain/customer-response.js";
import { customerCodeOf, preferred, sendableContacts, text } from "../customer-record.js";
import type { DatanuumSettings, PosRegisterField } from "./settings.js";

export interface DatanuumCustomer {
  customerCode: string;
  firstName: string | null;
  lastName: string | null;
  gender: "Male" | "Female" | null;
  /** `yyyy-MM-dd` (seeds/000: "Date formats must match API specifications (yyyy-MM-dd)"). */
  birthDate: string | null;
  mobilePhone: string | null;
  emailAddress: string | null;
  /** The primary address's country code, in capitals (docs/connectors.md: "2-3 capitals"). */
  nationality: string | null;
  posRegisterCode: string | null;
}

type Individual = CustomerResponse["entityInformation"]["individual"];
type Contact = Individual["contactInformation"];

const GENDERS: Record<string, "Male" | "Female"> = { M: "Male", F: "Female" };

export function datanuumCustomerOf(
  record: CustomerResponse,
  settings: Pick<DatanuumSettings, "posRegisterField" | "mobilePhoneTypes">,
): DatanuumCustomer {
  const individual = record.entityInformation.individual;
  const name = (location: string): string | null =>
    text(individual.name.name.find((entry) => entry.location === location)?.value);
  const summary = individual.personalSummary;
  return {
    customerCode: record.customerID,
    firstName: name("FIRST"),
    lastName: name("LAST"),
    gender: GENDERS[(summary.genderType ?? "").toUpperCase()] ?? null,
    birthDate: isoDate(summary.birthDate),
    mobilePhone: mobilePhoneOf(individual.contactInformation, settings.mobilePhoneTypes),
    emailAddress: emailAddressOf(individual.contactInformation),
    nationality: nationalityOf(individual.contactInformation),
    posRegisterCode: posRegisterOf(record, settings.posRegisterField),
  };
}

/** Parses the queued JSON text; a record that is not a customer cannot be sent. */
export function parseQueuedCustomer(json: string | null): CustomerResponse {
  try {
    const record = JSON.parse(json ?? "null") as CustomerResponse | null;
    if (record && typeof record.customerID === "string" && record.entityInformation) return record;
  } catch {
    // Reported below, with the same words as a record of the wrong shape.
  }
  throw new CusthubError("INVALID_REQUEST", "The queued change holds no customer record.", {});
}

function isoDate(value: string | null): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(value ?? "");
  return match ? match[1]! : null;
}

/** The primary valid email, else the first valid one: an invalid one would be refused. */
function emailAddressOf(contact: Contact): string | null {
  const emails = sendableContacts(contact.email).filter(
    (email) => text(email.emailAddress) !== null,
  );
  return text(preferred(emails)?.emailAddress);
}

/**
 * The primary active address's country, in capitals as NewBase's `iso_country` is: custhub keeps
 * the country as given ("us"), and Datanuum takes 2-3 capitals only. Anything else is no country
 * code at all ("United States"): null, for Datanuum would refuse the whole customer for it.
 */
function nationalityOf(contact: Contact): string | null {
  const active = contact.address.filter((address) => address.activeFlag === "true");
  const country = text(preferred(active)?.country)?.toUpperCase() ?? null;
  return country !== null && /^[A-Z]{2,3}$/.test(country) ? country : null;
}

function mobilePhoneOf(contact: Contact, types: readonly string[]): string | null {
  const phones = sendableContacts(contact.telephone).filter(
    (phone) => text(phone.phoneNumber) !== null,
  );
  for (const type of types) {
    const ofType = phones.filter((phone) => (phone.typeCode ?? "").toUpperCase() === type);
    const found = ofType.find((phone) => phone.primaryFlag === "true") ?? ofType[0];
    if (found) return text(found.phoneNumber);
  }
  // Else "the primary valid non-fax one" as docs/connectors.md reads "primary": the primary
  // among them, else the first; a fax or invalid primary telephone does not hide the others.
  const notFax = phones.filter((phone) => (phone.typeCode ?? "").toUpperCase() !== "FAX");
  return text(preferred(notFax)?.phoneNumber);
}

/** seeds/000: "Invalid or missing POS register references are handled gracefully": null. */
function posRegisterOf(record: CustomerResponse, field: PosRegisterField): string | null {
  switch (field.kind) {
    case "customAttribute": {
      const wanted = field.name.toUpperCase();
      const attribute = record.customAttribute.find((entry) => entry.name.toUpperCase() === wanted);
      return text(attribute?.attributeValue[0]);
    }
    case "alternateKey":
      // Type codes are kept in capitals; the setting may be written in any case.
      return text(customerCodeOf(record, field.typeCode));
    case "retailStoreID":
      return text(record.retailStoreID);
    case "homeRetailStoreID":
      return text(record.affiliation[0]?.retailStoreID);
  }
}
