/**
 * A failed delivery as a run sees it: whether the receiver asked to slow down, the code a log line
 * gives it, and the words the run record names it with.
 */
import type { ClaimedRow } from "../store/sync-deliveries.js";
import type { DeliveryResult } from "./destination.js";

export type Failure = Extract<DeliveryResult, { kind: "failed" | "rejected" }>;

/**
 * A receiver asking the sender, not the message, to wait: a 429 (too many requests, with or
 * without Retry-After), or a Retry-After of some time on a 503 (`retryAfterMs` reads it on those
 * two only; a 503 saying "retry now" is an outage, not a request to slow down).
 */
export function asksToSlowDown(result: Failure): boolean {
  if (result.kind !== "failed") return false;
  return result.status === 429 || (result.retryAfterMs ?? 0) > 0;
}

/**
 * A log's code for a failed delivery: the receiver answered something else than success, no
 * answer came (`DELIVERY_FAILED`, as `HttpClient` names a transport failure), or the message can
 * never be sent (dead-lettered at once).
 */
export function failureCode(result: Failure): string {
  if (result.kind === "rejected") return "DELIVERY_REJECTED";
  return result.status === null ? "DELIVERY_FAILED" : "DELIVERY_REFUSED";
}

/** The customer a row is about, and the transaction for a transaction's row, for log lines. */
export function subjectOf(row: ClaimedRow): { customerID: string | null; transactionID?: string } {
  if (row.objName !== "Transaction") return { customerID: row.uniqueId };
  // A transaction is ordered under its customer, or under itself when it has none.
  const customerID = row.orderingKey === row.uniqueId ? null : row.orderingKey;
  return { customerID, transactionID: row.uniqueId };
}

/**
 * A failed delivery as the run record (and the line logged when the run ends) names it: the
 * message, its customer, the receiver's status. The receiver's words stay out: they may echo the
 * customer's data, and the run record is shown to every role, logged, and not erased with a
 * customer. They are kept with the message instead (its progress row, dead letter and run result),
 * which goes with the customer. Only a delivery that got no answer says why in words: that error
 * is custhub's own account of the request (refused, timed out, dropped).
 */
export function describeFailure(row: ClaimedRow, result: Failure): string {
  const { customerID, transactionID } = subjectOf(row);
  const about =
    transactionID === undefined
      ? `customer ${customerID ?? "-"}`
      : `transaction ${transactionID}${customerID === null ? "" : ` of customer ${customerID}`}`;
  const status = result.status ?? null;
  const answer = status === null ? "" : ` (HTTP ${status})`;
  const what =
    result.kind === "rejected"
      ? `can never be sent${answer}, see its dead letter`
      : status === null
        ? result.error
        : `HTTP ${status}`;
  return `message ${row.messageId} (${about}): ${what}`;
}
