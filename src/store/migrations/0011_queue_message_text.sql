-- The queued messages are kept as the JSON text custhub rendered, as `text`, not `json`: the text
-- is sent exactly as stored either way (the property order survives), and a `json` column made
-- PostgreSQL check every message's 2 KB of JSON again as it was queued, and again wherever a
-- message moved between queues with a cast. Every message is produced by JSON.stringify.
ALTER TABLE data_sync_cust_pending_queue ALTER COLUMN json_object TYPE text;
ALTER TABLE data_sync_trn_pending_queue ALTER COLUMN json_object TYPE text;
ALTER TABLE data_sync_progress_queue ALTER COLUMN json_object TYPE text;
ALTER TABLE data_sync_dead_letters ALTER COLUMN json_object TYPE text;

DO $$
BEGIN
  ALTER TABLE data_sync_cust_pending_queue ALTER COLUMN json_object SET COMPRESSION lz4;
  ALTER TABLE data_sync_progress_queue ALTER COLUMN json_object SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;
