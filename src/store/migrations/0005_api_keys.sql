-- API keys (SPEC 5, 10): a key is `chk_<key_id>_<secret>`. Only a SHA-256 of the secret part is
-- kept, so a copy of the database gives no working key; the key id finds the row without scanning.
-- A revoked key stays on file (revoked_at set) so `apikeys list` still shows who had access.

CREATE TABLE api_keys (
  key_id       text PRIMARY KEY,
  name         text NOT NULL,
  roles        text[] NOT NULL,
  secret_hash  bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);
