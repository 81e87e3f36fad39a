-- The remaining customer operations of SPEC 5 (seeds/001 Table H-1): card status and expiration,
-- segments, franchisees, associate assignments, posted PosLog transactions. Rules and reasons:
-- docs/api.md and docs/customer-record.md.

-- Cards: a block remembers the status it interrupted, so unblocking gives it back.
ALTER TABLE cards ADD COLUMN IF NOT EXISTS blocked_from text
  CHECK (blocked_from IN ('INACTIVE', 'ACTIVE'));

-- Segment definitions. Membership lives in the customer's document (customerSegments.segment), as
-- its cards and notes do, so the record is read without a join.
CREATE SEQUENCE IF NOT EXISTS segment_id_seq START WITH 1;
CREATE TABLE IF NOT EXISTS segments (
  segment_id  bigint PRIMARY KEY DEFAULT nextval('segment_id_seq'),
  name        text NOT NULL CHECK (name <> ''),
  name_key    text NOT NULL UNIQUE,
  description text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Posted PosLog transactions (seeds/001 TransactionType), kept as given. `json` keeps the
-- property order the sync message carries; the hash tells a retry (same content) from a conflict.
-- The amounts are what the transaction added to its customer's activity summaries.
CREATE TABLE IF NOT EXISTS transactions (
  retail_transaction_id text PRIMARY KEY,
  customer_id           bigint NOT NULL REFERENCES customers (customer_id),
  business_date         date NOT NULL,
  transaction_json      json NOT NULL,
  content_hash          text NOT NULL,
  counted               boolean NOT NULL,
  sales_amount          numeric NOT NULL,
  returns_amount        numeric NOT NULL,
  items_sold            numeric NOT NULL,
  items_returned        numeric NOT NULL,
  posted_by             text NOT NULL,
  posted_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS transactions_customer_idx ON transactions (customer_id, business_date);

-- Customers stored before this migration get the new parts of their document.
UPDATE customers SET record = record || '{"segments": []}'::jsonb WHERE NOT record ? 'segments';
UPDATE customers SET record = record || '{"franchisees": []}'::jsonb WHERE NOT record ? 'franchisees';
UPDATE customers SET record = record || '{"associateAssignments": []}'::jsonb
 WHERE NOT record ? 'associateAssignments';
UPDATE customers SET record = record || '{"yearToDateYear": null}'::jsonb
 WHERE NOT record ? 'yearToDateYear';
