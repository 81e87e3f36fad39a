/** Cards: the card master, and Card Customer Association (seeds/003), each one transaction. */
import {
  associateCard,
  checkCardUsable,
  dissociateCard,
  mask,
  type Card,
} from "../domain/cards.js";
import { CusthubError } from "../domain/errors.js";
import type { CustomerResponse } from "../domain/customer-response.js";
import { isCalendarDate } from "../domain/rules/profile.js";
import { activateCardFor, findCardForUpdate, insertCard, readCard } from "../store/cards.js";
import { findKeyHolders, keyId, loadCustomers } from "../store/customers.js";
import type { Database } from "../store/database.js";
import {
  dataSyncEnabled,
  writeCustomerChanges,
  type ChangeContext,
  type CustomerChange,
} from "./customer-changes.js";

export interface NewCard {
  cardNumber: string;
  instrumentID?: string | null | undefined;
  program?: string | null | undefined;
  expirationDate?: string | null | undefined;
}

/** The card by number (or serial) and the customer by CustomerID (which wins) or alternate key. */
export interface CardAssociation {
  cardNumber?: string | undefined;
  instrumentID?: string | undefined;
  customerID?: string | undefined;
  alternateKey?: { typeCode: string; alternateID: string } | undefined;
}

const CARD_NUMBER = /^[A-Za-z0-9-]{1,64}$/;

function checkNewCard(card: NewCard): Omit<Card, "customerID" | "status"> {
  const cardNumber = card.cardNumber.trim();
  if (!CARD_NUMBER.test(cardNumber)) {
    throw new CusthubError("INVALID_REQUEST", "A card number is 1-64 letters, digits or '-'.", {
      field: "cardNumber",
    });
  }
  const expirationDate = card.expirationDate?.trim() || null;
  const match = expirationDate === null ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(expirationDate);
  if (
    expirationDate !== null &&
    (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])))
  ) {
    throw new CusthubError(
      "INVALID_DATE_FORMAT",
      "The expiration date must be a real date as YYYY-MM-DD.",
      {
        field: "expirationDate",
      },
    );
  }
  return {
    cardNumber,
    instrumentID: card.instrumentID?.trim() || null,
    program: card.program?.trim() || null,
    expirationDate,
  };
}

export class CardService {
  constructor(private readonly db: Database) {}

  async add(input: NewCard): Promise<Card> {
    const card = checkNewCard(input);
    if (!(await insertCard(this.db, card))) {
      throw new CusthubError(
        "CARD_ALREADY_EXISTS",
        `Card ${mask(card.cardNumber)} (or its serial) is already on file.`,
        {
          card: mask(card.cardNumber),
        },
      );
    }
    return { ...card, status: "INACTIVE", customerID: null };
  }

  async get(cardNumber: string): Promise<Card> {
    const card = await readCard(this.db, cardNumber.trim());
    if (!card)
      throw new CusthubError("CARD_NOT_FOUND", `No card ${mask(cardNumber)}.`, {
        card: mask(cardNumber),
      });
    return card;
  }

  /** Links the card to the customer and activates it; the customer's record changes (Table H-1). */
  associate(request: CardAssociation, context: ChangeContext): Promise<CustomerResponse> {
    return this.db.transaction(async (tx) => {
      const byNumber = request.cardNumber?.trim() || undefined;
      const card = await findCardForUpdate(tx, {
        cardNumber: byNumber,
        instrumentID: request.instrumentID?.trim(),
      });
      if (!card) {
        const which = byNumber ? mask(byNumber) : `with serial ${request.instrumentID ?? "(none)"}`;
        throw new CusthubError("CARD_NOT_FOUND", `No card ${which}.`, {});
      }
      const now = new Date().toISOString();
      checkCardUsable(card, now.slice(0, 10));

      let customerID = request.customerID?.trim() || undefined;
      if (!customerID && request.alternateKey) {
        const key = {
          typeCode: request.alternateKey.typeCode.trim().toUpperCase(),
          alternateID: request.alternateKey.alternateID.trim(),
        };
        customerID = (await findKeyHolders(tx, [key])).get(keyId(key.typeCode, key.alternateID));
      }
      const ids = [customerID, card.customerID].filter(
        (id): id is string => id !== undefined && id !== null,
      );
      const stored = await loadCustomers(tx, ids);
      const customer = customerID === undefined ? undefined : stored.get(customerID)?.state;
      if (!customer?.active) {
        throw new CusthubError(
          "CUSTOMER_NOT_FOUND",
          "No active customer matches the request's CustomerID or alternate key.",
          {
            customerID: request.customerID ?? null,
          },
        );
      }
      const changes: CustomerChange[] = [];
      const previous =
        card.customerID && card.customerID !== customer.customerID
          ? stored.get(card.customerID)?.state
          : undefined;
      if (previous) {
        changes.push({
          applied: dissociateCard(previous, card.cardNumber),
          change: "UPDATE",
          existing: true,
          operation: "updateCardToCustomerAssociations",
        });
      }
      changes.push({
        applied: associateCard(customer, card, now),
        change: "UPDATE",
        existing: true,
        operation: "associateCardToCustomer",
      });
      await activateCardFor(tx, card.cardNumber, customer.customerID);
      const records = await writeCustomerChanges(tx, changes, context, await dataSyncEnabled(tx));
      return records.at(-1)!;
    });
  }
}
