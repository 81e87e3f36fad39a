-- The customer record is kept as the JSON text custhub renders, not as jsonb: every write of a
-- customer used to make PostgreSQL parse about 2 KB of JSON into jsonb, the largest single cost
-- of a batch import, and every read turned it back into text for the client to parse again.
-- custhub reads the record whole; SQL that looks inside it casts (record::jsonb).
ALTER TABLE customers ALTER COLUMN record TYPE text USING record::text;

-- A customer row (record, response text, search columns: about 5 KB) is kept whole in its table
-- page: PostgreSQL compresses its longest values until the row fits in 4 KB, instead of moving one
-- out to the TOAST table once it passes the default 2 KB, which cost a second insert per write.
ALTER TABLE customers SET (toast_tuple_target = 4080);

-- The record, its rendered response and the queued message are compressed with lz4 where the
-- server has it: several times faster than the default pglz for the same JSON, at about the same
-- size. A build without lz4 (PGlite's) keeps pglz.
DO $$
BEGIN
  ALTER TABLE customers
    ALTER COLUMN record SET COMPRESSION lz4,
    ALTER COLUMN response_text SET COMPRESSION lz4;
  ALTER TABLE data_sync_cust_pending_queue ALTER COLUMN json_object SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;
