/**
 * JSON schemas of the request bodies, the `CustomerRequest` shape of src/domain/requests.ts. They
 * refuse unknown fields (`additionalProperties: false`), so a misspelt field is a 400 naming it
 * rather than a change silently not made. `nullable` (an Ajv keyword that is also OpenAPI 3.0's)
 * marks the fields that `null` clears (requests.ts: null = cleared, absent = left as it is).
 */
import { MAX_ALTERNATE_ID_LENGTH } from "../../domain/request-keys.js";
import { NAME_LOCATIONS } from "../../domain/customer.js";
import { SETTINGS } from "../../domain/settings.js";

const text = (maxLength: number) => ({ type: "string", maxLength, nullable: true }) as const;
const flag = { type: "boolean", nullable: true } as const;
const choice = <T extends string>(values: readonly T[]) =>
  ({ type: "string", enum: [...values, null], nullable: true }) as const;
const list = <T>(items: T, maxItems = 50) => ({ type: "array", maxItems, items }) as const;
// `required` only when something is: OpenAPI 3.0 wants a non-empty list.
const closed = <P extends Record<string, unknown>>(properties: P, required: string[] = []) =>
  ({
    type: "object",
    additionalProperties: false,
    properties,
    ...(required.length > 0 ? { required } : {}),
  }) as const;

const entryFlags = {
  updateType: choice(["Old", "New", "Set"]),
  typeCode: text(30),
  primaryFlag: flag,
  validFlag: flag,
  label: text(100),
  contactPreferenceCode: text(30),
};

const address = closed({
  ...entryFlags,
  addressLine1: text(254),
  addressLine2: text(254),
  addressLine3: text(254),
  addressLine4: text(254),
  apartmentNumber: text(30),
  city: text(100),
  territory: text(100),
  postalCode: text(20),
  county: text(100),
  country: text(100),
});

const email = closed({ ...entryFlags, emailAddress: text(254) });
const telephone = closed({ ...entryFlags, phoneNumber: text(40), extension: text(20) });

const individual = closed({
  names: closed(Object.fromEntries(NAME_LOCATIONS.map((location) => [location, text(100)]))),
  salutation: text(40),
  suffix: text(40),
  nickName: text(100),
  addresses: list(address),
  emails: list(email),
  telephones: list(telephone),
  genderType: text(20),
  birthDate: text(30),
  anniversary: text(30),
  maritalStatusCode: text(30),
  ethnicity: text(60),
  rent: flag,
  languageCode: text(20),
  highestEducationalLevelName: text(100),
  annualIncomeAmount: text(40),
  netWorth: text(40),
});

export const alternateKeySchema = closed(
  {
    typeCode: { type: "string", minLength: 1, maxLength: 30 },
    alternateID: { type: "string", minLength: 1, maxLength: MAX_ALTERNATE_ID_LENGTH },
  },
  ["typeCode", "alternateID"],
);

const alternateKeyEntry = closed({
  typeCode: text(30),
  alternateID: text(MAX_ALTERNATE_ID_LENGTH),
  updateType: choice(["Old", "New", "Set", "DELETE"]),
});

const customAttribute = closed(
  {
    name: { type: "string", minLength: 1, maxLength: 100 },
    values: list({ type: "string", maxLength: 4000 }),
  },
  ["name", "values"],
);

const note = closed({
  text: text(4000),
  type: text(30),
  createDate: text(40),
  createUser: text(100),
  location: text(100),
  action: choice(["ADD", "UPDATE", "DELETE"]),
  sequence: { type: "integer", minimum: 0, maximum: 2_147_483_647, nullable: true },
  privateFlag: flag,
});

const contactPreference = closed(
  {
    contactType: { type: "string", minLength: 1, maxLength: 30 },
    subTypeCode: text(30),
    permission: { type: "boolean" },
  },
  ["contactType", "permission"],
);

export const customerIDSchema = { type: "string", pattern: "^[0-9]{1,18}$" } as const;

export const customerRequestSchema = closed({
  customerID: { ...customerIDSchema, nullable: true },
  lastUpdateInfo: { ...closed({ updateUserID: text(100), updateDate: text(40) }), nullable: true },
  retailStoreID: text(30),
  signupDate: text(30),
  customerNumber: text(60),
  customerReference: text(100),
  orgName: text(254),
  custOrgTypcode: text(30),
  employeeID: text(60),
  prospect: flag,
  source: text(60),
  businessName: text(254),
  customerClass: text(60),
  affiliation: { ...closed({ retailStoreID: text(30) }, ["retailStoreID"]), nullable: true },
  individual,
  contactPreferences: list(contactPreference),
  alternateKeys: list(alternateKeyEntry),
  customAttributes: list(customAttribute, 200),
  notes: list(note),
});

/** One party of a merge or the customer of a card association: by customerID or by alternate key. */
export const customerRefSchema = {
  ...closed({ customerID: customerIDSchema, alternateKey: alternateKeySchema }),
  minProperties: 1,
  maxProperties: 1,
} as const;

export const mergeRequestSchema = closed(
  {
    source: customerRefSchema,
    // As many as the merge limit may be set to allow; the limit in force refuses past it.
    targets: {
      ...list(customerRefSchema, SETTINGS.DuplicateCustomerMergeLimit.max),
      minItems: 1,
    },
  },
  ["targets"],
);
