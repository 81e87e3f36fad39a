/** Cards: the card master, and Card Customer Association (seeds/003), each one transaction. */
import {
  associateCard,
  checkCardUsable,
  dissociateCard,
  mask,
  type Card,
} from "../domain/cards.js";
import { changeCard, showCardOnHolder, type CardChange } from "../domain/card-status.js";
import { CusthubError } from "../domain/errors.js";
import { toCustomerResponse } from "../domain/customer-response.js";
import type { CustomerResponse } from "../domain/customer-response.js";
import { isCalendarDate } from "../domain/rules/profile.js";
import {
  activateCardFor,
  findCardForUpdate,
  findCardStateForUpdate,
  insertCard,
  readCard,
  saveCardState,
} from "../store/cards.js";
import { loadCustomerForUpdate } from "../store/customer-lock.js";
import { findKeyHolders, keyId, loadCustomers } from "../store/customers.js";
import type { Database } from "../store/database.js";
import {
  dataSyncEnabled,
  journalBlocks,
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
  /** The block of the import file the request came from (`ChangeContext.importId`). */
  block?: number | undefined;
}

/** What a card status or expiration change answers: the card, and its holder's record if any. */
export interface CardChangeOutcome {
  card: Card;
  /** The customer holding the card (seeds/001 Table H-1 queues its UPDATE); null when none. */
  record: CustomerResponse | null;
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
      const stored = await loadCustomers(tx, ids, { forUpdate: true });
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
      if (request.block !== undefined) {
        await journalBlocks(tx, context, [
          { block: request.block, customerID: customer.customerID },
        ]);
      }
      return records.at(-1)!;
    });
  }
  /** `resetCardExpirationDate` (Table H-1): a new expiration date, today or later. */
  resetExpiration(
    cardNumber: string,
    expirationDate: string,
    context: ChangeContext,
  ): Promise<CardChangeOutcome> {
    return this.change(
      cardNumber,
      { operation: "resetCardExpirationDate", expirationDate },
      context,
    );
  }

  /** `activateInstrument` (Table H-1): an inactive card becomes active. */
  activate(cardNumber: string, context: ChangeContext): Promise<CardChangeOutcome> {
    return this.change(cardNumber, { operation: "activateInstrument" }, context);
  }

  /** `deactivateInstrument` (Table H-1): an active card becomes inactive. */
  deactivate(cardNumber: string, context: ChangeContext): Promise<CardChangeOutcome> {
    return this.change(cardNumber, { operation: "deactivateInstrument" }, context);
  }

  /** Blocks the card (lost, stolen); it remembers its status for the unblock. */
  block(cardNumber: string, context: ChangeContext): Promise<CardChangeOutcome> {
    return this.change(cardNumber, { operation: "blockTenderAccount" }, context);
  }

  /** `unblockTenderAccount` (Table H-1): the card gets back the status it had when blocked. */
  unblock(cardNumber: string, context: ChangeContext): Promise<CardChangeOutcome> {
    return this.change(cardNumber, { operation: "unblockTenderAccount" }, context);
  }

  /**
   * One status or expiration change, one transaction: the card row, and when an active customer
   * holds the card, its `customerCards.instrument` entry, history row and queued UPDATE.
   */
  private change(
    cardNumber: string,
    change: CardChange,
    context: ChangeContext,
  ): Promise<CardChangeOutcome> {
    return this.db.transaction(async (tx) => {
      const number = cardNumber.trim();
      const card = await findCardStateForUpdate(tx, number);
      if (!card) {
        throw new CusthubError("CARD_NOT_FOUND", `No card ${mask(number)}.`, {
          card: mask(number),
        });
      }
      const next = changeCard(card, change, new Date().toISOString().slice(0, 10));
      await saveCardState(tx, next);
      const { blockedFrom: _remembered, ...shown } = next;
      const holder = card.customerID ? await loadCustomerForUpdate(tx, card.customerID) : null;
      if (!holder?.active) return { card: shown, record: null };
      const applied = showCardOnHolder(holder, shown);
      if (!applied) return { card: shown, record: toCustomerResponse(holder) };
      const [record] = await writeCustomerChanges(
        tx,
        [{ applied, change: "UPDATE", existing: true, operation: change.operation }],
        context,
        await dataSyncEnabled(tx),
      );
      return { card: shown, record: record! };
    });
  }
}
