/**
 * The Customer Merge configuration of seeds/003 ("Customer Merge" configuration options, the
 * Duplicate Customer Rules, the Customer Merge Override), as typed rules read from the settings.
 */

/** How a kind of contact data is taken: the source's, the first duplicate that has some, or all. */
export type EntryMergeRule = "SOURCE" | "BEST_MATCH" | "ALL";

/** The merge configuration options of seeds/003, as settings. */
export interface MergeRules {
  contactPermissions: "SOURCE" | "YES" | "NO";
  dateOfBirth: "SOURCE" | "BEST_MATCH";
  emailAddress: EntryMergeRule;
  homeLocation: "SOURCE" | "BEST_MATCH";
  mailAddress: EntryMergeRule;
  phoneNumbers: EntryMergeRule;
  /** "Duplicate Customer Merge Limit": most records merged into one. */
  mergeLimit: number;
  /** "Duplicate Customer Rules": the criteria that pick a source when none is given, in order. */
  duplicateRules: DuplicateRule[];
  /** "Customer Merge - Attributes": attribute names (upper case) whose one holder's values win. */
  preferredAttributes: string[];
  /** "Customer Merge Override": what to do in each of the document's scenarios. */
  override: MergeOverride;
}

export interface MergeOverride {
  notFound: "FAIL" | "SKIP";
  hasCards: "MERGE" | "SKIP" | "FAIL";
  hasTransactions: "MERGE" | "SKIP" | "FAIL";
  sourceNotMergeable: "FAIL" | "CHOOSE";
}

export const DUPLICATE_RULES = [
  "LAST_ACTIVITY",
  "HAS_CARD",
  "HAS_EMAIL",
  "HAS_PHONE",
  "HAS_ADDRESS",
  "HAS_ATTRIBUTES",
] as const;
export type DuplicateRule = (typeof DUPLICATE_RULES)[number];

/** The merge rules from the settings (seeds/003 "Customer Merge" configuration). */
export function mergeRulesFrom(settings: {
  CustomerMergeContactPermissions: string | null;
  CustomerMergeDateOfBirth: string | null;
  CustomerMergeEmailAddress: string | null;
  CustomerMergeHomeLocation: string | null;
  CustomerMergeMailAddress: string | null;
  CustomerMergePhoneNumbers: string | null;
  DuplicateCustomerMergeLimit: number;
  DuplicateCustomerRules: string | null;
  CustomerMergeAttributes: string | null;
  CustomerMergeOverrideNotFound: string | null;
  CustomerMergeOverrideHasCards: string | null;
  CustomerMergeOverrideHasTransactions: string | null;
  CustomerMergeOverrideSourceNotMergeable: string | null;
}): MergeRules {
  // The settings were checked against their choices when they were set.
  return {
    contactPermissions: (settings.CustomerMergeContactPermissions ??
      "SOURCE") as MergeRules["contactPermissions"],
    dateOfBirth: (settings.CustomerMergeDateOfBirth ?? "BEST_MATCH") as MergeRules["dateOfBirth"],
    emailAddress: (settings.CustomerMergeEmailAddress ?? "SOURCE") as EntryMergeRule,
    homeLocation: (settings.CustomerMergeHomeLocation ?? "SOURCE") as MergeRules["homeLocation"],
    mailAddress: (settings.CustomerMergeMailAddress ?? "SOURCE") as EntryMergeRule,
    phoneNumbers: (settings.CustomerMergePhoneNumbers ?? "SOURCE") as EntryMergeRule,
    mergeLimit: settings.DuplicateCustomerMergeLimit,
    duplicateRules: (settings.DuplicateCustomerRules ?? DUPLICATE_RULES.join(","))
      .split(",")
      .filter((rule): rule is DuplicateRule =>
        (DUPLICATE_RULES as readonly string[]).includes(rule),
      ),
    preferredAttributes: (settings.CustomerMergeAttributes ?? "")
      .split(",")
      .map((name) => name.trim().toUpperCase())
      .filter((name) => name !== ""),
    override: {
      notFound: (settings.CustomerMergeOverrideNotFound ?? "FAIL") as MergeOverride["notFound"],
      hasCards: (settings.CustomerMergeOverrideHasCards ?? "MERGE") as MergeOverride["hasCards"],
      hasTransactions: (settings.CustomerMergeOverrideHasTransactions ??
        "MERGE") as MergeOverride["hasTransactions"],
      sourceNotMergeable: (settings.CustomerMergeOverrideSourceNotMergeable ??
        "FAIL") as MergeOverride["sourceNotMergeable"],
    },
  };
}
