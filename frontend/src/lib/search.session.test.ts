import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SearchSession, type SearchFn } from './search.svelte';
import { ApiError } from './api';
import type { SearchRequest, SearchResponse } from './types';
import { response, result } from '../test/fixtures';
import { SEARCH_STREAM } from './search';

interface Pending {
  req: SearchRequest;
  signal: AbortSignal;
  resolve: (r: SearchResponse) => void;
  reject: (e: unknown) => void;
}

/** A search function whose replies the test sends, in any order. */
function controlled() {
  const pending: Pending[] = [];
  const fn: SearchFn = (req, { signal }) =>
    new Promise((resolve, reject) => {
      pending.push({ req, signal, resolve, reject });
    });
  return { fn, pending };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('SearchSession', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('debounces typing: one request after the pause, for the last query', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 150 });
    s.input('t');
    await vi.advanceTimersByTimeAsync(100);
    s.input('ti');
    await vi.advanceTimersByTimeAsync(100);
    s.input('tid');
    expect(pending).toHaveLength(0);
    expect(s.loading).toBe(true);
    await vi.advanceTimersByTimeAsync(150);
    expect(pending).toHaveLength(1);
    expect(pending[0].req).toMatchObject({ query: 'tid', supersedes: SEARCH_STREAM, offset: 0, limit: 10 });
    pending[0].resolve(response({ results: [result()], took_ms: 7 }));
    await flush();
    expect(s.loading).toBe(false);
    expect(s.settled).toBe(true);
    expect(s.results).toHaveLength(1);
    expect(s.shownQuery).toBe('tid');
    expect(s.tookMs).toBe(7);
  });

  it('with reranking on, typing waits longer before searching', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 150, rerankDebounceMs: 400 });
    s.setRerank(true);
    s.input('tides');
    await vi.advanceTimersByTimeAsync(300);
    expect(pending).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(pending).toHaveLength(1);
    expect(pending[0].req.rerank).toBe(true);
    // Off again: the usual pause.
    s.setRerank(false);
    s.input('tide');
    await vi.advanceTimersByTimeAsync(150);
    expect(pending).toHaveLength(3);
    expect(pending[2].req.rerank).toBeUndefined();
  });

  it('aborts the previous request and ignores its late reply', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 150 });
    s.input('moon');
    await vi.advanceTimersByTimeAsync(150);
    s.input('moons');
    await vi.advanceTimersByTimeAsync(150);
    expect(pending).toHaveLength(2);
    expect(pending[0].signal.aborted).toBe(true);
    expect(pending[1].signal.aborted).toBe(false);
    // The newer reply first, then the stale one (a desktop reply that cannot be aborted).
    pending[1].resolve(response({ query: 'moons', results: [result({ document_id: 'new' })] }));
    await flush();
    pending[0].resolve(response({ query: 'moon', results: [result({ document_id: 'old' })] }));
    await flush();
    expect(s.results.map((r) => r.document_id)).toEqual(['new']);
    expect(s.shownQuery).toBe('moons');
  });

  it('ignores the stale request’s error (aborted, or superseded on the server)', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 0 });
    s.input('a');
    await vi.advanceTimersByTimeAsync(0);
    s.input('ab');
    await vi.advanceTimersByTimeAsync(0);
    pending[0].reject(new ApiError('conflict', 'The search was replaced by a newer one.'));
    await flush();
    expect(s.error).toBeNull();
    expect(s.loading).toBe(true);
    pending[1].resolve(response());
    await flush();
    expect(s.loading).toBe(false);
    expect(s.error).toBeNull();
  });

  it('shows the current request’s error', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 0 });
    s.input('x'.repeat(3000));
    await vi.advanceTimersByTimeAsync(0);
    pending[0].reject({ code: 'invalid_argument', message: 'The query is too long.', field: 'query' });
    await flush();
    expect(s.error).toMatchObject({ code: 'invalid_argument', message: 'The query is too long.' });
    expect(s.results).toEqual([]);
    expect(s.loading).toBe(false);
  });

  it('clearing the box drops the request in flight', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 150 });
    s.input('tides');
    await vi.advanceTimersByTimeAsync(150);
    s.input('');
    expect(pending[0].signal.aborted).toBe(true);
    pending[0].resolve(response());
    await flush();
    expect(s.results).toEqual([]);
    expect(s.active).toBe(false);
    expect(s.loading).toBe(false);
    // Typing then clearing before the pause sends nothing.
    s.input('x');
    s.input('   ');
    await vi.advanceTimersByTimeAsync(500);
    expect(pending).toHaveLength(1);
  });

  it('mode, scope and filters search again at once', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 150 });
    s.input('tides');
    s.setMode('keyword');
    expect(pending).toHaveLength(1);
    expect(pending[0].req.mode).toBe('keyword');
    s.setCollections(['c1']);
    s.setFilters({ types: ['pdf'], folder: '', date: 'any', from: '', to: '' });
    expect(pending).toHaveLength(3);
    expect(pending[2].req).toMatchObject({ collection_ids: ['c1'], filters: { file_types: ['pdf'] }, mode: 'keyword' });
    // The debounce timer was cancelled by the immediate searches.
    await vi.advanceTimersByTimeAsync(500);
    expect(pending).toHaveLength(3);
    s.setMode('keyword');
    expect(pending).toHaveLength(3);
  });

  it('pages: offset += limit, appended without duplicates', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 0 });
    s.input('tides');
    await vi.advanceTimersByTimeAsync(0);
    pending[0].resolve(response({ results: [result({ document_id: 'a' }), result({ document_id: 'b' })], has_more: true }));
    await flush();
    s.more();
    expect(s.loadingMore).toBe(true);
    expect(pending[1].req).toMatchObject({ offset: 10, supersedes: SEARCH_STREAM });
    s.more(); // one at a time
    expect(pending).toHaveLength(2);
    pending[1].resolve(response({ results: [result({ document_id: 'b' }), result({ document_id: 'c' })], has_more: true }));
    await flush();
    expect(s.results.map((r) => r.document_id)).toEqual(['a', 'b', 'c']);
    s.more();
    expect(pending[2].req.offset).toBe(20);
    pending[2].resolve(response({ results: [result({ document_id: 'd' })], has_more: false }));
    await flush();
    expect(s.hasMore).toBe(false);
    s.more();
    expect(pending).toHaveLength(3);
    // A new query starts from the first page again.
    s.refresh();
    expect(pending[3].req.offset).toBe(0);
  });

  it('a new query while a page loads replaces it', async () => {
    const { fn, pending } = controlled();
    const s = new SearchSession(fn, { debounceMs: 0 });
    s.input('tides');
    await vi.advanceTimersByTimeAsync(0);
    pending[0].resolve(response({ results: [result({ document_id: 'a' })], has_more: true }));
    await flush();
    s.more();
    s.input('moon');
    await vi.advanceTimersByTimeAsync(0);
    pending[1].resolve(response({ results: [result({ document_id: 'late' })] }));
    pending[2].resolve(response({ query: 'moon', results: [result({ document_id: 'm' })] }));
    await flush();
    expect(s.results.map((r) => r.document_id)).toEqual(['m']);
    expect(s.loadingMore).toBe(false);
  });
});
