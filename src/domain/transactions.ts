/**
 * Posted PosLog transactions (seeds/001 Table H-1 and H-3 `postTransaction`; the `TransactionType`
 * example payload) and what they do to the customer's activity summaries. Pure: the service
 * stores, links and queues.
 *
 * custhub reads only the parts of a transaction listed in `PosLogTransaction` and keeps the whole
 * of it as given. The rules (docs/customer-record.md "Activity summaries"):
 *
 * - A transaction with `voidFlag` true is stored and queued but counts for nothing.
 * - Line items: a non-void line whose `lineItemTypeCode` is `Sale` (any case) sells its `quantity`
 *   (1 when absent), one whose type is `Return` returns it. Other lines (`Tender`, `Tax`, ...)
 *   count no items.
 * - Amount: the transaction's `subtotal` (merchandise, before tax). A transaction is a return when
 *   its subtotal is negative, or when it has return lines and no sale lines: its |subtotal| adds to
 *   the returns amount. Otherwise its subtotal adds to the sales amount.
 * - Every counted transaction adds one to the transaction count.
 * - A sale (not a return, with items sold or a subtotal above zero) moves `firstPurchaseDate` and
 *   `lastPurchaseDate` to its `businessDate` when that is earlier / later.
 * - Year to date: the summary counts one calendar year (`CustomerState.yearToDateYear`). A
 *   transaction of a later year starts it afresh at zero; one of an earlier year counts in the
 *   lifetime summary only; a customer with no year yet takes the transaction's.
 */
import type { Applied } from "./apply-request.js";
import { emptyActivitySummary, type ActivitySummary, type CustomerState } from "./customer.js";
import { CusthubError } from "./errors.js";
import { isCalendarDate } from "./rules/profile.js";

/** The parts of a `TransactionType` custhub reads; everything else is kept as given. */
export interface PosLogTransaction {
  retailTransactionId: string;
  businessDate: string;
  /** A customerID; a whole number is taken as its digits. */
  customerId?: string | number | null;
  customerKey?: { typeCode: string; alternateID: string } | null;
  voidFlag?: boolean | null;
  subtotal: number;
  lineItems?: PosLogLineItem[] | null;
  [property: string]: unknown;
}

export interface PosLogLineItem {
  lineItemTypeCode?: string | null;
  voidFlag?: boolean | null;
  quantity?: number | null;
  [property: string]: unknown;
}

/** Limits on what a transaction may carry. */
export const MAX_AMOUNT = 1e12;
export const MAX_QUANTITY = 1e6;
export const MAX_LINE_ITEMS = 1000;
export const RETAIL_TRANSACTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

const invalid = (field: string, message: string): CusthubError =>
  new CusthubError("INVALID_REQUEST", message, { field });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Checks what custhub reads of a transaction, naming the field at fault; returns the transaction
 * itself, unchanged.
 */
export function checkTransaction(input: unknown): PosLogTransaction {
  if (!isObject(input)) throw invalid("transaction", "A transaction is a JSON object.");
  const id = input.retailTransactionId;
  if (typeof id !== "string" || !RETAIL_TRANSACTION_ID.test(id)) {
    throw invalid(
      "retailTransactionId",
      "retailTransactionId is 1-64 letters, digits, '_' or '-'.",
    );
  }
  const date = input.businessDate;
  const match = typeof date === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date) : null;
  if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new CusthubError(
      "INVALID_DATE_FORMAT",
      "businessDate must be a real date as YYYY-MM-DD.",
      {
        field: "businessDate",
      },
    );
  }
  const customerId = input.customerId;
  if (customerId !== undefined && customerId !== null) {
    const digits = typeof customerId === "number" ? String(customerId) : customerId;
    if (typeof digits !== "string" || !/^\d{1,18}$/.test(digits)) {
      throw invalid("customerId", "customerId is a customerID: a string of 1-18 digits.");
    }
  }
  const key = input.customerKey;
  if (key !== undefined && key !== null) {
    if (
      !isObject(key) ||
      typeof key.typeCode !== "string" ||
      key.typeCode.trim() === "" ||
      typeof key.alternateID !== "string" ||
      key.alternateID.trim() === ""
    ) {
      throw invalid("customerKey", "customerKey is {typeCode, alternateID}, both not blank.");
    }
  }
  if ((customerId ?? null) === null && (key ?? null) === null) {
    throw invalid(
      "customerId",
      "The transaction names no customer: give customerId or customerKey.",
    );
  }
  if (
    input.voidFlag !== undefined &&
    input.voidFlag !== null &&
    typeof input.voidFlag !== "boolean"
  ) {
    throw invalid("voidFlag", "voidFlag is true or false.");
  }
  checkAmount(input.subtotal, "subtotal");
  const lines = input.lineItems;
  if (lines !== undefined && lines !== null) {
    if (!Array.isArray(lines)) throw invalid("lineItems", "lineItems is a list.");
    if (lines.length > MAX_LINE_ITEMS) {
      throw invalid("lineItems", `A transaction carries at most ${MAX_LINE_ITEMS} line items.`);
    }
    lines.forEach((line: unknown, index) => {
      const at = `lineItems[${index}]`;
      if (!isObject(line)) throw invalid(at, "A line item is a JSON object.");
      const type = line.lineItemTypeCode;
      if (type !== undefined && type !== null && typeof type !== "string") {
        throw invalid(`${at}.lineItemTypeCode`, "lineItemTypeCode is a string.");
      }
      if (
        line.voidFlag !== undefined &&
        line.voidFlag !== null &&
        typeof line.voidFlag !== "boolean"
      ) {
        throw invalid(`${at}.voidFlag`, "voidFlag is true or false.");
      }
      const quantity = line.quantity;
      if (
        quantity !== undefined &&
        quantity !== null &&
        (typeof quantity !== "number" ||
          !Number.isFinite(quantity) ||
          quantity < 0 ||
          quantity > MAX_QUANTITY)
      ) {
        throw invalid(`${at}.quantity`, `quantity is a number from 0 to ${MAX_QUANTITY}.`);
      }
    });
  }
  return input as PosLogTransaction;
}

function checkAmount(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > MAX_AMOUNT) {
    throw invalid(field, `${field} is a number from -${MAX_AMOUNT} to ${MAX_AMOUNT}.`);
  }
  return value;
}

/** What one transaction adds to its customer's summaries; amounts as decimal strings. */
export interface TransactionEffect {
  counted: boolean;
  businessDate: string;
  salesAmount: string;
  returnsAmount: string;
  itemsSold: string;
  itemsReturned: string;
  /** A sale: it moves the first and last purchase dates. */
  purchase: boolean;
}

/** The effect of a checked transaction, by the rules at the top of this module. */
export function transactionEffect(transaction: PosLogTransaction): TransactionEffect {
  const none = {
    businessDate: transaction.businessDate,
    salesAmount: "0",
    returnsAmount: "0",
    itemsSold: "0",
    itemsReturned: "0",
    purchase: false,
  };
  if (transaction.voidFlag === true) return { counted: false, ...none };
  let itemsSold = "0";
  let itemsReturned = "0";
  let saleLines = 0;
  let returnLines = 0;
  for (const line of transaction.lineItems ?? []) {
    if (line.voidFlag === true) continue;
    const type = (line.lineItemTypeCode ?? "").trim().toUpperCase();
    const quantity = decimalOf(line.quantity ?? 1);
    if (type === "SALE") {
      saleLines += 1;
      itemsSold = addDecimals(itemsSold, quantity);
    } else if (type === "RETURN") {
      returnLines += 1;
      itemsReturned = addDecimals(itemsReturned, quantity);
    }
  }
  const subtotal = decimalOf(transaction.subtotal);
  const negative = subtotal.startsWith("-");
  const isReturn = negative || (returnLines > 0 && saleLines === 0);
  const magnitude = negative ? subtotal.slice(1) : subtotal;
  return {
    ...none,
    counted: true,
    salesAmount: isReturn ? "0" : magnitude,
    returnsAmount: isReturn ? magnitude : "0",
    itemsSold,
    itemsReturned,
    purchase: !isReturn && (itemsSold !== "0" || magnitude !== "0"),
  };
}

function addToSummary(summary: ActivitySummary, effect: TransactionEffect): ActivitySummary {
  return {
    totalReturnsAmount: addDecimals(summary.totalReturnsAmount, effect.returnsAmount),
    totalSalesAmount: addDecimals(summary.totalSalesAmount, effect.salesAmount),
    totalTransactionCount: addDecimals(summary.totalTransactionCount, "1"),
    totalItemsSoldCount: addDecimals(summary.totalItemsSoldCount, effect.itemsSold),
    totalItemsReturnedCount: addDecimals(summary.totalItemsReturnedCount, effect.itemsReturned),
  };
}

/** The customer with the transaction counted; null when it counts for nothing (void). */
export function applyTransaction(state: CustomerState, effect: TransactionEffect): Applied | null {
  if (!effect.counted) return null;
  const next = structuredClone(state);
  const changedFields = ["lifetimeActivitySummary"];
  next.lifetimeActivitySummary = addToSummary(next.lifetimeActivitySummary, effect);

  const year = Number(effect.businessDate.slice(0, 4));
  const held = next.yearToDateYear ?? null;
  if (held === null || year >= held) {
    const base =
      held !== null && year > held ? emptyActivitySummary() : next.yearToDateActivitySummary;
    next.yearToDateActivitySummary = addToSummary(base, effect);
    next.yearToDateYear = year;
    changedFields.push("yearToDateActivitySummary");
  }
  if (effect.purchase) {
    if (next.firstPurchaseDate === null || effect.businessDate < next.firstPurchaseDate) {
      next.firstPurchaseDate = effect.businessDate;
      changedFields.push("firstPurchaseDate");
    }
    if (next.lastPurchaseDate === null || effect.businessDate > next.lastPurchaseDate) {
      next.lastPurchaseDate = effect.businessDate;
      changedFields.push("lastPurchaseDate");
    }
  }
  return { state: next, changedFields, deletedAlternateKeys: [] };
}

// Decimal strings --------------------------------------------------------------------------------

/**
 * A JSON number as a plain decimal string, exactly as JavaScript reads it (`79.5`, `1325`), never
 * in exponent form.
 */
export function decimalOf(value: number): string {
  let text = String(value);
  if (/e/i.test(text)) text = value.toFixed(12);
  return normalizeDecimal(text);
}

function normalizeDecimal(text: string): string {
  const negative = text.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const trimmedWhole = whole.replace(/^0+(?=\d)/, "");
  const trimmedFraction = fraction.replace(/0+$/, "");
  const body = trimmedFraction === "" ? trimmedWhole : `${trimmedWhole}.${trimmedFraction}`;
  return negative && /[1-9]/.test(body) ? `-${body}` : body;
}

/**
 * Adds two decimal strings exactly (amounts carry cents; floating point would drift), giving the
 * shortest form: `addDecimals("12.50", "0.5")` is `"13"`.
 */
export function addDecimals(a: string, b: string): string {
  const parse = (text: string) => {
    const negative = text.startsWith("-");
    const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".");
    return { negative, whole, fraction };
  };
  const left = parse(a);
  const right = parse(b);
  const scale = Math.max(left.fraction.length, right.fraction.length);
  const units = (part: ReturnType<typeof parse>): bigint => {
    const value = BigInt((part.whole || "0") + part.fraction.padEnd(scale, "0"));
    return part.negative ? -value : value;
  };
  const total = units(left) + units(right);
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, "0");
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return normalizeDecimal(negative ? `-${text}` : text);
}
