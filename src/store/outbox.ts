/**
 * The data-sync pending queues (seeds/001 "Pending Queues"): rows written in the same transaction
 * as the change they announce.
 */
import type { Queryable } from "./database.js";

/** A queued message's JSON (kept as text, migration 0011) as data; null stays null (DELETE). */
export const parseMessage = (text: string | null): unknown =>
  text === null ? null : (JSON.parse(text) as unknown);

export interface CustomerChangeMessage {
  customerID: string;
  /** A DELETE carries no JSON (seeds/001); the others carry the customer's stored response text. */
  action: "CREATE" | "UPDATE" | "DELETE";
}

/**
 * Deleting a customer first removes every pending and in-progress row of that customer
 * (seeds/001: "all records related to the customer in the pending and in progress queues will
 * also be deleted"), and its dead letters with them: a dead letter is a progress row set aside
 * (docs/sync.md "Retries and dead letters"), and one that outlived the deletion would, re-queued,
 * send the deleted customer's CREATE or UPDATE after its DELETE and re-create it at the receiver.
 * "All records related to the customer" takes in its posted transactions' messages too, except
 * for the customers in `transactionsKept`: merged away, their transactions live on with the new
 * customer, and `requeueMergedTransactions` re-points their messages instead. One statement, so
 * one round trip whatever the number of queues.
 */
export async function dropQueuedForCustomers(
  tx: Queryable,
  customerIDs: readonly string[],
  transactionsKept: readonly string[] = [],
): Promise<void> {
  if (customerIDs.length === 0) return;
  await tx.query(
    `WITH customer_pending AS (
       DELETE FROM data_sync_cust_pending_queue WHERE unique_id = ANY($1::text[])
     ), transaction_pending AS (
       DELETE FROM data_sync_trn_pending_queue
        WHERE customer_id = ANY($1::text[]) AND NOT customer_id = ANY($2::text[])
     ), customer_progress AS (
       DELETE FROM data_sync_progress_queue
        WHERE source_queue = 'customer' AND unique_id = ANY($1::text[])
     ), transaction_progress AS (
       DELETE FROM data_sync_progress_queue
        WHERE source_queue = 'transaction' AND ordering_key = ANY($1::text[])
          AND NOT ordering_key = ANY($2::text[])
     ), dead_letters AS (
       DELETE FROM data_sync_dead_letters
        WHERE ordering_key = ANY($1::text[])
          AND NOT (source_queue = 'transaction' AND ordering_key = ANY($2::text[]))
     )
     SELECT 1`,
    [customerIDs, transactionsKept],
  );
}

/** A customer merged away, and the customer it was merged into. */
export interface MergedAway {
  customerID: string;
  mergedInto: string;
}

/**
 * A merge moves the merged-away customers' transactions to the new customer (seeds/003), so their
 * queued transaction messages go on, as the new customer's, instead of being dropped with the
 * customers' other rows. Call it after the new customer's CREATE is queued:
 * - a message still pending is queued again for the new customer, after that CREATE (the two
 *   pending queues share one id order), the messages keeping their order among themselves;
 * - a message already fanned out keeps its progress row, so its destination and its place (no
 *   destination that has it gets it again), and takes the new customer as its ordering key, so it
 *   stays in order with the new customer's messages for that destination;
 * - a dead letter is re-pointed alike, so a re-queue puts it among the new customer's messages.
 * The message itself (the transaction as posted) is left as it is.
 */
export async function requeueMergedTransactions(
  tx: Queryable,
  merged: readonly MergedAway[],
): Promise<void> {
  if (merged.length === 0) return;
  await tx.query(
    `WITH merged AS (
       SELECT * FROM unnest($1::text[], $2::text[]) AS m (customer_id, merged_into)
     ), pending AS (
       DELETE FROM data_sync_trn_pending_queue q USING merged
        WHERE q.customer_id = merged.customer_id
       RETURNING q.id, q.obj_name, q.unique_id, q.action, q.json_object, q.created_at,
                 merged.merged_into
     ), requeued AS (
       INSERT INTO data_sync_trn_pending_queue
              (id, obj_name, unique_id, action, json_object, customer_id, created_at)
       SELECT nextval('data_sync_cust_pending_queue_id_seq'), p.obj_name, p.unique_id, p.action,
              p.json_object, p.merged_into, p.created_at
         FROM (SELECT * FROM pending ORDER BY id) p
     ), progress AS (
       UPDATE data_sync_progress_queue p SET ordering_key = merged.merged_into
         FROM merged
        WHERE p.source_queue = 'transaction' AND p.ordering_key = merged.customer_id
     ), dead_letters AS (
       UPDATE data_sync_dead_letters d SET ordering_key = merged.merged_into
         FROM merged
        WHERE d.source_queue = 'transaction' AND d.ordering_key = merged.customer_id
     )
     SELECT 1`,
    [merged.map((one) => one.customerID), merged.map((one) => one.mergedInto)],
  );
}

/**
 * Queues the messages. The JSON of a CREATE or UPDATE is the customer's `response_text` as this
 * transaction just wrote it (`saveCustomers`), copied inside the database rather than sent twice.
 */
export async function enqueueCustomerChanges(
  tx: Queryable,
  messages: readonly CustomerChangeMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  await tx.query(
    `INSERT INTO data_sync_cust_pending_queue (unique_id, action, json_object)
     SELECT m.customer_id::text, m.action,
            CASE WHEN m.action = 'DELETE' THEN NULL ELSE c.response_text END
       FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS m (customer_id, action, position)
       JOIN customers c ON c.customer_id = m.customer_id
      ORDER BY m.position`,
    [messages.map((message) => message.customerID), messages.map((message) => message.action)],
  );
}

export interface PendingRow {
  id: string;
  objName: string;
  uniqueId: string;
  action: string;
  jsonObject: unknown;
}

export async function readCustomerPending(
  db: Queryable,
  customerID?: string,
): Promise<PendingRow[]> {
  const rows = await db.query<{
    id: string;
    obj_name: string;
    unique_id: string;
    action: string;
    json_object: string | null;
  }>(
    `SELECT id::text AS id, obj_name, unique_id, action, json_object
       FROM data_sync_cust_pending_queue
      WHERE $1::text IS NULL OR unique_id = $1::text ORDER BY data_sync_cust_pending_queue.id`,
    [customerID ?? null],
  );
  return rows.map((row) => ({
    id: row.id,
    objName: row.obj_name,
    uniqueId: row.unique_id,
    action: row.action,
    jsonObject: parseMessage(row.json_object),
  }));
}

export async function queueDepths(
  db: Queryable,
): Promise<{ customerPending: number; transactionPending: number; progress: number }> {
  const [row] = await db.query<{ c: string; t: string; p: string }>(
    `SELECT (SELECT count(*) FROM data_sync_cust_pending_queue)::text AS c,
            (SELECT count(*) FROM data_sync_trn_pending_queue)::text AS t,
            (SELECT count(*) FROM data_sync_progress_queue)::text AS p`,
  );
  return {
    customerPending: Number(row?.c ?? 0),
    transactionPending: Number(row?.t ?? 0),
    progress: Number(row?.p ?? 0),
  };
}
