// The one interface the UI talks to, and its two transports: the Wails
// bindings inside the desktop window, and fetch against /api/v1 when the UI
// is served over HTTP. Both reject with ApiError.

import type {
  AddSourceRequest,
  Collection,
  CreateCollectionRequest,
  DocumentInfo,
  ErrorBody,
  EventMap,
  EventTopic,
  ListDocumentsRequest,
  ModelInfo,
  OpenDocumentRequest,
  OpenDocumentResult,
  Operation,
  SearchRequest,
  SearchResponse,
  Source,
  Status,
  UpdateCollectionRequest,
  UpdateSourceRequest,
  Settings,
  InstallModelRequest,
  ImportModelRequest,
  RetryRequest,
  UnlockRequest,
  UnlockResult,
  ReindexPlan,
  ReindexRequest,
  ApiKey,
  AuditEntry,
  CreateApiKeyRequest,
  CreateUserRequest,
  Grant,
  GrantRequest,
  Me,
  NewApiKey,
  Session,
  Sharing,
  SharingRequest,
  UpdateUserRequest,
  User,
} from './types';

/** The topics the UI listens to. */
export const EVENT_TOPICS: readonly EventTopic[] = ['operation:progress', 'collection:changed', 'model:download'];

export interface Api {
  /** 'desktop' inside the Wails window, 'http' in a browser. */
  readonly kind: 'desktop' | 'http';
  status(): Promise<Status>;
  listModels(): Promise<ModelInfo[]>;
  /** Downloads and verifies a registered model; resolves when it is installed. */
  installModel(req: InstallModelRequest): Promise<ModelInfo>;
  /** Starts (or resumes) a model's download in the background; progress arrives on 'model:download'. */
  downloadModel(name: string): Promise<ModelInfo>;
  /** Pauses a running download, keeping what it fetched; 'conflict' when it is not downloading. */
  pauseModelDownload(name: string): Promise<ModelInfo>;
  /** Stops a download and removes what it fetched. */
  cancelModelDownload(name: string): Promise<ModelInfo>;
  /** Removes a model's files; 'conflict', naming them, while collections use it. */
  deleteModel(name: string): Promise<ModelInfo>;
  /** Installs a model from folders on this machine; the error says what is missing. */
  importModel(req: ImportModelRequest): Promise<ModelInfo>;
  listCollections(): Promise<Collection[]>;
  getCollection(id: string): Promise<Collection>;
  createCollection(req: CreateCollectionRequest): Promise<Collection>;
  updateCollection(id: string, req: UpdateCollectionRequest): Promise<Collection>;
  /**
   * Deletes a collection: it leaves lists and search at once; the returned
   * operation removes its vectors, keyword index and rows.
   */
  deleteCollection(id: string): Promise<Operation>;
  listSources(collectionId: string): Promise<Source[]>;
  addSource(collectionId: string, req: AddSourceRequest): Promise<Source>;
  removeSource(collectionId: string, sourceId: number): Promise<void>;
  /** Changes a folder's settings (watching on or off); resolves with the folder as it now stands. */
  updateSource(collectionId: string, sourceId: number, req: UpdateSourceRequest): Promise<Source>;
  /** Queues an operation that indexes what changed in all the collection's folders. */
  rescanCollection(id: string): Promise<Operation>;
  /** The collection's operations, newest first. */
  listOperations(collectionId: string): Promise<Operation[]>;
  getOperation(id: string): Promise<Operation>;
  /** Rejects with code 'conflict' when the operation has already finished. */
  cancelOperation(id: string): Promise<Operation>;
  /** Pauses a waiting or running operation; it stays paused across restarts. */
  pauseOperation(id: string): Promise<Operation>;
  resumeOperation(id: string): Promise<Operation>;
  /** Queues failed documents (all, or the given ids) to be indexed again. */
  retryDocuments(collectionId: string, req: RetryRequest): Promise<Operation>;
  /** Says what a reindex with these settings would recompute; changes nothing. */
  planReindex(collectionId: string, req: ReindexRequest): Promise<ReindexPlan>;
  /**
   * Queues a reindex; the collection keeps answering searches with its
   * current index until the new one is complete.
   */
  reindexCollection(collectionId: string, req: ReindexRequest): Promise<Operation>;
  listDocuments(collectionId: string, req: ListDocumentsRequest): Promise<DocumentInfo[]>;
  /**
   * Reads a failed, password-protected document with its password: its
   * text is searchable when this resolves. A wrong password rejects with
   * 'invalid_argument' on the 'password' field and changes nothing.
   */
  unlockDocument(collectionId: string, documentId: string, req: UnlockRequest): Promise<UnlockResult>;
  /** Opens the native folder picker; '' when cancelled. Desktop only. */
  pickDirectory(): Promise<string>;
  getSettings(): Promise<Settings>;
  updateSettings(st: Settings): Promise<Settings>;
  /**
   * Searches. An aborted signal rejects with code 'aborted' (HTTP; the
   * desktop bindings cannot be aborted, and their late reply is the
   * caller's to ignore).
   */
  search(req: SearchRequest, opts?: { signal?: AbortSignal }): Promise<SearchResponse>;
  /**
   * Opens a document in its default application on the machine running
   * Quarry. The desktop app says where and whether the page was used; the
   * HTTP API answers null.
   */
  openDocument(req: OpenDocumentRequest): Promise<OpenDocumentResult | null>;
  /**
   * Calls back with the paths of files and folders dropped on the window.
   * Desktop only (a browser never reveals a dropped folder's path).
   * Returns a function that stops listening.
   */
  onFileDrop?(callback: (paths: string[]) => void): () => void;
  /**
   * Calls back with each live event of a topic (the desktop runtime's
   * events, or the HTTP server's event stream). Returns a function that
   * stops listening. Absent where no event stream exists.
   */
  onEvent?<T extends EventTopic>(topic: T, callback: (data: EventMap[T]) => void): () => void;
  /**
   * Calls back at once and on every change with whether events are being
   * delivered (the HTTP stream drops and reconnects). Returns a function
   * that stops listening.
   */
  onEventsConnected?(callback: (connected: boolean) => void): () => void;

  // --- sign-in, users and sharing ---
  /** Who is calling: the local owner (desktop, loopback) or a signed-in LAN user. */
  me(): Promise<Me>;
  /** Signs in (the server sets the session cookies); 'unauthenticated' or 'rate_limited' when refused. */
  login(username: string, password: string): Promise<Session>;
  /** Ends the session; resolves when there was none. */
  logout(): Promise<void>;
  listUsers(): Promise<User[]>;
  createUser(req: CreateUserRequest): Promise<User>;
  updateUser(id: number, req: UpdateUserRequest): Promise<User>;
  /** The caller's keys (an admin's: everyone's). */
  listApiKeys(): Promise<ApiKey[]>;
  /** Makes a key; its secret is in the reply only. */
  createApiKey(req: CreateApiKeyRequest): Promise<NewApiKey>;
  deleteApiKey(id: string): Promise<void>;
  listGrants(collectionId: string): Promise<Grant[]>;
  /** Gives or changes a permission on a collection. */
  grant(collectionId: string, req: GrantRequest): Promise<Grant>;
  revokeGrant(collectionId: string, grantId: number): Promise<void>;
  getSharing(): Promise<Sharing>;
  /** Starts or stops the LAN listener; resolves with how it stands now. */
  updateSharing(req: SharingRequest): Promise<Sharing>;
  /** The newest audit entries first. */
  auditLog(limit?: number): Promise<AuditEntry[]>;
  /**
   * Calls back when the session has ended and could not be renewed: the UI
   * shows the sign-in screen. HTTP only. Returns a function that stops.
   */
  onUnauthenticated?(callback: () => void): () => void;
  /** Where a browser downloads a document's original file. HTTP only. */
  fileUrl?(documentId: string): string;
}

/**
 * Codes besides the server's domain ones: unauthenticated (sign in again),
 * forbidden (above one's permission), rate_limited (retryAfter says when),
 * too_large, aborted, unavailable, unsupported, internal.
 */
export class ApiError extends Error {
  readonly code: string;
  readonly field?: string;
  /** rate_limited: the seconds to wait before trying again. */
  readonly retryAfter?: number;
  /** The HTTP status, when the error came from one. */
  readonly status?: number;

  constructor(code: string, message: string, field?: string, extra: { retryAfter?: number; status?: number } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    if (field) this.field = field;
    if (extra.retryAfter !== undefined && Number.isFinite(extra.retryAfter)) this.retryAfter = extra.retryAfter;
    if (extra.status !== undefined) this.status = extra.status;
  }
}

function isErrorBody(v: unknown): v is ErrorBody {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ErrorBody).code === 'string' &&
    typeof (v as ErrorBody).message === 'string'
  );
}

function fromBody(b: ErrorBody, status?: number, retryHeader?: number): ApiError {
  const retry = typeof b.retry_after === 'number' && b.retry_after > 0 ? b.retry_after : retryHeader;
  return new ApiError(b.code, b.message || defaultMessage(b.code, status), typeof b.field === 'string' && b.field ? b.field : undefined, {
    retryAfter: retry,
    status,
  });
}

/** What to say when the server named a code but gave no message. */
function defaultMessage(code: string, status?: number): string {
  switch (code) {
    case 'unauthenticated':
      return 'Sign in to continue.';
    case 'forbidden':
      return 'You do not have permission to do that.';
    case 'rate_limited':
      return 'Too many attempts. Wait a moment and try again.';
    case 'too_large':
      return 'That request is too large.';
    case 'not_found':
      return 'Not found.';
    default:
      return status ? `The server answered ${status}.` : 'Something went wrong.';
  }
}

/**
 * Turns anything a transport may throw into an ApiError: the Go error
 * formatter's {code, message, field} (as an object, as JSON text, or as
 * the JSON message of an Error, which is how Wails v2.16 delivers it), an
 * HTTP error body, or a plain Error or string.
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (isErrorBody(e)) return fromBody(e);
  if (typeof e === 'object' && e !== null && isErrorBody((e as { error?: unknown }).error)) {
    return fromBody((e as { error: ErrorBody }).error);
  }
  if (typeof e === 'string') {
    const s = e.trim();
    if (s.startsWith('{')) {
      try {
        return toApiError(JSON.parse(s));
      } catch {
        // not JSON after all: fall through and show the text
      }
    }
    return new ApiError('internal', s || 'Something went wrong.');
  }
  if (e instanceof Error) {
    // Wails v2 rejects with new Error(formatted): the Go error formatter
    // therefore sends its {code, message, field} as JSON text.
    const m = e.message.trim();
    if (m.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(m);
        if (isErrorBody(parsed)) return fromBody(parsed);
      } catch {
        // not JSON: show the text
      }
    }
    return new ApiError('internal', m || 'Something went wrong.');
  }
  return new ApiError('internal', 'Something went wrong.');
}

async function guard<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await p();
  } catch (e) {
    throw toApiError(e);
  }
}

/** Go renders nil slices as null: a response the UI can read without checks. */
function normalizeSearch(r: SearchResponse): SearchResponse {
  if (!r || typeof r !== 'object') throw new ApiError('internal', 'The server sent no search results.');
  return {
    ...r,
    results: (r.results ?? []).map((x) => ({
      ...x,
      passages: (x.passages ?? []).map((p) => ({ ...p, snippet: { text: p.snippet?.text ?? '', highlights: p.snippet?.highlights ?? [] } })),
      more_matches: x.more_matches ?? 0,
    })),
    warnings: r.warnings ?? [],
    has_more: !!r.has_more,
  };
}

function openResult(v: unknown): OpenDocumentResult | null {
  if (typeof v === 'object' && v !== null && typeof (v as OpenDocumentResult).path === 'string') {
    return v as OpenDocumentResult;
  }
  return null;
}

function normalizeKey(k: ApiKey): ApiKey {
  return { ...k, collection_ids: k?.collection_ids ?? [] };
}

function normalizeSharing(s: Sharing): Sharing {
  if (!s || typeof s !== 'object') throw new ApiError('internal', 'The server sent no sharing settings.');
  return { ...s, urls: s.urls ?? [], fingerprint: s.fingerprint ?? '', qr: s.qr ?? '', error: s.error ?? '', address: s.address ?? '' };
}

/** Who calls when the app cannot say: the desktop's owner, with every right. */
export const LOCAL_OWNER: Me = {
  mode: 'owner',
  user: {
    id: 0,
    username: 'owner',
    display_name: '',
    is_admin: true,
    is_active: true,
    is_local: true,
    created_at: '',
    last_login_at: null,
  },
};

function missing(name: string): Promise<never> {
  return Promise.reject(new ApiError('unsupported', `This build of Quarry has no ${name} yet.`));
}

// --- HTTP ---------------------------------------------------------------

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

function codeForStatus(status: number): string {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  if (status === 409) return 'conflict';
  if (status >= 400 && status < 500) return 'invalid_argument';
  return 'internal';
}

/** The parts of the browser's EventSource the UI uses. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (ev: MessageEvent) => void): void;
  close(): void;
}

export type OpenEventSource = (url: string) => EventSourceLike;

const defaultOpenEventSource: OpenEventSource | undefined =
  typeof EventSource === 'undefined' ? undefined : (url) => new EventSource(url);

/** EventSource.CLOSED: the browser gave up and will not reconnect by itself. */
const ES_CLOSED = 2;

/**
 * One shared event stream for all listeners: opened with the first,
 * closed with the last. The browser reconnects a dropped stream by itself;
 * when it gives up (the server answered with an error), this retries.
 */
export class EventHub {
  #open: OpenEventSource;
  #url: string;
  #retryMs: number;
  #es: EventSourceLike | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #onGiveUp?: () => void;
  #connected = false;
  #listeners = new Map<string, Set<(data: unknown) => void>>();
  #connListeners = new Set<(connected: boolean) => void>();

  /** onGiveUp: the browser gave up on the stream (e.g. a 401 once the session expired). */
  constructor(open: OpenEventSource, url: string, retryMs = 5000, onGiveUp?: () => void) {
    this.#open = open;
    this.#url = url;
    this.#retryMs = retryMs;
    this.#onGiveUp = onGiveUp;
  }

  get connected(): boolean {
    return this.#connected;
  }

  on<T extends EventTopic>(topic: T, callback: (data: EventMap[T]) => void): () => void {
    const cb = callback as (data: unknown) => void;
    let set = this.#listeners.get(topic);
    if (!set) this.#listeners.set(topic, (set = new Set()));
    set.add(cb);
    this.#ensure();
    return () => {
      set.delete(cb);
      this.#release();
    };
  }

  onConnected(callback: (connected: boolean) => void): () => void {
    this.#connListeners.add(callback);
    callback(this.#connected);
    this.#ensure();
    return () => {
      this.#connListeners.delete(callback);
      this.#release();
    };
  }

  #wanted(): boolean {
    if (this.#connListeners.size > 0) return true;
    for (const set of this.#listeners.values()) if (set.size > 0) return true;
    return false;
  }

  #setConnected(v: boolean) {
    if (v === this.#connected) return;
    this.#connected = v;
    for (const cb of [...this.#connListeners]) cb(v);
  }

  #ensure() {
    if (this.#es || this.#retry || !this.#wanted()) return;
    let es: EventSourceLike;
    try {
      es = this.#open(this.#url);
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#es = es;
    es.onopen = () => {
      if (this.#es === es) this.#setConnected(true);
    };
    es.onerror = () => {
      if (this.#es !== es) return;
      this.#setConnected(false);
      if (es.readyState === ES_CLOSED) {
        es.close();
        this.#es = null;
        this.#onGiveUp?.();
        this.#scheduleRetry();
      }
    };
    for (const topic of EVENT_TOPICS) {
      es.addEventListener(topic, (ev) => {
        if (this.#es !== es) return;
        let data: unknown;
        try {
          data = JSON.parse(String(ev.data));
        } catch {
          return;
        }
        for (const cb of [...(this.#listeners.get(topic) ?? [])]) {
          try {
            cb(data);
          } catch (err) {
            console.error(`quarry: a listener for ${topic} failed`, err);
          }
        }
      });
    }
  }

  #scheduleRetry() {
    if (this.#retry || this.#retryMs <= 0) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#ensure();
    }, this.#retryMs);
  }

  #release() {
    if (this.#wanted()) return;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    this.#es?.close();
    this.#es = null;
    this.#connected = false;
  }
}

/**
 * An Api over fetch to `${base}/api/v1`; live events over an EventSource
 * on `${base}/api/v1/events` where the browser has one.
 */
export function createHttpApi(
  fetchFn: FetchFn = (i, init) => fetch(i, init),
  base = '',
  openEventSource: OpenEventSource | undefined = defaultOpenEventSource,
): Api {
  const root = `${base}/api/v1`;

  /** Bumped by each sign-in and refresh: a 401 to a request sent before one is worth a plain retry. */
  let epoch = 0;
  /**
   * The refresh in flight: refresh tokens are spent on use, so 401s close
   * together share one. ok: renewed; denied: the session is over; failed:
   * the server could not be asked.
   */
  let refreshing: Promise<'ok' | 'denied' | { failed: ApiError }> | null = null;
  const unauthListeners = new Set<() => void>();

  /** One request; rejects with ApiError (status set for HTTP errors). */
  async function attempt<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    // Same-origin cookies carry the session (quarry_access, and quarry_refresh on /auth).
    const init: RequestInit = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    }
    if (signal) init.signal = signal;
    const aborted = () => new ApiError('aborted', 'The request was cancelled.');
    let res: Response;
    try {
      res = await fetchFn(root + path, init);
    } catch {
      if (signal?.aborted) throw aborted();
      throw new ApiError('unavailable', 'Quarry cannot be reached. Is it still running?');
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text().catch(() => '');
    if (signal?.aborted) throw aborted();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const header = Number(res.headers?.get?.('Retry-After') ?? NaN);
      const retryHeader = Number.isFinite(header) && header > 0 ? header : undefined;
      const err = (parsed as { error?: unknown } | undefined)?.error;
      if (typeof err === 'object' && err !== null && typeof (err as ErrorBody).code === 'string') {
        const b = err as ErrorBody;
        throw fromBody({ ...b, message: typeof b.message === 'string' ? b.message : '' }, res.status, retryHeader);
      }
      const code = codeForStatus(res.status);
      const detail = text && parsed === undefined ? `: ${text.trim().slice(0, 200)}` : '';
      const message =
        code === 'unauthenticated' || code === 'forbidden' || code === 'rate_limited' || code === 'too_large'
          ? defaultMessage(code)
          : `The server answered ${res.status}${res.statusText ? ' ' + res.statusText : ''}${detail}.`;
      throw new ApiError(code, message, undefined, { status: res.status, retryAfter: retryHeader });
    }
    if (parsed === undefined && text) {
      throw new ApiError('internal', 'The server sent a reply that is not JSON.');
    }
    return parsed as T;
  }

  function refresh(): Promise<'ok' | 'denied' | { failed: ApiError }> {
    refreshing ??= attempt('POST', '/auth/refresh', {})
      .then(
        () => {
          epoch++;
          return 'ok' as const;
        },
        (e: unknown) => {
          const err = toApiError(e);
          // A server that cannot be reached, or fails, has not ended the session.
          return err.status !== undefined && err.status < 500 ? ('denied' as const) : { failed: err };
        },
      )
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  function signedOut(): ApiError {
    for (const cb of [...unauthListeners]) {
      try {
        cb();
      } catch (err) {
        console.error('quarry: an unauthenticated listener failed', err);
      }
    }
    return new ApiError('unauthenticated', 'Your session has ended. Sign in again.', undefined, { status: 401 });
  }

  /**
   * A request; a 401 renews the session once (POST /auth/refresh) and
   * retries. When that fails too, the listeners hear of it and the call
   * rejects with 'unauthenticated'.
   */
  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const sentAt = epoch;
    try {
      return await attempt<T>(method, path, body, signal);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
    }
    // Another request renewed the session meanwhile: just try again.
    const renewed = epoch !== sentAt ? 'ok' : await refresh();
    if (typeof renewed === 'object') throw renewed.failed;
    if (renewed === 'ok') {
      try {
        return await attempt<T>(method, path, body, signal);
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 401) throw e;
      }
    }
    throw signedOut();
  }

  const seg = encodeURIComponent;
  const api: Api = {
    kind: 'http',
    status: () => call('GET', '/status'),
    listModels: () => call<ModelInfo[] | null>('GET', '/models').then((v) => v ?? []),
    installModel: (req) => call('POST', '/models/install', req),
    downloadModel: (name) => call('POST', `/models/${seg(name)}/download`, {}),
    pauseModelDownload: (name) => call('POST', `/models/${seg(name)}/download/pause`, {}),
    cancelModelDownload: (name) => call('POST', `/models/${seg(name)}/download/cancel`, {}),
    deleteModel: (name) => call('DELETE', `/models/${seg(name)}`),
    importModel: (req) => call('POST', '/models/import', req),
    listCollections: () => call<Collection[] | null>('GET', '/collections').then((v) => v ?? []),
    getCollection: (id) => call('GET', `/collections/${seg(id)}`),
    createCollection: (req) => call('POST', '/collections', req),
    updateCollection: (id, req) => call('PATCH', `/collections/${seg(id)}`, req),
    deleteCollection: (id) => call('DELETE', `/collections/${seg(id)}`),
    listSources: (cid) => call<Source[] | null>('GET', `/collections/${seg(cid)}/sources`).then((v) => v ?? []),
    addSource: (cid, req) => call('POST', `/collections/${seg(cid)}/sources`, req),
    removeSource: (cid, sid) => call('DELETE', `/collections/${seg(cid)}/sources/${sid}`),
    updateSource: (cid, sid, req) => call('PATCH', `/collections/${seg(cid)}/sources/${sid}`, req),
    // The server reads no body here, but every POST must say application/json.
    rescanCollection: (id) => call('POST', `/collections/${seg(id)}/rescan`, {}),
    getSettings: () => call('GET', '/settings'),
    updateSettings: (st) => call('PUT', '/settings', st),
    listOperations: (cid) => call<Operation[] | null>('GET', `/collections/${seg(cid)}/operations`).then((v) => v ?? []),
    getOperation: (id) => call('GET', `/operations/${seg(id)}`),
    cancelOperation: (id) => call('POST', `/operations/${seg(id)}/cancel`, {}),
    pauseOperation: (id) => call('POST', `/operations/${seg(id)}/pause`, {}),
    resumeOperation: (id) => call('POST', `/operations/${seg(id)}/resume`, {}),
    retryDocuments: (cid, req) => call('POST', `/collections/${seg(cid)}/retry`, req),
    planReindex: (cid, req) => call('POST', `/collections/${seg(cid)}/reindex/plan`, req),
    reindexCollection: (cid, req) => call('POST', `/collections/${seg(cid)}/reindex`, req),
    listDocuments: (cid, req) => {
      const q = new URLSearchParams({ status: req.status, limit: String(req.limit), offset: String(req.offset) });
      return call<DocumentInfo[] | null>('GET', `/collections/${seg(cid)}/documents?${q}`).then((v) => v ?? []);
    },
    unlockDocument: (cid, did, req) => call('POST', `/collections/${seg(cid)}/documents/${seg(did)}/unlock`, req),
    pickDirectory: () =>
      Promise.reject(new ApiError('unsupported', 'The folder picker is only available in the desktop app; type the folder’s path instead.')),
    search: (req, opts) => call<SearchResponse>('POST', '/search', req, opts?.signal).then(normalizeSearch),
    openDocument: (req) => call<unknown>('POST', '/documents/open', req).then(openResult),
    me: () => call('GET', '/auth/me'),
    login: async (username, password) => {
      // Neither refreshed nor retried: a 401 here is a wrong password.
      const s = await attempt<Session>('POST', '/auth/login', { username, password });
      epoch++;
      return s;
    },
    logout: () =>
      call<void>('POST', '/auth/logout', {}).then(
        () => undefined,
        (e: unknown) => {
          if (toApiError(e).code !== 'unauthenticated') throw e;
        },
      ),
    listUsers: () => call<User[] | null>('GET', '/users').then((v) => v ?? []),
    createUser: (req) => call('POST', '/users', req),
    updateUser: (id, req) => call('PATCH', `/users/${id}`, req),
    listApiKeys: () => call<ApiKey[] | null>('GET', '/api-keys').then((v) => (v ?? []).map(normalizeKey)),
    createApiKey: (req) => call<NewApiKey>('POST', '/api-keys', req).then((r) => ({ ...r, key: normalizeKey(r.key) })),
    deleteApiKey: (id) => call<void>('DELETE', `/api-keys/${seg(id)}`).then(() => undefined),
    listGrants: (cid) => call<Grant[] | null>('GET', `/collections/${seg(cid)}/permissions`).then((v) => v ?? []),
    grant: (cid, req) => call('POST', `/collections/${seg(cid)}/permissions`, req),
    revokeGrant: (cid, gid) => call<void>('DELETE', `/collections/${seg(cid)}/permissions/${gid}`).then(() => undefined),
    getSharing: () => call<Sharing>('GET', '/sharing').then(normalizeSharing),
    updateSharing: (req) => call<Sharing>('PUT', '/sharing', req).then(normalizeSharing),
    auditLog: (limit = 100) => call<AuditEntry[] | null>('GET', `/audit?limit=${Math.max(1, Math.floor(limit))}`).then((v) => v ?? []),
    onUnauthenticated: (callback) => {
      unauthListeners.add(callback);
      return () => unauthListeners.delete(callback);
    },
    fileUrl: (documentId) => `${root}/documents/${seg(documentId)}/file`,
  };
  if (openEventSource) {
    // The stream cannot say why it failed: an expired session is one
    // reason. A request that needs one renews it (or ends it), so the
    // stream's next try carries the new cookie.
    let probing = false;
    const probe = () => {
      if (probing) return;
      probing = true;
      call('GET', '/auth/me')
        .catch(() => {})
        .finally(() => (probing = false));
    };
    const hub = new EventHub(openEventSource, `${root}/events`, 5000, probe);
    api.onEvent = (topic, callback) => hub.on(topic, callback);
    api.onEventsConnected = (callback) => hub.onConnected(callback);
  }
  return api;
}

// --- Desktop (Wails) ----------------------------------------------------

/**
 * The generated bindings (wailsjs/go/main/App.js), by the Go method names.
 * Typed loosely so the generated model classes fit without a cast.
 */
export interface WailsBindings {
  Status(): Promise<unknown>;
  ListModels(): Promise<unknown>;
  ListCollections(): Promise<unknown>;
  GetCollection(id: string): Promise<unknown>;
  CreateCollection(req: CreateCollectionRequest): Promise<unknown>;
  UpdateCollection(id: string, req: UpdateCollectionRequest): Promise<unknown>;
  DeleteCollection(id: string): Promise<unknown>;
  ListSources(collectionId: string): Promise<unknown>;
  AddSource(collectionId: string, req: AddSourceRequest): Promise<unknown>;
  RemoveSource(collectionId: string, sourceId: number): Promise<unknown>;
  UpdateSource?(collectionId: string, sourceId: number, req: UpdateSourceRequest): Promise<unknown>;
  RescanCollection(id: string): Promise<unknown>;
  ListOperations(collectionId: string): Promise<unknown>;
  GetOperation(id: string): Promise<unknown>;
  CancelOperation(id: string): Promise<unknown>;
  PauseOperation?(id: string): Promise<unknown>;
  ResumeOperation?(id: string): Promise<unknown>;
  RetryDocuments?(collectionId: string, req: RetryRequest): Promise<unknown>;
  PlanReindex?(collectionId: string, req: ReindexRequest): Promise<unknown>;
  ReindexCollection?(collectionId: string, req: ReindexRequest): Promise<unknown>;
  ListDocuments(collectionId: string, req: ListDocumentsRequest): Promise<unknown>;
  UnlockDocument?(collectionId: string, documentId: string, req: UnlockRequest): Promise<unknown>;
  PickDirectory(): Promise<unknown>;
  // Optional until every build generates them. The generated search.Request
  // is a class (with convertValues) whose mode is a plain string: the same
  // JSON, but neither type fits the other, hence `never` and a cast.
  Search?(req: never): Promise<unknown>;
  OpenDocument?(req: OpenDocumentRequest): Promise<unknown>;
  GetSettings?(): Promise<unknown>;
  UpdateSettings?(st: Settings): Promise<unknown>;
  InstallModel?(req: InstallModelRequest): Promise<unknown>;
  DownloadModel?(name: string): Promise<unknown>;
  PauseModelDownload?(name: string): Promise<unknown>;
  CancelModelDownload?(name: string): Promise<unknown>;
  DeleteModel?(name: string): Promise<unknown>;
  ImportModel?(req: ImportModelRequest): Promise<unknown>;
  // Sign-in, users and sharing: the desktop window is the owner. Their
  // requests are `never` for the reason Search's is: the generated model
  // classes may carry convertValues or plain strings for our unions.
  Me?(): Promise<unknown>;
  ListUsers?(): Promise<unknown>;
  CreateUser?(req: never): Promise<unknown>;
  UpdateUser?(id: number, req: never): Promise<unknown>;
  ListAPIKeys?(): Promise<unknown>;
  CreateAPIKey?(req: never): Promise<unknown>;
  DeleteAPIKey?(id: string): Promise<unknown>;
  ListGrants?(collectionId: string): Promise<unknown>;
  Grant?(collectionId: string, req: never): Promise<unknown>;
  RevokeGrant?(collectionId: string, grantId: number): Promise<unknown>;
  GetSharing?(): Promise<unknown>;
  UpdateSharing?(req: never): Promise<unknown>;
  AuditLog?(limit: number): Promise<unknown>;
}

/** The parts of the Wails runtime (wailsjs/runtime) the UI uses. */
export interface WailsRuntime {
  OnFileDrop(callback: (x: number, y: number, paths: string[]) => void, useDropTarget: boolean): void;
  OnFileDropOff(): void;
  /** Returns a function that removes this one listener (Wails ≥ 2.5). */
  EventsOn?(eventName: string, callback: (...data: unknown[]) => void): (() => void) | void;
  EventsOff?(eventName: string, ...additionalEventNames: string[]): void;
}

/** An Api over the Wails bindings. */
export function createDesktopApi(b: WailsBindings, rt?: WailsRuntime): Api {
  const w = <T>(p: () => Promise<unknown>) => guard(p) as Promise<T>;
  // Go renders nil slices as null.
  const list = <T>(p: () => Promise<unknown>) => guard(p).then((v) => (v ?? []) as T[]);
  const api: Api = {
    kind: 'desktop',
    status: () => w(() => b.Status()),
    listModels: () => list(() => b.ListModels()),
    installModel: (req) => w(() => (b.InstallModel ? b.InstallModel(req) : missing('InstallModel'))),
    downloadModel: (name) => w(() => (b.DownloadModel ? b.DownloadModel(name) : missing('DownloadModel'))),
    pauseModelDownload: (name) => w(() => (b.PauseModelDownload ? b.PauseModelDownload(name) : missing('PauseModelDownload'))),
    cancelModelDownload: (name) => w(() => (b.CancelModelDownload ? b.CancelModelDownload(name) : missing('CancelModelDownload'))),
    deleteModel: (name) => w(() => (b.DeleteModel ? b.DeleteModel(name) : missing('DeleteModel'))),
    importModel: (req) => w(() => (b.ImportModel ? b.ImportModel({ variant: '', allow_unverified: false, ...req }) : missing('ImportModel'))),
    listCollections: () => list(() => b.ListCollections()),
    getCollection: (id) => w(() => b.GetCollection(id)),
    createCollection: (req) => w(() => b.CreateCollection(req)),
    updateCollection: (id, req) => w(() => b.UpdateCollection(id, req)),
    deleteCollection: (id) => w(() => b.DeleteCollection(id)),
    listSources: (cid) => list(() => b.ListSources(cid)),
    addSource: (cid, req) => w(() => b.AddSource(cid, req)),
    removeSource: (cid, sid) => w<void>(() => b.RemoveSource(cid, sid)).then(() => undefined),
    updateSource: (cid, sid, req) => w(() => (b.UpdateSource ? b.UpdateSource(cid, sid, req) : missing('UpdateSource'))),
    rescanCollection: (id) => w(() => b.RescanCollection(id)),
    getSettings: () => w(() => (b.GetSettings ? b.GetSettings() : missing('GetSettings'))),
    updateSettings: (st) => w(() => (b.UpdateSettings ? b.UpdateSettings(st) : missing('UpdateSettings'))),
    listOperations: (cid) => list(() => b.ListOperations(cid)),
    getOperation: (id) => w(() => b.GetOperation(id)),
    cancelOperation: (id) => w(() => b.CancelOperation(id)),
    pauseOperation: (id) => w(() => (b.PauseOperation ? b.PauseOperation(id) : missing('PauseOperation'))),
    resumeOperation: (id) => w(() => (b.ResumeOperation ? b.ResumeOperation(id) : missing('ResumeOperation'))),
    retryDocuments: (cid, req) => w(() => (b.RetryDocuments ? b.RetryDocuments(cid, req) : missing('RetryDocuments'))),
    planReindex: (cid, req) => w(() => (b.PlanReindex ? b.PlanReindex(cid, req) : missing('PlanReindex'))),
    reindexCollection: (cid, req) =>
      w(() => (b.ReindexCollection ? b.ReindexCollection(cid, req) : missing('ReindexCollection'))),
    listDocuments: (cid, req) => list(() => b.ListDocuments(cid, req)),
    unlockDocument: (cid, did, req) =>
      w(() => (b.UnlockDocument ? b.UnlockDocument(cid, did, req) : missing('UnlockDocument'))),
    pickDirectory: () => w<unknown>(() => b.PickDirectory()).then((v) => (typeof v === 'string' ? v : '')),
    search: (req) => w<SearchResponse>(() => (b.Search ? b.Search(req as never) : missing('Search'))).then(normalizeSearch),
    openDocument: (req) => w<unknown>(() => (b.OpenDocument ? b.OpenDocument(req) : missing('OpenDocument'))).then(openResult),
    // A build without the binding is an owner-only one.
    me: () => w<Me>(() => (b.Me ? b.Me() : Promise.resolve(LOCAL_OWNER))),
    // The window is the owner's: there is nothing to sign in to or out of.
    login: async () => {
      const me = await api.me();
      return { access_token: '', token_type: 'Bearer', expires_in: 0, refresh_token: '', user: me.user };
    },
    logout: async () => {},
    listUsers: () => list(() => (b.ListUsers ? b.ListUsers() : missing('ListUsers'))),
    createUser: (req) => w(() => (b.CreateUser ? b.CreateUser({ display_name: '', is_admin: false, ...req } as CreateUserRequest as never) : missing('CreateUser'))),
    updateUser: (id, req) => w(() => (b.UpdateUser ? b.UpdateUser(id, req as never) : missing('UpdateUser'))),
    listApiKeys: () => list<ApiKey>(() => (b.ListAPIKeys ? b.ListAPIKeys() : missing('ListAPIKeys'))).then((v) => v.map(normalizeKey)),
    createApiKey: (req) =>
      w<NewApiKey>(() => (b.CreateAPIKey ? b.CreateAPIKey(req as never) : missing('CreateAPIKey'))).then((r) => ({ ...r, key: normalizeKey(r.key) })),
    deleteApiKey: (id) => w<void>(() => (b.DeleteAPIKey ? b.DeleteAPIKey(id) : missing('DeleteAPIKey'))).then(() => undefined),
    listGrants: (cid) => list(() => (b.ListGrants ? b.ListGrants(cid) : missing('ListGrants'))),
    grant: (cid, req) => w(() => (b.Grant ? b.Grant(cid, req as never) : missing('Grant'))),
    revokeGrant: (cid, gid) => w<void>(() => (b.RevokeGrant ? b.RevokeGrant(cid, gid) : missing('RevokeGrant'))).then(() => undefined),
    getSharing: () => w<Sharing>(() => (b.GetSharing ? b.GetSharing() : missing('GetSharing'))).then(normalizeSharing),
    updateSharing: (req) => w<Sharing>(() => (b.UpdateSharing ? b.UpdateSharing(req as never) : missing('UpdateSharing'))).then(normalizeSharing),
    auditLog: (limit = 100) => list(() => (b.AuditLog ? b.AuditLog(limit) : missing('AuditLog'))),
  };
  if (rt) {
    api.onFileDrop = (callback) => {
      // useDropTarget=false: a drop anywhere on the window counts.
      rt.OnFileDrop((_x, _y, paths) => callback(paths ?? []), false);
      return () => rt.OnFileDropOff();
    };
    if (rt.EventsOn) {
      api.onEvent = (topic, callback) => {
        const off = rt.EventsOn!(topic, (data) => callback(data as never));
        return () => {
          if (typeof off === 'function') off();
          else rt.EventsOff?.(topic);
        };
      };
      // The runtime's events never drop.
      api.onEventsConnected = (callback) => {
        callback(true);
        return () => {};
      };
    }
  }
  return api;
}
