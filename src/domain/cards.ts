/**
 * Card Customer Association (seeds/003): link a known card to a known customer and activate the
 * card. The checks are the document's: the card exists, is not expired, is not blocked, its program
 * (when defined) is active and in effect; the customer exists.
 */
import type { Applied } from "./apply-request.js";
import type { CustomerCard, CustomerState } from "./customer.js";
import { CusthubError, type ErrorCode } from "./errors.js";

export interface Card {
  cardNumber: string;
  instrumentID: string | null;
  program: string | null;
  status: CustomerCard["status"];
  expirationDate: string | null;
  customerID: string | null;
}

/** The kinds of program seeds/003 names a card's accounts by: tender, award, loyalty. */
export const PROGRAM_KINDS = ["TENDER", "AWARD", "LOYALTY"] as const;
export type ProgramKind = (typeof PROGRAM_KINDS)[number];

export const isProgramKind = (value: string): value is ProgramKind =>
  (PROGRAM_KINDS as readonly string[]).includes(value);

/** A card program: what a card's `program` names (`custhub card-programs`). */
export interface CardProgram {
  code: string;
  kind: ProgramKind;
  /** The first day the program is in effect; null: always was. */
  effectiveDate: string | null;
  /** The last day the program is in effect; null: never ends. */
  expiryDate: string | null;
  active: boolean;
}

/** The document's codes for a program not in effect, by the program's kind. */
const PROGRAM_CODES: Record<ProgramKind, { expired: ErrorCode; notEffective: ErrorCode }> = {
  TENDER: { expired: "PROGRAM_EXPIRED", notEffective: "PROGRAM_NOT_EFFECTIVE" },
  AWARD: { expired: "AWARD_PROGRAM_EXPIRED", notEffective: "AWARD_PROGRAM_NOT_EFFECTIVE" },
  LOYALTY: { expired: "LYL_PROGRAM_EXPIRED", notEffective: "LYL_PROGRAM_NOT_EFFECTIVE" },
};

/** What the association checks a card against besides the card itself. */
export interface CardStanding {
  /** Whether the card (its account) was ever activated. */
  activated: boolean;
  /** The card's program, when the card names one that is defined. */
  program: CardProgram | null;
}

/**
 * The document's refusals for a card, before any customer is looked at (seeds/003 "Card Customer
 * Association", Batch Processing Errors). The card is its own account here, so an expired card
 * that was activated before is `ACCOUNT_EXPIRED` ("An account has previously been activated ...
 * and the Expiry Date is less than the current date"), one never activated `CARD_EXPIRED`. The
 * program's dates count only for a card never activated, as the document says of each of them.
 */
export function checkCardUsable(card: Card, today: string, standing: CardStanding): void {
  const details = { card: mask(card.cardNumber) };
  if (card.expirationDate !== null && card.expirationDate < today) {
    throw new CusthubError(
      standing.activated ? "ACCOUNT_EXPIRED" : "CARD_EXPIRED",
      `Card ${mask(card.cardNumber)} expired on ${card.expirationDate}.`,
      { ...details, expirationDate: card.expirationDate },
    );
  }
  if (card.status === "BLOCKED") {
    throw new CusthubError(
      "ACCOUNT_BLOCKED",
      `Card ${mask(card.cardNumber)} is blocked; unblock it first.`,
      details,
    );
  }
  const program = standing.program;
  if (program === null) return;
  const about = { ...details, program: program.code };
  if (!program.active) {
    throw new CusthubError(
      "PROGRAM_INACTIVE",
      `The program ${program.code} of card ${mask(card.cardNumber)} is inactive.`,
      about,
    );
  }
  if (standing.activated) return;
  const codes = PROGRAM_CODES[program.kind];
  if (program.expiryDate !== null && program.expiryDate < today) {
    throw new CusthubError(
      codes.expired,
      `The ${program.kind.toLowerCase()} program ${program.code} of card ${mask(card.cardNumber)} expired on ${program.expiryDate}.`,
      { ...about, expiryDate: program.expiryDate },
    );
  }
  if (program.effectiveDate !== null && program.effectiveDate > today) {
    throw new CusthubError(
      codes.notEffective,
      `The ${program.kind.toLowerCase()} program ${program.code} of card ${mask(card.cardNumber)} is in effect from ${program.effectiveDate}.`,
      { ...about, effectiveDate: program.effectiveDate },
    );
  }
}

/** The customer holding the card, activated; the card removed from any other holder's list. */
export function associateCard(state: CustomerState, card: Card, now: string): Applied {
  const next = structuredClone(state);
  const held: CustomerCard = {
    cardNumber: card.cardNumber,
    instrumentID: card.instrumentID,
    program: card.program,
    status: "ACTIVE",
    expirationDate: card.expirationDate,
    associatedAt: now,
  };
  const at = next.cards.findIndex((existing) => existing.cardNumber === card.cardNumber);
  if (at >= 0) next.cards[at] = { ...held, associatedAt: next.cards[at]!.associatedAt };
  else next.cards.push(held);
  return { state: next, changedFields: ["cards"], deletedAlternateKeys: [] };
}

/** The previous holder's record without the card. */
export function dissociateCard(state: CustomerState, cardNumber: string): Applied {
  const next = structuredClone(state);
  next.cards = next.cards.filter((card) => card.cardNumber !== cardNumber);
  return { state: next, changedFields: ["cards"], deletedAlternateKeys: [] };
}

/** A card number for messages and logs: only its last four characters. */
export function mask(cardNumber: string): string {
  return cardNumber.length <= 4 ? "****" : `****${cardNumber.slice(-4)}`;
}
