-- Batch import review (seeds/003 "Batch Import Review"; SPEC 4): one row per imported file, one
-- row per failed or warned block.

CREATE TABLE imports (
  id            bigserial PRIMARY KEY,
  file_name     text NOT NULL,
  fileset       text NOT NULL,
  channel       text NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  total         integer NOT NULL DEFAULT 0,
  succeeded     integer NOT NULL DEFAULT 0,
  failed        integer NOT NULL DEFAULT 0,
  warnings      integer NOT NULL DEFAULT 0,
  by_action     jsonb NOT NULL DEFAULT '{}',
  error         text,
  archived_path text,
  failures_path text
);

CREATE TABLE import_review_rows (
  import_id    bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  block_number integer NOT NULL,
  line         integer NOT NULL,
  action       text,
  block_key    text,
  outcome      text NOT NULL CHECK (outcome IN ('failed', 'warning')),
  error_codes  text[] NOT NULL,
  message      text NOT NULL,
  PRIMARY KEY (import_id, block_number)
);
