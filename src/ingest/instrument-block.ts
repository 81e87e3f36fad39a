/**
 * An `<Instrument>` block of an `<ActivateInstrumentCustomerRequest>` file as a card association
 * (seeds/003 "Card Customer Association"). `<AuthenticationData>` (the PIN) is never read: custhub
 * has no use for it and must not hold it.
 */
import { CusthubError } from "../domain/errors.js";
import type { CardAssociation } from "../services/cards.js";
import { onlyChild, type XmlElement } from "./xml-elements.js";

/**
 * Text of the one child with this name; a second one is refused, as in a `<Customer>` block: which
 * card or customer is meant is the sender's to say.
 */
const textOf = (parent: XmlElement | undefined, name: string): string | undefined => {
  const text = parent && onlyChild(parent, name)?.text;
  return text === undefined || text === "" ? undefined : text;
};

/** The customer's ID: the document spells it `<CustomerId>` (field table) and `<CustomerID>` (example). */
function customerIDOf(customer: XmlElement | undefined): string | undefined {
  if (!customer) return undefined;
  const upper = onlyChild(customer, "CustomerID");
  const lower = onlyChild(customer, "CustomerId");
  if (upper && lower) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `<Customer> (line ${customer.line}) has two CustomerIDs (<CustomerID> line ${upper.line}, <CustomerId> line ${lower.line}); only one is allowed.`,
      { field: "CustomerID", line: lower.line },
    );
  }
  return textOf(customer, upper ? "CustomerID" : "CustomerId");
}

export function cardAssociation(block: XmlElement): CardAssociation {
  const cardNumber = textOf(block, "CardNumber");
  const instrumentID = textOf(block, "InstrumentID");
  const customer = onlyChild(block, "Customer");
  const customerID = customerIDOf(customer);
  const key = customer && onlyChild(customer, "AlternateKey");
  const typeCode = key?.attributes.TypeCode?.trim();
  const alternateID = textOf(key, "AlternateID");
  if (!cardNumber && !instrumentID) {
    throw new CusthubError(
      "CARD_NOT_FOUND",
      "The <Instrument> block names no CardNumber or InstrumentID.",
      {},
    );
  }
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
