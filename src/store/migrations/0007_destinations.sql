-- Many destinations on one delivery engine (SPEC 7; docs/sync.md "Destinations"). A pending row
-- fans out, when it is moved, into one progress row per enabled destination; the `destination`
-- column keeps each destination's queue state apart (claims, order per customer, retries, dead
-- letters, runs), so one destination down never delays another. Rows written before this
-- migration belonged to the one destination there was: `datasync`.
ALTER TABLE data_sync_progress_queue ADD COLUMN destination text NOT NULL DEFAULT 'datasync';
DROP INDEX data_sync_progress_queue_ordering_idx;
CREATE INDEX data_sync_progress_queue_ordering_idx
  ON data_sync_progress_queue (destination, ordering_key, id);
CREATE INDEX data_sync_progress_queue_destination_idx ON data_sync_progress_queue (destination, id);

ALTER TABLE data_sync_dead_letters ADD COLUMN destination text NOT NULL DEFAULT 'datasync';
CREATE INDEX data_sync_dead_letters_destination_idx ON data_sync_dead_letters (destination, id);

ALTER TABLE data_sync_job_runs ADD COLUMN destination text NOT NULL DEFAULT 'datasync';
CREATE INDEX data_sync_job_runs_destination_idx ON data_sync_job_runs (destination, id);

-- A hold keeps back one destination's later messages of a customer, not every destination's.
ALTER TABLE data_sync_ordering_holds ADD COLUMN destination text NOT NULL DEFAULT 'datasync';
DROP INDEX data_sync_ordering_holds_key_idx;
CREATE INDEX data_sync_ordering_holds_key_idx
  ON data_sync_ordering_holds (destination, ordering_key);

CREATE OR REPLACE FUNCTION data_sync_hold_deleted_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO data_sync_ordering_holds (progress_id, ordering_key, hold_until, destination)
  VALUES (OLD.id, OLD.ordering_key, OLD.lease_until, OLD.destination)
  ON CONFLICT (progress_id) DO NOTHING;
  RETURN OLD;
END
$$;

-- Each destination's enabled flag (the data-sync endpoint's stays the `DataSyncEnabled` setting)
-- and its settings, as text, checked by the destination's definition when saved and when used. A
-- missing row means the definition's default.
CREATE TABLE sync_destinations (
  name       text PRIMARY KEY,
  enabled    boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_destination_settings (
  destination text NOT NULL,
  key         text NOT NULL,
  value       text,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (destination, key)
);

-- What each delivery of a run did, kept for review (seeds/000: "Accumulates API response results
-- and any errors"): written for manual runs, and for every run of a destination that asks for it.
CREATE TABLE sync_run_results (
  id          bigserial PRIMARY KEY,
  run_id      bigint NOT NULL REFERENCES data_sync_job_runs (id) ON DELETE CASCADE,
  destination text NOT NULL,
  unique_id   text NOT NULL,
  obj_name    text NOT NULL,
  action      text NOT NULL,
  message_id  text NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('sent', 'skipped', 'failed', 'dead')),
  status      integer,
  error       text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_run_results_run_idx ON sync_run_results (run_id, id);

-- Datanuum's reward-points configurations (seeds/000 "RewardPointsConfig"): the destination's
-- setting names one by code or by numeric id. Its credentials are sealed in credential_store
-- (map `datanuum_reward_points_config`, key the code), never here.
CREATE TABLE datanuum_reward_configs (
  id         bigserial PRIMARY KEY,
  code       text NOT NULL UNIQUE,
  api_url    text NOT NULL,
  enabled    boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
