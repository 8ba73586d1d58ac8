-- Reindex: a collection's new build (other model, precision or chunking)
-- is staged beside the live one, which answers every search until the
-- switch. staged_chunks holds the new build's chunks; a row without text
-- gives a live chunk (same document and index) a new embedding, a row
-- with text replaces its document's chunks. The collection records the
-- vector collections it owns and the one being built.
CREATE TABLE staged_chunks (
    collection_id    uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    document_id      uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    chunk_index      integer NOT NULL,
    point_id         uuid NOT NULL,
    text             text,
    token_count      integer NOT NULL DEFAULT 0,
    page_start       integer,
    page_end         integer,
    char_start       integer NOT NULL DEFAULT 0,
    char_end         integer NOT NULL DEFAULT 0,
    heading          text NOT NULL DEFAULT '',
    embedding        bytea NOT NULL,
    embedding_format quantization NOT NULL,
    PRIMARY KEY (document_id, chunk_index)
);
CREATE INDEX staged_chunks_collection_idx ON staged_chunks (collection_id);

ALTER TABLE collections ADD COLUMN qdrant_collections text[] NOT NULL DEFAULT '{}';
ALTER TABLE collections ADD COLUMN qdrant_staging text NOT NULL DEFAULT '';
UPDATE collections SET qdrant_collections = ARRAY[vector_collection] WHERE vector_collection <> '';
