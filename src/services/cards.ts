/** Cards: the card master, and Card Customer Association (seeds/003), each one transaction. */
import {
  associateCard,
  checkCardUsable,
  dissociateCard,
  isProgramKind,
  mask,
  PROGRAM_KINDS,
  type Card,
  type CardProgram,
} from "../domain/cards.js";
import { changeCard, showCardOnHolder, type CardChange } from "../domain/card-status.js";
import { canonicalCustomerID, fateOf } from "../domain/customer.js";
import { CusthubError } from "../domain/errors.js";
import { toCustomerResponse } from "../domain/customer-response.js";
import type { CustomerResponse } from "../domain/customer-response.js";
import { isCalendarDate } from "../domain/rules/profile.js";
import {
  activateCardFor,
  findCardForUpdate,
  findCardStateForUpdate,
  insertCard,
  insertCardProgram,
  listCardPrograms,
  programCodesLike,
  readCardProgram,
  readCard,
  saveCardState,
  setCardProgramActive,
} from "../store/cards.js";
import { loadCustomerForUpdate } from "../store/customer-lock.js";
import { findKeyHolders, keyId, loadCustomers } from "../store/customers.js";
import { unknownKeyTypes } from "../store/reference-data.js";
import { unknownKeyTypeNote } from "../domain/request-keys.js";
import { retryingDeadlocks, type Database } from "../store/database.js";
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

/** A card program as `custhub card-programs add` and the API give it. */
export interface NewCardProgram {
  code: string;
  /** `TENDER`, `AWARD` or `LOYALTY`, in any case. */
  kind: string;
  effectiveDate?: string | null | undefined;
  expiryDate?: string | null | undefined;
  active?: boolean | undefined;
}

const CARD_NUMBER = /^[A-Za-z0-9-]{1,64}$/;
const PROGRAM_CODE = /^[A-Za-z0-9_.-]{1,60}$/;

/** The date as YYYY-MM-DD, or null when none is given; a date that is not real is refused. */
function optionalDate(
  value: string | null | undefined,
  field: string,
  what: string,
): string | null {
  const date = value?.trim() || null;
  const match = date === null ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (
    date !== null &&
    (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])))
  ) {
    throw new CusthubError(
      "INVALID_DATE_FORMAT",
      `The ${what} must be a real date as YYYY-MM-DD.`,
      {
        field,
      },
    );
  }
  return date;
}

function checkNewCard(card: NewCard): Omit<Card, "customerID" | "status"> {
  const cardNumber = card.cardNumber.trim();
  if (!CARD_NUMBER.test(cardNumber)) {
    throw new CusthubError("INVALID_REQUEST", "A card number is 1-64 letters, digits or '-'.", {
      field: "cardNumber",
    });
  }
  return {
    cardNumber,
    instrumentID: card.instrumentID?.trim() || null,
    program: card.program?.trim() || null,
    expirationDate: optionalDate(card.expirationDate, "expirationDate", "expiration date"),
  };
}

function checkNewProgram(program: NewCardProgram): CardProgram {
  const code = program.code.trim();
  if (!PROGRAM_CODE.test(code)) {
    throw new CusthubError(
      "INVALID_REQUEST",
      "A card program code is 1-60 letters, digits, '_', '.' or '-'.",
      { field: "code" },
    );
  }
  const kind = program.kind.trim().toUpperCase();
  if (!isProgramKind(kind)) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `A card program's kind is one of ${PROGRAM_KINDS.join(", ")}, not "${program.kind}".`,
      { field: "kind" },
    );
  }
  const effectiveDate = optionalDate(program.effectiveDate, "effectiveDate", "effective date");
  const expiryDate = optionalDate(program.expiryDate, "expiryDate", "expiry date");
  if (effectiveDate !== null && expiryDate !== null && expiryDate < effectiveDate) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `The program's expiry date ${expiryDate} is before its effective date ${effectiveDate}.`,
      { field: "expiryDate" },
    );
  }
  return {
    code,
    kind,
    effectiveDate,
    expiryDate,
    active: program.active ?? true,
  };
}

export class CardService {
  constructor(private readonly db: Database) {}

  async add(input: NewCard): Promise<Card> {
    const card = checkNewCard(input);
    // A card naming no defined program is associated without the program checks; one whose code
    // differs from a defined program's only in case would slip past them unseen.
    if (card.program !== null && (await readCardProgram(this.db, card.program)) === null) {
      const [defined] = await programCodesLike(this.db, card.program);
      if (defined !== undefined) {
        throw new CusthubError(
          "INVALID_REQUEST",
          `No card program is called ${card.program}, but ${defined} is: program codes are compared exactly, letters' case included.`,
          { field: "program", program: card.program, defined },
        );
      }
    }
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

  /** Defines a card program that cards' `program` can name (seeds/003 "Card Customer Association"). */
  async addProgram(input: NewCardProgram): Promise<CardProgram> {
    const program = checkNewProgram(input);
    if (!(await insertCardProgram(this.db, program))) {
      throw new CusthubError("ALREADY_EXISTS", `Card program ${program.code} already exists.`, {
        code: program.code,
      });
    }
    return program;
  }

  programs(): Promise<CardProgram[]> {
    return listCardPrograms(this.db);
  }

  /** Makes a card program active or inactive; cards of an inactive one are refused `PROGRAM_INACTIVE`. */
  async setProgramActive(code: string, active: boolean): Promise<CardProgram> {
    const program = await setCardProgramActive(this.db, code.trim(), active);
    if (!program) {
      throw new CusthubError("PROGRAM_NOT_FOUND", `No card program ${code.trim()}.`, {
        code: code.trim(),
      });
    }
    return program;
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
    return retryingDeadlocks(() =>
      this.db.transaction(async (tx) => {
        const byNumber = request.cardNumber?.trim() || undefined;
        const found = await findCardForUpdate(tx, {
          cardNumber: byNumber,
          instrumentID: request.instrumentID?.trim(),
        });
        if (!found) {
          const which = byNumber
            ? mask(byNumber)
            : `with serial ${request.instrumentID ?? "(none)"}`;
          throw new CusthubError("CARD_NOT_FOUND", `No card ${which}.`, {});
        }
        const { card, standing } = found;
        const serial = request.instrumentID?.trim() || undefined;
        if (byNumber && serial && card.instrumentID !== serial) {
          // The number and the serial name one card, or the card the request means is not on
          // file: the card's own serial differs, or another card has the one given.
          const other =
            card.instrumentID === null
              ? await findCardForUpdate(tx, { instrumentID: serial })
              : found;
          if (other) {
            throw new CusthubError(
              "CARD_NOT_FOUND",
              `No card ${mask(byNumber)} with serial ${serial}: the number and the InstrumentID name different cards.`,
              { card: mask(byNumber) },
            );
          }
        }
        const now = new Date().toISOString();
        checkCardUsable(card, now.slice(0, 10), standing);

        let customerID = request.customerID ? canonicalCustomerID(request.customerID) : undefined;
        if (!customerID && request.alternateKey) {
          const key = {
            typeCode: request.alternateKey.typeCode.trim().toUpperCase(),
            alternateID: request.alternateKey.alternateID.trim(),
          };
          customerID = (await findKeyHolders(tx, [key])).get(keyId(key.typeCode, key.alternateID));
          // Not found, as the association's error table has it; the message says why.
          if (customerID === undefined && (await unknownKeyTypes(tx, [key.typeCode])).length > 0) {
            throw new CusthubError(
              "CUSTOMER_NOT_FOUND",
              `No customer has the request's alternate key: ${unknownKeyTypeNote(key.typeCode)}.`,
              { typeCode: key.typeCode },
            );
          }
        }
        const ids = [customerID, card.customerID].filter(
          (id): id is string => id !== undefined && id !== null,
        );
        const stored = await loadCustomers(tx, ids, { forUpdate: true });
        const customer = customerID === undefined ? undefined : stored.get(customerID)?.state;
        if (!customer?.active) {
          // Named by the CustomerID of a customer no longer active: say what became of it.
          const fate = customer ? `: customer ${customer.customerID} ${fateOf(customer)}` : "";
          throw new CusthubError(
            "CUSTOMER_NOT_FOUND",
            `No active customer matches the request's CustomerID or alternate key${fate}.`,
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
        // A deleted or merged-away holder's record stays as it was left, and nothing more is sent
        // for it: an UPDATE after its DELETE would bring it back at the destinations.
        if (previous?.active) {
          changes.push({
            applied: dissociateCard(previous, card.cardNumber),
            change: "UPDATE",
            existing: true,
            operation: "updateCardToCustomerAssociations",
          });
        }
        const associated = associateCard(customer, card, now);
        // The customer's active card already, as given: a file imported again writes nothing, and
        // sends nothing to the destinations (docs/import.md, "Re-importing").
        const unchanged =
          previous === undefined &&
          card.status === "ACTIVE" &&
          JSON.stringify(associated.state) === JSON.stringify(customer);
        if (!unchanged) {
          changes.push({
            applied: associated,
            change: "UPDATE",
            existing: true,
            operation: "associateCardToCustomer",
          });
          await activateCardFor(tx, card.cardNumber, customer.customerID);
        }
        const records = await writeCustomerChanges(tx, changes, context, await dataSyncEnabled(tx));
        if (request.block !== undefined) {
          await journalBlocks(tx, context, [
            { block: request.block, customerID: customer.customerID },
          ]);
        }
        return records.at(-1) ?? toCustomerResponse(customer);
      }),
    );
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
    return retryingDeadlocks(() =>
      this.db.transaction(async (tx) => {
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
      }),
    );
  }
}
