-- Keyword search keeps an in-memory index per collection built from chunk
-- text. This log names the documents whose chunks, status, paths or
-- deletion changed since search last looked, so the index stays in step
-- with every writer without each one having to notify it. Search consumes
-- (deletes) the rows it has applied; a restart rebuilds from the tables.
CREATE TABLE search_changes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id uuid NOT NULL,
    document_id   uuid NOT NULL
);
CREATE INDEX search_changes_collection_idx ON search_changes (collection_id);

-- Statement-level triggers with transition tables: one INSERT per
-- statement, however many rows it touched (COPY of a document's chunks
-- included).
CREATE FUNCTION search_log_by_document_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (collection_id, document_id)
    SELECT DISTINCT collection_id, document_id FROM changed;
    RETURN NULL;
END
$$;

CREATE FUNCTION search_log_by_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (collection_id, document_id)
    SELECT DISTINCT collection_id, id FROM changed;
    RETURN NULL;
END
$$;

CREATE TRIGGER chunks_search_insert AFTER INSERT ON chunks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_document_id();
CREATE TRIGGER chunks_search_update AFTER UPDATE ON chunks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_document_id();
CREATE TRIGGER chunks_search_delete AFTER DELETE ON chunks
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_document_id();
CREATE TRIGGER documents_search_update AFTER UPDATE ON documents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_id();
CREATE TRIGGER documents_search_delete AFTER DELETE ON documents
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_id();
CREATE TRIGGER document_paths_search_insert AFTER INSERT ON document_paths
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_document_id();
CREATE TRIGGER document_paths_search_update AFTER UPDATE ON document_paths
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_document_id();
CREATE TRIGGER document_paths_search_delete AFTER DELETE ON document_paths
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION search_log_by_document_id();
