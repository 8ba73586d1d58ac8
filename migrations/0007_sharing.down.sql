DROP INDEX IF EXISTS collection_permissions_api_key_idx;
ALTER TABLE users DROP COLUMN IF EXISTS sessions_after;
ALTER TABLE collection_audit_log DROP COLUMN IF EXISTS username, DROP COLUMN IF EXISTS address;
DROP INDEX IF EXISTS refresh_tokens_family_idx;
ALTER TABLE refresh_tokens DROP COLUMN IF EXISTS rotated_at, DROP COLUMN IF EXISTS family;
