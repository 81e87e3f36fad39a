/**
 * The data-sync message format (seeds/001 "Data Sync Job", Table H-5, and "Request Body
 * Examples"). A queued change (object name, method, unique id, JSON object) becomes one message
 * `{action, payload, type, uniqueId}`; messages travel in the envelope `{"messages": [...]}`.
 *
 * Pure: no I/O. The job, the Send Sample Message feature and the receiver simulator all build
 * and read messages through this module.
 */
import { CusthubError } from "./errors.js";

/** `OBJ_NAME` of the pending queues (seeds/001 "Pending Queues"). */
export type QueuedObjectName = "Customer" | "Transaction";
/** The method of a queued change: the pending queues' `ACTION` column. */
export type QueuedMethod = "CREATE" | "UPDATE" | "DELETE";

export type MessageType = "CUSTOMER" | "POSTRN";
export type MessageAction = "CUSTOMERCRE" | "CUSTOMERMOD" | "CUSTOMERDEL" | "POSTRNCRE";

/** One message; the property order is the document's (alphabetical, as its examples show). */
export interface DataSyncMessage {
  action: MessageAction;
  /** A string: the JSON text of the record or transaction, or the customerID for a delete. */
  payload: string;
  type: MessageType;
  /** The message's own id, stable across retries; also the `Idempotency-Key` header. */
  uniqueId: string;
}

interface MessageForm {
  objName: QueuedObjectName;
  method: QueuedMethod;
  type: MessageType;
  action: MessageAction;
  /** `json`: the queued JSON object (CustomerResponseType, TransactionType); `id`: the unique id. */
  payload: "json" | "id";
}

/** Table H-5 "Data Sync Job", row for row. */
export const TABLE_H5: readonly MessageForm[] = [
  {
    objName: "Customer",
    method: "CREATE",
    type: "CUSTOMER",
    action: "CUSTOMERCRE",
    payload: "json",
  },
  {
    objName: "Customer",
    method: "UPDATE",
    type: "CUSTOMER",
    action: "CUSTOMERMOD",
    payload: "json",
  },
  { objName: "Customer", method: "DELETE", type: "CUSTOMER", action: "CUSTOMERDEL", payload: "id" },
  {
    objName: "Transaction",
    method: "CREATE",
    type: "POSTRN",
    action: "POSTRNCRE",
    payload: "json",
  },
];

/** A row of the progress queue, as far as the message needs it. */
export interface QueuedChange {
  objName: string;
  method: string;
  /** The customerID, or the retail transaction id (seeds/001 `UNIQUE_ID`). */
  uniqueId: string;
  /** The JSON object as stored, unparsed, so its property order survives; null for a delete. */
  json: string | null;
  /** The message id custhub assigned when the change entered the progress queue. */
  messageId: string;
}

/**
 * The message for one queued change, per Table H-5.
 *
 * @example
 * toDataSyncMessage({ objName: "Customer", method: "DELETE", uniqueId: "2142", json: null, messageId: "7" })
 * // => { action: "CUSTOMERDEL", payload: "2142", type: "CUSTOMER", uniqueId: "7" }
 */
export function toDataSyncMessage(change: QueuedChange): DataSyncMessage {
  const form = TABLE_H5.find(
    (candidate) => candidate.objName === change.objName && candidate.method === change.method,
  );
  if (!form) {
    throw new CusthubError(
      "UNSUPPORTED_SYNC_MESSAGE",
      `Table H-5 has no message for ${change.objName} ${change.method}.`,
      { objName: change.objName, method: change.method, messageId: change.messageId },
    );
  }
  let payload: string;
  if (form.payload === "id") {
    payload = change.uniqueId;
  } else {
    if (change.json === null) {
      throw new CusthubError(
        "UNSUPPORTED_SYNC_MESSAGE",
        `${change.objName} ${change.method} needs its JSON object, and the queued row has none.`,
        { objName: change.objName, method: change.method, messageId: change.messageId },
      );
    }
    payload = change.json;
  }
  return { action: form.action, payload, type: form.type, uniqueId: change.messageId };
}

/** The request body: `{"messages":[...]}` (seeds/001 "Request Body Examples"). */
export function messageEnvelope(messages: readonly DataSyncMessage[]): string {
  return JSON.stringify({
    messages: messages.map(({ action, payload, type, uniqueId }) => ({
      action,
      payload,
      type,
      uniqueId,
    })),
  });
}

/** What Send Sample Message POSTs, exactly as the document shows it. */
export const SAMPLE_MESSAGE: Readonly<DataSyncMessage> = Object.freeze({
  action: "CUSTOMERCRE",
  payload: "Test message",
  type: "CUSTOMER",
  uniqueId: "0",
});
