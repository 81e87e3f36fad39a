/**
 * How a request's lists are laid over a customer's (seeds/003): custom attributes, notes and
 * contact preferences.
 */
import { checkAttributeValues } from "./attributes.js";
import type { CustomAttribute, CustomerNote, CustomerState, ValidationIssue } from "./customer.js";
import { CusthubError } from "./errors.js";
import { contactTypeMissing, given, type CustomerRequest, type NoteInput } from "./requests.js";
import type { ApplyContext } from "./apply-request.js";
import { checkDate, TIMESTAMP_PATTERN } from "./apply-scalars.js";

export function applyAttributes(
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

export function applyNotes(
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
export function applyContactPreferences(
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
