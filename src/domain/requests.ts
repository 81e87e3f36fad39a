/**
 * The typed requests every channel (batch XML, REST API, CLI, UI) turns its input into before a
 * service applies it. Field names follow the XML request elements of seeds/003 in camelCase.
 *
 * Meaning of a field's value: `undefined` = not given (left as it is); `null` = cleared; an empty or
 * blank string = not given (the document's "empty XML tags" are warnings, not instructions).
 */
import { CusthubError } from "./errors.js";
import { NAME_LOCATIONS, type NameLocation } from "./customer.js";

/** How an address, email or telephone entry of an Update is applied (seeds/003 Update fields). */
export type EntryUpdateType = "Old" | "New" | "Set";
/** Alternate keys also know `DELETE`; `Set` is ignored for them. */
export type AlternateKeyUpdateType = EntryUpdateType | "DELETE";

interface EntryFlagsInput {
  updateType?: EntryUpdateType | null;
  typeCode?: string | null;
  primaryFlag?: boolean | null;
  /** `true` forces the entry valid whatever the validation rules say (seeds/003). */
  validFlag?: boolean | null;
  label?: string | null;
  contactPreferenceCode?: string | null;
}

export interface AddressInput extends EntryFlagsInput {
  addressLine1?: string | null;
  addressLine2?: string | null;
  addressLine3?: string | null;
  addressLine4?: string | null;
  apartmentNumber?: string | null;
  city?: string | null;
  territory?: string | null;
  postalCode?: string | null;
  county?: string | null;
  country?: string | null;
}

export interface EmailInput extends EntryFlagsInput {
  emailAddress?: string | null;
}

export interface TelephoneInput extends EntryFlagsInput {
  phoneNumber?: string | null;
  extension?: string | null;
}

export interface AlternateKeyInput {
  typeCode?: string | null;
  alternateID?: string | null;
  updateType?: AlternateKeyUpdateType | null;
}

export interface CustomAttributeInput {
  name: string;
  values: string[];
}

export type NoteAction = "ADD" | "UPDATE" | "DELETE";

export interface NoteInput {
  text?: string | null;
  type?: string | null;
  createDate?: string | null;
  createUser?: string | null;
  location?: string | null;
  action?: NoteAction | null;
  sequence?: number | null;
  privateFlag?: boolean | null;
}

export interface ContactPreferenceInput {
  contactType: string;
  subTypeCode?: string | null;
  /** Null when a file's `<ContactPreference>` has no `Permission`: the preference is not written. */
  permission: boolean | null;
}

export interface IndividualInput {
  names?: Partial<Record<NameLocation, string | null>>;
  salutation?: string | null;
  suffix?: string | null;
  nickName?: string | null;
  addresses?: AddressInput[];
  emails?: EmailInput[];
  telephones?: TelephoneInput[];
  genderType?: string | null;
  birthDate?: string | null;
  anniversary?: string | null;
  maritalStatusCode?: string | null;
  ethnicity?: string | null;
  rent?: boolean | null;
  languageCode?: string | null;
  highestEducationalLevelName?: string | null;
  annualIncomeAmount?: string | null;
  netWorth?: string | null;
}

export interface CustomerRequest {
  /** Identifies the customer for AddorUpdate/Update/Delete; ignored by Add (seeds/003). */
  customerID?: string | null;
  lastUpdateInfo?: { updateUserID?: string | null; updateDate?: string | null } | null;
  retailStoreID?: string | null;
  signupDate?: string | null;
  customerNumber?: string | null;
  customerReference?: string | null;
  orgName?: string | null;
  custOrgTypcode?: string | null;
  employeeID?: string | null;
  prospect?: boolean | null;
  source?: string | null;
  businessName?: string | null;
  customerClass?: string | null;
  /** The home location: `<Affiliation Action="Add">` or `UpdateType="New"`. */
  affiliation?: { retailStoreID: string | null } | null;
  individual?: IndividualInput;
  contactPreferences?: ContactPreferenceInput[];
  alternateKeys?: AlternateKeyInput[];
  customAttributes?: CustomAttributeInput[];
  notes?: NoteInput[];
}

/** A reference to one customer: by its customerID, or by one of its alternate keys. */
export type CustomerRef =
  { customerID: string } | { alternateKey: { typeCode: string; alternateID: string } };

/**
 * Reads a name position (`First`, `last2`, ...) or fails with `NAME_POSITION_INVALID`, saying
 * whether the location is missing or not one of the five ("not specified, or ... not valid",
 * seeds/003). `where` names the element in the message: `<Name> (line 4)`.
 */
export function parseNameLocation(raw: string | null | undefined, where = "<Name>"): NameLocation {
  const upper = (raw ?? "").trim().toUpperCase();
  const location = NAME_LOCATIONS.find((candidate) => candidate === upper);
  if (!location) {
    const locations = "First, First2, Middle, Last, Last2";
    throw new CusthubError(
      "NAME_POSITION_INVALID",
      upper === ""
        ? `${where} has no Location; it must be one of ${locations}.`
        : `${where.replace("<Name>", `<Name Location=${JSON.stringify(raw)}>`)} is not one of ${locations}.`,
      { location: raw ?? null },
    );
  }
  return location;
}

/**
 * Whether an Add or AddorUpdate request holds anything to add or to find a customer by: an
 * anonymous customer needs an alternate key at least (seeds/003 "Anonymous Customer"). An Add's
 * CustomerID is ignored ("the server will ignore it and generate a new one"), so it does not count
 * there; nor does a blank value or an empty list, which give nothing.
 */
export function holdsCustomerData(
  request: CustomerRequest,
  action: "Add" | "AddorUpdate",
): boolean {
  return Object.entries(request).some(
    ([field, value]) => holdsData(value) && !(field === "customerID" && action === "Add"),
  );
}

/**
 * Whether `value` gives anything: not null (which clears, and a new customer has nothing to
 * clear), not blank, and for a list or an object, something inside it (`{"individual": {}}`).
 */
function holdsData(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.some(holdsData);
  if (typeof value === "object") return Object.values(value).some(holdsData);
  return true;
}

/**
 * A home location request without its store: the Retail Location ID is "[required]" (seeds/003
 * "Add/Update Home Location"), and a blank one is not given. Only null clears the home location.
 */
export function homeStoreMissing(): CusthubError {
  return new CusthubError(
    "INVALID_REQUEST",
    "The home location request (affiliation) has no retailStoreID; null clears the home location.",
    { field: "affiliation.retailStoreID" },
  );
}

/**
 * A contact preference without its type names nothing to permit: refused, as a file's
 * `<ContactPreference>` without ContactType is.
 */
export function contactTypeMissing(index: number): CusthubError {
  return new CusthubError(
    "INVALID_REQUEST",
    `Contact preference ${index + 1} has no contactType.`,
    {
      field: `contactPreferences[${index}].contactType`,
    },
  );
}

/**
 * Faults of a request's form, found before it is applied as the import's mapping finds them in a
 * block (src/ingest/customer-block.ts), so that a request with several faults fails with the same
 * one whichever channel brings it. The rules meet them again when applying.
 */
export function checkRequestForm(request: CustomerRequest): void {
  if (request.affiliation && given(request.affiliation.retailStoreID) === undefined) {
    throw homeStoreMissing();
  }
  request.contactPreferences?.forEach((preference, index) => {
    if (preference.contactType.trim() === "") throw contactTypeMissing(index);
  });
}

/** `undefined` when not given; `null` when cleared; otherwise the trimmed text. */
export function given(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}
