/**
 * The customer record as custhub keeps it.
 *
 * `CustomerState` is what the store saves (one JSONB document per customer, see
 * docs/storage.md); `toCustomerResponse` renders it as the `CustomerResponseType` JSON of the
 * data-sync document, which the REST API returns and the sync payload carries.
 */

export const NAME_LOCATIONS = ["FIRST", "FIRST2", "MIDDLE", "LAST", "LAST2"] as const;
export type NameLocation = (typeof NAME_LOCATIONS)[number];

/** Flags every address, email and telephone entry carries (seeds/003, Add Customer fields). */
export interface ContactEntryFlags {
  typeCode: string | null;
  primaryFlag: boolean;
  validFlag: boolean;
  label: string | null;
  contactPreferenceCode: string | null;
  /** Deactivated entries are kept as history, never deleted (SPEC 2). */
  active: boolean;
}

export interface Address extends ContactEntryFlags {
  addressLine1: string | null;
  addressLine2: string | null;
  addressLine3: string | null;
  addressLine4: string | null;
  apartmentNumber: string | null;
  city: string | null;
  territory: string | null;
  postalCode: string | null;
  county: string | null;
  country: string | null;
}

export interface Email extends ContactEntryFlags {
  emailAddress: string | null;
}

export interface Telephone extends ContactEntryFlags {
  phoneNumber: string | null;
  extension: string | null;
  /** Derived from the number by the area-code rule; null when the rule yields none. */
  areaCode: string | null;
}

export interface AlternateKey {
  typeCode: string;
  alternateID: string;
}

export interface CustomAttribute {
  name: string;
  values: string[];
}

export interface CustomerNote {
  sequence: number;
  type: string;
  text: string;
  createDate: string | null;
  createUser: string | null;
  location: string | null;
  privateFlag: boolean;
}

export interface ContactPreference {
  contactType: string;
  subTypeCode: string | null;
  permission: boolean;
}

/** A card associated with the customer (seeds/003 "Card Customer Association"). */
export interface CustomerCard {
  cardNumber: string;
  instrumentID: string | null;
  program: string | null;
  status: "INACTIVE" | "ACTIVE" | "BLOCKED";
  expirationDate: string | null;
  associatedAt: string;
}

/** A customer's membership of a segment (seeds/001 Table H-1 addCustomerToSegment). */
export interface CustomerSegment {
  /** The segment definition's id: a numeric string assigned by custhub. */
  segmentId: string;
  segmentName: string;
}

/** A franchisee entry (seeds/001 example payload `franchisees.franchisee[]`). */
export interface Franchisee {
  franchiseeId: number;
  franchiseeName: string;
}

/** An associate assigned to the customer for a role (seeds/001 updateAssociateAssignment). */
export interface AssociateAssignment {
  /** The associate role, upper case: one associate per role. */
  role: string;
  associateID: string;
  retailStoreID: string | null;
}

/** A validation finding stored with the customer (SPEC 2, 3). */
export interface ValidationIssue {
  /** Where, in the record's terms: `salutation`, `names.FIRST`, `addresses[0].postalCode`, ... */
  field: string;
  code: string;
  message: string;
  /**
   * `error` marks invalid what it names: the customer, or (with `entry`) only that address, email
   * or telephone (seeds/003 "Customer Validation"). `warning` reports a value that was not written.
   */
  severity: "error" | "warning";
  entry?: { kind: "address" | "email" | "telephone"; index: number };
}

export interface ActivitySummary {
  totalReturnsAmount: string;
  totalSalesAmount: string;
  totalTransactionCount: string;
  totalItemsSoldCount: string;
  totalItemsReturnedCount: string;
}

export interface Individual {
  names: Record<NameLocation, string | null>;
  salutation: string | null;
  suffix: string | null;
  nickName: string | null;
  addresses: Address[];
  emails: Email[];
  telephones: Telephone[];
  genderType: string | null;
  birthDate: string | null;
  anniversary: string | null;
  maritalStatusCode: string | null;
  ethnicity: string | null;
  rent: boolean;
  languageCode: string | null;
  annualIncomeAmount: string | null;
  netWorth: string | null;
  highestEducationalLevelName: string | null;
}

export interface CustomerState {
  customerID: string;
  active: boolean;
  signupDate: string | null;
  retailStoreID: string | null;
  homeRetailStoreID: string | null;
  firstPurchaseDate: string | null;
  lastPurchaseDate: string | null;
  orgName: string | null;
  custOrgTypcode: string | null;
  employeeID: string | null;
  businessName: string | null;
  customerClass: string | null;
  source: string | null;
  prospect: boolean;
  customerNumber: string | null;
  customerReference: string | null;
  lastUpdateInfo: { updateUserID: string | null; updateDate: string | null } | null;
  individual: Individual;
  alternateKeys: AlternateKey[];
  customAttributes: CustomAttribute[];
  notes: CustomerNote[];
  contactPreferences: ContactPreference[];
  cards: CustomerCard[];
  segments: CustomerSegment[];
  franchisees: Franchisee[];
  associateAssignments: AssociateAssignment[];
  lifetimeActivitySummary: ActivitySummary;
  yearToDateActivitySummary: ActivitySummary;
  /**
   * The calendar year `yearToDateActivitySummary` counts; null until a posted transaction sets it
   * (docs/customer-record.md "Activity summaries").
   */
  yearToDateYear: number | null;
  validationIssues: ValidationIssue[];
  /** Set on a duplicate retired by a merge: the customer it was merged into (seeds/003 Merge). */
  mergedInto?: string;
  /** Set on a customer made by a merge: the duplicates it was made of. */
  mergedFrom?: string[];
  /** Set when a data-subject request erased the customer's personal data (SPEC 9). */
  erasedAt?: string;
}

/**
 * A CustomerID as customers are stored under it: its digits without leading zeros (`0001011`
 * names customer 1011, as a fixed-width export writes it); anything else trimmed, as given (it
 * then names no one).
 */
export function canonicalCustomerID(id: string): string {
  const digits = /^\s*0*(\d{1,18})\s*$/.exec(id);
  return digits ? digits[1]! : id.trim();
}

/** What became of a customer no longer active, for messages: `was merged into customer 12`. */
export const fateOf = (state: CustomerState): string =>
  state.mergedInto ? `was merged into customer ${state.mergedInto}` : "was deleted";

export function emptyActivitySummary(): ActivitySummary {
  return {
    totalReturnsAmount: "0",
    totalSalesAmount: "0",
    totalTransactionCount: "0",
    totalItemsSoldCount: "0",
    totalItemsReturnedCount: "0",
  };
}

export function emptyIndividual(): Individual {
  return {
    names: { FIRST: null, FIRST2: null, MIDDLE: null, LAST: null, LAST2: null },
    salutation: null,
    suffix: null,
    nickName: null,
    addresses: [],
    emails: [],
    telephones: [],
    genderType: null,
    birthDate: null,
    anniversary: null,
    maritalStatusCode: null,
    ethnicity: null,
    rent: false,
    languageCode: null,
    annualIncomeAmount: null,
    netWorth: null,
    highestEducationalLevelName: null,
  };
}

export function emptyCustomer(customerID: string): CustomerState {
  return {
    customerID,
    active: true,
    signupDate: null,
    retailStoreID: null,
    homeRetailStoreID: null,
    firstPurchaseDate: null,
    lastPurchaseDate: null,
    orgName: null,
    custOrgTypcode: null,
    employeeID: null,
    businessName: null,
    customerClass: null,
    source: null,
    prospect: false,
    customerNumber: null,
    customerReference: null,
    lastUpdateInfo: null,
    individual: emptyIndividual(),
    alternateKeys: [],
    customAttributes: [],
    notes: [],
    contactPreferences: [],
    cards: [],
    segments: [],
    franchisees: [],
    associateAssignments: [],
    lifetimeActivitySummary: emptyActivitySummary(),
    yearToDateActivitySummary: emptyActivitySummary(),
    yearToDateYear: null,
    validationIssues: [],
  };
}

/** The findings that are values left unwritten (severity `warning`): the review's warnings. */
export const valuesNotWritten = (issues: readonly ValidationIssue[]): ValidationIssue[] =>
  issues.filter((issue) => issue.severity === "warning");

/** A customer is valid when no customer-level finding of severity `error` is stored with it. */
export function isValid(state: CustomerState): boolean {
  return !state.validationIssues.some((issue) => issue.severity === "error" && !issue.entry);
}
