-- A receiver that answers 429 (too many requests), or 503 with Retry-After, has asked the sender
-- to slow down: the whole destination pauses until then, not only the message that got the
-- answer (docs/sync.md "When a receiver asks to slow down"). The pause is stored, so every worker
-- on the server honours it: a claim takes no row of a destination paused here.
CREATE TABLE data_sync_destination_pauses (
  destination  text PRIMARY KEY,
  paused_until timestamptz NOT NULL,
  paused_at    timestamptz NOT NULL DEFAULT now(),
  -- The receiver's answer that asked for it, and which message got it (no receiver's words).
  status       integer,
  reason       text NOT NULL
);
