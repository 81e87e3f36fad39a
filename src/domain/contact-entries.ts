/**
 * Address, email and telephone entries: building them from requests, and the document's rules for
 * changing them (seeds/003 "Add or Update Customer", "Update Customer Information", "Primary
 * Telephone/Address/Email").
 */
import type { Address, ContactEntryFlags, Email, Telephone, ValidationIssue } from "./customer.js";
import type { AddressInput, EmailInput, EntryUpdateType, TelephoneInput } from "./requests.js";
import { given } from "./requests.js";
import { normalizeEmail } from "./rules/email.js";
import { normalizePhone } from "./rules/phone.js";
import { normalizePostalCode } from "./rules/postal-code.js";

export type EntryKind = "address" | "email" | "telephone";

/** The request's form of an entry, with how the request wants it applied. */
export interface IncomingEntry<T extends ContactEntryFlags> {
  entry: T;
  updateType: EntryUpdateType | null;
  /** Its place among the request's entries of its kind, from 0, for messages. */
  position?: number;
  /** The request's own `ValidFlag`, when it gave one. */
  givenValidFlag?: boolean | null;
}

const text = (value: string | null | undefined): string | null => given(value) ?? null;

function flagsOf(input: {
  typeCode?: string | null;
  primaryFlag?: boolean | null;
  validFlag?: boolean | null;
  label?: string | null;
  contactPreferenceCode?: string | null;
}): ContactEntryFlags {
  return {
    typeCode: text(input.typeCode)?.toUpperCase() ?? null,
    primaryFlag: input.primaryFlag === true,
    validFlag: input.validFlag === true,
    label: text(input.label),
    contactPreferenceCode: text(input.contactPreferenceCode),
    active: true,
  };
}

// `Object.assign` onto the flags rather than `{ ...flags, more }`: V8 (Node 20) adds properties to
// a spread copy slowly, about a microsecond each, and these run for every entry of every request.
export function addressFromInput(input: AddressInput): IncomingEntry<Address> {
  return {
    updateType: input.updateType ?? null,
    givenValidFlag: input.validFlag ?? null,
    entry: Object.assign(flagsOf(input), {
      addressLine1: text(input.addressLine1),
      addressLine2: text(input.addressLine2),
      addressLine3: text(input.addressLine3),
      addressLine4: text(input.addressLine4),
      apartmentNumber: text(input.apartmentNumber),
      city: text(input.city),
      territory: text(input.territory),
      postalCode: text(input.postalCode),
      county: text(input.county),
      country: text(input.country),
    }),
  };
}

export function emailFromInput(input: EmailInput): IncomingEntry<Email> {
  return {
    updateType: input.updateType ?? null,
    givenValidFlag: input.validFlag ?? null,
    entry: Object.assign(flagsOf(input), { emailAddress: text(input.emailAddress) }),
  };
}

export function telephoneFromInput(input: TelephoneInput): IncomingEntry<Telephone> {
  return {
    updateType: input.updateType ?? null,
    givenValidFlag: input.validFlag ?? null,
    entry: Object.assign(flagsOf(input), {
      phoneNumber: text(input.phoneNumber),
      extension: text(input.extension),
      areaCode: null,
    }),
  };
}

/** An address's content, as against its flags: what tells two addresses apart. */
const ADDRESS_CONTENT = [
  "addressLine1",
  "addressLine2",
  "addressLine3",
  "addressLine4",
  "apartmentNumber",
  "city",
  "territory",
  "postalCode",
  "county",
  "country",
] as const satisfies readonly (keyof Address)[];

/** How messages name an entry, its list in the record, and what gives it content. */
const ENTRY_NAMES: Record<EntryKind, { name: string; list: string; content: string }> = {
  address: {
    name: "Address",
    list: "addresses",
    content: "address line, city, postal code or country",
  },
  email: { name: "Email", list: "emails", content: "email address" },
  telephone: { name: "Telephone", list: "telephones", content: "phone number" },
};

/**
 * Whether an entry holds anything to store: an address any line, apartment, city, territory,
 * postal code, county or country; an email its address; a telephone its number. An entry without
 * (its tags left empty in a file, say) can neither name old data nor replace it.
 */
export function hasContent(kind: EntryKind, entry: Address | Email | Telephone): boolean {
  if (kind === "email") return (entry as Email).emailAddress !== null;
  if (kind === "telephone") return (entry as Telephone).phoneNumber !== null;
  const address = entry as Address;
  return ADDRESS_CONTENT.some((field) => address[field] !== null);
}

/**
 * The request's entries of one kind that hold content, in order; each one without is left out
 * with a warning naming it, so blank tags never deactivate or replace the customer's real data.
 */
export function entriesWithContent<T extends Address | Email | Telephone>(
  kind: EntryKind,
  incoming: IncomingEntry<T>[],
  warnings: ValidationIssue[],
): IncomingEntry<T>[] {
  return incoming.filter((item, index) => {
    item.position = index;
    if (hasContent(kind, item.entry)) return true;
    // A blank Old is what seeds/003 sends to make an anonymous customer identified: "the old data
    // is the current customer information, blank in this case". Nothing to say about it.
    if (item.updateType === "Old") return false;
    const { name, list, content } = ENTRY_NAMES[kind];
    warnings.push({
      field: `${list}[${index}]`,
      code: "EMPTY_ENTRY",
      message: `${name} ${index + 1} has no ${content}; it was left out.`,
      severity: "warning",
    });
    return false;
  });
}

/**
 * An `Old` entry that names none of the customer's entries, active or not: nothing is
 * deactivated, and the request is told so. Matching is by type code and content after
 * normalization (`contentKey`).
 */
function oldNotFound(
  kind: EntryKind,
  entry: ContactEntryFlags,
  position: number | undefined,
): ValidationIssue {
  const { name, list: plural } = ENTRY_NAMES[kind];
  const which = position === undefined ? "" : ` ${position + 1}`;
  const type = entry.typeCode === null ? "no TypeCode" : `TypeCode ${entry.typeCode}`;
  return {
    field: `${plural}[${position ?? 0}]`,
    code: "OLD_ENTRY_NOT_FOUND",
    message: `${name}${which} (UpdateType Old, ${type}) matches none of the customer's ${plural}; nothing was deactivated.`,
    severity: "warning",
  };
}

/**
 * What makes two entries "exactly the same information": their type and content after
 * normalization, not their flags.
 */
export function contentKey(kind: EntryKind, entry: Address | Email | Telephone): string {
  if (kind === "email") {
    const email = entry as Email;
    return [email.typeCode, email.emailAddress && normalizeEmail(email.emailAddress).value].join(
      "\u0000",
    );
  }
  if (kind === "telephone") {
    const telephone = entry as Telephone;
    const phone = telephone.phoneNumber
      ? normalizePhone(telephone.phoneNumber, telephone.extension)
      : null;
    return [telephone.typeCode, phone?.phoneNumber ?? null, phone?.extension ?? null].join(
      "\u0000",
    );
  }
  const address = entry as Address;
  let key = address.typeCode ?? "";
  for (const field of ADDRESS_CONTENT) {
    const value = address[field];
    key += `\u0000${(field === "postalCode" && value ? normalizePostalCode(value).value : value) ?? ""}`;
  }
  return key;
}

/** Only one primary per kind: the entry at `keep` stays primary, every other is demoted. */
function demoteOtherPrimaries<T extends ContactEntryFlags>(entries: T[], keep: number): void {
  entries.forEach((entry, index) => {
    if (index !== keep && entry.primaryFlag) entries[index] = { ...entry, primaryFlag: false };
  });
}

/**
 * A new customer's entries: all active; when several claim to be primary, the last one processed
 * is the primary (seeds/003 "Primary Telephone/Address/Email").
 */
export function entriesForNewCustomer<T extends ContactEntryFlags>(
  incoming: IncomingEntry<T>[],
): T[] {
  const entries = incoming.map(({ entry }) => ({ ...entry }));
  const lastPrimary = entries.map((entry) => entry.primaryFlag).lastIndexOf(true);
  if (lastPrimary >= 0) demoteOtherPrimaries(entries, lastPrimary);
  return entries;
}

/**
 * AddorUpdate: an entry that exactly matches existing active information is left as it is, and so
 * are the others ("that information is not updated"); a new one is added and the other active
 * entries of the same type code are deactivated (seeds/003 "Add or Update Customer"). An inactive
 * match counts as new: it is made active again, and the others of its type are deactivated.
 */
export function mergeEntries<T extends ContactEntryFlags>(
  kind: EntryKind,
  existing: readonly T[],
  incoming: IncomingEntry<T>[],
): T[] {
  const entries = existing.map((entry) => ({ ...entry }));
  const touched = new Set<number>();
  for (const { entry } of incoming) {
    const key = contentKey(kind, entry as never);
    const matches = entries
      .map((candidate, index) => ({ candidate, index }))
      .filter(({ candidate }) => contentKey(kind, candidate as never) === key);
    const match = matches.find(({ candidate }) => candidate.active) ?? matches[0];
    let index: number;
    const held = match?.candidate.active === true;
    if (match) {
      index = match.index;
      if (!held) entries[index] = { ...match.candidate, active: true };
    } else {
      entries.push({ ...entry, active: true });
      index = entries.length - 1;
    }
    touched.add(index);
    if (!held) {
      entries.forEach((other, otherIndex) => {
        if (!touched.has(otherIndex) && other.active && other.typeCode === entry.typeCode) {
          entries[otherIndex] = { ...other, active: false };
        }
      });
    }
    if (entry.primaryFlag) {
      entries[index] = { ...entries[index]!, primaryFlag: true };
      demoteOtherPrimaries(entries, index);
    }
  }
  return entries;
}

/**
 * Update: `Old` deactivates the matching entry, `New` (or no update type) adds the entry (or makes
 * the same one, inactive, active again) and leaves the others active, `Set` deactivates every
 * entry of the kind and makes the included one the active primary (seeds/003 "Update Customer
 * Information").
 */
export function updateEntries<T extends ContactEntryFlags>(
  kind: EntryKind,
  existing: readonly T[],
  incoming: IncomingEntry<T>[],
  warnings: ValidationIssue[] = [],
): T[] {
  let entries = existing.map((entry) => ({ ...entry }));
  for (const { entry, updateType, position } of incoming) {
    const key = contentKey(kind, entry as never);
    if (updateType === "Old") {
      const index = entries.findIndex(
        (candidate) => candidate.active && contentKey(kind, candidate as never) === key,
      );
      if (index >= 0) entries[index] = { ...entries[index]!, active: false };
      // Already inactive (the same file imported again, say) is what Old asks for: no warning.
      else if (!entries.some((candidate) => contentKey(kind, candidate as never) === key))
        warnings.push(oldNotFound(kind, entry, position));
      continue;
    }
    if (updateType === "Set") {
      // The included entry, if the customer has it already (active, else inactive), is that one
      // made the active primary rather than a copy of it: a file imported again adds nothing.
      const same = (candidate: T): boolean => contentKey(kind, candidate as never) === key;
      const activeMatch = entries.findIndex((candidate) => candidate.active && same(candidate));
      let index = activeMatch >= 0 ? activeMatch : entries.findIndex(same);
      entries = entries.map((candidate) => ({ ...candidate, active: false }));
      const set = { ...entry, active: true, primaryFlag: true };
      if (index >= 0) entries[index] = set;
      else index = entries.push(set) - 1;
      demoteOtherPrimaries(entries, index);
      continue;
    }
    const same = (candidate: T): boolean => contentKey(kind, candidate as never) === key;
    let index = entries.findIndex((candidate) => candidate.active && same(candidate));
    if (index < 0) {
      // An entry the customer had and no longer uses is made active again, as now given (its
      // label, say), rather than added as a copy: an Old and a New of one entry, or a New after
      // a Set, imported again, leave the customer as the first import did.
      index = entries.findLastIndex(same);
      if (index >= 0) entries[index] = { ...entry, active: true };
      else index = entries.push({ ...entry, active: true }) - 1;
    }
    if (entry.primaryFlag) {
      entries[index] = { ...entries[index]!, primaryFlag: true };
      demoteOtherPrimaries(entries, index);
    }
  }
  return entries;
}
