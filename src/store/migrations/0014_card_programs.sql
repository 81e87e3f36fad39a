-- Card programs (seeds/003 "Card Customer Association"): the tender, award and loyalty programs a
-- card's `program` can name, with the dates and status the association checks. A card whose
-- program is not defined here is associated without those checks, as before.
CREATE TABLE card_programs (
  code           text PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('TENDER', 'AWARD', 'LOYALTY')),
  effective_date date,
  expiry_date    date,
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (effective_date IS NULL OR expiry_date IS NULL OR effective_date <= expiry_date)
);
