/**
 * The document's semantics of Add, Add or Update, Update and Delete (seeds/003), as pure functions
 * from (current state, request) to the next state. Services load and save; these decide. How the
 * request's alternate keys are read sits in request-keys.ts, its scalar fields in apply-scalars.ts,
 * its attributes, notes and contact preferences in apply-lists.ts.
 */
import type { AttributeType } from "./attributes.js";
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
  type CustomerState,
  type Email,
  type Individual,
  type Telephone,
  type ValidationIssue,
} from "./customer.js";
import type { CustomerRequest } from "./requests.js";
import { normalizeIndividual } from "./rules/normalize-individual.js";
import { assignIndividualScalars, assignScalars, INDIVIDUAL_TEXT_KEYS } from "./apply-scalars.js";
import { applyAttributes, applyContactPreferences, applyNotes } from "./apply-lists.js";
import { hasKey, requestedAlternateKeys, sameKey, type RequestedKey } from "./request-keys.js";

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
