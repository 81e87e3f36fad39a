/**
 * Reading customers: by customerID (as the response shape, its stored JSON text, or the full
 * state), by alternate key, their history, and finding them a page at a time. `CustomerService`
 * offers each of these as a method.
 */
import type { RecordCache } from "./record-cache.js";
import { canonicalCustomerID, type AlternateKey, type CustomerState } from "../domain/customer.js";
import { toCustomerResponse, type CustomerResponse } from "../domain/customer-response.js";
import { CusthubError, isCusthubError } from "../domain/errors.js";
import { emailTerm, nameTerms, phoneTerm, postalCodeTerm } from "../domain/search-terms.js";
import {
  findCustomers,
  findKeyHolders,
  keyId,
  loadCustomers,
  loadResponseText,
  readHistory,
  type HistoryEntry,
} from "../store/customers.js";
import type { Queryable } from "../store/database.js";
import { unknownKeyTypes } from "../store/reference-data.js";

export interface FindOptions {
  email?: string | undefined;
  phone?: string | undefined;
  name?: string | undefined;
  postalCode?: string | undefined;
  alternateKey?: AlternateKey | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface FindPage {
  items: CustomerResponse[];
  nextCursor: string | null;
}

const MAX_PAGE = 500;

/** A record as `getJson` reads it. */
export interface RecordText {
  text: string;
  /** Null for an active customer; for an inactive one, the customer it was merged into, if any. */
  inactive: { mergedInto: string | null } | null;
}

export async function readCustomer(db: Queryable, customerID: string): Promise<CustomerResponse> {
  return toCustomerResponse(await readCustomerState(db, customerID));
}

/**
 * The customer's record as JSON text, exactly `JSON.stringify(get(customerID))`: the text kept
 * when the customer was written, sent as it is (reads pay no parsing or rendering); from the
 * record cache when one is kept (`Hub.keepRecords`). The record's shape has no word for a
 * deleted or merged-away customer, so `inactive` says so; only active customers are cached.
 */
export async function readRecordText(
  db: Queryable,
  cache: RecordCache | undefined,
  customerID: string,
): Promise<RecordText> {
  customerID = canonicalCustomerID(customerID);
  const cached = cache?.get(customerID);
  if (cached !== undefined) return { text: cached, inactive: null };
  const begun = cache?.begin() ?? 0;
  const stored = await loadResponseText(db, customerID);
  const text = stored?.text ?? JSON.stringify(await readCustomer(db, customerID));
  if (stored === undefined || stored.active) {
    cache?.fill(customerID, text, begun);
    return { text, inactive: null };
  }
  return { text, inactive: { mergedInto: stored.mergedInto } };
}

/** The stored record with what the response shape leaves out: validation findings, inactive state. */
export async function readCustomerState(db: Queryable, customerID: string): Promise<CustomerState> {
  customerID = canonicalCustomerID(customerID);
  const found = (await loadCustomers(db, [customerID])).get(customerID);
  if (!found) {
    throw new CusthubError("CUSTOMER_NOT_FOUND", `No customer with customerID ${customerID}.`, {
      customerID,
    });
  }
  return found.state;
}

export async function readCustomerByKey(
  db: Queryable,
  typeCode: string,
  alternateID: string,
): Promise<CustomerResponse> {
  const key = { typeCode: typeCode.trim().toUpperCase(), alternateID: alternateID.trim() };
  const holder = (await findKeyHolders(db, [key])).get(keyId(key.typeCode, key.alternateID));
  if (!holder) {
    // A type no customer can hold (a typo, or one never added) is said, not left to be guessed.
    const knownType = (await unknownKeyTypes(db, [key.typeCode])).length === 0;
    throw new CusthubError(
      "CUSTOMER_NOT_FOUND",
      knownType
        ? `No active customer holds alternate key ${key.typeCode}.`
        : `No active customer holds alternate key ${key.typeCode}: ${key.typeCode} is not an alternate key type (alt-key-types list names them).`,
      { typeCode: key.typeCode, knownType },
    );
  }
  return readCustomer(db, holder);
}

export async function readCustomerHistory(
  db: Queryable,
  customerID: string,
): Promise<HistoryEntry[]> {
  await readCustomerState(db, customerID);
  return readHistory(db, customerID);
}

/** Customers matching every given criterion, a page at a time (cursor: the last customerID). */
export async function findCustomerPage(db: Queryable, options: FindOptions): Promise<FindPage> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), MAX_PAGE);
  if (options.alternateKey) {
    try {
      const record = await readCustomerByKey(
        db,
        options.alternateKey.typeCode,
        options.alternateKey.alternateID,
      );
      return { items: [record], nextCursor: null };
    } catch (error) {
      if (isCusthubError(error) && error.code === "CUSTOMER_NOT_FOUND")
        return { items: [], nextCursor: null };
      throw error;
    }
  }
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const states = await findCustomers(db, {
    email: options.email === undefined ? undefined : emailTerm(options.email),
    phone: options.phone === undefined ? undefined : phoneTerm(options.phone),
    postalCode: options.postalCode === undefined ? undefined : postalCodeTerm(options.postalCode),
    nameTokens: options.name === undefined ? undefined : nameTerms(options.name),
    after,
    limit: limit + 1,
  });
  const page = states.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toCustomerResponse),
    nextCursor: states.length > limit && last ? encodeCursor(last.customerID) : null,
  };
}

function encodeCursor(customerID: string): string {
  return Buffer.from(`c:${customerID}`).toString("base64url");
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, "base64url").toString();
  const match = /^c:(\d{1,18})$/.exec(decoded);
  if (!match)
    throw new CusthubError("INVALID_REQUEST", "The cursor is not one this API returned.", {
      cursor,
    });
  return match[1]!;
}
