/**
 * Card Customer Association (seeds/003): link a known card to a known customer and activate the
 * card. The checks are the document's, in its order: the card exists, is not expired, is not
 * blocked; the customer exists.
 */
import type { Applied } from "./apply-request.js";
import type { CustomerCard, CustomerState } from "./customer.js";
import { CusthubError } from "./errors.js";

export interface Card {
  cardNumber: string;
  instrumentID: string | null;
  program: string | null;
  status: CustomerCard["status"];
  expirationDate: string | null;
  customerID: string | null;
}

/** The document's refusals for a card, before any customer is looked at. */
export function checkCardUsable(card: Card, today: string): void {
  if (card.expirationDate !== null && card.expirationDate < today) {
    throw new CusthubError(
      "CARD_EXPIRED",
      `Card ${mask(card.cardNumber)} expired on ${card.expirationDate}.`,
      {
        card: mask(card.cardNumber),
        expirationDate: card.expirationDate,
      },
    );
  }
  if (card.status === "BLOCKED") {
    throw new CusthubError(
      "ACCOUNT_BLOCKED",
      `Card ${mask(card.cardNumber)} is blocked; unblock it first.`,
      { card: mask(card.cardNumber) },
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
