-- Quarry's collection-centric schema. PostgreSQL is the source of truth for
-- metadata, chunk text and embeddings; the vector index can always be
-- rebuilt from it without re-embedding.

CREATE TYPE collection_status AS ENUM ('pending', 'ready', 'processing', 'error', 'degraded');
CREATE TYPE quantization AS ENUM ('float32', 'float16', 'int8');
CREATE TYPE source_type AS ENUM ('directory', 'file');
CREATE TYPE document_status AS ENUM ('pending', 'processing', 'completed', 'failed');
CREATE TYPE operation_type AS ENUM ('index', 'append', 'reindex', 'remove_source', 'delete');
CREATE TYPE operation_status AS ENUM ('pending', 'processing', 'completed', 'failed', 'cancelled');
CREATE TYPE permission_level AS ENUM ('read', 'write', 'admin');

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL,
    display_name  text NOT NULL DEFAULT '',
    email         text,
    password_hash text,
    is_admin      boolean NOT NULL DEFAULT false,
    is_local      boolean NOT NULL DEFAULT false,
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    CONSTRAINT users_username_length CHECK (char_length(username) BETWEEN 1 AND 64)
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
-- Exactly one local user owns everything in desktop mode.
CREATE UNIQUE INDEX users_single_local ON users (is_local) WHERE is_local;

INSERT INTO users (username, display_name, is_admin, is_local)
VALUES ('local', 'Local user', true, true);

CREATE TABLE collections (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id          bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    name              text NOT NULL,
    description       text NOT NULL DEFAULT '',
    model_name        text NOT NULL,
    -- name + revision + sha256 + dims + pooling of the model that made the
    -- stored vectors; empty until the first vector is written.
    model_fingerprint text NOT NULL DEFAULT '',
    embedding_dims    integer NOT NULL,
    quantization      quantization NOT NULL DEFAULT 'float32',
    chunk_size        integer NOT NULL,
    chunk_overlap     integer NOT NULL,
    vector_collection text NOT NULL DEFAULT '',
    status            collection_status NOT NULL DEFAULT 'pending',
    status_message    text NOT NULL DEFAULT '',
    is_public         boolean NOT NULL DEFAULT false,
    meta              jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collections_name_length CHECK (char_length(name) BETWEEN 1 AND 128),
    CONSTRAINT collections_description_length CHECK (char_length(description) <= 2000),
    CONSTRAINT collections_dims_positive CHECK (embedding_dims > 0),
    CONSTRAINT collections_chunk_size CHECK (chunk_size > 0),
    CONSTRAINT collections_chunk_overlap CHECK (chunk_overlap >= 0 AND chunk_overlap < chunk_size)
);
-- Names are unique regardless of case: "Notes" and "notes" would confuse.
CREATE UNIQUE INDEX collections_name_key ON collections (lower(name));
CREATE INDEX collections_owner_idx ON collections (owner_id);

CREATE TABLE collection_sources (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id   uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    source_type     source_type NOT NULL DEFAULT 'directory',
    source_path     text NOT NULL,
    -- include/exclude globs, size limit, watch flag and similar settings.
    settings        jsonb NOT NULL DEFAULT '{}'::jsonb,
    document_count  integer NOT NULL DEFAULT 0,
    size_bytes      bigint NOT NULL DEFAULT 0,
    last_indexed_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collection_sources_path_key UNIQUE (collection_id, source_path)
);
CREATE INDEX collection_sources_collection_idx ON collection_sources (collection_id);

CREATE TABLE documents (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    source_id     bigint REFERENCES collection_sources (id) ON DELETE CASCADE,
    file_path     text NOT NULL,
    file_name     text NOT NULL,
    file_size     bigint NOT NULL DEFAULT 0,
    mime_type     text NOT NULL DEFAULT '',
    -- sha256 of the file's bytes, hex.
    content_hash  text NOT NULL,
    modified_at   timestamptz,
    status        document_status NOT NULL DEFAULT 'pending',
    error_message text NOT NULL DEFAULT '',
    chunk_count   integer NOT NULL DEFAULT 0,
    page_count    integer NOT NULL DEFAULT 0,
    meta          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- soft delete: hidden from search at once, purged by an operation.
    deleted_at    timestamptz,
    CONSTRAINT documents_content_hash_key UNIQUE (collection_id, content_hash)
);
CREATE INDEX documents_collection_status_idx ON documents (collection_id, status);
CREATE INDEX documents_source_idx ON documents (source_id);
CREATE INDEX documents_path_idx ON documents (collection_id, file_path);

CREATE TABLE chunks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id    uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    document_id      uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    chunk_index      integer NOT NULL,
    -- deterministic vector point id, derived from document id + chunk index.
    point_id         uuid NOT NULL,
    text             text NOT NULL,
    token_count      integer NOT NULL DEFAULT 0,
    page_start       integer,
    page_end         integer,
    char_start       integer NOT NULL DEFAULT 0,
    char_end         integer NOT NULL DEFAULT 0,
    heading          text NOT NULL DEFAULT '',
    -- the vector as stored (float32/float16 little-endian, or int8 + scale).
    embedding        bytea,
    embedding_format quantization,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chunks_document_index_key UNIQUE (document_id, chunk_index),
    CONSTRAINT chunks_point_key UNIQUE (collection_id, point_id),
    CONSTRAINT chunks_offsets CHECK (char_start >= 0 AND char_end >= char_start)
);
CREATE INDEX chunks_collection_idx ON chunks (collection_id);

CREATE TABLE operations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    type          operation_type NOT NULL,
    status        operation_status NOT NULL DEFAULT 'pending',
    config        jsonb NOT NULL DEFAULT '{}'::jsonb,
    progress      jsonb NOT NULL DEFAULT '{}'::jsonb,
    error_message text NOT NULL DEFAULT '',
    created_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    completed_at  timestamptz,
    heartbeat_at  timestamptz
);
CREATE INDEX operations_collection_idx ON operations (collection_id, created_at DESC);
CREATE INDEX operations_active_idx ON operations (status, created_at)
    WHERE status IN ('pending', 'processing');

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    key_prefix   text NOT NULL,
    key_hash     text NOT NULL,
    permissions  jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_active    boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at   timestamptz,
    CONSTRAINT api_keys_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

CREATE TABLE refresh_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE collection_permissions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    user_id       bigint REFERENCES users (id) ON DELETE CASCADE,
    api_key_id    uuid REFERENCES api_keys (id) ON DELETE CASCADE,
    permission    permission_level NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- a grant goes to a user or to an API key, never both.
    CONSTRAINT collection_permissions_one_grantee CHECK ((user_id IS NULL) <> (api_key_id IS NULL)),
    CONSTRAINT collection_permissions_user_key UNIQUE (collection_id, user_id),
    CONSTRAINT collection_permissions_api_key_key UNIQUE (collection_id, api_key_id)
);
CREATE INDEX collection_permissions_user_idx ON collection_permissions (user_id);

-- The audit log outlives what it describes: deleting a collection keeps its
-- entries (collection_id becomes NULL; details keep the name).
CREATE TABLE collection_audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id uuid REFERENCES collections (id) ON DELETE SET NULL,
    operation_id  uuid REFERENCES operations (id) ON DELETE SET NULL,
    user_id       bigint REFERENCES users (id) ON DELETE SET NULL,
    action        text NOT NULL,
    details       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collection_audit_log_collection_idx ON collection_audit_log (collection_id, created_at DESC);
CREATE INDEX collection_audit_log_created_idx ON collection_audit_log (created_at DESC);
