// Types of Quarry's API, by hand: the same JSON (snake_case) comes from the
// Wails bindings and from the HTTP API, and unit tests must not depend on
// generated code.

export type Quantization = 'float32' | 'float16' | 'int8';
export const QUANTIZATIONS: readonly Quantization[] = ['float32', 'float16', 'int8'];

export type CollectionStatus = 'pending' | 'ready' | 'processing' | 'error' | 'degraded';

export interface Collection {
  id: string;
  name: string;
  description: string;
  model: string;
  quantization: Quantization;
  chunk_size: number;
  chunk_overlap: number;
  status: CollectionStatus;
  status_message: string;
  source_count: number;
  document_count: number;
  vector_count: number;
  total_size_bytes: number;
  /** What can be searched now, and what waits for what. */
  readiness?: Readiness;
  created_at: string;
  updated_at: string;
  /** Everyone signed in can read it (LAN sharing). */
  is_public?: boolean;
  /** What the caller may do with it; absent (older servers, owner mode): everything. */
  permission?: Permission;
  /** The user name of its owner. */
  owner?: string;
}

/**
 * How far a collection's search is: keyword search works as soon as text
 * is committed; semantic search as embeddings arrive.
 */
export interface Readiness {
  keyword: 'ready' | 'empty' | string;
  /** 'ready', 'partial', 'waiting' (for the model), 'loading' (vectors at start-up) or 'empty'. */
  semantic: 'ready' | 'partial' | 'waiting' | 'loading' | 'empty' | string;
  chunks: number;
  embedded_chunks: number;
  model_state: 'ready' | 'installed' | 'not_installed' | 'downloading' | 'failed' | string;
  download_percent?: number;
  model_error?: string;
  vectors_loaded: number;
  /** One sentence: "keyword search ready · semantic search waiting for …". */
  message: string;
}

export interface Source {
  id: number;
  collection_id: string;
  type: 'directory' | 'file';
  path: string;
  document_count: number;
  size_bytes: number;
  last_indexed_at: string | null;
  created_at: string;
  /**
   * The switch: changes on disk reach search by themselves (true, the
   * default) or only when the folder is rescanned.
   */
  watch: boolean;
  /** How the folder's watch stands now. */
  watch_state: WatchState;
  /** Why the watch stands so, and what to do about it. */
  watch_message?: string;
  /** The operation that indexes a folder just added. */
  operation_id?: string;
}

/**
 * watching; scanning (an index or rescan covers the folder); paused (the
 * switch is off); offline (the folder is not there, its documents stay
 * searchable); error (e.g. the system's limit of watches).
 */
export type WatchState = 'watching' | 'scanning' | 'paused' | 'offline' | 'error';

export interface Model {
  name: string;
  short_name: string;
  display_name: string;
  description: string;
  dims: number;
  max_seq_len: number;
  default_chunk_size: number;
  default_chunk_overlap: number;
  default: boolean;
}

/** Where a model stands on this machine. */
export type ModelState = 'ready' | 'installed' | 'not_installed' | 'downloading' | 'paused' | 'failed';

/** A collection that uses a model (its name may end in " (reindexing to it)"). */
export interface ModelUse {
  id: string;
  name: string;
}

/** A model as ListModels reports it: the catalogue entry and its state here. */
export interface ModelInfo extends Model {
  /** False: the files are fetched the first time a collection uses it. */
  installed: boolean;
  /** 'reranker' models re-order search results and never embed a collection; 'static' ones are word vectors. */
  kind: 'transformer' | 'static' | 'reranker' | string;
  /** Why the model cannot run yet; absent when it can. */
  unavailable?: string;
  /** Ships with the app and works offline; new collections use it until the default model is installed. */
  bundled?: boolean;
  /** 'en', 'multi'… */
  languages?: string;
  license?: string;
  repo?: string;
  revision?: string;
  /** ready (loaded), installed, not_installed, downloading, paused or failed. */
  state?: ModelState | string;
  /** 0–100 while downloading or paused. */
  download_percent?: number;
  /** Why the last download or load failed. */
  error?: string;
  /** What its files take on disk (installed models). */
  size_bytes?: number;
  /** What it runs on once loaded ('cpu', 'cuda'…). */
  device?: string;
  /** The collections that use it: it cannot be deleted while any does. */
  collections?: ModelUse[];
}

/** A model download's progress (event `model:download`). */
export interface ModelDownloadProgress {
  model: string;
  file: string;
  file_index: number;
  files: number;
  done: number;
  total: number;
}

/** Installs a model from folders already on this machine. */
export interface ImportModelRequest {
  model: string;
  paths: string[];
  /** 'fp32' or 'int8'; absent: fp32. */
  variant?: string;
  /** Accept files that differ from the registry's pinned digests. */
  allow_unverified?: boolean;
}

/** A loaded embedding model and the device it runs on. */
export interface EmbedderInfo {
  model: string;
  device: string;
  /** Why a faster device was not used, when one was asked for. */
  device_note?: string;
  threads: number;
  concurrency: number;
}

export interface Status {
  version: string;
  database: string;
  vector_engine: string;
  data_dir: string;
  desktop: boolean;
  /** Models loaded so far (empty until something is indexed or searched). */
  embedders?: EmbedderInfo[];
}

export interface CreateCollectionRequest {
  name: string;
  description: string;
  model: string;
  quantization: Quantization;
  chunk_size: number;
  chunk_overlap: number;
}

export interface UpdateCollectionRequest {
  name?: string;
  description?: string;
  /** Everyone signed in can read the collection. */
  is_public?: boolean;
}

export interface AddSourceRequest {
  path: string;
}

/** Changes a folder's settings; absent fields stay as they are. */
export interface UpdateSourceRequest {
  /** Watch the folder for changes (true) or only index it on a rescan (false). */
  watch?: boolean;
}

/** The error object both transports reject with, as the server renders it. */
export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  /** rate_limited: the seconds to wait. */
  retry_after?: number;
}

// --- Operations, progress and documents ----------------------------------

export type OperationType = 'index' | 'append' | 'reindex' | 'remove_source' | 'delete';
export type OperationStatus = 'pending' | 'processing' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** A running operation's snapshot (event `operation:progress`). */
export interface Progress {
  operation_id: string;
  collection_id: string;
  type: OperationType | string;
  /** Why it was queued: "watch" (or "watch: …") for changes a folder's watch saw, "retry", "model ready". */
  reason?: string;
  /** 'processing' until the operation ends; the UI also uses 'pending' for a queued one. */
  status: OperationStatus;
  phase: string;
  files_total: number;
  files_done: number;
  files_failed: number;
  files_skipped: number;
  /** Files that left the collection (deleted on disk, or ignored now). */
  files_removed?: number;
  chunks: number;
  bytes: number;
  current_file: string;
  files_per_sec: number;
  chunks_per_sec: number;
  /** -1 while unknown. */
  eta_seconds: number;
  elapsed_ms: number;
  error?: string;
}

export interface Operation {
  id: string;
  collection_id: string;
  type: OperationType | string;
  status: OperationStatus;
  config: Record<string, unknown> | null;
  /** The last progress snapshot (the keys of Progress), possibly empty. */
  progress: Partial<Progress> | null;
  error: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export type DocumentStatus = 'pending' | 'processing' | 'completed' | 'failed';

/** A document of a collection (named so it does not shadow the DOM's Document). */
export interface DocumentInfo {
  id: string;
  path: string;
  size: number;
  mime_type: string;
  status: DocumentStatus;
  /** Why it failed; '' otherwise. */
  error: string;
  chunk_count: number;
  page_count: number;
  /** How far it got: 'chunked' is keyword-searchable, embedding still waits; 'indexed' is done. */
  stage?: 'discovered' | 'extracted' | 'chunked' | 'indexed' | string;
  /** How many paths hold identical content. */
  paths: number;
}

/** A collection built anew with other settings; fields left out keep the collection's. */
export interface ReindexRequest {
  model?: string;
  quantization?: Quantization;
  chunk_size?: number;
  chunk_overlap?: number;
}

/** What a reindex would recompute and roughly how long it takes; nothing is queued. */
export interface ReindexPlan {
  /** reencode: stored vectors re-encoded, no model runs; reembed: stored chunks embedded again; rechunk: stored text cut anew and embedded. */
  kind: 'reencode' | 'reembed' | 'rechunk' | string;
  model: string;
  quantization: Quantization;
  chunk_size: number;
  chunk_overlap: number;
  documents: number;
  chunks: number;
  /** False when no model runs at all. */
  model_calls: boolean;
  /** False when the model is downloaded first. */
  model_installed: boolean;
  estimated_seconds: number;
  /** What will be recomputed and about how long, in sentences. */
  summary: string;
}

/** The password of a password-protected document; used once, never kept. */
export interface UnlockRequest {
  password: string;
}

/** A document the password opened: its text is searchable now. */
export interface UnlockResult {
  document: DocumentInfo;
  /** The operation that embeds its text; absent when none could be queued. */
  operation_id?: string;
}

/** Which failed documents to retry; none named retries them all. */
export interface RetryRequest {
  document_ids?: string[];
}

export interface ListDocumentsRequest {
  /** '' for all. */
  status: DocumentStatus | '';
  limit: number;
  offset: number;
}

/** The live events and their data. */
export interface EventMap {
  'operation:progress': Progress;
  /** The id of the collection whose counts or status changed. */
  'collection:changed': string;
  'model:download': ModelDownloadProgress;
}
export type EventTopic = keyof EventMap;

// --- Search ----------------------------------------------------------------

export type SearchMode = 'hybrid' | 'semantic' | 'keyword';

/** Restrictions on a search: fields combine with AND, values within one with OR. */
export interface SearchFilters {
  source_ids?: number[];
  /** Path prefixes: documents inside any of these folders. */
  folders?: string[];
  /** Extensions ('pdf', '.docx'), MIME types ('application/pdf') or MIME prefixes ('text/'). */
  file_types?: string[];
  /** RFC 3339, inclusive. */
  modified_from?: string;
  /** RFC 3339, exclusive. */
  modified_before?: string;
  statuses?: string[];
}

export interface SearchRequest {
  query: string;
  /** Empty: every collection. */
  collection_ids?: string[];
  mode?: SearchMode;
  filters: SearchFilters;
  /** Documents per page (default 10). */
  limit?: number;
  offset?: number;
  /** Passages per document (default 3). */
  passages?: number;
  /** 0–1; with rerank, the reranker's score counts. */
  min_score?: number;
  /** Re-score the best documents' passages with the local cross-encoder. */
  rerank?: boolean;
  /** How many documents to re-score (default 10, at most 100). */
  rerank_depth?: number;
  /** A stream id: a newer request with the same value cancels this one on the server. */
  supersedes?: string;
}

/** A half-open range [start, end) of UTF-16 code units. */
export interface Span {
  start: number;
  end: number;
}

export interface Snippet {
  text: string;
  /** Sorted, disjoint ranges of text (UTF-16 code units, i.e. JavaScript string indices). */
  highlights: Span[] | null;
}

export interface Passage {
  chunk_index: number;
  /** 0–1. */
  score: number;
  keyword_score: number;
  semantic_score: number;
  /** The reranker's 0–1 probability, when it re-scored this passage (then also `score`). */
  rerank_score?: number;
  /** 1-based; absent when the format has no pages. */
  page?: number;
  page_end?: number;
  heading?: string;
  snippet: Snippet;
}

export interface SearchResult {
  collection_id: string;
  document_id: string;
  path: string;
  file_name: string;
  mime_type: string;
  modified: string;
  /** 0–1: the best passage's score. */
  score: number;
  passages: Passage[] | null;
  /** Further matching passages in this document, not returned. */
  more_matches: number;
}

export interface SearchResponse {
  query: string;
  mode: SearchMode;
  results: SearchResult[] | null;
  has_more: boolean;
  warnings?: string[] | null;
  /** The reranker's model name, when the results were reranked. */
  reranker?: string;
  /** How many of the first documents the reranker re-scored. */
  reranked?: number;
  took_ms: number;
}

export interface InstallModelRequest {
  model: string;
  /** 'fp32' or 'int8'; absent: the registry's choice. */
  variant?: string;
}

export interface OpenDocumentRequest {
  document_id: string;
  /** 1-based; 0 or absent opens at the start. */
  page?: number;
}

/** What the desktop app reports after opening a file (the HTTP API answers 204). */
export interface OpenDocumentResult {
  path: string;
  /** Whether the viewer was told the page. */
  page_used: boolean;
}

/** Preferences that can change while Quarry runs. */
export interface Settings {
  /** CPU threads per model; 0 sizes them to the machine. Applies when a model is next loaded. */
  embed_threads: number;
  /** Batches a model runs at once (at least 1); applies at once. */
  embed_concurrency: number;
}

// --- Users, sign-in and sharing ----------------------------------------------

/** read: see, search, download; write: + rescan, retry, operations, watch; admin: + rename, reindex, remove, delete, permissions. */
export type Permission = 'read' | 'write' | 'admin';
export const PERMISSIONS: readonly Permission[] = ['read', 'write', 'admin'];

export interface User {
  id: number;
  username: string;
  display_name: string;
  is_admin: boolean;
  is_active: boolean;
  /** The machine's owner (the desktop user), who needs no password there. */
  is_local: boolean;
  created_at: string;
  last_login_at: string | null;
}

/**
 * Who is calling. owner: the desktop window or a loopback server, no
 * sign-in, full rights; lan: the HTTPS listener, signed in.
 */
export interface Me {
  mode: 'owner' | 'lan';
  user: User;
  /** Set when the caller authenticated with an API key. */
  api_key?: { id: string; name: string };
}

export interface Session {
  access_token: string;
  token_type: 'Bearer' | string;
  /** Seconds. */
  expires_in: number;
  refresh_token: string;
  user: User;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the secret, to recognise it by ("qk_ab12"). */
  prefix: string;
  user_id: number;
  username: string;
  permission: Permission;
  collection_ids: string[] | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  is_active: boolean;
}

/** A key just made: the secret is shown this once. */
export interface NewApiKey {
  key: ApiKey;
  secret: string;
}

/** A collection permission given to a user or an API key. */
export interface Grant {
  id: number;
  collection_id: string;
  user_id: number | null;
  username: string | null;
  api_key_id: string | null;
  api_key_name: string | null;
  permission: Permission;
  created_at: string;
}

/** The LAN listener. */
export interface Sharing {
  enabled: boolean;
  running: boolean;
  address: string;
  urls: string[] | null;
  /** SHA-256 of the certificate, hex pairs "AB:CD:…". */
  fingerprint: string;
  certificate: 'self-signed' | 'provided' | string;
  /** A data: URL of a QR code of urls[0]; '' when none. */
  qr: string;
  /** Why the listener is not running, when it should. */
  error: string;
  /** Whether sharing is announced on the local network (mDNS). */
  announce: boolean;
  /** The name it is announced under while it is ("Quarry on HOST"), else ''. */
  announced: string;
  /** Why it is not announced although asked for, else ''. */
  announce_error: string;
}

export interface AuditEntry {
  id: number;
  created_at: string;
  username: string | null;
  /** auth.login, user.create, permission.grant, collection.share… */
  action: string;
  collection_id: string | null;
  collection_name: string | null;
  /** The caller's network address. */
  address: string;
  details: Record<string, unknown> | null;
}

export interface CreateUserRequest {
  username: string;
  /** At least 10 characters. */
  password: string;
  display_name?: string;
  is_admin?: boolean;
}

/** Absent fields stay as they are; a new password or disabling ends that user's sessions. */
export interface UpdateUserRequest {
  password?: string;
  is_active?: boolean;
  is_admin?: boolean;
  display_name?: string;
}

export interface CreateApiKeyRequest {
  name: string;
  permission: Permission;
  collection_ids: string[];
  expires_in_days?: number;
}

/** Gives (or changes) a permission: to a user by name, or to an API key. */
export interface GrantRequest {
  username?: string;
  api_key_id?: string;
  permission: Permission;
}

export interface SharingRequest {
  enabled: boolean;
  address: string;
  /** Turns the mDNS announcement on or off; unchanged when absent. */
  announce?: boolean;
}
