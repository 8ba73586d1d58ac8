-- A document is one content (unique per collection by content hash); the
-- same bytes may sit at several paths, in one source or several. Each path
-- is recorded here so every one stays findable while the content is
-- embedded once.
CREATE TABLE document_paths (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id   uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    source_id     bigint NOT NULL REFERENCES collection_sources (id) ON DELETE CASCADE,
    path          text NOT NULL,
    file_size     bigint NOT NULL DEFAULT 0,
    modified_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT document_paths_path_key UNIQUE (collection_id, path)
);
CREATE INDEX document_paths_document_idx ON document_paths (document_id);
CREATE INDEX document_paths_source_idx ON document_paths (source_id);

-- Operations report a reason when a worker was interrupted and resumed.
ALTER TABLE operations ADD COLUMN attempts integer NOT NULL DEFAULT 0;

-- A document may be reachable from several sources; removing one source
-- must not delete content another still holds. Orphans are removed by the
-- remove_source operation.
ALTER TABLE documents DROP CONSTRAINT documents_source_id_fkey;
ALTER TABLE documents ADD CONSTRAINT documents_source_id_fkey
    FOREIGN KEY (source_id) REFERENCES collection_sources (id) ON DELETE SET NULL;
