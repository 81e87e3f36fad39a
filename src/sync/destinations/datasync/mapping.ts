/** A progress row to its data-sync message: Table H-5 (seeds/001), through src/domain/sync-messages. */
import { toDataSyncMessage, type DataSyncMessage } from "../../../domain/sync-messages.js";
import type { ClaimedRow } from "../../../store/sync-deliveries.js";

export function dataSyncMessageOf(row: ClaimedRow): DataSyncMessage {
  return toDataSyncMessage({
    objName: row.objName,
    method: row.action,
    uniqueId: row.uniqueId,
    json: row.json,
    messageId: row.messageId,
  });
}
