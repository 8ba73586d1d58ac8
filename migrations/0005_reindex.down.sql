ALTER TABLE collections DROP COLUMN qdrant_staging;
ALTER TABLE collections DROP COLUMN qdrant_collections;
DROP TABLE staged_chunks;
