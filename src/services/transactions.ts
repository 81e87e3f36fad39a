/**
 * Posting a PosLog transaction (seeds/001 `postTransaction`; SPEC 6): in one database transaction,
 * store it as given, count it in its customer's lifetime and year-to-date activity summaries, and
 * with `DataSyncEnabled` queue the transaction's `CREATE` (Table H-3) and the customer's `UPDATE`
 * (Table H-1).
 *
 * A retail transaction id is posted once. Posting it again with the same content is a retry: it
 * answers as the first post did and changes nothing. Posting it again with other content is
 * refused with `TRANSACTION_ALREADY_EXISTS`.
 */
import { createHash } from "node:crypto";
import { toCustomerResponse, type CustomerResponse } from "../domain/customer-response.js";
import { CusthubError } from "../domain/errors.js";
import {
  applyTransaction,
  checkTransaction,
  transactionEffect,
  type PosLogTransaction,
} from "../domain/transactions.js";
import { findKeyHolders, keyId, loadCustomers } from "../store/customers.js";
import type { Database, Queryable } from "../store/database.js";
import {
  enqueueTransactionCreate,
  insertTransaction,
  readTransaction,
  type StoredTransaction,
} from "../store/transactions.js";
import { dataSyncEnabled, type ChangeContext } from "./customer-changes.js";
import { lockActiveCustomer, writeCustomerEdit } from "./customer-edits.js";

export type { PosLogTransaction, StoredTransaction };

export interface PostedTransaction {
  retailTransactionId: string;
  customerID: string;
  /** False when the id was already posted with this content: a retry, nothing done again. */
  created: boolean;
  /** Whether it counts in the summaries (a voided transaction does not). */
  counted: boolean;
  /** The customer's record, with its summaries as they now are. */
  record: CustomerResponse;
}

export class TransactionService {
  constructor(private readonly db: Database) {}

  async post(input: unknown, context: ChangeContext): Promise<PostedTransaction> {
    const transaction = checkTransaction(input);
    const json = JSON.stringify(transaction);
    const contentHash = createHash("sha256").update(json).digest("hex");
    const id = transaction.retailTransactionId;
    return this.db.transaction(async (tx) => {
      const earlier = await readTransaction(tx, id);
      if (earlier) return retry(tx, earlier, contentHash);

      const customer = await lockActiveCustomer(tx, await customerOf(tx, transaction));
      const effect = transactionEffect(transaction);
      const stored = await insertTransaction(tx, {
        retailTransactionId: id,
        customerID: customer.customerID,
        businessDate: transaction.businessDate,
        json,
        contentHash,
        counted: effect.counted,
        salesAmount: effect.salesAmount,
        returnsAmount: effect.returnsAmount,
        itemsSold: effect.itemsSold,
        itemsReturned: effect.itemsReturned,
        postedBy: `${context.channel}:${context.actor}`,
      });
      if (!stored) {
        // Posted by someone else since we looked; their post committed before our insert returned.
        const winner = await readTransaction(tx, id);
        if (!winner)
          throw new CusthubError("GENERAL_ERROR", `Transaction ${id} could not be stored.`);
        return retry(tx, winner, contentHash);
      }
      if (await dataSyncEnabled(tx)) {
        await enqueueTransactionCreate(tx, {
          retailTransactionId: id,
          customerID: customer.customerID,
          json,
        });
      }
      const outcome = await writeCustomerEdit(
        tx,
        customer,
        applyTransaction(customer, effect),
        "postTransaction",
        context,
      );
      return {
        retailTransactionId: id,
        customerID: customer.customerID,
        created: true,
        counted: effect.counted,
        record: outcome.record,
      };
    });
  }

  async get(retailTransactionId: string): Promise<StoredTransaction> {
    const stored = await readTransaction(this.db, retailTransactionId.trim());
    if (!stored) {
      throw new CusthubError(
        "TRANSACTION_NOT_FOUND",
        `No transaction ${retailTransactionId} was posted.`,
        { retailTransactionId },
      );
    }
    return stored;
  }
}

/** The customer the transaction names: `customerId`, which wins, or `customerKey`. */
async function customerOf(tx: Queryable, transaction: PosLogTransaction): Promise<string> {
  const { customerId } = transaction;
  if (customerId !== undefined && customerId !== null) return String(customerId);
  const key = transaction.customerKey!;
  const wanted = {
    typeCode: key.typeCode.trim().toUpperCase(),
    alternateID: key.alternateID.trim(),
  };
  const holder = (await findKeyHolders(tx, [wanted])).get(
    keyId(wanted.typeCode, wanted.alternateID),
  );
  if (!holder) {
    throw new CusthubError(
      "CUSTOMER_NOT_FOUND",
      `No active customer holds the transaction's customerKey (${wanted.typeCode}).`,
      { typeCode: wanted.typeCode },
    );
  }
  return holder;
}

async function retry(
  tx: Queryable,
  earlier: StoredTransaction,
  contentHash: string,
): Promise<PostedTransaction> {
  if (earlier.contentHash !== contentHash) {
    throw new CusthubError(
      "TRANSACTION_ALREADY_EXISTS",
      `Transaction ${earlier.retailTransactionId} was already posted with other content.`,
      { retailTransactionId: earlier.retailTransactionId, customerID: earlier.customerID },
    );
  }
  const customer = (await loadCustomers(tx, [earlier.customerID], { forUpdate: true })).get(
    earlier.customerID,
  )!;
  return {
    retailTransactionId: earlier.retailTransactionId,
    customerID: earlier.customerID,
    created: false,
    counted: earlier.counted,
    record: toCustomerResponse(customer.state),
  };
}
