-- LAN sharing. A refresh token belongs to a family (one sign-in); each
-- refresh spends the token (rotated_at) and issues the next of the family,
-- so presenting a spent one reveals a stolen token and revokes the family.
ALTER TABLE refresh_tokens
    ADD COLUMN family uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN rotated_at timestamptz;
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);

-- The audit log says from which address an action came, and keeps the
-- actor's name should the account be removed.
ALTER TABLE collection_audit_log
    ADD COLUMN address text NOT NULL DEFAULT '',
    ADD COLUMN username text NOT NULL DEFAULT '';

-- A new password or a disabled account ends the access tokens issued
-- before it, not only the refresh tokens.
ALTER TABLE users ADD COLUMN sessions_after timestamptz NOT NULL DEFAULT '1970-01-01';

CREATE INDEX collection_permissions_api_key_idx ON collection_permissions (api_key_id);
