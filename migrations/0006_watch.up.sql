-- Watched folders: every directory source is watched unless the user
-- turns it off. A watched deletion hides a document at once (deleted_at)
-- and the next operation purges it; a rename or move that brings the same
-- content back before then revives it with its vectors.
ALTER TABLE collection_sources ADD COLUMN watch boolean NOT NULL DEFAULT true;
CREATE INDEX documents_hidden_idx ON documents (collection_id) WHERE deleted_at IS NOT NULL;
