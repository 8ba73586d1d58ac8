// The search box's state: the query, mode, scope and filters, and the
// results of the latest request. Typing waits SEARCH_DEBOUNCE_MS for the
// next key; every request supersedes the one before it, on the server
// (SearchRequest.supersedes) and here (an AbortController for fetch, and
// a sequence number for replies that cannot be aborted).

import { toApiError, type ApiError } from './api';
import { buildRequest, emptyFilters, RERANK_DEBOUNCE_MS, SEARCH_DEBOUNCE_MS, SEARCH_LIMIT, type FilterState } from './search';
import type { SearchMode, SearchRequest, SearchResponse, SearchResult } from './types';

export type SearchFn = (req: SearchRequest, opts: { signal: AbortSignal }) => Promise<SearchResponse>;

export class SearchSession {
  query = $state('');
  mode = $state<SearchMode>('hybrid');
  /** Empty: all collections. */
  collectionIds = $state<string[]>([]);
  filters = $state<FilterState>(emptyFilters());
  /** Re-score the best results with the local reranker. */
  rerank = $state(false);
  /** The reranker that ordered the shown results ('' when none did). */
  reranker = $state('');

  results = $state<SearchResult[]>([]);
  hasMore = $state(false);
  warnings = $state<string[]>([]);
  tookMs = $state<number | null>(null);
  /** The query the results are for ('' before the first reply). */
  shownQuery = $state('');
  /** A request for the first page is under way (or waiting for the next key). */
  loading = $state(false);
  /** A further page is under way. */
  loadingMore = $state(false);
  error = $state<ApiError | null>(null);
  /** Whether the results reflect a completed reply for the current parameters. */
  settled = $state(false);

  #run: SearchFn;
  #debounceMs: number;
  #rerankDebounceMs: number;
  #now: () => Date;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #seq = 0;
  #abort: AbortController | null = null;
  #offset = 0;

  /** debounceMs: the pause before searching; rerankDebounceMs: the same with reranking on (never shorter). */
  constructor(run: SearchFn, opts: { debounceMs?: number; rerankDebounceMs?: number; now?: () => Date } = {}) {
    this.#run = run;
    this.#debounceMs = opts.debounceMs ?? SEARCH_DEBOUNCE_MS;
    this.#rerankDebounceMs = Math.max(this.#debounceMs, opts.rerankDebounceMs ?? RERANK_DEBOUNCE_MS);
    this.#now = opts.now ?? (() => new Date());
  }

  /** Whether there is anything to search for. */
  get active(): boolean {
    return this.query.trim() !== '';
  }

  /** The query as typed: searches after a pause, or clears at once. */
  input(q: string): void {
    this.query = q;
    if (!this.active) {
      this.clear();
      return;
    }
    this.#clearTimer();
    this.loading = true;
    this.settled = false;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#first();
      },
      this.rerank ? this.#rerankDebounceMs : this.#debounceMs,
    );
  }

  setMode(m: SearchMode): void {
    if (m === this.mode) return;
    this.mode = m;
    this.refresh();
  }

  setRerank(on: boolean): void {
    if (on === this.rerank) return;
    this.rerank = on;
    this.refresh();
  }

  setCollections(ids: string[]): void {
    this.collectionIds = [...ids];
    this.refresh();
  }

  setFilters(f: FilterState): void {
    this.filters = { ...f, types: [...f.types] };
    this.refresh();
  }

  /** Searches again now (mode, scope or filters changed; Enter in the box). */
  refresh(): void {
    this.#clearTimer();
    if (!this.active) return;
    this.#first();
  }

  /** Appends the next page. */
  more(): void {
    if (!this.hasMore || this.loadingMore || this.loading || !this.active) return;
    const offset = this.#offset + SEARCH_LIMIT;
    const seq = this.#issue();
    this.loadingMore = true;
    void this.#send(seq, offset, (r) => {
      // A document may move onto the next page while the index changes.
      const seen = new Set(this.results.map((x) => x.document_id));
      this.results = [...this.results, ...(r.results ?? []).filter((x) => !seen.has(x.document_id))];
    });
  }

  /** Forgets the query and its results; a reply still under way is ignored. */
  clear(): void {
    this.#clearTimer();
    this.#seq++;
    this.#abort?.abort();
    this.#abort = null;
    this.query = '';
    this.results = [];
    this.hasMore = false;
    this.warnings = [];
    this.tookMs = null;
    this.reranker = '';
    this.shownQuery = '';
    this.loading = this.loadingMore = false;
    this.error = null;
    this.settled = false;
    this.#offset = 0;
  }

  /** Stops the timer and any request (the view is going away). */
  dispose(): void {
    this.#clearTimer();
    this.#seq++;
    this.#abort?.abort();
    this.#abort = null;
  }

  #first() {
    const seq = this.#issue();
    this.loading = true;
    this.loadingMore = false;
    this.settled = false;
    void this.#send(seq, 0, (r) => {
      this.results = r.results ?? [];
    });
  }

  /** A new request: the ones before it are stale. */
  #issue(): number {
    this.#abort?.abort();
    this.#abort = new AbortController();
    return ++this.#seq;
  }

  async #send(seq: number, offset: number, apply: (r: SearchResponse) => void) {
    const req = buildRequest(
      { query: this.query, mode: this.mode, collectionIds: this.collectionIds, filters: this.filters, rerank: this.rerank },
      offset,
      this.#now(),
    );
    const signal = this.#abort!.signal;
    try {
      const r = await this.#run(req, { signal });
      if (seq !== this.#seq) return;
      apply(r);
      this.#offset = offset;
      this.hasMore = !!r.has_more;
      this.warnings = r.warnings ?? [];
      this.tookMs = r.took_ms;
      this.reranker = r.reranker ?? '';
      this.shownQuery = req.query;
      this.error = null;
      this.settled = true;
    } catch (e) {
      if (seq !== this.#seq) return;
      const err = toApiError(e);
      // Replaced on the server by a newer request: that one answers.
      if (err.code === 'aborted') return;
      this.error = err;
      if (offset === 0) {
        this.results = [];
        this.hasMore = false;
        this.warnings = [];
        this.tookMs = null;
      }
    } finally {
      if (seq === this.#seq) {
        this.loading = false;
        this.loadingMore = false;
        this.#abort = null;
      }
    }
  }

  #clearTimer() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
