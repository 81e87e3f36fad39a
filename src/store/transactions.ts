/**
 * Posted PosLog transactions, and their rows in the transaction pending queue (seeds/001 Table H-3:
 * `OBJ_NAME` Transaction, `UNIQUE_ID` the retail transaction id, action `CREATE`).
 */
import type { Queryable } from "./database.js";

export interface TransactionRow {
  retailTransactionId: string;
  customerID: string;
  businessDate: string;
  /** The transaction's JSON text, as posted. */
  json: string;
  contentHash: string;
  counted: boolean;
  salesAmount: string;
  returnsAmount: string;
  itemsSold: string;
  itemsReturned: string;
  postedBy: string;
}

export interface StoredTransaction {
  retailTransactionId: string;
  customerID: string;
  businessDate: string;
  contentHash: string;
  counted: boolean;
  postedAt: Date;
  transaction: unknown;
}

/** A merge's transactions follow the customers into the merged one (seeds/003 Table 2-3). */
export async function moveTransactions(
  tx: Queryable,
  fromCustomerIDs: readonly string[],
  toCustomerID: string,
): Promise<void> {
  await tx.query(
    "UPDATE transactions SET customer_id = $2::bigint WHERE customer_id = ANY($1::bigint[])",
    [fromCustomerIDs, toCustomerID],
  );
}

/** Stores the transaction; false when its retail transaction id is already stored. */
export async function insertTransaction(tx: Queryable, row: TransactionRow): Promise<boolean> {
  const inserted = await tx.query(
    `INSERT INTO transactions (retail_transaction_id, customer_id, business_date, transaction_json,
                               content_hash, counted, sales_amount, returns_amount, items_sold,
                               items_returned, posted_by)
     VALUES ($1, $2::bigint, $3::date, $4::json, $5, $6, $7::numeric, $8::numeric, $9::numeric,
             $10::numeric, $11)
     ON CONFLICT (retail_transaction_id) DO NOTHING
     RETURNING retail_transaction_id`,
    [
      row.retailTransactionId,
      row.customerID,
      row.businessDate,
      row.json,
      row.contentHash,
      row.counted,
      row.salesAmount,
      row.returnsAmount,
      row.itemsSold,
      row.itemsReturned,
      row.postedBy,
    ],
  );
  return inserted.length > 0;
}

export async function readTransaction(
  db: Queryable,
  retailTransactionId: string,
): Promise<StoredTransaction | null> {
  const [row] = await db.query<{
    retail_transaction_id: string;
    customer_id: string;
    business_date: string;
    content_hash: string;
    counted: boolean;
    posted_at: Date;
    transaction_json: unknown;
  }>(
    `SELECT retail_transaction_id, customer_id::text AS customer_id,
            to_char(business_date, 'YYYY-MM-DD') AS business_date, content_hash, counted, posted_at,
            transaction_json
       FROM transactions WHERE retail_transaction_id = $1`,
    [retailTransactionId],
  );
  if (!row) return null;
  return {
    retailTransactionId: row.retail_transaction_id,
    customerID: row.customer_id,
    businessDate: row.business_date,
    contentHash: row.content_hash,
    counted: row.counted,
    postedAt: row.posted_at,
    transaction:
      typeof row.transaction_json === "string"
        ? (JSON.parse(row.transaction_json) as unknown)
        : row.transaction_json,
  };
}

/** Queues the transaction's `CREATE` (seeds/001 Table H-3), ordered with its customer's rows. */
export async function enqueueTransactionCreate(
  tx: Queryable,
  message: { retailTransactionId: string; customerID: string; json: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO data_sync_trn_pending_queue (obj_name, unique_id, action, json_object, customer_id)
     VALUES ('Transaction', $1, 'CREATE', $2, $3)`,
    [message.retailTransactionId, message.json, message.customerID],
  );
}

export interface TransactionPendingRow {
  id: string;
  objName: string;
  uniqueId: string;
  action: string;
  customerID: string | null;
  /** The JSON object as queued, unparsed. */
  json: string | null;
}

/** The transaction pending queue, oldest first. */
export async function readTransactionPending(db: Queryable): Promise<TransactionPendingRow[]> {
  const rows = await db.query<{
    id: string;
    obj_name: string;
    unique_id: string;
    action: string;
    customer_id: string | null;
    json: string | null;
  }>(
    `SELECT id::text AS id, obj_name, unique_id, action, customer_id, json_object::text AS json
       FROM data_sync_trn_pending_queue ORDER BY data_sync_trn_pending_queue.id`,
  );
  return rows.map((row) => ({
    id: row.id,
    objName: row.obj_name,
    uniqueId: row.unique_id,
    action: row.action,
    customerID: row.customer_id,
    json: row.json,
  }));
}
