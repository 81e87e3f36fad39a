-- The planner never filters on the documents a row carries: the customer's record and response
-- text, the queued message. ANALYZE (run after a large import; docs/storage.md, "Statistics after
-- an import") would read each sampled row's document whole, tens of MB of text it then throws
-- away, so these columns are left out of the statistics.
ALTER TABLE customers ALTER COLUMN record SET STATISTICS 0;
ALTER TABLE customers ALTER COLUMN response_text SET STATISTICS 0;
ALTER TABLE data_sync_cust_pending_queue ALTER COLUMN json_object SET STATISTICS 0;
