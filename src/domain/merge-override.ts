/**
 * "Customer Merge Override" (seeds/003): which of the customers a merge request names are merged,
 * left out or refuse the merge.
 */
import { fateOf, type CustomerState } from "./customer.js";
import { CusthubError } from "./errors.js";
import type { MergeRules, MergeOverride } from "./merge-rules.js";

/** One customer a merge request names, as found (undefined: no active customer matches). */
export interface MergeParticipant {
  /** `source`, or `target N`. */
  role: string;
  /** How the request named it, for messages: `customerID 12`, `alternate key EMAIL a@b.c`. */
  described: string;
  customer: CustomerState | undefined;
}

/** A customer the override rules left out of the merge, and why. */
export interface SkippedParticipant {
  role: string;
  customerID: string | null;
  reason: "NOT_FOUND" | "HAS_CARDS" | "HAS_TRANSACTIONS";
  /** The party as the request named it: `target 2 CustomerID 1001`, `source EMAIL key`, ... */
  named: string;
}

/**
 * Applies "Customer Merge Override" (seeds/003) to the customers a merge request names: a target
 * not found is refused or left out; a customer holding cards or with transactions is merged, left
 * out or refused; a source that cannot be merged (not found, or left out) is refused or replaced
 * by one of the targets chosen by the Duplicate Customer Rules. custhub holds no promotion
 * responses, so the document's fourth scenario never arises. Returns who is merged; throws
 * `CUSTOMER_NOT_FOUND` or `MERGE_CUSTOMER_CREATION_EXCEPTION` naming the customer at fault.
 *
 * @example
 * // override.hasCards = "SKIP": a target holding a card stays as it is; the others merge.
 */
export function applyMergeOverride(
  participants: readonly MergeParticipant[],
  rules: MergeRules,
): { source: CustomerState | null; targets: CustomerState[]; skipped: SkippedParticipant[] } {
  const skipped: SkippedParticipant[] = [];
  let source: CustomerState | null = null;
  const targets: CustomerState[] = [];
  for (const participant of participants) {
    const isSource = participant.role === "source";
    const reason = exclusionOf(participant, rules.override);
    if (reason === null) {
      if (isSource) source = participant.customer!;
      else targets.push(participant.customer!);
      continue;
    }
    // A FAIL rule for cards or transactions refuses the whole merge, whoever holds them; a source
    // that cannot be merged (not found, or left out) is refused or replaced as its own rule says.
    const refused = isSource
      ? rules.override.sourceNotMergeable === "FAIL" ||
        (reason !== "NOT_FOUND" && ruleOf(reason, rules.override) === "FAIL")
      : ruleOf(reason, rules.override) === "FAIL";
    if (refused) throw refusal(participant, reason);
    skipped.push({
      role: participant.role,
      customerID: participant.customer?.customerID ?? null,
      reason,
      named: participant.described,
    });
  }
  if ((source ? 1 : 0) + targets.length < 2) {
    throw new CusthubError(
      "MERGE_CUSTOMER_CREATION_EXCEPTION",
      `Nothing left to merge once the Customer Merge Override left out ${skipped
        .map((s) => `the ${s.role} (${s.reason})`)
        .join(", ")}.`,
      { skipped },
    );
  }
  return { source, targets, skipped };
}

function refusal(
  participant: MergeParticipant,
  reason: SkippedParticipant["reason"],
): CusthubError {
  if (reason === "NOT_FOUND") {
    // Named by the CustomerID of a customer no longer active: say what became of it, so a file
    // imported again after its merge can be told from a wrong ID.
    const gone = participant.customer;
    const fate = gone ? `: it ${fateOf(gone)}` : "";
    return new CusthubError(
      "CUSTOMER_NOT_FOUND",
      `No active customer matches the ${participant.described}${fate}.`,
      { role: participant.role },
    );
  }
  const customerID = participant.customer!.customerID;
  return new CusthubError(
    "MERGE_CUSTOMER_CREATION_EXCEPTION",
    `The ${participant.role} (customer ${customerID}) ${reason === "HAS_CARDS" ? "holds cards" : "has transactions"}, and the Customer Merge Override ${participant.role === "source" ? "cannot merge it" : "refuses such a merge"}.`,
    { role: participant.role, customerID, reason },
  );
}

function exclusionOf(
  participant: MergeParticipant,
  override: MergeOverride,
): SkippedParticipant["reason"] | null {
  const customer = participant.customer;
  if (!customer?.active) return "NOT_FOUND";
  if (override.hasCards !== "MERGE" && customer.cards.length > 0) return "HAS_CARDS";
  if (override.hasTransactions !== "MERGE" && hasTransactions(customer)) return "HAS_TRANSACTIONS";
  return null;
}

function ruleOf(reason: SkippedParticipant["reason"], override: MergeOverride): string {
  return reason === "HAS_CARDS"
    ? override.hasCards
    : reason === "HAS_TRANSACTIONS"
      ? override.hasTransactions
      : override.notFound;
}

function hasTransactions(customer: CustomerState): boolean {
  return (
    Number(customer.lifetimeActivitySummary.totalTransactionCount) > 0 ||
    customer.firstPurchaseDate !== null
  );
}
