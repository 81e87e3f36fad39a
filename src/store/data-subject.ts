/** What a data-subject request reads and scrubs beyond the customer's own row (SPEC 9). */
import type { Queryable } from "./database.js";
import { parseMessage } from "./outbox.js";

export interface QueuedMessage {
  queue: "pending" | "progress" | "dead-letter";
  /** `Customer`, or `Transaction` for a message of one of its posted transactions. */
  objName: string;
  uniqueId: string;
  action: string;
  /** Which destination's queue holds it; null while pending (not yet fanned out). */
  destination: string | null;
  jsonObject: unknown;
  /** The receiver's answer to its last attempt (its words may repeat the record). */
  lastError: string | null;
}

/**
 * Every message about the customer still waiting in a queue, with the data it carries: its own
 * and its transactions' (a transaction's PosLog JSON may name the person), the rows a deletion or
 * an erasure drops (dropQueuedForCustomers).
 */
export async function readQueuedMessages(
  db: Queryable,
  customerID: string,
): Promise<QueuedMessage[]> {
  const rows = await db.query<{
    queue: QueuedMessage["queue"];
    obj_name: string;
    unique_id: string;
    action: string;
    destination: string | null;
    json_object: string | null;
    last_error: string | null;
  }>(
    `SELECT queue, obj_name, unique_id, action, destination, json_object, last_error FROM (
       SELECT 1 AS place, id, 'pending' AS queue, obj_name, unique_id, action,
              NULL::text AS destination, json_object::text AS json_object,
              NULL::text AS last_error
         FROM data_sync_cust_pending_queue WHERE unique_id = $1
       UNION ALL
       SELECT 1, id, 'pending', obj_name, unique_id, action, NULL, json_object::text, NULL
         FROM data_sync_trn_pending_queue WHERE customer_id = $1
       UNION ALL
       SELECT 2, id, 'progress', obj_name, unique_id, action, destination, json_object::text,
              last_error
         FROM data_sync_progress_queue
        WHERE (source_queue = 'customer' AND unique_id = $1)
           OR (source_queue = 'transaction' AND ordering_key = $1)
       UNION ALL
       SELECT 3, id, 'dead-letter', obj_name, unique_id, action, destination, json_object::text,
              last_error
         FROM data_sync_dead_letters WHERE ordering_key = $1
     ) AS held ORDER BY place, id`,
    [customerID],
  );
  return rows.map((row) => ({
    queue: row.queue,
    objName: row.obj_name,
    uniqueId: row.unique_id,
    action: row.action,
    destination: row.destination,
    jsonObject: parseMessage(row.json_object),
    lastError: row.last_error,
  }));
}

/** What a run did with one of the customer's messages (sync_run_results), kept for review. */
export interface HeldRunResult {
  runId: string;
  destination: string;
  objName: string;
  uniqueId: string;
  action: string;
  outcome: string;
  status: number | null;
  /** The receiver's words, when it refused; an erasure blanks them. */
  error: string | null;
  at: Date;
}

/** The run results of the customer's messages and of its transactions'. */
export async function readRunResults(db: Queryable, customerID: string): Promise<HeldRunResult[]> {
  const rows = await db.query<{
    run_id: string;
    destination: string;
    obj_name: string;
    unique_id: string;
    action: string;
    outcome: string;
    status: number | null;
    error: string | null;
    at: Date;
  }>(
    `SELECT run_id::text AS run_id, destination, obj_name, unique_id, action, outcome, status,
            error, at
       FROM sync_run_results
      WHERE (obj_name = 'Customer' AND unique_id = $1)
         OR (obj_name = 'Transaction' AND unique_id IN (
               SELECT retail_transaction_id FROM transactions WHERE customer_id = $1::bigint))
      ORDER BY id`,
    [customerID],
  );
  return rows.map((row) => ({
    runId: row.run_id,
    destination: row.destination,
    objName: row.obj_name,
    uniqueId: row.unique_id,
    action: row.action,
    outcome: row.outcome,
    status: row.status,
    error: row.error,
    at: row.at,
  }));
}

/** A posted transaction of the customer, as stored (its PosLog JSON may name the person). */
export interface HeldTransaction {
  retailTransactionId: string;
  businessDate: string;
  transaction: unknown;
}

export async function readTransactionsOf(
  db: Queryable,
  customerID: string,
): Promise<HeldTransaction[]> {
  const rows = await db.query<{
    retail_transaction_id: string;
    business_date: string;
    transaction_json: string;
  }>(
    `SELECT retail_transaction_id, to_char(business_date, 'YYYY-MM-DD') AS business_date,
            transaction_json::text AS transaction_json
       FROM transactions WHERE customer_id = $1::bigint
      ORDER BY business_date, retail_transaction_id`,
    [customerID],
  );
  return rows.map((row) => ({
    retailTransactionId: row.retail_transaction_id,
    businessDate: row.business_date,
    transaction: JSON.parse(row.transaction_json) as unknown,
  }));
}

/** An alternate key row of a customer, inactive ones (replaced, or of a retired record) too. */
export interface HeldKeyRow {
  customerID: string;
  typeCode: string;
  alternateID: string;
  active: boolean;
}

/** Every alternate key row of the customers, active or not. */
export async function readKeyRows(
  db: Queryable,
  customerIDs: readonly string[],
): Promise<HeldKeyRow[]> {
  const rows = await db.query<{
    customer_id: string;
    type_code: string;
    alternate_id: string;
    active: boolean;
  }>(
    `SELECT customer_id::text AS customer_id, type_code, alternate_id, active
       FROM customer_alternate_keys
      WHERE customer_id = ANY($1::bigint[]) ORDER BY customer_id, type_code, alternate_id`,
    [customerIDs],
  );
  return rows.map((row) => ({
    customerID: row.customer_id,
    typeCode: row.type_code,
    alternateID: row.alternate_id,
    active: row.active,
  }));
}

/** The keys as the batch import review names them: `TYPE:ID`. */
export const keyNames = (rows: readonly HeldKeyRow[]): string[] =>
  rows.map((row) => `${row.typeCode}:${row.alternateID}`);

/**
 * An import file on disk that may hold the customers' data: the archived copy of a file that
 * applied a block to one of them or failed a block naming one of their keys, its failures file,
 * or its copy in failed/. custhub keeps them as the sender gave them; it does not edit them.
 */
export interface HeldImportFile {
  importId: string;
  fileName: string;
  path: string;
}

export async function importFilesHolding(
  db: Queryable,
  customerIDs: readonly string[],
  keys: readonly string[],
): Promise<HeldImportFile[]> {
  const rows = await db.query<{ id: string; file_name: string; path: string }>(
    `SELECT i.id::text AS id, i.file_name, p.path
       FROM imports i
       CROSS JOIN LATERAL (VALUES (1, i.archived_path), (2, i.failed_file_path), (3, i.failures_path))
                  AS p (place, path)
      WHERE p.path IS NOT NULL
        AND (EXISTS (SELECT 1 FROM import_applied_blocks a, jsonb_array_elements(a.blocks) AS b
                      WHERE a.import_id = i.id AND b->>'customerID' = ANY($1::text[]))
             OR EXISTS (SELECT 1 FROM import_review_rows r
                         WHERE r.import_id = i.id AND r.block_key = ANY($2::text[])))
      ORDER BY i.id, p.place`,
    [customerIDs, [...keys, ...customerIDs.map((id) => `CustomerID:${id}`)]],
  );
  return rows.map((row) => ({ importId: row.id, fileName: row.file_name, path: row.path }));
}

/**
 * Removes the personal data an erasure must not leave behind beyond the customer's record (its
 * queued rows and dead letters, whose JSON holds the record, go as for any deletion:
 * dropQueuedForCustomers): every alternate key row, inactive ones too (a replaced key stays as an
 * inactive row otherwise); the keys that name it in the batch import review; the receivers'
 * errors kept with its messages' run results (a receiver's refusal may echo the record;
 * docs/sync.md "What is logged"); and the PosLog content of its transactions, which may name the
 * person. The run results stay, as the record of what was sent, and each transaction keeps its id,
 * business date and the amounts it added to the customer's summaries.
 */
export async function scrubCustomerTraces(
  tx: Queryable,
  customerIDs: readonly string[],
  keys: readonly string[],
  erasedAt: string,
): Promise<void> {
  await tx.query(
    `UPDATE sync_run_results SET error = NULL
      WHERE error IS NOT NULL
        AND ((obj_name = 'Customer' AND unique_id = ANY($1::text[]))
             OR (obj_name = 'Transaction' AND unique_id IN (
                   SELECT retail_transaction_id FROM transactions
                    WHERE customer_id = ANY($1::bigint[]))))`,
    [customerIDs],
  );
  await tx.query(
    "UPDATE import_review_rows SET block_key = NULL WHERE block_key = ANY($1::text[])",
    [[...keys, ...customerIDs.map((id) => `CustomerID:${id}`)]],
  );
  await tx.query("DELETE FROM customer_alternate_keys WHERE customer_id = ANY($1::bigint[])", [
    customerIDs,
  ]);
  await tx.query(
    `UPDATE transactions
        SET transaction_json = json_build_object(
              'retailTransactionId', retail_transaction_id,
              'businessDate', to_char(business_date, 'YYYY-MM-DD'),
              'customerId', customer_id::text,
              'erasedAt', $2::text)
      WHERE customer_id = ANY($1::bigint[])`,
    [customerIDs, erasedAt],
  );
}
