/**
 * The NewBase destination's settings (seeds/002 "Related Settings & Prerequisites"): where the
 * NewBase API is, which customer key is NewBase's contact serial, "Use AddressLine2 as house
 * number" and "Customer custom fields mapping", checked once so that the mapping can trust them.
 * Every fault is a `CusthubError` `INVALID_SETTING` naming the key, and for the mapping JSON the
 * entry (by index) and its field.
 */
import { CusthubError } from "../../../domain/errors.js";
import type { CredentialFieldSpec, DestinationSettingSpec } from "../../destination.js";
import { parseRootUrl } from "../root-url.js";

/** The NewBase entities a custom field can be written to (seeds/002 "Extra Data & Free Fields"). */
export const CUSTOM_FIELD_ENTITIES = ["organisation", "debtor", "person", "contact"] as const;
export type CustomFieldEntity = (typeof CUSTOM_FIELD_ENTITIES)[number];

/**
 * The customer record's standard fields a custom field mapping may read (`freeField: false`);
 * a free field (`freeField: true`) names a custom attribute instead. Read in mapping.ts.
 */
export const STANDARD_SOURCE_FIELDS = [
  "customerID",
  "customerNumber",
  "customerReference",
  "orgName",
  "businessName",
  "customerClass",
  "source",
  "employeeID",
  "retailStoreID",
  "homeRetailStoreID",
  "signupDate",
  "salutation",
  "suffix",
  "nickName",
  "firstName",
  "firstName2",
  "middleName",
  "lastName",
  "lastName2",
  "genderType",
  "birthDate",
  "anniversary",
  "maritalStatusCode",
  "languageCode",
  "email",
  "phone",
  "mobile",
  "fax",
] as const;
export type StandardSourceField = (typeof STANDARD_SOURCE_FIELDS)[number];

export interface CustomFieldMapping {
  entity: CustomFieldEntity;
  /** A standard field's name, or (free field) a custom attribute's name. */
  source: string;
  /** The NewBase column written. */
  target: string;
  freeField: boolean;
}

export interface NewbaseSettings {
  /** The NewBase API root; the table paths of docs/connectors.md hang under it. */
  baseUrl: URL;
  /** The alternate key type whose id is the contact's `serial`; null: the customerID. */
  customerCodeKeyType: string | null;
  useAddressLine2AsHouseNumber: boolean;
  customFields: readonly CustomFieldMapping[];
  /** Custom attributes holding the debtor's VAT and Chamber of Commerce numbers. */
  vatNumberAttribute: string;
  chamberOfCommerceAttribute: string;
  /** The address type codes sent as visit and delivery address; null: the primary address. */
  visitAddressType: string | null;
  deliveryAddressType: string | null;
}

export const NEWBASE_SETTINGS: readonly DestinationSettingSpec[] = [
  {
    key: "baseUrl",
    description: "The NewBase API root URL, e.g. https://erp.example.com/newbase/api/v1.",
    defaultValue: null,
    // The username and password (HTTP Basic) go here: changing it is sysadmin's, as saving them is.
    sendsCredentials: true,
  },
  {
    key: "customerCodeKeyType",
    description:
      "The alternate key type whose id is NewBase's contact serial (the customer code); empty: the customerID.",
    defaultValue: null,
  },
  {
    key: "useAddressLine2AsHouseNumber",
    description:
      "Use AddressLine2 as house number: address line 2 goes to house_number instead of the street.",
    defaultValue: "false",
  },
  {
    key: "customerCustomFieldsMapping",
    description:
      'Customer custom fields mapping: JSON [{"entity":"organisation|debtor|person|contact","source":"...","target":"...","freeField":false}].',
    defaultValue: "[]",
  },
  {
    key: "vatNumberAttribute",
    description: "The custom attribute whose value is the debtor's VAT number.",
    defaultValue: "VAT_NUMBER",
  },
  {
    key: "chamberOfCommerceAttribute",
    description: "The custom attribute whose value is the debtor's Chamber of Commerce number.",
    defaultValue: "CHAMBER_OF_COMMERCE_NUMBER",
  },
  {
    key: "visitAddressType",
    description: "The address type code sent as the visit address; empty: the primary address.",
    defaultValue: null,
  },
  {
    key: "deliveryAddressType",
    description: "The address type code sent as the delivery address; empty: the primary address.",
    defaultValue: null,
  },
];

export const NEWBASE_CREDENTIAL_FIELDS: readonly CredentialFieldSpec[] = [
  { name: "username", description: "The NewBase API user (HTTP Basic).", secret: false },
  { name: "password", description: "The NewBase API user's password.", secret: true },
];

/**
 * @example
 * parseNewbaseSettings({ baseUrl: "https://erp.example.com/api", useAddressLine2AsHouseNumber: "true" })
 */
export function parseNewbaseSettings(
  values: Readonly<Record<string, string | null>>,
): NewbaseSettings {
  const valueOf = (key: string): string | null => {
    const given = values[key];
    const value =
      given === undefined ? NEWBASE_SETTINGS.find((spec) => spec.key === key)?.defaultValue : given;
    const trimmed = value?.trim() ?? "";
    return trimmed === "" ? null : trimmed;
  };
  return {
    baseUrl: parseBaseUrl(valueOf("baseUrl")),
    customerCodeKeyType: valueOf("customerCodeKeyType"),
    useAddressLine2AsHouseNumber: parseBoolean(
      "useAddressLine2AsHouseNumber",
      valueOf("useAddressLine2AsHouseNumber"),
    ),
    customFields: parseCustomFieldsMapping(valueOf("customerCustomFieldsMapping") ?? "[]"),
    vatNumberAttribute: required("vatNumberAttribute", valueOf("vatNumberAttribute")),
    chamberOfCommerceAttribute: required(
      "chamberOfCommerceAttribute",
      valueOf("chamberOfCommerceAttribute"),
    ),
    visitAddressType: valueOf("visitAddressType"),
    deliveryAddressType: valueOf("deliveryAddressType"),
  };
}

const MAPPING_KEY = "customerCustomFieldsMapping";
const ENTRY_FIELDS = ["entity", "source", "target", "freeField"] as const;
/** A NewBase column name: letters, digits and underscores. */
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The "Customer custom fields mapping" JSON, every entry checked. A column `k_...` is a NewBase
 * key (k_contact_id, ...): writing one would re-link records, so it is refused; two entries
 * writing the same column of the same entity are refused too (which one wins would be a guess).
 */
export function parseCustomFieldsMapping(text: string): CustomFieldMapping[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`${MAPPING_KEY} is not JSON: ${(error as Error).message}.`, {});
  }
  if (!Array.isArray(parsed)) {
    throw invalid(`${MAPPING_KEY} must be a JSON array of entries.`, {});
  }
  const seen = new Map<string, number>();
  return parsed.map((entry: unknown, index) => {
    const at = `${MAPPING_KEY} entry ${index}`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw invalid(`${at} must be an object with ${ENTRY_FIELDS.join(", ")}.`, { entry: index });
    }
    const fields = entry as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!(ENTRY_FIELDS as readonly string[]).includes(key)) {
        throw invalid(`${at}: unknown field "${key}" (allowed: ${ENTRY_FIELDS.join(", ")}).`, {
          entry: index,
          field: key,
        });
      }
    }
    const fault = (field: string, problem: string): CusthubError =>
      invalid(`${at}: "${field}" ${problem}.`, { entry: index, field });
    const { entity, source, target, freeField } = fields;
    if (
      typeof entity !== "string" ||
      !(CUSTOM_FIELD_ENTITIES as readonly string[]).includes(entity)
    ) {
      throw fault("entity", `must be one of ${CUSTOM_FIELD_ENTITIES.join(", ")}`);
    }
    if (typeof freeField !== "boolean") throw fault("freeField", "must be true or false");
    if (typeof source !== "string" || source.trim() === "") {
      throw fault("source", "must be a non-empty string");
    }
    if (!freeField && !(STANDARD_SOURCE_FIELDS as readonly string[]).includes(source)) {
      throw fault(
        "source",
        `is not a standard customer field (one of ${STANDARD_SOURCE_FIELDS.join(", ")}); a custom attribute needs "freeField": true`,
      );
    }
    if (typeof target !== "string" || !COLUMN_NAME.test(target)) {
      throw fault("target", "must be a NewBase column name (letters, digits, underscores)");
    }
    if (target.toLowerCase().startsWith("k_")) {
      throw fault("target", `names the key column ${target}, which is never written`);
    }
    const column = `${entity}.${target.toLowerCase()}`;
    const earlier = seen.get(column);
    if (earlier !== undefined) {
      throw fault("target", `writes ${column}, which entry ${earlier} writes already`);
    }
    seen.set(column, index);
    return { entity: entity as CustomFieldEntity, source, target, freeField };
  });
}

function parseBaseUrl(value: string | null): URL {
  if (value === null) throw invalid("baseUrl is not set: the NewBase API root URL.", {}, "baseUrl");
  return parseRootUrl(value, (message) => invalid(message, {}, "baseUrl"));
}

function parseBoolean(key: string, value: string | null): boolean {
  const word = value?.toLowerCase();
  if (word === "true") return true;
  if (word === "false" || word === undefined) return false;
  throw invalid(`${key} must be true or false.`, {}, key);
}

function required(key: string, value: string | null): string {
  if (value === null) throw invalid(`${key} must not be empty.`, {}, key);
  return value;
}

function invalid(
  message: string,
  details: Record<string, unknown>,
  setting: string = MAPPING_KEY,
): CusthubError {
  return new CusthubError("INVALID_SETTING", `NewBase: ${message}`, {
    destination: "newbase",
    setting,
    ...details,
  });
}
