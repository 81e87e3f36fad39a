-- Cards (instruments): the card master, and which customer each card belongs to
-- (seeds/003 "Card Customer Association"). The customer's document lists its cards too, so the
-- record (customerCards.instrument) is read without a join.

CREATE TABLE cards (
  card_number     text PRIMARY KEY,
  instrument_id   text UNIQUE,
  program         text,
  status          text NOT NULL DEFAULT 'INACTIVE' CHECK (status IN ('INACTIVE', 'ACTIVE', 'BLOCKED')),
  expiration_date date,
  customer_id     bigint REFERENCES customers (customer_id),
  activated_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cards_customer_idx ON cards (customer_id);

UPDATE customers SET record = record || '{"cards": []}'::jsonb WHERE NOT record ? 'cards';
