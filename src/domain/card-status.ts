/**
 * Card status and expiration changes: the SVC Transaction and Card rows of seeds/001 Table H-1
 * (`activateInstrument`, `deactivateInstrument`, `unblockTenderAccount`, `resetCardExpirationDate`)
 * and blocking, their counterpart. Pure: the service locks, loads and saves.
 *
 * A card is `INACTIVE`, `ACTIVE` or `BLOCKED`. A block remembers the status it interrupted and an
 * unblock gives it back. A change the card's status does not allow is refused with a code that
 * says why (409 over the API): a blocked card is neither activated nor deactivated until it is
 * unblocked (seeds/003 `ACCOUNT_BLOCKED`: "You must first unblock the account").
 */
import type { Applied } from "./apply-request.js";
import { checkCardUsable, mask, type Card } from "./cards.js";
import type { CustomerState } from "./customer.js";
import { CusthubError } from "./errors.js";
import { isCalendarDate } from "./rules/profile.js";

/** A card with what a block remembers. */
export interface CardState extends Card {
  /** While blocked: the status the block interrupted. */
  blockedFrom: "INACTIVE" | "ACTIVE" | null;
}

/** The operations, named as Table H-1 names them (`blockTenderAccount` is custhub's name). */
export const CARD_OPERATIONS = [
  "activateInstrument",
  "deactivateInstrument",
  "blockTenderAccount",
  "unblockTenderAccount",
  "resetCardExpirationDate",
] as const;
export type CardOperation = (typeof CARD_OPERATIONS)[number];

export type CardChange =
  | { operation: "activateInstrument" | "deactivateInstrument" }
  | { operation: "blockTenderAccount" | "unblockTenderAccount" }
  | { operation: "resetCardExpirationDate"; expirationDate: string };

/** Checks a new expiration date: a real `YYYY-MM-DD` date, today or later. */
export function checkResetExpirationDate(value: string, today: string): string {
  const date = value.trim();
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new CusthubError(
      "INVALID_DATE_FORMAT",
      "The expiration date must be a real date as YYYY-MM-DD.",
      { field: "expirationDate" },
    );
  }
  if (date < today) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `A card's expiration date can be reset to today (${today}) or later, not ${date}; block or deactivate a card to stop it.`,
      { field: "expirationDate" },
    );
  }
  return date;
}

const refuse = (code: ConstructorParameters<typeof CusthubError>[0], card: Card, why: string) =>
  new CusthubError(code, `Card ${mask(card.cardNumber)} ${why}.`, {
    card: mask(card.cardNumber),
    status: card.status,
  });

/**
 * The card after the change, or the refusal.
 *
 * @example
 * changeCard({ ...card, status: "BLOCKED", blockedFrom: "ACTIVE" }, { operation: "unblockTenderAccount" }, "2026-01-01")
 * // => { ...card, status: "ACTIVE", blockedFrom: null }
 */
export function changeCard(card: CardState, change: CardChange, today: string): CardState {
  switch (change.operation) {
    case "activateInstrument":
      if (card.status === "BLOCKED") {
        throw refuse("ACCOUNT_BLOCKED", card, "is blocked; unblock it before activating it");
      }
      if (card.status === "ACTIVE") throw refuse("CARD_ALREADY_ACTIVE", card, "is already active");
      // An expired card is refused as the association refuses it; the program checks are the
      // association's own (seeds/003), not activateInstrument's.
      checkCardUsable(card, today, { activated: false, program: null });
      return { ...card, status: "ACTIVE" };
    case "deactivateInstrument":
      if (card.status === "BLOCKED") {
        throw refuse("ACCOUNT_BLOCKED", card, "is blocked; unblock it before deactivating it");
      }
      if (card.status !== "ACTIVE") throw refuse("CARD_NOT_ACTIVE", card, "is not active");
      return { ...card, status: "INACTIVE" };
    case "blockTenderAccount":
      if (card.status === "BLOCKED") {
        throw refuse("CARD_ALREADY_BLOCKED", card, "is already blocked");
      }
      return { ...card, status: "BLOCKED", blockedFrom: card.status };
    case "unblockTenderAccount":
      if (card.status !== "BLOCKED") throw refuse("CARD_NOT_BLOCKED", card, "is not blocked");
      return { ...card, status: card.blockedFrom ?? "INACTIVE", blockedFrom: null };
    case "resetCardExpirationDate":
      return {
        ...card,
        expirationDate: checkResetExpirationDate(change.expirationDate, today),
      };
  }
}

/**
 * The holder's record with its `customerCards.instrument` entry showing the card as it now is;
 * null when the record does not list the card (nothing to change).
 */
export function showCardOnHolder(state: CustomerState, card: Card): Applied | null {
  const at = state.cards.findIndex((held) => held.cardNumber === card.cardNumber);
  const held = state.cards[at];
  if (!held) return null;
  if (held.status === card.status && held.expirationDate === card.expirationDate) return null;
  const next = structuredClone(state);
  next.cards[at] = { ...held, status: card.status, expirationDate: card.expirationDate };
  return { state: next, changedFields: ["cards"], deletedAlternateKeys: [] };
}
