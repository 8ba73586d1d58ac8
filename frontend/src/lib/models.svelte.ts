// The registered models and their state here, kept current by the
// 'model:download' events and, while something downloads, by polling the
// list. Notices which models arrive (a download finished, an import), so
// the app can offer collections a switch to them.

import type { Api } from './api';
import type { Collection, ImportModelRequest, ModelDownloadProgress, ModelInfo } from './types';
import { applyDownloadProgress, modelState, newlyAvailable, offerKey, switchOffers, type SwitchOffer } from './models';

export interface ModelsStoreOptions {
  /** How often to re-read the list while a download runs (ms); 0 never. */
  pollMs?: number;
  toasts: { error(e: unknown): unknown; success(message: string): unknown };
  /** The collections, for the switch offers. */
  collections: () => readonly Collection[];
}

export class ModelsStore {
  list: ModelInfo[] = $state([]);
  /** Whether the list has been read once. */
  loaded = $state(false);
  /** Models that arrived in this session, oldest first. */
  readied: string[] = $state([]);
  /** Offers the user waved away, by offerKey. */
  dismissed: string[] = $state([]);

  #api: Api;
  #opts: ModelsStoreOptions;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #disposed = false;

  constructor(api: Api, opts: ModelsStoreOptions) {
    this.#api = api;
    this.#opts = opts;
  }

  /** Whether a download is running or paused. */
  get downloading(): boolean {
    return this.list.some((m) => modelState(m) === 'downloading');
  }

  /** What to offer the collections now. */
  get offers(): SwitchOffer[] {
    return switchOffers(this.list, this.#opts.collections(), this.readied, new Set(this.dismissed));
  }

  /** The offer for one collection, if any. */
  offerFor(collectionId: string | null | undefined): SwitchOffer | null {
    return collectionId ? (this.offers.find((o) => o.collection.id === collectionId) ?? null) : null;
  }

  dismiss = (o: SwitchOffer): void => {
    const key = offerKey(o.model.name, o.collection.id);
    if (!this.dismissed.includes(key)) this.dismissed = [...this.dismissed, key];
  };

  /** Takes a fresh list: what arrived since the last one is noted. */
  set(next: ModelInfo[]): void {
    if (this.loaded) {
      const arrived = newlyAvailable(this.list, next).filter((n) => !this.readied.includes(n));
      if (arrived.length) this.readied = [...this.readied, ...arrived];
      for (const name of arrived) {
        const m = next.find((x) => x.name === name);
        if (m) this.#opts.toasts.success(`${m.display_name} is installed.`);
      }
    }
    this.list = next;
    this.loaded = true;
    this.#schedule();
  }

  /** Takes one model's new state (an action's reply). */
  merge(m: ModelInfo): void {
    if (!this.list.some((x) => x.name === m.name)) return this.set([...this.list, m]);
    this.set(this.list.map((x) => (x.name === m.name ? merged(x, m) : x)));
  }

  /** Marks a model installed by other means (the reranker's one-step install). */
  markInstalled(name: string): void {
    const m = this.list.find((x) => x.name === name);
    if (m) this.merge({ ...m, installed: true, state: m.state === 'ready' ? 'ready' : 'installed', error: undefined });
  }

  refresh = async (): Promise<void> => {
    try {
      this.set(await this.#api.listModels());
    } catch (e) {
      // Before the first list the page says so; later the next refresh tells.
      if (!this.loaded) this.#opts.toasts.error(e);
      this.#schedule();
    }
  };

  /** A 'model:download' event. */
  onDownload = (p: ModelDownloadProgress): void => {
    this.list = applyDownloadProgress(this.list, p);
    this.#schedule();
  };

  #act = async (fn: () => Promise<ModelInfo>): Promise<void> => {
    try {
      this.merge(await fn());
    } catch (e) {
      this.#opts.toasts.error(e);
      void this.refresh();
    }
  };

  download = (name: string) => this.#act(() => this.#api.downloadModel(name));
  pause = (name: string) => this.#act(() => this.#api.pauseModelDownload(name));
  resume = (name: string) => this.#act(() => this.#api.downloadModel(name));
  cancel = (name: string) => this.#act(() => this.#api.cancelModelDownload(name));

  /** Deletes a model's files; rejects with the server's refusal (it names the collections that use it). */
  remove = async (name: string): Promise<void> => {
    const m = await this.#api.deleteModel(name);
    this.merge(m);
  };

  /** Imports from folders; rejects with the server's verification error, verbatim. */
  importFrom = async (req: ImportModelRequest): Promise<ModelInfo> => {
    const m = await this.#api.importModel(req);
    this.merge(m);
    // The reply is the catalogue entry: the list has its size and users.
    await this.refresh();
    return m;
  };

  #schedule(): void {
    const ms = this.#opts.pollMs ?? 2000;
    if (this.#disposed || ms <= 0 || this.#timer || !this.downloading) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.refresh();
    }, ms);
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/**
 * One model's new state over its old one. An import's reply is the bare
 * catalogue entry (no state, size or users): what it leaves out is kept,
 * and its installed flag decides the state.
 */
export function merged(old: ModelInfo, m: ModelInfo): ModelInfo {
  const state = m.state || (m.installed ? (old.state === 'ready' ? 'ready' : 'installed') : old.state);
  return {
    ...old,
    ...m,
    state,
    size_bytes: m.size_bytes || old.size_bytes,
    collections: m.collections?.length ? m.collections : (old.collections ?? m.collections),
  };
}
