-- The data-sync job's state (seeds/001 "Data Sync Job"; SPEC 6). Design and reasons: docs/sync.md.

-- Claiming. A worker takes due rows with FOR UPDATE SKIP LOCKED and marks them with a lease (owner
-- and expiry) in one short transaction, then delivers with no transaction open: a slow receiver
-- holds no connection and no lock, and the rows of a killed worker come back when the lease ends.
-- The ordering key is the customer, for transactions too, so that one customer's messages leave
-- in the order their changes were made.
ALTER TABLE data_sync_progress_queue
  ADD COLUMN ordering_key    text,
  ADD COLUMN lease_owner     text,
  ADD COLUMN lease_until     timestamptz,
  ADD COLUMN last_attempt_at timestamptz,
  ADD COLUMN enqueued_at     timestamptz;
UPDATE data_sync_progress_queue SET ordering_key = unique_id, enqueued_at = created_at;
ALTER TABLE data_sync_progress_queue
  ALTER COLUMN ordering_key SET NOT NULL,
  ALTER COLUMN enqueued_at SET NOT NULL,
  ALTER COLUMN enqueued_at SET DEFAULT now();
CREATE INDEX data_sync_progress_queue_ordering_idx ON data_sync_progress_queue (ordering_key, id);
-- Claiming rewrites a row (its lease); with room left in each page that is a HOT update, which
-- touches none of the table's four indexes.
ALTER TABLE data_sync_progress_queue SET (fillfactor = 50);

-- Both pending queues draw their ids from one sequence, so that id order is the order in which
-- changes were queued across the two, and the job moves them in that order: a customer's
-- transaction message and its customer messages stay in order (SPEC 6).
SELECT setval('data_sync_cust_pending_queue_id_seq',
              greatest((SELECT coalesce(max(id), 0) FROM data_sync_trn_pending_queue),
                       (SELECT last_value FROM data_sync_cust_pending_queue_id_seq)));
ALTER TABLE data_sync_trn_pending_queue
  ALTER COLUMN id SET DEFAULT nextval('data_sync_cust_pending_queue_id_seq');

-- A customer's rows are deleted when the customer is (seeds/001), even a row a worker is sending
-- at that moment. The customer's DELETE message must still wait for that send to end, so such a
-- deletion leaves a hold on the ordering key until the lease ends or the worker reports back. A
-- worker names itself in `custhub.sync_worker` while it records its own outcomes, so deleting
-- its delivered rows leaves no hold.
CREATE TABLE data_sync_ordering_holds (
  progress_id  bigint PRIMARY KEY,
  ordering_key text NOT NULL,
  hold_until   timestamptz NOT NULL
);
CREATE INDEX data_sync_ordering_holds_key_idx ON data_sync_ordering_holds (ordering_key);

CREATE FUNCTION data_sync_hold_deleted_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO data_sync_ordering_holds (progress_id, ordering_key, hold_until)
  VALUES (OLD.id, OLD.ordering_key, OLD.lease_until)
  ON CONFLICT (progress_id) DO NOTHING;
  RETURN OLD;
END
$$;

CREATE TRIGGER data_sync_progress_queue_hold_in_flight
  AFTER DELETE ON data_sync_progress_queue
  FOR EACH ROW
  WHEN (OLD.lease_until > now()
        AND OLD.lease_owner IS DISTINCT FROM current_setting('custhub.sync_worker', true))
  EXECUTE FUNCTION data_sync_hold_deleted_delivery();

-- Messages that failed DataSyncMaxAttempts times, set aside so one poisoned message cannot stop
-- the sync (SPEC 6); re-queueing moves one back to the end of the progress queue, same uniqueId.
CREATE TABLE data_sync_dead_letters (
  id           bigserial PRIMARY KEY,
  source_queue text NOT NULL,
  source_id    bigint NOT NULL,
  obj_name     text NOT NULL,
  unique_id    text NOT NULL,
  action       text NOT NULL,
  json_object  json,
  message_id   text NOT NULL UNIQUE,
  ordering_key text NOT NULL,
  enqueued_at  timestamptz NOT NULL,
  attempts     integer NOT NULL,
  last_status  integer,
  last_error   text,
  dead_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per job run: what it did and how it ended. A run whose worker died stays `running`
-- until a later run finds its heartbeat older than a lease and marks it `abandoned`.
CREATE TABLE data_sync_job_runs (
  id            bigserial PRIMARY KEY,
  worker        text NOT NULL,
  trigger       text NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  outcome       text NOT NULL DEFAULT 'running'
                CHECK (outcome IN ('running', 'succeeded', 'failed', 'stopped', 'abandoned')),
  moved         integer NOT NULL DEFAULT 0,
  delivered     integer NOT NULL DEFAULT 0,
  failed        integer NOT NULL DEFAULT 0,
  dead_lettered integer NOT NULL DEFAULT 0,
  error         text
);

-- The credential store (seeds/001: a credential map, DataSyncCredentialMapName, holding the client
-- ID and secret under DataSyncCredentialKeyName). Values are AES-256-GCM ciphertext; the master
-- key never enters the database, only an id that tells which key a value was sealed with.
CREATE TABLE credential_store (
  map_name        text NOT NULL,
  key_name        text NOT NULL,
  encrypted_value text NOT NULL,
  master_key_id   text NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (map_name, key_name)
);
