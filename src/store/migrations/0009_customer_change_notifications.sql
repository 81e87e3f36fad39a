-- Every write to customers is announced on the channel '<schema>.customers' with the written
-- customer ids, comma-separated, when its transaction commits: a server keeping records in memory
-- (docs/storage.md, "Record cache") hears what every other process writes, custhub or not.
-- One notification per statement and per 300 rows, under PostgreSQL's 8,000-byte payload limit.
CREATE OR REPLACE FUNCTION custhub_announce_customer_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, string_agg(id, ','))
     FROM (SELECT customer_id::text AS id, (row_number() OVER () - 1) / 300 AS chunk
             FROM changed_rows) AS written
    GROUP BY chunk;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER customers_announce_inserts AFTER INSERT ON customers
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION custhub_announce_customer_changes();
CREATE OR REPLACE TRIGGER customers_announce_updates AFTER UPDATE ON customers
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION custhub_announce_customer_changes();
CREATE OR REPLACE TRIGGER customers_announce_deletes AFTER DELETE ON customers
  REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION custhub_announce_customer_changes();
