// What the app shows besides search: the server's status, the models, the
// collections and the selected one's folders and operations. Loads them,
// keeps them current from live events (or polling while none arrive), and
// carries out what the collection views ask.

import { toApiError, type Api, type ApiError } from './api';
import type { Collection, DocumentInfo, Operation, Progress, Source, Status, UpdateCollectionRequest, UpdateSourceRequest } from './types';
import { fileName } from './documents';
import type { Toasts } from './toasts.svelte';
import { LiveOperations } from './live.svelte';
import { ModelsStore } from './models.svelte';
import { isActive, pendingProgress, progressFromOperation } from './progress';
import { operationActionHandlers, type OperationActionHandlers } from './operationActions';

export interface WorkspaceOptions {
  api: Api;
  toasts: Toasts;
  /** Live events arriving close together cause one refresh after this long (ms). */
  coalesceMs?: number;
  /** How often the models list is re-read while a download runs (ms). */
  modelPollMs?: number;
  /** An operation of this collection ended: what it indexed can be found now. */
  onEnded?: (collectionId: string) => void;
}

/** While the selected collection indexes, its documents appear: reload them now and then. */
const DOCUMENTS_EVERY_MS = 5000;

export class Workspace {
  status = $state<Status | null>(null);
  statusError = $state<ApiError | null>(null);
  collections = $state<Collection[]>([]);
  loaded = $state(false);
  loadError = $state<ApiError | null>(null);
  selectedId = $state<string | null>(null);
  sources = $state<Source[]>([]);
  sourcesLoading = $state(false);
  operations = $state<Operation[]>([]);
  operationsLoading = $state(false);
  /** Bumped when the selected collection's documents may have changed. */
  documentsKey = $state(0);
  /** Whether live events arrive now; polling stands in while they do not. */
  eventsConnected = $state(false);
  /** Each collection's running operation, or the one that ended last. */
  readonly live = new LiveOperations();
  readonly models: ModelsStore;
  readonly ops: OperationActionHandlers;

  selected = $derived(this.collections.find((c) => c.id === this.selectedId) ?? null);
  /** Counts and progress change while a collection is indexing: without live events, poll until it settles. */
  needsPolling = $derived(
    !this.eventsConnected && (this.collections.some((c) => c.status === 'processing') || this.live.anyActive),
  );

  #api: Api;
  #toasts: Toasts;
  #coalesceMs: number;
  #onEnded?: (collectionId: string) => void;
  #sourcesToken = 0;
  #operationsToken = 0;
  #documentsAt = 0;
  /** The collections and their models when the models list was last read. */
  #usesKey = '';

  constructor(o: WorkspaceOptions) {
    this.#api = o.api;
    this.#toasts = o.toasts;
    this.#coalesceMs = o.coalesceMs ?? 250;
    this.#onEnded = o.onEnded;
    this.models = new ModelsStore(o.api, { toasts: o.toasts, pollMs: o.modelPollMs, collections: () => this.collections });
    const ops = operationActionHandlers({
      api: o.api,
      onProgress: this.onProgress,
      check: this.checkOperation,
      reload: (id) => id === this.selectedId && void this.loadOperations(id, true),
      toasts: o.toasts,
    });
    // A queued reindex names its target model's new collection: the models list says so.
    this.ops = { ...ops, reindex: (id, req) => ops.reindex(id, req).then(() => void this.models.refresh()) };
  }

  load = async (): Promise<void> => {
    this.loadError = null;
    const api = this.#api;
    const [st, ms, cs] = await Promise.allSettled([api.status(), api.listModels(), api.listCollections()]);
    if (st.status === 'fulfilled') {
      this.status = st.value;
      this.statusError = null;
    } else {
      this.statusError = toApiError(st.reason);
    }
    if (ms.status === 'fulfilled') this.models.set(ms.value);
    // A colleague on a shared Quarry may not be shown the models: the views do without.
    else if (toApiError(ms.reason).code !== 'forbidden') this.#toasts.error(ms.reason);
    if (cs.status === 'fulfilled') {
      this.collections = cs.value;
      this.#usesKey = cs.value.map((c) => `${c.id}=${c.model}`).sort().join('\n');
      if (this.selectedId && !this.collections.some((c) => c.id === this.selectedId)) this.selectedId = null;
      if (!this.selectedId && this.collections.length > 0) this.select(this.collections[0].id);
    } else {
      this.loadError = toApiError(cs.reason);
    }
    this.loaded = true;
  };

  refreshCollections = async (): Promise<void> => {
    try {
      const list = await this.#api.listCollections();
      this.collections = list;
      // Which collections use which model is part of the models list.
      const key = list.map((c) => `${c.id}=${c.model}`).sort().join('\n');
      if (key !== this.#usesKey && this.models.loaded) void this.models.refresh();
      this.#usesKey = key;
    } catch (e) {
      this.#toasts.error(e);
    }
  };

  /** Calls fn once, coalesceMs after the first of calls close together. */
  #coalesced(fn: () => void): () => void {
    let timer: ReturnType<typeof setTimeout> | null = null;
    return () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, this.#coalesceMs);
    };
  }
  scheduleCollections = this.#coalesced(() => void this.refreshCollections());
  /** Reloads what the selected collection's detail shows besides its card. */
  scheduleDetail = this.#coalesced(() => {
    const id = this.selectedId;
    if (!id) return;
    void this.loadSources(id, true);
    void this.loadOperations(id, true);
    this.documentsKey++;
  });

  replaceCollection(c: Collection): void {
    this.collections = this.collections.map((x) => (x.id === c.id ? c : x));
  }

  refreshSelected = async (): Promise<void> => {
    const id = this.selectedId;
    if (!id) return;
    try {
      this.replaceCollection(await this.#api.getCollection(id));
    } catch (e) {
      if (toApiError(e).code === 'not_found') await this.refreshCollections();
      else this.#toasts.error(e);
    }
  };

  /** quiet: a refresh in the background, which keeps the list on errors. */
  loadSources = async (id: string, quiet = false): Promise<void> => {
    const token = ++this.#sourcesToken;
    this.sourcesLoading = true;
    try {
      const list = await this.#api.listSources(id);
      if (token === this.#sourcesToken) this.sources = list;
    } catch (e) {
      if (quiet) return;
      if (token === this.#sourcesToken) this.sources = [];
      this.#toasts.error(e);
    } finally {
      if (token === this.#sourcesToken) this.sourcesLoading = false;
    }
  };

  loadOperations = async (id: string, quiet = false): Promise<void> => {
    const token = ++this.#operationsToken;
    if (!quiet) this.operationsLoading = true;
    try {
      const list = await this.#api.listOperations(id);
      if (token !== this.#operationsToken || id !== this.selectedId) return;
      this.operations = list;
      // A running or queued operation shows its progress (e.g. after a
      // reload of the page while indexing).
      const current = list.find((o) => o.status === 'processing') ?? list.find((o) => isActive(o.status));
      if (current) this.onProgress(progressFromOperation(current));
      const shown = this.live.get(id);
      if (shown && isActive(shown.status)) {
        const o = list.find((x) => x.id === shown.operation_id);
        if (o && !isActive(o.status)) this.onProgress(progressFromOperation(o));
      }
    } catch (e) {
      if (!quiet && token === this.#operationsToken) this.#toasts.error(e);
    } finally {
      if (token === this.#operationsToken) this.operationsLoading = false;
    }
  };

  /** A progress snapshot from the event stream, a poll, or a reply. */
  onProgress = (p: Progress): void => {
    const r = this.live.update(p);
    if (r === 'updated' && p.status === 'processing' && p.collection_id === this.selectedId) {
      const now = Date.now();
      if (now - this.#documentsAt >= DOCUMENTS_EVERY_MS) {
        if (this.#documentsAt) this.documentsKey++;
        this.#documentsAt = now;
      }
    }
    if (r !== 'ended') return;
    this.#documentsAt = 0;
    this.#onEnded?.(p.collection_id);
    // What the operation changed: counts, folders, documents, its record.
    this.scheduleCollections();
    if (p.collection_id === this.selectedId) this.scheduleDetail();
    // A reindex may have moved the collection to another model.
    if (p.type === 'reindex') void this.models.refresh();
  };

  /**
   * Reads a password-protected document with its password. Its text is
   * searchable when this resolves, and the operation that embeds it shows;
   * a rejection (a wrong password) is the caller's to show, and changes
   * nothing.
   */
  unlock = async (collectionId: string, doc: DocumentInfo, password: string): Promise<void> => {
    const res = await this.#api.unlockDocument(collectionId, doc.id, { password });
    this.#toasts.success(`${fileName(doc.path)} unlocked: its text is searchable now.`);
    if (res.operation_id) void this.checkOperation(res.operation_id);
    this.scheduleCollections();
    if (collectionId === this.selectedId) this.scheduleDetail();
  };

  /** Asks for an operation's record: its end may have gone unseen. */
  checkOperation = async (operationId: string): Promise<void> => {
    try {
      this.onProgress(progressFromOperation(await this.#api.getOperation(operationId)));
    } catch {
      // gone with its collection, or the server is away: the next poll or event tells
    }
  };

  onCollectionChanged = (id: string): void => {
    this.scheduleCollections();
    // Indexing may have loaded a model: show where it runs.
    void this.#api
      .status()
      .then((st) => (this.status = st))
      .catch(() => {});
    if (id === this.selectedId) this.scheduleDetail();
    const p = this.live.get(id);
    if (p && isActive(p.status)) void this.checkOperation(p.operation_id);
  };

  select = (id: string): void => {
    if (id === this.selectedId) return;
    this.selectedId = id;
    this.sources = [];
    this.operations = [];
    void this.loadSources(id);
    void this.loadOperations(id);
  };

  /** A collection was created: select it and add the folders dropped before it existed. */
  created = async (c: Collection, paths: string[] = []): Promise<void> => {
    this.collections = [...this.collections, c];
    this.select(c.id);
    this.#toasts.success(`Created “${c.name}”.`);
    void this.refreshCollections();
    if (paths.length) await this.addPaths(paths);
  };

  update = async (req: UpdateCollectionRequest): Promise<void> => {
    const sel = this.selected;
    if (!sel) return;
    this.replaceCollection(await this.#api.updateCollection(sel.id, req));
  };

  remove = async (): Promise<void> => {
    const sel = this.selected;
    if (!sel) return;
    const { id, name } = sel;
    await this.#api.deleteCollection(id);
    const i = this.collections.findIndex((c) => c.id === id);
    this.collections = this.collections.filter((c) => c.id !== id);
    this.live.forget(id);
    this.selectedId = null;
    this.sources = [];
    this.operations = [];
    const next = this.collections[Math.min(i, this.collections.length - 1)];
    if (next) this.select(next.id);
    this.#toasts.success(`Deleted “${name}”.`);
    void this.models.refresh();
  };

  /** Adds a folder to the selected collection; rejects with the server's error. */
  addSource = async (path: string): Promise<void> => {
    const id = this.selectedId;
    if (!id) throw toApiError({ code: 'invalid_argument', message: 'Choose a collection first.' });
    const s = await this.#api.addSource(id, { path });
    if (id === this.selectedId) this.sources = [...this.sources.filter((x) => x.id !== s.id), s];
    this.#toasts.success(`Added ${s.path}.`);
    if (s.operation_id) this.onProgress(pendingProgress(s.operation_id, id, 'index'));
    void this.refreshSelected();
    if (id === this.selectedId) void this.loadOperations(id, true);
  };

  addPaths = async (paths: string[]): Promise<void> => {
    for (const p of paths) {
      try {
        await this.addSource(p);
      } catch (e) {
        this.#toasts.error(e);
      }
    }
  };

  /** The native folder picker, then the folder it gave. */
  pick = async (): Promise<void> => {
    try {
      const path = await this.#api.pickDirectory();
      if (path) await this.addSource(path);
    } catch (e) {
      this.#toasts.error(e);
    }
  };

  removeSource = async (s: Source): Promise<void> => {
    await this.#api.removeSource(s.collection_id, s.id);
    this.sources = this.sources.filter((x) => x.id !== s.id);
    this.#toasts.success(`Removed ${s.path}.`);
    void this.refreshSelected();
  };

  /**
   * Changes a folder's settings (watching on or off); rejects with the
   * server's error. Turning watching on queues a catch-up rescan: the
   * folders and operations are read again.
   */
  updateSource = async (s: Source, req: UpdateSourceRequest): Promise<void> => {
    const id = s.collection_id;
    const updated = await this.#api.updateSource(id, s.id, req);
    if (id !== this.selectedId) return;
    this.sources = this.sources.map((x) => (x.id === updated.id ? { ...x, ...updated } : x));
    void this.loadSources(id, true);
    void this.loadOperations(id, true);
  };

  /** Polls what events would have told: counts and running operations. */
  poll = async (): Promise<void> => {
    await this.refreshCollections();
    const active = Object.values(this.live.byCollection).filter((p) => isActive(p.status));
    await Promise.all(active.map((p) => this.checkOperation(p.operation_id)));
    const sel = this.collections.find((c) => c.id === this.selectedId);
    if (sel && sel.status === 'processing' && !isActive(this.live.get(sel.id)?.status)) void this.loadOperations(sel.id, true);
  };

  /** After the event stream was lost: catch up on what it missed. */
  resync = (): void => {
    this.scheduleCollections();
    this.scheduleDetail();
    for (const p of Object.values(this.live.byCollection)) if (isActive(p.status)) void this.checkOperation(p.operation_id);
    void this.models.refresh();
  };

  /** Listens to the live events; returns a function that stops. */
  connect(): () => void {
    const api = this.#api;
    const offProgress = api.onEvent?.('operation:progress', this.onProgress);
    const offChanged = api.onEvent?.('collection:changed', this.onCollectionChanged);
    const offDownload = api.onEvent?.('model:download', this.models.onDownload);
    let lost = false;
    const offConnected = api.onEventsConnected?.((connected) => {
      if (connected && lost) this.resync();
      if (!connected && this.eventsConnected) lost = true;
      if (connected) lost = false;
      this.eventsConnected = connected;
    });
    return () => {
      offProgress?.();
      offChanged?.();
      offDownload?.();
      offConnected?.();
      this.models.dispose();
    };
  }
}
