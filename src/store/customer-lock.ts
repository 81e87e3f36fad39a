/** One customer's document, locked for the rest of the transaction. */
import type { CustomerState } from "../domain/customer.js";
import { parseRecord } from "./customers.js";
import type { Queryable } from "./database.js";

/**
 * The customer's stored document with its row locked (`FOR UPDATE`), so that two operations on
 * one customer at once apply one after the other and neither loses the other's change (two
 * transactions posted together both count). Null when no customer has the id.
 */
export async function loadCustomerForUpdate(
  tx: Queryable,
  customerID: string,
): Promise<CustomerState | null> {
  if (!/^\d{1,18}$/.test(customerID)) return null;
  const [row] = await tx.query<{ record: string }>(
    "SELECT record FROM customers WHERE customer_id = $1::bigint FOR UPDATE",
    [customerID],
  );
  return row ? parseRecord(row.record) : null;
}
