DROP INDEX IF EXISTS documents_hidden_idx;
ALTER TABLE collection_sources DROP COLUMN IF EXISTS watch;
