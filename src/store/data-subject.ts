/** What a data-subject request reads and scrubs beyond the customer's own row (SPEC 9). */
import type { Queryable } from "./database.js";
import { parseMessage } from "./outbox.js";

export interface QueuedMessage {
  queue: "pending" | "progress" | "dead-letter";
  action: string;
  jsonObject: unknown;
}

/** Every message about the customer still waiting in a queue, with the data it carries. */
export async function readQueuedMessages(
  db: Queryable,
  customerID: string,
): Promise<QueuedMessage[]> {
  const rows = await db.query<{
    queue: QueuedMessage["queue"];
    action: string;
    json_object: string | null;
  }>(
    `SELECT 'pending' AS queue, action, json_object FROM data_sync_cust_pending_queue WHERE unique_id = $1
     UNION ALL
     SELECT 'progress', action, json_object FROM data_sync_progress_queue WHERE source_queue = 'customer' AND unique_id = $1
     UNION ALL
     SELECT 'dead-letter', action, json_object FROM data_sync_dead_letters WHERE source_queue = 'customer' AND unique_id = $1`,
    [customerID],
  );
  return rows.map((row) => ({
    queue: row.queue,
    action: row.action,
    jsonObject: parseMessage(row.json_object),
  }));
}

/**
 * Removes the personal data an erasure must not leave behind beyond the queues (its queued rows
 * and dead letters, whose JSON holds the record, go as for any deletion: dropQueuedForCustomers):
 * the keys that name it in the batch import review, and the receivers' errors kept with its
 * messages' run results (a receiver's refusal may echo the record; docs/sync.md "What is logged").
 * The results themselves stay, as the record of what was sent.
 */
export async function scrubCustomerTraces(
  tx: Queryable,
  customerID: string,
  keys: readonly string[],
): Promise<void> {
  await tx.query(
    `UPDATE sync_run_results SET error = NULL
      WHERE error IS NOT NULL
        AND ((obj_name = 'Customer' AND unique_id = $1)
             OR (obj_name = 'Transaction' AND unique_id IN (
                   SELECT retail_transaction_id FROM transactions WHERE customer_id = $1::bigint)))`,
    [customerID],
  );
  await tx.query(
    "UPDATE import_review_rows SET block_key = NULL WHERE block_key = ANY($1::text[])",
    [[...keys, `CustomerID:${customerID}`]],
  );
}
