/**
 * The document's semantics of Add, Add or Update, Update and Delete (seeds/003), as pure functions
 * from (current state, request) to the next state. Services load and save; these decide.
 */
import { checkAttributeValues, type AttributeType } from "./attributes.js";
import {
  addressFromInput,
  emailFromInput,
  entriesForNewCustomer,
  entriesWithContent,
  mergeEntries,
  telephoneFromInput,
  updateEntries,
  type EntryKind,
  type IncomingEntry,
} from "./contact-entries.js";
import {
  NAME_LOCATIONS,
  emptyCustomer,
  type Address,
  type AlternateKey,
  type ContactEntryFlags,
  type CustomAttribute,
  type CustomerNote,
  type CustomerState,
  type Email,
  type Individual,
  type Telephone,
  type ValidationIssue,
} from "./customer.js";
import { CusthubError } from "./errors.js";
import {
  contactTypeMissing,
  given,
  homeStoreMissing,
  type AlternateKeyInput,
  type AlternateKeyUpdateType,
  type CustomerRequest,
  type IndividualInput,
  type NoteInput,
} from "./requests.js";
import { normalizeIndividual } from "./rules/normalize-individual.js";
import { moveMiddleInitial, normalizeName } from "./rules/names.js";
import {
  checkAnnualIncome,
  checkBirthDate,
  checkEducationLevel,
  checkLanguageCode,
  checkNetWorth,
  isCalendarDate,
} from "./rules/profile.js";

/**
 * The longest AlternateID kept, in characters. seeds/003 sets no length; the key's index entry
 * must stay under PostgreSQL's btree limit of about 2,700 bytes, four bytes a character at most.
 */
export const MAX_ALTERNATE_ID_LENGTH = 500;

/** What the rules need to know about the rest of the store. */
export interface ApplyContext {
  /** Attribute type definitions, keyed by upper-cased name. */
  attributeTypes: ReadonlyMap<string, AttributeType>;
  /** The managed alternate key type codes (`cst_alt_key_typcode`), upper case. */
  alternateKeyTypes: ReadonlySet<string>;
  /** Today as `YYYY-MM-DD`, and now as an ISO timestamp. */
  today: string;
  now: string;
  /** `CustomerValidationEnabled`: seeds/003 makes customer validation configurable. */
  validate: boolean;
}

export interface Applied {
  state: CustomerState;
  /** Paths of the record that changed: `individual.names`, `alternateKeys`, ... */
  changedFields: string[];
  /** Alternate keys the request deleted outright (`UpdateType="DELETE"`), not just deactivated. */
  deletedAlternateKeys: AlternateKey[];
}

export interface RequestedKey extends AlternateKey {
  updateType: AlternateKeyUpdateType | null;
}

/** Why a key of this type names no one, and what to do: it is not in the managed list. */
export const unknownKeyTypeNote = (typeCode: string): string =>
  `alternate key type ${typeCode} is not in the managed list; add it with 'custhub alt-key-types add ${typeCode}'`;

/** A key whose type is not in the managed list: "must be in the cst_alt_key_typcode ... table". */
function unknownKeyType(typeCode: string, where: Record<string, unknown>): CusthubError {
  const note = unknownKeyTypeNote(typeCode);
  return new CusthubError("UNKNOWN_ALTERNATE_KEY_TYPE", `A${note.slice(1)}.`, {
    ...where,
    typeCode,
  });
}

/** The request's alternate keys, checked against the managed type list. */
export function requestedAlternateKeys(
  request: CustomerRequest,
  context: Pick<ApplyContext, "alternateKeyTypes">,
): RequestedKey[] {
  return (request.alternateKeys ?? []).map((key, index) => checkAlternateKey(key, index, context));
}

function checkAlternateKey(
  key: AlternateKeyInput,
  index: number,
  context: Pick<ApplyContext, "alternateKeyTypes">,
): RequestedKey {
  const typeCode = given(key.typeCode)?.toUpperCase();
  const alternateID = given(key.alternateID);
  const where = { alternateKeyIndex: index };
  if (!typeCode) {
    throw new CusthubError(
      "ALTERNATE_KEY_TYPECODE_UNSPECIFIED",
      `Alternate key ${index + 1} has no TypeCode.`,
      where,
    );
  }
  if (!alternateID) {
    throw new CusthubError(
      "ALTERNATE_KEY_VALUE_UNSPECIFIED",
      `Alternate key ${index + 1} (${typeCode}) has no AlternateID.`,
      { ...where, typeCode },
    );
  }
  // Characters are code points, as the API's schema and the attributes' lengths count them.
  const length = alternateID.length > MAX_ALTERNATE_ID_LENGTH ? [...alternateID].length : 0;
  if (length > MAX_ALTERNATE_ID_LENGTH) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `Alternate key ${index + 1} (${typeCode}) has an AlternateID of ${length.toLocaleString("en")} characters; at most ${MAX_ALTERNATE_ID_LENGTH} are allowed.`,
      { ...where, typeCode, length },
    );
  }
  if (!context.alternateKeyTypes.has(typeCode)) throw unknownKeyType(typeCode, where);
  return { typeCode, alternateID, updateType: key.updateType ?? null };
}

/** The keys that identify the customer a request is about, in the order to try them. */
export function identifyingKeys(
  request: CustomerRequest,
  action: "AddorUpdate" | "Update" | "Delete",
  context: Pick<ApplyContext, "alternateKeyTypes">,
): AlternateKey[] {
  return requestedAlternateKeys(request, context)
    .filter((key) =>
      action === "Update"
        ? key.updateType === null || key.updateType === "Old"
        : key.updateType !== "DELETE",
    )
    .map(({ typeCode, alternateID }) => ({ typeCode, alternateID }));
}

/** Add: a new customer from the request; a CustomerID in the request is ignored (seeds/003). */
export function createCustomer(
  customerID: string,
  request: CustomerRequest,
  context: ApplyContext,
): Applied {
  const before = emptyCustomer(customerID);
  const state = emptyCustomer(customerID);
  state.signupDate = context.today;
  assignScalars(state, request, context);
  const warnings = assignIndividualScalars(state.individual, request.individual, context);
  const individualInput = request.individual ?? {};
  state.individual.addresses = entriesForNewCustomer(
    requestEntries(
      "address",
      (individualInput.addresses ?? []).map(addressFromInput),
      warnings,
      context,
    ),
  );
  state.individual.emails = entriesForNewCustomer(
    requestEntries("email", (individualInput.emails ?? []).map(emailFromInput), warnings, context),
  );
  state.individual.telephones = entriesForNewCustomer(
    requestEntries(
      "telephone",
      (individualInput.telephones ?? []).map(telephoneFromInput),
      warnings,
      context,
    ),
  );
  state.alternateKeys = [];
  for (const key of requestedAlternateKeys(request, context)) {
    if (key.updateType === "DELETE") continue;
    if (!hasKey(state.alternateKeys, key)) {
      state.alternateKeys.push({ typeCode: key.typeCode, alternateID: key.alternateID });
    }
  }
  state.customAttributes = applyAttributes([], request.customAttributes, context, "add");
  state.notes = applyNotes([], request.notes, context, { deduplicate: false });
  state.contactPreferences = applyContactPreferences([], request.contactPreferences, warnings);
  return finish(before, state, warnings, [], context);
}

/**
 * The request's entries of one kind that hold content. With validation off nothing checks them,
 * so nothing finds them invalid: each is stored valid, as a receiver of the record should read it,
 * unless the request itself says `ValidFlag="false"`.
 */
function requestEntries<T extends Address | Email | Telephone>(
  kind: EntryKind,
  incoming: IncomingEntry<T>[],
  warnings: ValidationIssue[],
  context: Pick<ApplyContext, "validate">,
): IncomingEntry<T>[] {
  const kept = entriesWithContent(kind, incoming, warnings);
  if (!context.validate) {
    for (const item of kept) item.entry.validFlag = item.givenValidFlag !== false;
  }
  return kept;
}

/** How a request's entries are laid over a customer's existing entries. */
type EntryRule = <T extends ContactEntryFlags>(
  kind: EntryKind,
  existing: readonly T[],
  incoming: IncomingEntry<T>[],
  warnings: ValidationIssue[],
) => T[];

/** How a request's alternate keys change the keys a customer holds; returns the ones deleted. */
type KeyRule = (state: CustomerState, keys: RequestedKey[]) => AlternateKey[];

/**
 * Add or Update on an existing customer: scalar fields overwrite, entries merge by the "exactly
 * matches" rule, alternate keys not yet held are added, notes are not duplicated.
 */
export function mergeAddOrUpdate(
  existing: CustomerState,
  request: CustomerRequest,
  context: ApplyContext,
): Applied {
  return changeExisting(existing, request, context, mergeEntries, (state, keys) => {
    const included = keys.filter((key) => key.updateType !== "DELETE");
    for (const key of included) {
      if (hasKey(state.alternateKeys, key)) continue;
      // A key of a type the customer already holds replaces the others of its type: "all other
      // corresponding elements of the same type ... will be deactivated and the included element
      // added" (seeds/003). The request's own keys of that type are none of the others.
      state.alternateKeys = state.alternateKeys.filter(
        (held) => held.typeCode !== key.typeCode || hasKey(included, held),
      );
      state.alternateKeys.push({ typeCode: key.typeCode, alternateID: key.alternateID });
    }
    return [];
  });
}

/** Update Customer Information: `UpdateType` `Old`/`New`/`Set` for entries, `DELETE` for keys. */
export function applyUpdate(
  existing: CustomerState,
  request: CustomerRequest,
  context: ApplyContext,
): Applied {
  return changeExisting(existing, request, context, updateEntries, (state, keys) => {
    const deleted: AlternateKey[] = [];
    for (const key of keys) {
      const plain = { typeCode: key.typeCode, alternateID: key.alternateID };
      if (key.updateType === "Old" || key.updateType === "DELETE") {
        state.alternateKeys = state.alternateKeys.filter((held) => !sameKey(held, key));
        if (key.updateType === "DELETE") deleted.push(plain);
      } else if (key.updateType === "New" && !hasKey(state.alternateKeys, key)) {
        state.alternateKeys.push(plain);
      }
    }
    return deleted;
  });
}

/** What AddorUpdate and Update share: everything but how entries and keys are applied. */
function changeExisting(
  existing: CustomerState,
  request: CustomerRequest,
  context: ApplyContext,
  entryRule: EntryRule,
  keyRule: KeyRule,
): Applied {
  const state = structuredClone(existing);
  assignScalars(state, request, context);
  const warnings = assignIndividualScalars(state.individual, request.individual, context);
  const input = request.individual ?? {};
  const individual = state.individual;
  individual.addresses = entryRule(
    "address",
    individual.addresses,
    requestEntries("address", (input.addresses ?? []).map(addressFromInput), warnings, context),
    warnings,
  );
  individual.emails = entryRule(
    "email",
    individual.emails,
    requestEntries("email", (input.emails ?? []).map(emailFromInput), warnings, context),
    warnings,
  );
  individual.telephones = entryRule(
    "telephone",
    individual.telephones,
    requestEntries(
      "telephone",
      (input.telephones ?? []).map(telephoneFromInput),
      warnings,
      context,
    ),
    warnings,
  );
  const deleted = keyRule(state, requestedAlternateKeys(request, context));
  state.customAttributes = applyAttributes(
    state.customAttributes,
    request.customAttributes,
    context,
    "update",
  );
  state.notes = applyNotes(state.notes, request.notes, context, { deduplicate: true });
  state.contactPreferences = applyContactPreferences(
    state.contactPreferences,
    request.contactPreferences,
    warnings,
  );
  return finish(existing, state, warnings, deleted, context);
}

/** Delete: the customer becomes inactive; nothing is erased (SPEC 2). */
export function deactivateCustomer(existing: CustomerState): Applied {
  const state = structuredClone(existing);
  state.active = false;
  return { state, changedFields: ["active"], deletedAlternateKeys: [] };
}

const sameKey = (a: AlternateKey, b: AlternateKey): boolean =>
  a.typeCode === b.typeCode && a.alternateID === b.alternateID;
const hasKey = (keys: readonly AlternateKey[], key: AlternateKey): boolean =>
  keys.some((held) => sameKey(held, key));

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A `YYYY-MM-DD` date field, or `INVALID_DATE_FORMAT` naming the field. */
function checkDate(
  value: string,
  field: string,
  pattern: RegExp = DATE_PATTERN,
  label: string = field,
): string {
  const match = pattern.exec(value);
  if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    // A timestamp field takes either form: "Format = 2015-07-24T15:25:27 (timestamp)" (seeds/003).
    const form =
      pattern === TIMESTAMP_PATTERN
        ? "YYYY-MM-DD, or a timestamp such as 2015-07-24T15:25:27"
        : "YYYY-MM-DD";
    throw new CusthubError("INVALID_DATE_FORMAT", `${label} is not a valid date (${form}).`, {
      field,
    });
  }
  return value;
}

type ScalarKey =
  | "retailStoreID"
  | "customerNumber"
  | "customerReference"
  | "orgName"
  | "custOrgTypcode"
  | "employeeID"
  | "source"
  | "businessName"
  | "customerClass";

const SCALAR_KEYS: readonly ScalarKey[] = [
  "retailStoreID",
  "customerNumber",
  "customerReference",
  "orgName",
  "custOrgTypcode",
  "employeeID",
  "source",
  "businessName",
  "customerClass",
];

/** Overwrites the customer-level fields the request gives (seeds/003: "new data overwrites"). */
function assignScalars(
  state: CustomerState,
  request: CustomerRequest,
  context: ApplyContext,
): void {
  for (const key of SCALAR_KEYS) {
    const value = given(request[key]);
    if (value !== undefined) state[key] = value;
  }
  const signupDate = given(request.signupDate);
  if (signupDate !== undefined) {
    state.signupDate = signupDate === null ? null : checkDate(signupDate, "signupDate");
  }
  if (request.prospect !== undefined && request.prospect !== null)
    state.prospect = request.prospect;
  if (request.affiliation !== undefined) {
    const store = request.affiliation ? given(request.affiliation.retailStoreID) : null;
    if (store === undefined) throw homeStoreMissing();
    state.homeRetailStoreID = store;
  }
  if (request.lastUpdateInfo) {
    const updateDate = given(request.lastUpdateInfo.updateDate);
    state.lastUpdateInfo = {
      updateUserID: given(request.lastUpdateInfo.updateUserID) ?? null,
      // "If date is left off, Customer Engagement will fill in local time." (seeds/003)
      updateDate: updateDate
        ? checkDate(updateDate, "lastUpdateInfo.updateDate", TIMESTAMP_PATTERN)
        : context.now,
    };
  }
}

type IndividualTextKey =
  | "salutation"
  | "suffix"
  | "nickName"
  | "genderType"
  | "anniversary"
  | "maritalStatusCode"
  | "ethnicity";

const INDIVIDUAL_TEXT_KEYS: readonly IndividualTextKey[] = [
  "salutation",
  "suffix",
  "nickName",
  "genderType",
  "anniversary",
  "maritalStatusCode",
  "ethnicity",
];

/**
 * Overwrites the individual's scalar fields. Birth date, education level, income and net worth
 * that break their rule are not written (the old value stays) and come back as warnings.
 */
function assignIndividualScalars(
  individual: Individual,
  input: IndividualInput | undefined,
  context: Pick<ApplyContext, "validate">,
): ValidationIssue[] {
  if (!input) return [];
  const warnings: ValidationIssue[] = [];
  for (const location of NAME_LOCATIONS) {
    const value = given(input.names?.[location]);
    if (value !== undefined) individual.names[location] = value;
  }
  if (context.validate) takeMiddleInitial(individual, input);
  for (const key of INDIVIDUAL_TEXT_KEYS) {
    const value = given(input[key]);
    if (value !== undefined) individual[key] = value;
  }
  if (input.rent !== undefined && input.rent !== null) individual.rent = input.rent;
  const checked = [
    ["birthDate", checkBirthDate, "INVALID_DATE_FORMAT", "is not a real date in YYYY-MM-DD format"],
    [
      "highestEducationalLevelName",
      checkEducationLevel,
      "INVALID_EDUCATION_LEVEL",
      "is not one of SECONDARY, BACHELORS, GRADUATE, PHD",
    ],
    [
      "annualIncomeAmount",
      checkAnnualIncome,
      "INVALID_ANNUAL_INCOME",
      "is not a whole number between 0 and 100,000,000",
    ],
    [
      "netWorth",
      checkNetWorth,
      "INVALID_NET_WORTH",
      "is not a whole number between 0 and 1,000,000,000,000",
    ],
    ["languageCode", checkLanguageCode, "INVALID_LANGUAGE_CODE", "is not a 2-letter ISO code"],
  ] as const;
  for (const [field, check, code, problem] of checked) {
    const value = given(input[field]);
    if (value === undefined) continue;
    if (value === null) {
      individual[field] = null;
      continue;
    }
    const result = check(value);
    if (result.valid) {
      individual[field] = result.value;
    } else {
      warnings.push({
        field,
        code,
        message: `${field} ${problem}; the value was not written.`,
        severity: "warning",
      });
    }
  }
  return warnings;
}

/**
 * A middle initial in the first or last name the request gives is the request's `MIDDLE`, when it
 * gives none itself: it replaces the one the customer holds. Without this the rule, which fills
 * only an empty `MIDDLE`, left `John Q` whole over a customer whose `MIDDLE` an earlier import of
 * the same name had set to `Q`, and importing a file again changed the customer.
 */
function takeMiddleInitial(individual: Individual, input: IndividualInput): void {
  if (given(input.names?.MIDDLE) !== undefined) return;
  const first = given(input.names?.FIRST);
  const last = given(input.names?.LAST);
  if (!first && !last) return;
  const moved = moveMiddleInitial({
    FIRST: first ? normalizeName(first) : null,
    FIRST2: null,
    MIDDLE: null,
    LAST: last ? normalizeName(last) : null,
    LAST2: null,
  });
  if (moved.MIDDLE === null) return;
  individual.names.MIDDLE = moved.MIDDLE;
  if (first) individual.names.FIRST = moved.FIRST;
  if (last) individual.names.LAST = moved.LAST;
}

function applyAttributes(
  current: readonly CustomAttribute[],
  requested: CustomerRequest["customAttributes"],
  context: ApplyContext,
  mode: "add" | "update",
): CustomAttribute[] {
  const attributes = current.map((attribute) => ({ ...attribute, values: [...attribute.values] }));
  for (const input of byAttributeName(requested ?? [])) {
    const type = context.attributeTypes.get(input.name.trim().toUpperCase());
    const held = attributes.findIndex(
      (attribute) => attribute.name.toUpperCase() === input.name.trim().toUpperCase(),
    );
    // A non-editable attribute may be given its first value, never changed (seeds/003).
    const effectiveMode = mode === "update" && held >= 0 ? "update" : "add";
    const check = checkAttributeValues(type, input.name, input.values, effectiveMode);
    if (!check.ok) {
      // Re-sending a non-editable attribute's current values (in any spelling) changes nothing.
      const asNew = checkAttributeValues(type, input.name, input.values, "add");
      const unchanged =
        check.code === "ATTRIBUTE_NOT_EDITABLE" &&
        asNew.ok &&
        sameValues(attributes[held]!.values, asNew.values);
      if (unchanged) continue;
      throw new CusthubError(check.code, check.message, { attribute: input.name });
    }
    const name = type?.name ?? input.name.trim();
    // "all old values are deleted and the new value(s) added in their place" (seeds/003)
    if (held >= 0) attributes.splice(held, 1);
    if (check.values.length > 0) attributes.push({ name, values: check.values });
  }
  return attributes;
}

/**
 * One attribute named in several entries of a request holds all their values, as if in one entry,
 * whatever the channel: a unique attribute so given two values is refused
 * (MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE), not left with the last entry's, and an entry without
 * values does not delete what another gives.
 */
function byAttributeName(
  requested: NonNullable<CustomerRequest["customAttributes"]>,
): NonNullable<CustomerRequest["customAttributes"]> {
  const byName = new Map<string, { name: string; values: string[] }>();
  for (const attribute of requested) {
    const key = attribute.name.trim().toUpperCase();
    const held = byName.get(key);
    if (held) held.values.push(...attribute.values);
    else byName.set(key, { name: attribute.name, values: [...attribute.values] });
  }
  return [...byName.values()];
}

const sameValues = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((value, index) => value === b[index]);

function applyNotes(
  current: readonly CustomerNote[],
  requested: NoteInput[] | undefined,
  context: ApplyContext,
  options: { deduplicate: boolean },
): CustomerNote[] {
  const notes = current.map((note) => ({ ...note }));
  (requested ?? []).forEach((input, index) => {
    const action = input.action ?? "ADD";
    const sequence = input.sequence ?? null;
    if (action === "DELETE") {
      const at = notes.findIndex((note) => note.sequence === sequence);
      if (at >= 0) notes.splice(at, 1);
      return;
    }
    const text = given(input.text);
    if (!text) {
      throw new CusthubError("CUSTOMER_NOTE_EMPTY", `Customer note ${index + 1} has no text.`, {
        noteIndex: index,
      });
    }
    const createDate = given(input.createDate);
    const note: CustomerNote = {
      sequence: 0,
      // "The type is specified by the user and can have any value" (seeds/003): kept as given.
      type: given(input.type) ?? "COMMENT",
      text,
      createDate: createDate
        ? checkDate(
            createDate,
            `notes[${index}].createDate`,
            TIMESTAMP_PATTERN,
            `Customer note ${index + 1}'s createDate`,
          )
        : context.today,
      createUser: given(input.createUser) ?? null,
      location: given(input.location) ?? null,
      privateFlag: input.privateFlag === true,
    };
    const existingAt =
      sequence === null ? -1 : notes.findIndex((held) => held.sequence === sequence);
    if (action === "UPDATE" && existingAt >= 0) {
      notes[existingAt] = { ...note, sequence: sequence! };
      return;
    }
    // "an AddOrUpdate or Update request will check for duplicate comments" (seeds/003)
    if (
      options.deduplicate &&
      notes.some((held) => held.text === text && sameNoteType(held.type, note.type))
    ) {
      return;
    }
    const free = sequence !== null && existingAt < 0;
    note.sequence = free ? sequence : Math.max(0, ...notes.map((held) => held.sequence)) + 1;
    notes.push(note);
  });
  return notes;
}

/** Note types compare without regard to case: notes stored before types kept their case are upper case. */
export const sameNoteType = (a: string, b: string): boolean => NOTE_TYPES.compare(a, b) === 0;

// One collator for all: `localeCompare` with options builds one per call, about 10 µs.
const NOTE_TYPES = new Intl.Collator("en", { sensitivity: "accent" });

/**
 * The contact types of seeds/003 and the SubTypeCode each must have: "Can be Mail, Email, Phone,
 * or Fax", "Must be HOME for Mail, Email, and Phone. Must be FAX for Fax."
 */
const CONTACT_SUBTYPES: ReadonlyMap<string, string> = new Map([
  ["MAIL", "HOME"],
  ["EMAIL", "HOME"],
  ["PHONE", "HOME"],
  ["FAX", "FAX"],
]);

/**
 * The request's contact preferences laid over the customer's, one per contact type. A preference
 * of another type, with another SubTypeCode than its type must have, or without a permission is
 * not written, with a warning naming it; a missing SubTypeCode is the one its type must have.
 */
function applyContactPreferences(
  current: CustomerState["contactPreferences"],
  requested: CustomerRequest["contactPreferences"],
  warnings: ValidationIssue[],
): CustomerState["contactPreferences"] {
  const preferences = current.map((preference) => ({ ...preference }));
  for (const [index, input] of (requested ?? []).entries()) {
    const contactType = input.contactType.trim().toUpperCase();
    if (contactType === "") throw contactTypeMissing(index);
    const required = CONTACT_SUBTYPES.get(contactType);
    const subTypeCode = given(input.subTypeCode)?.toUpperCase() ?? required ?? null;
    const problem =
      required === undefined
        ? `has the ContactType ${JSON.stringify(input.contactType.trim())}; it must be Mail, Email, Phone or Fax`
        : subTypeCode !== required
          ? `has the SubTypeCode ${JSON.stringify(subTypeCode)}; a ${contactType} preference must have ${required}`
          : null;
    if (problem !== null || input.permission === null) {
      warnings.push({
        field: `contactPreferences[${index}]`,
        code: "INVALID_CONTACT_PREFERENCE",
        message: `Contact preference ${index + 1} ${problem ?? "has no Permission (true or false)"}; it was not written.`,
        severity: "warning",
      });
      continue;
    }
    const preference = { contactType, subTypeCode, permission: input.permission };
    const at = preferences.findIndex((held) => held.contactType === contactType);
    if (at >= 0) preferences[at] = preference;
    else preferences.push(preference);
  }
  return preferences;
}

/** The individual's personal values besides names and contact entries. */
const PERSONAL_KEYS = [
  ...INDIVIDUAL_TEXT_KEYS,
  "languageCode",
  "birthDate",
  "annualIncomeAmount",
  "netWorth",
  "highestEducationalLevelName",
] as const;

/**
 * An anonymous customer is known by alternate keys alone ("an Add request with only an alternate
 * ID", seeds/003): it holds a key, and no names, contact entries or other personal values. Any
 * other customer missing a first or last name is invalid.
 */
function isAnonymous(state: CustomerState): boolean {
  const individual = state.individual;
  return (
    state.alternateKeys.length > 0 &&
    NAME_LOCATIONS.every((location) => individual.names[location] === null) &&
    individual.addresses.length === 0 &&
    individual.emails.length === 0 &&
    individual.telephones.length === 0 &&
    PERSONAL_KEYS.every((key) => individual[key] === null)
  );
}

/** Validates and normalizes the result, and lists what changed. */
function finish(
  before: CustomerState,
  state: CustomerState,
  warnings: ValidationIssue[],
  deletedAlternateKeys: AlternateKey[],
  context: ApplyContext,
): Applied {
  if (context.validate) {
    const { individual, issues } = normalizeIndividual(state.individual, {
      requireNames: !isAnonymous(state),
    });
    state.individual = individual;
    state.validationIssues = [...issues, ...warnings];
  } else {
    state.validationIssues = warnings;
  }
  return { state, changedFields: changedFields(before, state), deletedAlternateKeys };
}

function changedFields(before: CustomerState, after: CustomerState): string[] {
  const changed: string[] = [];
  for (const key of Object.keys(after) as (keyof CustomerState)[]) {
    if (key === "validationIssues") continue;
    if (key === "individual") {
      for (const inner of Object.keys(after.individual) as (keyof Individual)[]) {
        if (!deepEqual(before.individual[inner], after.individual[inner]))
          changed.push(`individual.${inner}`);
      }
    } else if (!deepEqual(before[key], after[key])) {
      changed.push(key);
    }
  }
  return changed;
}

/** Structural equality of JSON-like values (the state holds nothing else). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    return (
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => deepEqual(item, b[index]))
    );
  }
  if (Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) =>
    deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
