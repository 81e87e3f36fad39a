-- The customer master. Design and reasons: docs/storage.md.

CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The managed list of alternate key type codes (cst_alt_key_typcode in seeds/003).
CREATE TABLE alternate_key_types (
  type_code  text PRIMARY KEY CHECK (type_code = upper(type_code) AND type_code <> ''),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO alternate_key_types (type_code) VALUES ('EMAIL'), ('PHONE'), ('TWCUSTID'), ('XSTORE_ID');

-- Custom attribute definitions (dtv_attribute_type / dtv_attribute_type_value in seeds/003).
CREATE TABLE attribute_types (
  name       text PRIMARY KEY,
  name_key   text NOT NULL UNIQUE,
  data_type  text NOT NULL CHECK (data_type IN ('TEXT', 'NUMBER', 'LOGICAL', 'DATE', 'LIST')),
  max_length integer CHECK (max_length > 0),
  editable   boolean NOT NULL DEFAULT true,
  is_unique  boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE attribute_type_values (
  attribute_name text NOT NULL REFERENCES attribute_types (name) ON DELETE CASCADE,
  position       integer NOT NULL,
  value          text NOT NULL,
  PRIMARY KEY (attribute_name, position)
);

CREATE SEQUENCE customer_id_seq START WITH 1000;

-- One row per customer: the whole record as a JSONB document (names, addresses, emails,
-- telephones with their flags, custom attributes, notes, contact preferences, home location,
-- validation issues), plus the columns that are looked up and searched.
CREATE TABLE customers (
  customer_id   bigint PRIMARY KEY,
  active        boolean NOT NULL DEFAULT true,
  valid         boolean NOT NULL,
  record        jsonb NOT NULL,
  emails        text[] NOT NULL DEFAULT '{}',
  phones        text[] NOT NULL DEFAULT '{}',
  postal_codes  text[] NOT NULL DEFAULT '{}',
  name_tokens   text[] NOT NULL DEFAULT '{}',
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_emails_idx ON customers USING gin (emails);
CREATE INDEX customers_phones_idx ON customers USING gin (phones);
CREATE INDEX customers_postal_codes_idx ON customers USING gin (postal_codes);
CREATE INDEX customers_name_tokens_idx ON customers USING gin (name_tokens);

-- Alternate keys: unique among active customers (SPEC 2). A row stays, inactive, when its key is
-- replaced or its customer deleted; UpdateType="DELETE" removes it.
CREATE TABLE customer_alternate_keys (
  customer_id  bigint NOT NULL REFERENCES customers (customer_id),
  type_code    text NOT NULL REFERENCES alternate_key_types (type_code),
  alternate_id text NOT NULL,
  active       boolean NOT NULL DEFAULT true,
  PRIMARY KEY (customer_id, type_code, alternate_id)
);
CREATE UNIQUE INDEX customer_alternate_keys_active_idx
  ON customer_alternate_keys (type_code, alternate_id) WHERE active;

-- Every change: who, when, what changed, through which channel (SPEC 2).
CREATE TABLE customer_history (
  id          bigserial PRIMARY KEY,
  customer_id bigint NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  channel     text NOT NULL,
  operation   text NOT NULL,
  changes     jsonb NOT NULL
);
CREATE INDEX customer_history_customer_idx ON customer_history (customer_id, id);

-- The data-sync outbox (seeds/001 "Pending Queues"; SPEC 6). The JSON object is kept as `json`,
-- not `jsonb`, so the message carries the record's property order exactly as rendered.
CREATE TABLE data_sync_cust_pending_queue (
  id          bigserial PRIMARY KEY,
  obj_name    text NOT NULL DEFAULT 'Customer',
  unique_id   text NOT NULL,
  action      text NOT NULL CHECK (action IN ('CREATE', 'UPDATE', 'DELETE')),
  json_object json,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_sync_cust_pending_queue_unique_id_idx ON data_sync_cust_pending_queue (unique_id);

CREATE TABLE data_sync_trn_pending_queue (
  id          bigserial PRIMARY KEY,
  obj_name    text NOT NULL DEFAULT 'Transaction',
  unique_id   text NOT NULL,
  action      text NOT NULL CHECK (action IN ('CREATE', 'UPDATE', 'DELETE')),
  json_object json,
  customer_id text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE data_sync_progress_queue (
  id              bigserial PRIMARY KEY,
  source_queue    text NOT NULL CHECK (source_queue IN ('customer', 'transaction')),
  source_id       bigint NOT NULL,
  obj_name        text NOT NULL,
  unique_id       text NOT NULL,
  action          text NOT NULL,
  json_object     json,
  message_id      text NOT NULL UNIQUE,
  attempts        integer NOT NULL DEFAULT 0,
  last_status     integer,
  last_error      text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_sync_progress_queue_unique_id_idx ON data_sync_progress_queue (unique_id, id);
