ALTER TABLE documents DROP CONSTRAINT documents_source_id_fkey;
ALTER TABLE documents ADD CONSTRAINT documents_source_id_fkey
    FOREIGN KEY (source_id) REFERENCES collection_sources (id) ON DELETE CASCADE;
ALTER TABLE operations DROP COLUMN IF EXISTS attempts;
DROP TABLE IF EXISTS document_paths;
