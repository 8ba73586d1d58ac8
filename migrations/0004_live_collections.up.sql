-- Live collections: documents move through durable stages (their text is
-- searchable by keyword before any vector exists), the extracted text is
-- kept so no later step reopens a file, operations can be paused, and a
-- deleted collection leaves lists at once while an operation purges it.

ALTER TYPE operation_status ADD VALUE IF NOT EXISTS 'paused';

-- A collection being deleted is hidden everywhere; its name is free again.
ALTER TABLE collections ADD COLUMN deleted_at timestamptz;
DROP INDEX collections_name_key;
CREATE UNIQUE INDEX collections_name_key ON collections (lower(name)) WHERE deleted_at IS NULL;

-- The stage a document has reached: discovered → extracted → chunked
-- (chunk text committed: keyword-searchable) → indexed (embeddings in
-- PostgreSQL and points in the vector index). chunked_with names the
-- tokenizer and sizes that cut the chunks, so a model that arrives later
-- re-cuts them from the stored text when it counts tokens differently.
ALTER TABLE documents ADD COLUMN stage text NOT NULL DEFAULT 'discovered';
ALTER TABLE documents ADD CONSTRAINT documents_stage CHECK (stage IN ('discovered', 'extracted', 'chunked', 'indexed'));
ALTER TABLE documents ADD COLUMN chunked_with text NOT NULL DEFAULT '';
UPDATE documents SET stage = 'indexed' WHERE status = 'completed';
CREATE INDEX documents_unembedded_idx ON documents (collection_id)
    WHERE status = 'completed' AND stage = 'chunked' AND deleted_at IS NULL;

-- Each document's extracted text: its blocks (text, page, heading path) as
-- gzip-compressed JSON.
CREATE TABLE document_texts (
    document_id   uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    blocks        bytea NOT NULL,
    text_bytes    integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_texts_collection_idx ON document_texts (collection_id);

-- Writing embeddings or a document's stage does not change what keyword
-- search holds: log only the updates that do.
DROP TRIGGER chunks_search_update ON chunks;
DROP TRIGGER documents_search_update ON documents;

CREATE FUNCTION search_log_chunk_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (collection_id, document_id)
    SELECT DISTINCT n.collection_id, n.document_id FROM changed n JOIN previous o ON o.id = n.id
    WHERE (n.text, n.chunk_index, n.document_id) IS DISTINCT FROM (o.text, o.chunk_index, o.document_id);
    RETURN NULL;
END
$$;

CREATE FUNCTION search_log_document_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (collection_id, document_id)
    SELECT DISTINCT n.collection_id, n.id FROM changed n JOIN previous o ON o.id = n.id
    WHERE (n.status, n.mime_type, n.file_path, n.modified_at, n.deleted_at, n.chunk_count, n.source_id)
        IS DISTINCT FROM (o.status, o.mime_type, o.file_path, o.modified_at, o.deleted_at, o.chunk_count, o.source_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER chunks_search_update AFTER UPDATE ON chunks
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_chunk_update();
CREATE TRIGGER documents_search_update AFTER UPDATE ON documents
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_document_update();
