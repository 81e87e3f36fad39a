/**
 * An `<Instrument>` block of an `<ActivateInstrumentCustomerRequest>` file as a card association
 * (seeds/003 "Card Customer Association"). `<AuthenticationData>` (the PIN) is never read: custhub
 * has no use for it and must not hold it.
 */
import { CusthubError } from "../domain/errors.js";
import type { CardAssociation } from "../services/cards.js";
import { childNamed, type XmlElement } from "./xml-blocks.js";

const textOf = (parent: XmlElement | undefined, name: string): string | undefined => {
  const text = parent && childNamed(parent, name)?.text;
  return text === undefined || text === "" ? undefined : text;
};

export function cardAssociation(block: XmlElement): CardAssociation {
  const cardNumber = textOf(block, "CardNumber");
  const instrumentID = textOf(block, "InstrumentID");
  if (!cardNumber && !instrumentID) {
    throw new CusthubError(
      "CARD_NOT_FOUND",
      "The <Instrument> block names no CardNumber or InstrumentID.",
      {},
    );
  }
  const customer = childNamed(block, "Customer");
  // The document spells it both <CustomerId> (field table) and <CustomerID> (example).
  const customerID = textOf(customer, "CustomerID") ?? textOf(customer, "CustomerId");
  const key = customer && childNamed(customer, "AlternateKey");
  const typeCode = key?.attributes.TypeCode?.trim();
  const alternateID = textOf(key, "AlternateID");
  if (!customerID && !(typeCode && alternateID)) {
    throw new CusthubError(
      "CUSTOMER_NOT_FOUND",
      "The <Instrument> block names no CustomerID and no alternate key with its TypeCode.",
      {},
    );
  }
  return {
    cardNumber,
    instrumentID,
    customerID,
    alternateKey: typeCode && alternateID ? { typeCode, alternateID } : undefined,
  };
}
