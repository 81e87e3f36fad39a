-- Resuming an import cut off by a crash or a kill without applying a block twice (docs/import.md,
-- "Interrupted imports"): the blocks that took effect, journaled by the transaction that applied
-- them, one row per transaction; and, from the import's start, where its copy of the file and its
-- failures file are.
CREATE TABLE import_applied_blocks (
  import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  -- [{"block": 12, "customerID": "1000", "warnings": [...]}, ...]
  blocks    jsonb NOT NULL
);
CREATE INDEX import_applied_blocks_import_idx ON import_applied_blocks (import_id);

ALTER TABLE imports ADD COLUMN source_path text, ADD COLUMN failures_file text;
