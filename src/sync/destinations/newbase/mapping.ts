/**
 * The customer record to NewBase's records (seeds/002 "Customer Core Fields", "Addresses",
 * "Contact Information (Reachabilities)", "Resetting Reachability Information", "Extra Data &
 * Free Fields"), and, given what the look-up found in NewBase, the updates to make. Pure: the
 * destination does the I/O.
 *
 * A core field custhub has no value for is left out (NewBase keeps its own): the document clears
 * values only for reachabilities, through ResetReachabilities, so the normal update must be one
 * that skips empty fields, or that function would have nothing to do.
 */
import type { CustomerResponse } from "../../../domain/customer-response.js";
import { customerCodeOf, preferred, sendableContacts, text } from "../customer-record.js";
import type { CustomFieldMapping, NewbaseSettings, StandardSourceField } from "./settings.js";

/** The NewBase tables the connector reads or writes (seeds/002 "Data Source Configuration"). */
export type NewbaseTable =
  "contact" | "organisation" | "debtor" | "person" | "address" | "reachability";

/** NewBase's `type_address` of the two addresses the document updates. */
export const ADDRESS_TYPES = { visit: "visit", delivery: "delivery" } as const;

/**
 * The reachabilities the document updates (its `ReachabilityType`), each held by one NewBase
 * record and stored with one `type_reachability`.
 */
export const REACHABILITY_KINDS = {
  ContactPhone: { owner: "contact", type: "phone" },
  PersonMobile: { owner: "person", type: "mobile" },
  PersonFax: { owner: "person", type: "fax" },
  ContactEmail: { owner: "contact", type: "email" },
} as const;
export type ReachabilityKind = keyof typeof REACHABILITY_KINDS;
export type ReachabilityOwner = (typeof REACHABILITY_KINDS)[ReachabilityKind]["owner"];

export type ColumnValues = Record<string, string>;

/** What custhub holds for one customer, in NewBase's terms. */
export interface NewbaseCustomer {
  /** The contact's `serial` (the App4Sales CustomerCode). */
  serial: string;
  organisation: ColumnValues;
  debtor: ColumnValues;
  person: ColumnValues;
  /** Only custom fields write to the contact itself. */
  contact: ColumnValues;
  /** null: custhub has no address to send. */
  visitAddress: ColumnValues | null;
  deliveryAddress: ColumnValues | null;
  /** Every kind: the value, or "" to clear it (the document's ResetPhone, ResetMobile, ...). */
  reachabilities: Record<ReachabilityKind, string>;
}

/** What the look-up found in NewBase for the customer's contact. */
export interface NewbaseLookup {
  contactId: number;
  organisationId: number;
  /** null: the contact has no person, so no person, visit address or person reachabilities. */
  personId: number | null;
  debtorId: number | null;
  visitAddressId: number | null;
  deliveryAddressId: number | null;
  reachabilities: readonly ReachabilityRow[];
}

export interface ReachabilityRow {
  id: number;
  owner: ReachabilityOwner;
  type: string;
  value: string;
}

export interface NewbaseUpdate {
  table: NewbaseTable;
  id: number;
  values: ColumnValues;
}

type Individual = CustomerResponse["entityInformation"]["individual"];
type Contacts = Individual["contactInformation"];
type AddressEntry = Contacts["address"][number];
type TelephoneEntry = Contacts["telephone"][number];

/**
 * The record in NewBase's terms; null when it has no customer code.
 *
 * @example
 * newbaseCustomerOf(record, settings)?.person // { first_name: "John", last_name: "Smith", language: "fr" }
 */
export function newbaseCustomerOf(
  record: CustomerResponse,
  settings: NewbaseSettings,
): NewbaseCustomer | null {
  const serial = customerCodeOf(record, settings.customerCodeKeyType);
  if (serial === null) return null;
  const individual = record.entityInformation.individual;
  const language = text(individual.personalSummary.languageCode)?.toLowerCase() ?? null;
  const customer: NewbaseCustomer = {
    serial,
    organisation: columns({ name: organisationNameOf(record) }),
    debtor: columns({
      vat_number: attributeValue(record, settings.vatNumberAttribute),
      coc_number: attributeValue(record, settings.chamberOfCommerceAttribute),
      language,
    }),
    person: columns({
      first_name: text(nameOf(individual, "FIRST")),
      last_name: text(nameOf(individual, "LAST")),
      language,
    }),
    contact: {},
    visitAddress: addressValues(
      chooseAddress(individual.contactInformation.address, settings.visitAddressType),
      settings.useAddressLine2AsHouseNumber,
    ),
    deliveryAddress: addressValues(
      chooseAddress(individual.contactInformation.address, settings.deliveryAddressType),
      settings.useAddressLine2AsHouseNumber,
    ),
    reachabilities: {
      ContactPhone: phoneOf(individual, "phone") ?? "",
      PersonMobile: phoneOf(individual, "mobile") ?? "",
      PersonFax: phoneOf(individual, "fax") ?? "",
      ContactEmail: emailOf(individual) ?? "",
    },
  };
  // Custom fields come last, so an entry naming a standard column replaces its value.
  for (const mapping of settings.customFields) {
    const value = customFieldValue(record, mapping);
    if (value !== null) customer[mapping.entity][mapping.target] = value;
  }
  return customer;
}

/**
 * The updates that bring NewBase in line with the customer. Nothing is created: an address or
 * reachability NewBase does not have stays absent (seeds/002 "Known Limitations": the updater
 * updates existing records). A reachability already holding the value is not written again.
 */
export function planUpdates(customer: NewbaseCustomer, lookup: NewbaseLookup): NewbaseUpdate[] {
  const updates: NewbaseUpdate[] = [];
  const add = (table: NewbaseTable, id: number | null, values: ColumnValues | null): void => {
    if (id !== null && values !== null && Object.keys(values).length > 0) {
      updates.push({ table, id, values });
    }
  };
  add("organisation", lookup.organisationId, customer.organisation);
  add("debtor", lookup.debtorId, customer.debtor);
  add("person", lookup.personId, customer.person);
  add("contact", lookup.contactId, customer.contact);
  add("address", lookup.visitAddressId, customer.visitAddress);
  add("address", lookup.deliveryAddressId, customer.deliveryAddress);
  for (const kind of Object.keys(REACHABILITY_KINDS) as ReachabilityKind[]) {
    const { owner, type } = REACHABILITY_KINDS[kind];
    const row = lookup.reachabilities
      .filter((candidate) => candidate.owner === owner && candidate.type === type)
      .sort((a, b) => a.id - b.id)[0];
    const wanted = customer.reachabilities[kind];
    if (row && row.value !== wanted) add("reachability", row.id, { reachability: wanted });
  }
  return updates;
}

/** The organisation's name: the company's, else the person's full name (a consumer). */
function organisationNameOf(record: CustomerResponse): string | null {
  const individual = record.entityInformation.individual;
  const fullName = [nameOf(individual, "FIRST"), nameOf(individual, "LAST")]
    .map(text)
    .filter((part): part is string => part !== null)
    .join(" ");
  return text(record.orgName) ?? text(record.businessName) ?? text(fullName);
}

/**
 * An address as NewBase's address columns: the street lines joined with a newline (seeds/002
 * "Addresses": "concatenating them with a newline"), or, with "Use AddressLine2 as house
 * number", line 2 as `house_number` and the other lines as the street.
 */
export function addressValues(
  address: AddressEntry | null,
  useAddressLine2AsHouseNumber: boolean,
): ColumnValues | null {
  if (address === null) return null;
  const lines = [
    address.addressLine1,
    address.addressLine2,
    address.addressLine3,
    address.addressLine4,
  ];
  const streetLines = useAddressLine2AsHouseNumber ? [lines[0], lines[2], lines[3]] : lines;
  const street = streetLines
    .map((line) => text(line ?? null))
    .filter((line): line is string => line !== null)
    .join("\n");
  return columns({
    street: text(street),
    house_number: useAddressLine2AsHouseNumber ? text(address.addressLine2) : null,
    city: text(address.city),
    postcode: text(address.postalCode),
    iso_country: text(address.country)?.toUpperCase() ?? null,
  });
}

/** The active address of `typeCode` (primary first), else the primary active address. */
function chooseAddress(
  addresses: readonly AddressEntry[],
  typeCode: string | null,
): AddressEntry | null {
  const active = addresses.filter((address) => address.activeFlag === "true");
  const ofType =
    typeCode === null
      ? []
      : active.filter((address) => address.typeCode?.toUpperCase() === typeCode.toUpperCase());
  return preferred(ofType) ?? preferred(active);
}

const MOBILE_TYPES = new Set(["MOBILE", "CELL", "CELLULAR"]);

/** A telephone's kind from its type code: MOBILE/CELL, FAX, or any other type a phone. */
function telephoneKind(telephone: TelephoneEntry): "phone" | "mobile" | "fax" {
  const typeCode = telephone.typeCode?.toUpperCase() ?? "";
  if (MOBILE_TYPES.has(typeCode)) return "mobile";
  if (typeCode === "FAX") return "fax";
  return "phone";
}

/**
 * The reachabilities come from valid entries only: an invalid one counts as empty, so NewBase's
 * is cleared (seeds/002: the resets follow the "ContactInformationValidationResult").
 */
function phoneOf(individual: Individual, kind: "phone" | "mobile" | "fax"): string | null {
  const telephones = sendableContacts(individual.contactInformation.telephone).filter(
    (telephone) => text(telephone.phoneNumber) !== null && telephoneKind(telephone) === kind,
  );
  return text(preferred(telephones)?.phoneNumber ?? null);
}

function emailOf(individual: Individual): string | null {
  const emails = sendableContacts(individual.contactInformation.email).filter(
    (email) => text(email.emailAddress) !== null,
  );
  return text(preferred(emails)?.emailAddress ?? null);
}

function nameOf(individual: Individual, location: string): string | null {
  return individual.name.name.find((name) => name.location === location)?.value ?? null;
}

/** A custom attribute's values joined with ", " (a LIST attribute may hold several). */
function attributeValue(record: CustomerResponse, name: string): string | null {
  const attribute = record.customAttribute.find(
    (candidate) => candidate.name.toUpperCase() === name.toUpperCase(),
  );
  if (!attribute) return null;
  return text(attribute.attributeValue.join(", "));
}

/** The value a custom field mapping entry sends, or null when the customer has none. */
export function customFieldValue(
  record: CustomerResponse,
  mapping: CustomFieldMapping,
): string | null {
  if (mapping.freeField) return attributeValue(record, mapping.source);
  return standardField(record, mapping.source as StandardSourceField);
}

function standardField(record: CustomerResponse, field: StandardSourceField): string | null {
  const individual = record.entityInformation.individual;
  const summary = individual.personalSummary;
  const readers: Record<StandardSourceField, () => string | null> = {
    customerID: () => record.customerID,
    customerNumber: () => record.customerNumber,
    customerReference: () => record.customerReference,
    orgName: () => record.orgName,
    businessName: () => record.businessName,
    customerClass: () => record.customerClass,
    source: () => record.source,
    employeeID: () => record.employeeID,
    retailStoreID: () => record.retailStoreID,
    homeRetailStoreID: () => record.affiliation[0]?.retailStoreID ?? null,
    signupDate: () => record.signupDate,
    salutation: () => individual.salutation,
    suffix: () => individual.suffix,
    nickName: () => individual.nickName,
    firstName: () => nameOf(individual, "FIRST"),
    firstName2: () => nameOf(individual, "FIRST2"),
    middleName: () => nameOf(individual, "MIDDLE"),
    lastName: () => nameOf(individual, "LAST"),
    lastName2: () => nameOf(individual, "LAST2"),
    genderType: () => summary.genderType,
    birthDate: () => summary.birthDate,
    anniversary: () => summary.anniversary,
    maritalStatusCode: () => summary.maritalStatusCode,
    languageCode: () => summary.languageCode,
    email: () => emailOf(individual),
    phone: () => phoneOf(individual, "phone"),
    mobile: () => phoneOf(individual, "mobile"),
    fax: () => phoneOf(individual, "fax"),
  };
  return text(readers[field]());
}

/** The columns that have a value. */
function columns(values: Record<string, string | null>): ColumnValues {
  const result: ColumnValues = {};
  for (const [column, value] of Object.entries(values)) if (value !== null) result[column] = value;
  return result;
}
