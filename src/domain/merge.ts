/**
 * Customer Merge (seeds/003 "Customer Merge", Table 2-3 "Merge Logic"): duplicates of one person
 * become one new customer. The new record takes its identity and contact data from the source,
 * the alternate keys, attributes, cards and notes of every duplicate, the earliest and latest
 * dates, and the sums of the activity totals. The duplicates stay, inactive, pointing at it.
 * The merge configuration is read in merge-rules.ts, the "Customer Merge Override" applied in
 * merge-override.ts.
 */
import type { Applied } from "./apply-request.js";
import { contentKey, type EntryKind } from "./contact-entries.js";
import {
  emptyCustomer,
  type ActivitySummary,
  type Address,
  type ContactEntryFlags,
  type CustomerState,
  type Email,
  type Telephone,
} from "./customer.js";
import { CusthubError } from "./errors.js";
import type { DuplicateRule, EntryMergeRule, MergeRules } from "./merge-rules.js";

export interface MergeResult {
  merged: Applied;
  /** Each duplicate, inactive and pointing at the new customer. */
  retired: Applied[];
}

const activeCount = <T extends ContactEntryFlags>(entries: readonly T[]): number =>
  entries.filter((entry) => entry.active).length;

/** Picks the source by the Duplicate Customer Rules: each rule in turn breaks the tie. */
export function chooseSource(
  duplicates: readonly CustomerState[],
  rules: readonly DuplicateRule[],
): CustomerState {
  const score = (customer: CustomerState, rule: DuplicateRule): string | number => {
    switch (rule) {
      case "LAST_ACTIVITY":
        // The latest of its activity dates: a purchase, an update at the till, the signup. ISO
        // dates and timestamps compare as text.
        return (
          maxOf([
            customer.lastPurchaseDate,
            customer.lastUpdateInfo?.updateDate ?? null,
            customer.signupDate,
          ]) ?? ""
        );
      case "HAS_CARD":
        return customer.cards.length > 0 ? 1 : 0;
      case "HAS_EMAIL":
        return activeCount(customer.individual.emails) > 0 ? 1 : 0;
      case "HAS_PHONE":
        return activeCount(customer.individual.telephones) > 0 ? 1 : 0;
      case "HAS_ADDRESS":
        return activeCount(customer.individual.addresses) > 0 ? 1 : 0;
      case "HAS_ATTRIBUTES":
        return customer.customAttributes.length > 0 ? 1 : 0;
    }
  };
  return [...duplicates].sort((a, b) => {
    for (const rule of rules) {
      const left = score(a, rule);
      const right = score(b, rule);
      if (left !== right) return left > right ? -1 : 1;
    }
    // Last tie-break: the oldest customer, the one most systems already know.
    return Number(a.customerID) - Number(b.customerID);
  })[0]!;
}

/**
 * A merged customer's entries of one kind, by the merge setting: the source's; the first non-null
 * one, from the first customer in merge order that has any (its primary, else its first); or all
 * of them, each address once, the source's first, with one primary at most (seeds/003 "Customer
 * Merge - Email Address", "- Mail Address", "- Phone Numbers").
 */
function pickEntries<T extends ContactEntryFlags & (Address | Email | Telephone)>(
  rule: EntryMergeRule,
  kind: EntryKind,
  source: CustomerState,
  ordered: readonly CustomerState[],
  entriesOf: (customer: CustomerState) => readonly T[],
): T[] {
  const active = (customer: CustomerState): T[] =>
    entriesOf(customer)
      .filter((entry) => entry.active)
      .map((entry) => ({ ...entry }));
  if (rule === "SOURCE") return active(source);
  if (rule === "BEST_MATCH") {
    const first = ordered.map(active).find((entries) => entries.length > 0) ?? [];
    const chosen = first.find((entry) => entry.primaryFlag) ?? first[0];
    return chosen ? [chosen] : [];
  }
  const all = uniqueBy(ordered.flatMap(active), (entry) => contentKey(kind, entry));
  // Retaining all: one primary at most, the source's (it comes first).
  const primary = all.findIndex((entry) => entry.primaryFlag);
  return all.map((entry, index) =>
    index === primary || !entry.primaryFlag ? entry : { ...entry, primaryFlag: false },
  );
}

const minOf = (values: (string | null)[]): string | null =>
  values.filter((value): value is string => value !== null).sort()[0] ?? null;
const maxOf = (values: (string | null)[]): string | null =>
  values
    .filter((value): value is string => value !== null)
    .sort()
    .at(-1) ?? null;

/** Sums decimal strings exactly (amounts carry cents), as strings like the record shows them. */
function sumDecimals(values: readonly string[]): string {
  const scale = Math.max(0, ...values.map((value) => value.split(".")[1]?.length ?? 0));
  const total = values.reduce((sum, value) => {
    const [whole = "0", fraction = ""] = value.split(".");
    const negative = whole.startsWith("-");
    const units = BigInt(whole.replace("-", "") + fraction.padEnd(scale, "0"));
    return sum + (negative ? -units : units);
  }, 0n);
  if (scale === 0) return total.toString();
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, "0");
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, "");
  return negative ? `-${text}` : text;
}

function sumSummaries(summaries: readonly ActivitySummary[]): ActivitySummary {
  const keys = Object.keys(summaries[0]!) as (keyof ActivitySummary)[];
  return Object.fromEntries(
    keys.map((key) => [key, sumDecimals(summaries.map((summary) => summary[key]))]),
  ) as unknown as ActivitySummary;
}

/**
 * Merges `targets` into `source` as a new customer `newCustomerID`. The caller has made sure all
 * are distinct, active, and within the merge limit.
 */
export function mergeCustomers(
  newCustomerID: string,
  source: CustomerState,
  targets: readonly CustomerState[],
  rules: MergeRules,
  now: string,
  /** Names (upper case) of the attribute types defined as unique: one value (SPEC 2). */
  uniqueAttributes: ReadonlySet<string> = new Set(),
): MergeResult {
  const duplicates = [source, ...targets];
  if (duplicates.length > rules.mergeLimit) {
    throw new CusthubError(
      "MERGE_CUSTOMER_CREATION_EXCEPTION",
      `${duplicates.length} customers exceed the Duplicate Customer Merge Limit of ${rules.mergeLimit}.`,
      { count: duplicates.length, limit: rules.mergeLimit },
    );
  }
  const merged = emptyCustomer(newCustomerID);
  const copy = <T>(value: T): T => structuredClone(value);

  // From the source: identity, preferences, personal summary, socio-economic profile, and the
  // fields the table does not name.
  merged.individual = copy(source.individual);
  merged.individual.addresses = pickEntries(
    rules.mailAddress,
    "address",
    source,
    duplicates,
    (c) => c.individual.addresses,
  );
  merged.individual.emails = pickEntries(
    rules.emailAddress,
    "email",
    source,
    duplicates,
    (c) => c.individual.emails,
  );
  merged.individual.telephones = pickEntries(
    rules.phoneNumbers,
    "telephone",
    source,
    duplicates,
    (c) => c.individual.telephones,
  );
  if (rules.dateOfBirth === "BEST_MATCH" && merged.individual.birthDate === null) {
    merged.individual.birthDate =
      duplicates.find((c) => c.individual.birthDate !== null)?.individual.birthDate ?? null;
  }
  for (const field of [
    "orgName",
    "custOrgTypcode",
    "employeeID",
    "businessName",
    "customerClass",
    "source",
    "customerNumber",
    "customerReference",
  ] as const) {
    merged[field] = source[field];
  }
  merged.prospect = source.prospect;
  merged.homeRetailStoreID =
    rules.homeLocation === "SOURCE"
      ? source.homeRetailStoreID
      : (duplicates.find((c) => c.homeRetailStoreID !== null)?.homeRetailStoreID ?? null);
  // "Set all contact permissions to Yes" (or No): every contact type any duplicate has one for.
  merged.contactPreferences =
    rules.contactPermissions === "SOURCE"
      ? copy(source.contactPreferences)
      : uniqueBy(
          duplicates.flatMap((c) => c.contactPreferences),
          (preference) => `${preference.contactType}\u0000${preference.subTypeCode ?? ""}`,
        ).map((preference) => ({
          ...preference,
          permission: rules.contactPermissions === "YES",
        }));

  // From every duplicate: alternate keys, attributes, cards, notes.
  merged.alternateKeys = duplicates.flatMap((c) => c.alternateKeys.map((key) => ({ ...key })));
  merged.customAttributes = [];
  for (const attribute of duplicates.flatMap((c) => c.customAttributes)) {
    const held = merged.customAttributes.find(
      (a) => a.name.toUpperCase() === attribute.name.toUpperCase(),
    );
    if (!held)
      merged.customAttributes.push({ name: attribute.name, values: [...attribute.values] });
    // "Customer Merge - Attributes": a preferred attribute keeps its first holder's values alone,
    // and so does a unique one, which holds one value.
    else if (
      !rules.preferredAttributes.includes(attribute.name.toUpperCase()) &&
      !uniqueAttributes.has(attribute.name.toUpperCase())
    )
      for (const value of attribute.values)
        if (!held.values.includes(value)) held.values.push(value);
  }
  merged.cards = duplicates.flatMap((c) => copy(c.cards));
  // Segment memberships and franchisees are the customer's relations, like its cards: every
  // duplicate's, once each. Associates: the source's, then a duplicate's for a role it lacks.
  merged.segments = uniqueBy(
    duplicates.flatMap((c) => c.segments),
    (segment) => segment.segmentId,
  ).map((segment) => ({ ...segment }));
  merged.franchisees = uniqueBy(
    duplicates.flatMap((c) => c.franchisees),
    (franchisee) => String(franchisee.franchiseeId),
  ).map((franchisee) => ({ ...franchisee }));
  merged.associateAssignments = uniqueBy(
    duplicates.flatMap((c) => c.associateAssignments),
    (assignment) => assignment.role,
  ).map((assignment) => ({ ...assignment }));
  // An exact duplicate of a note is not added twice (SPEC 2); the notes are numbered anew, as
  // the duplicates' sequences overlap.
  merged.notes = uniqueBy(
    duplicates.flatMap((c) => c.notes),
    ({ sequence: _, ...note }) => JSON.stringify(note),
  ).map((note, index) => ({ ...note, sequence: index + 1 }));

  // Dates and totals: the earliest, the latest, the sums.
  const withBoth = duplicates.filter((c) => c.signupDate !== null && c.retailStoreID !== null);
  const signup =
    source.signupDate !== null &&
    source.retailStoreID !== null &&
    withBoth.every((c) => c.signupDate! >= source.signupDate!)
      ? source
      : [...withBoth].sort((a, b) => a.signupDate!.localeCompare(b.signupDate!))[0];
  merged.signupDate = signup?.signupDate ?? minOf(duplicates.map((c) => c.signupDate));
  merged.retailStoreID =
    signup?.retailStoreID ??
    duplicates.find((c) => c.retailStoreID !== null)?.retailStoreID ??
    null;
  merged.firstPurchaseDate = minOf(duplicates.map((c) => c.firstPurchaseDate));
  merged.lastPurchaseDate = maxOf(duplicates.map((c) => c.lastPurchaseDate));
  merged.lifetimeActivitySummary = sumSummaries(duplicates.map((c) => c.lifetimeActivitySummary));
  // Year-to-date figures add up only within one year: the latest year any duplicate counts.
  const years = duplicates.flatMap((c) => (c.yearToDateYear === null ? [] : [c.yearToDateYear]));
  merged.yearToDateYear = years.length === 0 ? null : Math.max(...years);
  merged.yearToDateActivitySummary = sumSummaries(
    duplicates
      .filter((c) => c.yearToDateYear === merged.yearToDateYear)
      .map((c) => c.yearToDateActivitySummary),
  );
  merged.lastUpdateInfo = {
    updateUserID: source.lastUpdateInfo?.updateUserID ?? null,
    updateDate: now,
  };
  merged.validationIssues = copy(source.validationIssues);
  merged.mergedFrom = duplicates.map((c) => c.customerID);

  const retired = duplicates.map((customer) => {
    const state = copy(customer);
    state.active = false;
    state.alternateKeys = [];
    state.cards = [];
    state.mergedInto = newCustomerID;
    return {
      state,
      changedFields: ["active", "alternateKeys", "cards", "mergedInto"],
      deletedAlternateKeys: [],
    };
  });
  return {
    merged: { state: merged, changedFields: ["merged"], deletedAlternateKeys: [] },
    retired,
  };
}

/** The first of each key, in order. */
function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
