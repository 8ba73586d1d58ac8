// Test data and a fake Api: a plain object over in-memory state that
// behaves like the server for the calls the UI makes.

import { ApiError, LOCAL_OWNER, type Api } from '../lib/api';
import type {
  ApiKey,
  AuditEntry,
  Grant,
  Me,
  Sharing,
  User,
  Collection,
  DocumentInfo,
  EventMap,
  EventTopic,
  ModelInfo,
  OpenDocumentRequest,
  OpenDocumentResult,
  Operation,
  Passage,
  Progress,
  ReindexPlan,
  ReindexRequest,
  SearchRequest,
  SearchResponse,
  SearchResult,
  Source,
  Status,
  Settings,
} from '../lib/types';

export const MINILM: ModelInfo = {
  name: 'sentence-transformers/all-MiniLM-L6-v2',
  short_name: 'minilm',
  display_name: 'MiniLM L6 v2',
  description: 'Small, fast English model',
  dims: 384,
  max_seq_len: 256,
  default_chunk_size: 256,
  default_chunk_overlap: 32,
  default: true,
  installed: true,
  kind: 'transformer',
};

export const BGE: ModelInfo = {
  name: 'BAAI/bge-base-en-v1.5',
  short_name: 'bge',
  display_name: 'BGE base v1.5',
  description: 'Larger English model',
  dims: 768,
  max_seq_len: 512,
  default_chunk_size: 400,
  default_chunk_overlap: 50,
  default: false,
  installed: true,
  kind: 'transformer',
};

export const RERANKER: ModelInfo = {
  name: 'ms-marco-MiniLM-L-6-v2',
  short_name: 'msmarcol6',
  display_name: 'MS MARCO MiniLM L6 reranker (English)',
  description: 'Cross-encoder that re-scores the best results of a search.',
  dims: 1,
  max_seq_len: 512,
  default_chunk_size: 0,
  default_chunk_overlap: 0,
  default: false,
  installed: false,
  kind: 'reranker',
};

export const GLOVE: ModelInfo = {
  name: 'glove-6b-100d',
  short_name: 'glove100',
  display_name: 'GloVe word vectors (English)',
  description: 'Averaged word vectors: very fast on any CPU, weaker matching. Import from a folder.',
  dims: 100,
  max_seq_len: 512,
  default_chunk_size: 256,
  default_chunk_overlap: 32,
  default: false,
  installed: true,
  state: 'installed',
  size_bytes: 40_000_000,
  languages: 'en',
  license: 'PDDL-1.0',
  kind: 'static',
};

export const STATUS: Status = {
  version: 'v0.1.0',
  database: 'embedded PostgreSQL 18.4',
  vector_engine: 'not configured',
  data_dir: '/tmp/q',
  desktop: false,
};

export function collection(over: Partial<Collection> = {}): Collection {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'Papers',
    description: 'Research PDFs',
    model: MINILM.name,
    quantization: 'float32',
    chunk_size: 256,
    chunk_overlap: 32,
    status: 'pending',
    status_message: '',
    source_count: 0,
    document_count: 0,
    vector_count: 0,
    total_size_bytes: 0,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  };
}

export function source(over: Partial<Source> = {}): Source {
  return {
    id: 7,
    collection_id: '11111111-1111-4111-8111-111111111111',
    type: 'directory',
    path: '/home/me/papers',
    document_count: 0,
    size_bytes: 0,
    last_indexed_at: null,
    created_at: '2026-01-01T00:00:00Z',
    watch: true,
    watch_state: 'watching',
    ...over,
  };
}

export function progress(over: Partial<Progress> = {}): Progress {
  return {
    operation_id: 'op-1',
    collection_id: '11111111-1111-4111-8111-111111111111',
    type: 'index',
    status: 'processing',
    phase: 'indexing',
    files_total: 30,
    files_done: 10,
    files_failed: 1,
    files_skipped: 1,
    chunks: 240,
    bytes: 123456,
    current_file: '/home/me/papers/2024/attention-is-all-you-need.pdf',
    files_per_sec: 2.5,
    chunks_per_sec: 48.2,
    eta_seconds: 90,
    elapsed_ms: 4800,
    ...over,
  };
}

export function operation(over: Partial<Operation> = {}): Operation {
  return {
    id: 'op-1',
    collection_id: '11111111-1111-4111-8111-111111111111',
    type: 'index',
    status: 'completed',
    config: {},
    progress: {},
    error: '',
    created_at: '2026-01-01T10:00:00Z',
    started_at: '2026-01-01T10:00:01Z',
    completed_at: '2026-01-01T10:00:31Z',
    ...over,
  };
}

export function doc(over: Partial<DocumentInfo> = {}): DocumentInfo {
  return {
    id: 'd-1',
    path: '/home/me/papers/a.txt',
    size: 2048,
    mime_type: 'text/plain',
    status: 'completed',
    error: '',
    chunk_count: 3,
    page_count: 0,
    paths: 1,
    ...over,
  };
}

export function passage(over: Partial<Passage> = {}): Passage {
  return {
    chunk_index: 0,
    score: 0.8,
    keyword_score: 0.8,
    semantic_score: 0.5,
    snippet: { text: 'The moon pulls the oceans, and twice a day the tides climb the beach.', highlights: [{ start: 41, end: 46 }] },
    ...over,
  };
}

export function result(over: Partial<SearchResult> = {}): SearchResult {
  return {
    collection_id: '11111111-1111-4111-8111-111111111111',
    document_id: 'doc-1',
    path: '/home/me/papers/notes/tides.txt',
    file_name: 'tides.txt',
    mime_type: 'text/plain',
    modified: '2026-01-02T10:00:00Z',
    score: 0.82,
    passages: [passage()],
    more_matches: 0,
    ...over,
  };
}

export function response(over: Partial<SearchResponse> = {}): SearchResponse {
  return { query: 'tides', mode: 'hybrid', results: [result()], has_more: false, warnings: [], took_ms: 12.4, ...over };
}

export function user(over: Partial<User> = {}): User {
  return {
    id: 2,
    username: 'alice',
    display_name: 'Alice',
    is_admin: false,
    is_active: true,
    is_local: false,
    created_at: '2026-01-01T00:00:00Z',
    last_login_at: null,
    ...over,
  };
}

/** The caller on the LAN, signed in. */
export function lanMe(over: Partial<User> = {}): Me {
  return { mode: 'lan', user: user(over) };
}

export const OWNER_ME: Me = LOCAL_OWNER;

export function apiKey(over: Partial<ApiKey> = {}): ApiKey {
  return {
    id: 'k-1',
    name: 'backup script',
    prefix: 'qk_ab12',
    user_id: 2,
    username: 'alice',
    permission: 'read',
    collection_ids: [],
    created_at: '2026-01-01T00:00:00Z',
    last_used_at: null,
    expires_at: null,
    is_active: true,
    ...over,
  };
}

export function grant(over: Partial<Grant> = {}): Grant {
  return {
    id: 1,
    collection_id: '11111111-1111-4111-8111-111111111111',
    user_id: 2,
    username: 'alice',
    api_key_id: null,
    api_key_name: null,
    permission: 'read',
    created_at: '2026-01-01T00:00:00Z',
    ...over,
  };
}

export function sharing(over: Partial<Sharing> = {}): Sharing {
  return {
    enabled: false,
    running: false,
    address: '0.0.0.0:8788',
    urls: [],
    fingerprint: '',
    certificate: 'self-signed',
    qr: '',
    error: '',
    announce: true,
    announced: '',
    announce_error: '',
    ...over,
  };
}

export function auditEntry(over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: 1,
    created_at: '2026-01-02T10:00:00Z',
    username: 'alice',
    action: 'auth.login',
    collection_id: null,
    collection_name: null,
    address: '192.168.1.20',
    details: {},
    ...over,
  };
}

export interface FakeApi extends Api {
  /** Every search request, in order. */
  searches: SearchRequest[];
  /** Answers a search; by default one page of response(). */
  searchImpl: (req: SearchRequest, signal?: AbortSignal) => Promise<SearchResponse>;
  opened: OpenDocumentRequest[];
  openImpl: (req: OpenDocumentRequest) => Promise<OpenDocumentResult | null>;
  collections: Collection[];
  sources: Source[];
  operations: Operation[];
  documents: DocumentInfo[];
  /** The passwords that open documents, by document id, for unlockDocument. */
  documentPasswords: Record<string, string>;
  models: ModelInfo[];
  settings: Settings;
  calls: string[];
  /** Answers installModel; by default it succeeds. */
  installImpl: (name: string) => Promise<void>;
  /** Changes one model in place of the old entry (the shared fixtures stay untouched). */
  setModel(name: string, over: Partial<ModelInfo>): ModelInfo;
  /** Delivers a live event to the UI, as the server would. */
  emit<T extends EventTopic>(topic: T, data: EventMap[T]): void;
  /** Says whether the event stream is connected now. */
  setConnected(v: boolean): void;
  /** How many listeners each topic has now. */
  listeners(topic: EventTopic): number;
  /** Who /auth/me says is calling; null: nobody is signed in (401). */
  caller: Me | null;
  users: User[];
  /** Passwords by user name, for login. */
  passwords: Record<string, string>;
  apiKeys: ApiKey[];
  grants: Grant[];
  sharingState: Sharing;
  audit: AuditEntry[];
  /** Tells the UI that the session has ended, as the HTTP transport would. */
  expire(): void;
}

export function fakeApi(
  init: {
    collections?: Collection[];
    kind?: 'desktop' | 'http';
    pick?: string;
    events?: boolean;
    connected?: boolean;
    /** Who calls; default the local owner. null: signed out. */
    me?: Me | null;
  } = {},
): FakeApi {
  let n = 100;
  const unauth = new Set<() => void>();
  const subs = new Map<string, Set<(d: unknown) => void>>();
  const conn = new Set<(c: boolean) => void>();
  let connected = init.connected ?? true;
  const api: FakeApi = {
    kind: init.kind ?? 'http',
    collections: [...(init.collections ?? [])],
    sources: [],
    operations: [],
    documents: [],
    documentPasswords: {},
    models: [MINILM, BGE],
    calls: [],
    settings: { embed_threads: 0, embed_concurrency: 1 },
    searches: [],
    searchImpl: async (req) => response({ query: req.query, mode: req.mode ?? 'hybrid' }),
    opened: [],
    openImpl: async () => null,
    search(req, opts) {
      api.searches.push(req);
      return api.searchImpl(req, opts?.signal);
    },
    openDocument(req) {
      api.opened.push(req);
      return api.openImpl(req);
    },
    emit(topic, data) {
      for (const cb of [...(subs.get(topic) ?? [])]) cb(data);
    },
    setConnected(v) {
      connected = v;
      for (const cb of [...conn]) cb(v);
    },
    listeners(topic) {
      return subs.get(topic)?.size ?? 0;
    },
    async status() {
      return STATUS;
    },
    async listModels() {
      return api.models.map((m) => ({
        ...m,
        collections: api.collections.filter((c) => c.model === m.name).map((c) => ({ id: c.id, name: c.name })),
      }));
    },
    setModel(name, over) {
      const i = api.models.findIndex((x) => x.name === name);
      if (i < 0) throw new ApiError('model_unknown', `Quarry does not know a model called "${name}".`, 'model');
      api.models = api.models.map((x, j) => (j === i ? { ...x, ...over } : x));
      return { ...api.models[i] };
    },
    async downloadModel(name) {
      api.calls.push(`download ${name}`);
      const m = api.models.find((x) => x.name === name);
      if (m?.kind === 'static') throw new ApiError('invalid_argument', `${m.display_name} is not downloaded by Quarry: import it from a folder that holds its files.`, 'model');
      return api.setModel(name, { state: 'downloading', error: undefined });
    },
    async pauseModelDownload(name) {
      api.calls.push(`pause-download ${name}`);
      if (api.models.find((x) => x.name === name)?.state !== 'downloading') throw new ApiError('conflict', `${name} is not downloading.`);
      return api.setModel(name, { state: 'paused' });
    },
    async cancelModelDownload(name) {
      api.calls.push(`cancel-download ${name}`);
      if (!['downloading', 'paused'].includes(api.models.find((x) => x.name === name)?.state ?? '')) throw new ApiError('conflict', `${name} is not downloading.`);
      return api.setModel(name, { state: 'not_installed', download_percent: 0 });
    },
    async deleteModel(name) {
      api.calls.push(`delete-model ${name}`);
      const m = api.models.find((x) => x.name === name);
      const users = api.collections.filter((c) => c.model === name).map((c) => c.name);
      if (m && users.length) {
        throw new ApiError('conflict', `${m.display_name} is used by ${users.join(', ')}: delete those collections, or reindex them with another model, first.`);
      }
      return api.setModel(name, { installed: false, state: 'not_installed', size_bytes: 0 });
    },
    async importModel(req) {
      api.calls.push(`import ${req.model} ${req.paths.join(',')}${req.allow_unverified ? ' unverified' : ''}`);
      if (req.paths.some((p) => p.includes('missing'))) {
        throw new ApiError('invalid_argument', `The folder does not hold ${req.model}: missing words.txt; nothing was changed.`, 'paths');
      }
      return api.setModel(req.model, { installed: true, state: 'installed', size_bytes: 1_234_567, error: undefined });
    },
    installImpl: async () => {},
    async installModel(req) {
      api.calls.push(`install ${req.model}`);
      const m = api.models.find((x) => x.name === req.model);
      if (!m) throw new ApiError('model_unknown', `Quarry does not know a model called "${req.model}".`, 'model');
      await api.installImpl(req.model);
      m.installed = true;
      return { ...m };
    },
    async listCollections() {
      return [...api.collections];
    },
    async getCollection(id) {
      const c = api.collections.find((x) => x.id === id);
      if (!c) throw new ApiError('not_found', `Not found: ${id}.`);
      return { ...c, source_count: api.sources.filter((s) => s.collection_id === id).length };
    },
    async createCollection(req) {
      api.calls.push(`create ${JSON.stringify(req)}`);
      if (api.collections.some((c) => c.name === req.name)) {
        throw new ApiError('name_taken', `A collection named "${req.name}" already exists.`, 'name');
      }
      const c = collection({ ...req, id: `id-${++n}` });
      api.collections.push(c);
      return c;
    },
    async updateCollection(id, req) {
      api.calls.push(`update ${id} ${JSON.stringify(req)}`);
      if (req.name && api.collections.some((c) => c.name === req.name && c.id !== id)) {
        throw new ApiError('name_taken', `A collection named "${req.name}" already exists.`, 'name');
      }
      const i = api.collections.findIndex((c) => c.id === id);
      api.collections[i] = { ...api.collections[i], ...req };
      return api.collections[i];
    },
    async deleteCollection(id) {
      api.calls.push(`delete ${id}`);
      api.collections = api.collections.filter((c) => c.id !== id);
      return operation({ id: `op-${++n}`, collection_id: id, type: 'delete', status: 'pending', started_at: null, completed_at: null });
    },
    async listSources(cid) {
      return api.sources.filter((s) => s.collection_id === cid);
    },
    async addSource(cid, req) {
      api.calls.push(`add ${cid} ${req.path}`);
      if (!req.path.startsWith('/')) {
        throw new ApiError('invalid_argument', 'Give the full path of the folder.', 'path');
      }
      if (req.path.includes('missing')) throw new ApiError('path_not_found', `${req.path} does not exist.`, 'path');
      const s: Source = {
        id: ++n,
        collection_id: cid,
        type: 'directory',
        path: req.path,
        document_count: 0,
        size_bytes: 0,
        last_indexed_at: null,
        created_at: '2026-01-01T00:00:00Z',
        watch: true,
        watch_state: 'watching',
      };
      api.sources.push(s);
      // Adding a folder queues its indexing.
      const op = operation({ id: `op-${++n}`, collection_id: cid, status: 'pending', started_at: null, completed_at: null });
      api.operations.unshift(op);
      return { ...s, operation_id: op.id };
    },
    async removeSource(cid, sid) {
      api.calls.push(`remove ${cid} ${sid}`);
      api.sources = api.sources.filter((s) => s.id !== sid);
    },
    async updateSource(cid, sid, req) {
      api.calls.push(`watch ${cid} ${sid} ${req.watch}`);
      const i = api.sources.findIndex((s) => s.collection_id === cid && s.id === sid);
      if (i < 0) throw new ApiError('not_found', `Not found: source ${sid}.`);
      const watch = req.watch ?? api.sources[i].watch;
      api.sources[i] = {
        ...api.sources[i],
        watch,
        watch_state: watch ? 'watching' : 'paused',
        watch_message: watch ? undefined : 'Watching is off: changes reach search when you rescan.',
      };
      return { ...api.sources[i] };
    },
    async getSettings() {
      return { ...api.settings };
    },
    async updateSettings(st) {
      api.calls.push(`settings ${st.embed_threads} ${st.embed_concurrency}`);
      api.settings = { ...st };
      return { ...st };
    },
    async rescanCollection(id) {
      api.calls.push(`rescan ${id}`);
      const op = operation({ id: `op-${++n}`, collection_id: id, type: 'append', status: 'pending', started_at: null, completed_at: null });
      api.operations.unshift(op);
      return op;
    },
    async listOperations(cid) {
      return api.operations.filter((o) => o.collection_id === cid);
    },
    async getOperation(id) {
      const o = api.operations.find((x) => x.id === id);
      if (!o) throw new ApiError('not_found', `Not found: operation ${id}.`);
      return o;
    },
    async cancelOperation(id) {
      api.calls.push(`cancel ${id}`);
      const i = api.operations.findIndex((x) => x.id === id);
      if (i < 0) throw new ApiError('not_found', `Not found: operation ${id}.`);
      if (!['pending', 'processing'].includes(api.operations[i].status)) {
        throw new ApiError('conflict', 'The operation has already finished.');
      }
      api.operations[i] = { ...api.operations[i], status: 'cancelled' };
      return api.operations[i];
    },
    async pauseOperation(id) {
      api.calls.push(`pause ${id}`);
      const i = api.operations.findIndex((x) => x.id === id);
      if (i < 0) throw new ApiError('not_found', `Not found: operation ${id}.`);
      if (!['pending', 'processing'].includes(api.operations[i].status)) {
        throw new ApiError('conflict', 'The operation cannot be changed now.');
      }
      api.operations[i] = { ...api.operations[i], status: 'paused' };
      return api.operations[i];
    },
    async resumeOperation(id) {
      api.calls.push(`resume ${id}`);
      const i = api.operations.findIndex((x) => x.id === id);
      if (i < 0) throw new ApiError('not_found', `Not found: operation ${id}.`);
      if (api.operations[i].status !== 'paused') throw new ApiError('conflict', 'The operation cannot be changed now.');
      api.operations[i] = { ...api.operations[i], status: 'pending' };
      return api.operations[i];
    },
    async retryDocuments(cid, req) {
      api.calls.push(`retry ${cid} ${(req.document_ids ?? []).join(',') || 'all'}`);
      if (!api.documents.some((d) => d.status === 'failed')) throw new ApiError('not_found', 'No failed documents to retry.');
      const op = operation({ id: `op-${++n}`, collection_id: cid, type: 'append', status: 'pending', started_at: null, completed_at: null });
      api.operations.unshift(op);
      return op;
    },
    async planReindex(cid, req) {
      api.calls.push(`plan ${cid} ${JSON.stringify(req)}`);
      return fakePlan(api.collections, cid, req);
    },
    async reindexCollection(cid, req) {
      api.calls.push(`reindex ${cid} ${JSON.stringify(req)}`);
      fakePlan(api.collections, cid, req);
      const op = operation({ id: `op-${++n}`, collection_id: cid, type: 'reindex', status: 'pending', started_at: null, completed_at: null });
      api.operations.unshift(op);
      return op;
    },
    async listDocuments(cid, req) {
      api.calls.push(`documents ${cid} ${req.status || 'all'} ${req.limit} ${req.offset}`);
      return api.documents.filter((d) => !req.status || d.status === req.status).slice(req.offset, req.offset + req.limit);
    },
    async unlockDocument(cid, did, req) {
      // The password is never recorded, not even here.
      api.calls.push(`unlock ${cid} ${did}`);
      const i = api.documents.findIndex((d) => d.id === did);
      if (i < 0) throw new ApiError('not_found', 'That document does not exist.');
      const d = api.documents[i];
      const name = d.path.split('/').pop();
      if (d.status !== 'failed') throw new ApiError('conflict', `${name} is not waiting for a password.`);
      if (req.password !== api.documentPasswords[did]) {
        throw new ApiError('invalid_argument', `That password does not open ${name}. Check it and try again.`, 'password');
      }
      api.documents[i] = { ...d, status: 'completed', error: '', chunk_count: 2, stage: 'chunked' };
      const op = operation({ id: `op-${++n}`, collection_id: cid, type: 'append', status: 'pending', started_at: null, completed_at: null });
      api.operations.unshift(op);
      return { document: api.documents[i], operation_id: op.id };
    },
    async pickDirectory() {
      api.calls.push('pick');
      return init.pick ?? '';
    },
    caller: init.me === undefined ? LOCAL_OWNER : init.me,
    users: [user({ id: 1, username: 'owner', display_name: 'Owner', is_admin: true, is_local: true }), user()],
    passwords: { alice: 'correct horse battery' },
    apiKeys: [],
    grants: [],
    sharingState: sharing(),
    audit: [],
    expire() {
      api.caller = null;
      for (const cb of [...unauth]) cb();
    },
    async me() {
      if (!api.caller) throw new ApiError('unauthenticated', 'Sign in to continue.');
      return api.caller;
    },
    async login(username, password) {
      api.calls.push(`login ${username}`);
      if (username === 'locked') throw new ApiError('rate_limited', 'Too many failed sign-ins. Try again in 30 s.', undefined, { retryAfter: 30 });
      const u = api.users.find((x) => x.username === username);
      if (!u || api.passwords[username] !== password) throw new ApiError('unauthenticated', 'Wrong user name or password.');
      api.caller = { mode: 'lan', user: u };
      return { access_token: 'a', token_type: 'Bearer', expires_in: 900, refresh_token: 'r', user: u };
    },
    async logout() {
      api.calls.push('logout');
      api.caller = null;
    },
    async listUsers() {
      return api.users.map((u) => ({ ...u }));
    },
    async createUser(req) {
      api.calls.push(`create-user ${req.username}${req.is_admin ? ' admin' : ''}`);
      if (req.password.length < 10) throw new ApiError('invalid_argument', 'A password needs at least 10 characters.', 'password');
      if (api.users.some((u) => u.username === req.username)) throw new ApiError('name_taken', `A user named "${req.username}" already exists.`, 'username');
      const u = user({ id: ++n, username: req.username, display_name: req.display_name ?? '', is_admin: !!req.is_admin });
      api.users.push(u);
      api.passwords[u.username] = req.password;
      return { ...u };
    },
    async updateUser(id, req) {
      api.calls.push(`update-user ${id} ${JSON.stringify(req)}`);
      const i = api.users.findIndex((u) => u.id === id);
      if (i < 0) throw new ApiError('not_found', `Not found: user ${id}.`);
      if (req.password !== undefined && req.password.length < 10) throw new ApiError('invalid_argument', 'A password needs at least 10 characters.', 'password');
      const { password, ...rest } = req;
      if (password !== undefined) api.passwords[api.users[i].username] = password;
      api.users[i] = { ...api.users[i], ...rest };
      return { ...api.users[i] };
    },
    async listApiKeys() {
      return api.apiKeys.map((k) => ({ ...k }));
    },
    async createApiKey(req) {
      api.calls.push(`create-key ${JSON.stringify(req)}`);
      if (!req.name.trim()) throw new ApiError('invalid_argument', 'An API key needs a name.', 'name');
      const key = apiKey({ id: `k-${++n}`, name: req.name, permission: req.permission, collection_ids: req.collection_ids, prefix: `qk_${n}` });
      api.apiKeys.push(key);
      return { key: { ...key }, secret: `qk_${n}_s3cr3t` };
    },
    async deleteApiKey(id) {
      api.calls.push(`delete-key ${id}`);
      api.apiKeys = api.apiKeys.filter((k) => k.id !== id);
    },
    async listGrants(cid) {
      return api.grants.filter((g) => g.collection_id === cid).map((g) => ({ ...g }));
    },
    async grant(cid, req) {
      api.calls.push(`grant ${cid} ${req.username ?? req.api_key_id} ${req.permission}`);
      const u = req.username ? api.users.find((x) => x.username === req.username) : undefined;
      if (req.username && !u) throw new ApiError('not_found', `There is no user called "${req.username}".`, 'username');
      const i = api.grants.findIndex((g) => g.collection_id === cid && (u ? g.user_id === u.id : g.api_key_id === req.api_key_id));
      if (i >= 0) {
        api.grants[i] = { ...api.grants[i], permission: req.permission };
        return { ...api.grants[i] };
      }
      const key = req.api_key_id ? api.apiKeys.find((k) => k.id === req.api_key_id) : undefined;
      const g = grant({
        id: ++n,
        collection_id: cid,
        user_id: u?.id ?? null,
        username: u?.username ?? null,
        api_key_id: req.api_key_id ?? null,
        api_key_name: key?.name ?? null,
        permission: req.permission,
      });
      api.grants.push(g);
      return { ...g };
    },
    async revokeGrant(cid, gid) {
      api.calls.push(`revoke ${cid} ${gid}`);
      api.grants = api.grants.filter((g) => g.id !== gid);
    },
    async getSharing() {
      return { ...api.sharingState };
    },
    async updateSharing(req) {
      api.calls.push(`sharing ${req.enabled} ${req.address}`);
      if (!/^[^:]*:\d+$/.test(req.address)) throw new ApiError('invalid_argument', 'Give the address as host:port.', 'address');
      const port = req.address.split(':').pop();
      const announce = req.announce ?? api.sharingState.announce;
      api.sharingState = req.enabled
        ? sharing({
            enabled: true,
            running: true,
            address: req.address,
            urls: [`https://192.168.1.10:${port}`],
            fingerprint: 'AB:CD:EF:01',
            qr: 'data:image/png;base64,iVBORw0KGgo=',
            announce,
            announced: announce ? 'Quarry on desk' : '',
          })
        : sharing({ address: req.address, announce });
      return { ...api.sharingState };
    },
    async auditLog(limit = 100) {
      api.calls.push(`audit ${limit}`);
      return api.audit.slice(0, limit);
    },
  };
  if ((init.kind ?? 'http') === 'http') {
    api.onUnauthenticated = (cb) => {
      unauth.add(cb);
      return () => unauth.delete(cb);
    };
    api.fileUrl = (id) => `/api/v1/documents/${encodeURIComponent(id)}/file`;
  }
  if (init.events !== false) {
    api.onEvent = (topic, cb) => {
      const fn = cb as (d: unknown) => void;
      let set = subs.get(topic);
      if (!set) subs.set(topic, (set = new Set()));
      set.add(fn);
      return () => set.delete(fn);
    };
    api.onEventsConnected = (cb) => {
      conn.add(cb);
      cb(connected);
      return () => conn.delete(cb);
    };
  }
  return api;
}

/** What the server would plan for a reindex, roughly, with its refusals. */
export function fakePlan(collections: Collection[], cid: string, req: ReindexRequest): ReindexPlan {
  const c = collections.find((x) => x.id === cid);
  if (!c) throw new ApiError('not_found', `Not found: collection ${cid}.`);
  const t = {
    model: req.model ?? c.model,
    quantization: req.quantization ?? c.quantization,
    chunk_size: req.chunk_size ?? c.chunk_size,
    chunk_overlap: req.chunk_overlap ?? c.chunk_overlap,
  };
  if (t.chunk_size < 32) throw new ApiError('invalid_argument', 'Chunk size must be between 32 and 256 tokens for MiniLM L6 v2.', 'chunk_size');
  if (t.model === c.model && t.quantization === c.quantization && t.chunk_size === c.chunk_size && t.chunk_overlap === c.chunk_overlap) {
    throw new ApiError('invalid_argument', `Nothing to change: ${c.name} already uses these settings.`);
  }
  const rechunk = t.chunk_size !== c.chunk_size || t.chunk_overlap !== c.chunk_overlap;
  const kind = rechunk ? 'rechunk' : t.model !== c.model || t.quantization === 'float32' ? 'reembed' : 'reencode';
  const summary =
    kind === 'reencode'
      ? `Re-encodes the ${c.vector_count} stored vectors as ${t.quantization}: no model runs and no file is opened. About 1 s.`
      : kind === 'rechunk'
        ? `Cuts the stored text of ${c.document_count} documents into chunks of ${t.chunk_size} tokens (${t.chunk_overlap} overlap). About 5 s.`
        : `Embeds the ${c.vector_count} stored chunks of ${c.document_count} documents again. About 5 s.`;
  return {
    kind,
    ...t,
    documents: c.document_count,
    chunks: c.vector_count,
    model_calls: kind !== 'reencode',
    model_installed: true,
    estimated_seconds: kind === 'reencode' ? 1 : 5,
    summary,
  };
}
