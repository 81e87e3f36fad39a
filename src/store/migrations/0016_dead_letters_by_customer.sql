-- A customer's deletion, merge or erasure removes its dead letters with its pending and progress
-- rows (src/store/outbox.ts dropQueuedForCustomers): looked up by ordering key, the customer, in
-- the same transaction as the change, so without a scan of every dead letter.
CREATE INDEX data_sync_dead_letters_ordering_idx ON data_sync_dead_letters (ordering_key);
