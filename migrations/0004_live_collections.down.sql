DROP TRIGGER documents_search_update ON documents;
DROP TRIGGER chunks_search_update ON chunks;
DROP FUNCTION search_log_document_update();
DROP FUNCTION search_log_chunk_update();
CREATE TRIGGER chunks_search_update AFTER UPDATE ON chunks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_document_id();
CREATE TRIGGER documents_search_update AFTER UPDATE ON documents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_id();

DROP TABLE document_texts;
DROP INDEX documents_unembedded_idx;
ALTER TABLE documents DROP COLUMN chunked_with;
ALTER TABLE documents DROP CONSTRAINT documents_stage;
ALTER TABLE documents DROP COLUMN stage;

DELETE FROM collections WHERE deleted_at IS NOT NULL;
DROP INDEX collections_name_key;
CREATE UNIQUE INDEX collections_name_key ON collections (lower(name));
ALTER TABLE collections DROP COLUMN deleted_at;

-- PostgreSQL cannot drop an enum value: paused operations go back to
-- pending and the value stays, unused.
UPDATE operations SET status = 'pending' WHERE status = 'paused';
