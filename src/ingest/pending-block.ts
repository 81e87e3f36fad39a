/**
 * A block of an import as it waits for its group: read, mapped to its request (or refused), and
 * named by the key the review shows for its customer.
 */
import { isCusthubError, type CusthubError } from "../domain/errors.js";
import type { CustomerOperation } from "../services/customers.js";
import type { CardAssociation } from "../services/cards.js";
import type { MergeRequest } from "../services/customer-merge.js";
import { blockAction, customerOperation, mergeRequest } from "./customer-block.js";
import { cardAssociation } from "./instrument-block.js";
import type { XmlBlock, XmlFileHead } from "./xml-blocks.js";
import { childNamed, type XmlElement } from "./xml-elements.js";

/**
 * A block read and mapped, waiting for its group to be written. Its element tree is not kept:
 * a group is held while the one before it is written, and trees kept that long outlive the
 * garbage collector's young generation, which made collecting them most of an import's CPU.
 */
export interface PendingBlock {
  block: Omit<XmlBlock, "element">;
  /** The block's action as the review names it; null when the block has none that is valid. */
  action: string | null;
  operation?: CustomerOperation;
  association?: CardAssociation;
  merge?: MergeRequest;
  parseError?: CusthubError;
  /** A block that could not be mapped: its identifying key as written, for the review. */
  writtenKey?: string | null;
}

export function parseBlock(block: XmlBlock, head: XmlFileHead | undefined): PendingBlock {
  const { element, ...place } = block;
  const action = actionOf(element);
  try {
    // Each request names its block, journaled with its change (docs/import.md, "Interrupted imports").
    if (head?.root === "ActivateInstrumentCustomerRequest") {
      const association = cardAssociation(element);
      association.block = place.number;
      return { block: place, action, association };
    }
    if (action === "Merge") {
      const merge = mergeRequest(element);
      merge.block = place.number;
      return { block: place, action, merge };
    }
    const operation = customerOperation(element);
    operation.block = place.number;
    return { block: place, action, operation };
  } catch (error) {
    if (!isCusthubError(error)) throw error;
    return { block: place, action, parseError: error, writtenKey: writtenKeyOf(element, action) };
  }
}

/**
 * The key a block names its customer by, read from the elements as written (a block that could
 * not be mapped has no request to read it from): the `<Customer>` of an `<Instrument>`, a merge's
 * source or else its first target, or the block itself; its CustomerID, else its first alternate
 * key with a type and an id (an Add's CustomerID is ignored, as the Add ignores it).
 */
function writtenKeyOf(block: XmlElement, action: string | null): string | null {
  const targets = childNamed(block, "MergeTargetSet");
  const party =
    childNamed(block, "Customer") ??
    childNamed(block, "MergeSource") ??
    (targets && childNamed(targets, "MergeTarget")) ??
    // A target written outside its set: the block is refused, and still named by it.
    childNamed(block, "MergeTarget") ??
    block;
  const text = (parent: XmlElement | undefined, name: string): string =>
    (parent && childNamed(parent, name)?.text) || "";
  const keys = party.children.map((key) => ({
    typeCode: key.name === "AlternateKey" ? (key.attributes.TypeCode?.trim() ?? "") : "",
    // The example writes <AlternateID>; the merge's field table, <AlternateKey> inside it.
    alternateID: text(key, "AlternateID") || text(key, "AlternateKey"),
  }));
  const customerID = action === "Add" ? "" : text(party, "CustomerID") || text(party, "CustomerId");
  return reviewKey(customerID, keys);
}

function actionOf(element: XmlElement): string | null {
  if (element.name === "Instrument") return "CardCustomerAssociation";
  try {
    return blockAction(element);
  } catch {
    return null;
  }
}

/** What identifies the block's customer for a person reading the review: an id or a key. */
export function keyOf(item: PendingBlock): string | null {
  if (item.parseError) return item.writtenKey ?? null;
  if (item.merge) {
    const party = item.merge.source ?? item.merge.targets[0];
    return reviewKey(party?.customerID, party?.alternateKey ? [party.alternateKey] : []);
  }
  if (item.association) {
    const { customerID, alternateKey } = item.association;
    return reviewKey(customerID, alternateKey ? [alternateKey] : []);
  }
  const operation = item.operation;
  if (!operation) return null;
  // An Add ignores a CustomerID in the file (seeds/003): naming it would name another customer.
  const { request } = operation;
  return reviewKey(
    operation.action === "Add" ? null : request.customerID,
    request.alternateKeys ?? [],
  );
}

/** A customer as the review names it: `CustomerID:N`, else its first whole key's `TYPE:ID`. */
function reviewKey(
  customerID: string | null | undefined,
  keys: readonly { typeCode?: string | null; alternateID?: string | null }[],
): string | null {
  if (customerID) return `CustomerID:${customerID}`;
  const key = keys.find((candidate) => candidate.typeCode && candidate.alternateID);
  return key ? `${key.typeCode}:${key.alternateID}` : null;
}
