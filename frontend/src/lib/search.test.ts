import { describe, expect, it } from 'vitest';
import {
  SEARCH_STREAM,
  activeFilterCount,
  buildRequest,
  emptyFilters,
  headingLabel,
  isLoopback,
  isTyping,
  middleEllipsis,
  nextIndex,
  pageLabel,
  scorePercent,
  segments,
  toRequestFilters,
} from './search';

const marked = (text: string, hl: { start: number; end: number }[]) =>
  segments(text, hl)
    .map((s) => (s.hit ? `[${s.text}]` : s.text))
    .join('');

describe('segments', () => {
  it('splits ASCII text by ranges', () => {
    expect(segments('the tides rise', [{ start: 4, end: 9 }])).toEqual([
      { text: 'the ', hit: false },
      { text: 'tides', hit: true },
      { text: ' rise', hit: false },
    ]);
    expect(marked('abc', [{ start: 0, end: 3 }])).toBe('[abc]');
    expect(marked('abc', [])).toBe('abc');
    expect(segments('', null)).toEqual([{ text: '', hit: false }]);
  });

  it('counts UTF-16 code units: emoji take two', () => {
    // "🌊 tides 🌊": the emoji are surrogate pairs.
    const text = '🌊 tides 🌊 moon';
    expect(text.indexOf('tides')).toBe(3);
    expect(marked(text, [{ start: 3, end: 8 }, { start: 12, end: 16 }])).toBe('🌊 [tides] 🌊 [moon]');
    expect(marked(text, [{ start: 0, end: 2 }])).toBe('[🌊] tides 🌊 moon');
  });

  it('never splits a surrogate pair', () => {
    const text = 'a👍b';
    // A range that starts or ends inside the emoji takes all of it.
    expect(marked(text, [{ start: 2, end: 4 }])).toBe('a[👍b]');
    expect(marked(text, [{ start: 0, end: 2 }])).toBe('[a👍]b');
  });

  it('marks CJK text by character', () => {
    const text = '東京の潮の満ち引き';
    expect(marked(text, [{ start: 0, end: 2 }, { start: 3, end: 4 }])).toBe('[東京]の[潮]の満ち引き');
    // A character outside the BMP (𠮷) is a pair too.
    expect(marked('𠮷野家で', [{ start: 0, end: 3 }])).toBe('[𠮷野]家で');
  });

  it('clamps, drops, sorts and merges bad ranges', () => {
    expect(marked('abcdef', [{ start: 4, end: 99 }, { start: -3, end: 1 }])).toBe('[a]bcd[ef]');
    expect(marked('abcdef', [{ start: 3, end: 3 }, { start: 5, end: 2 }])).toBe('abcdef');
    expect(marked('abcdef', [{ start: 3, end: 5 }, { start: 1, end: 4 }])).toBe('a[bcde]f');
    expect(marked('abcdef', [{ start: 1, end: 2 }, { start: 2, end: 3 }])).toBe('a[bc]def');
    expect(marked('abc', [{ start: NaN, end: 2 }])).toBe('abc');
  });

  it('keeps markup in the text as text', () => {
    const s = segments('<img src=x onerror=alert(1)> tides', [{ start: 29, end: 34 }]);
    expect(s[0]).toEqual({ text: '<img src=x onerror=alert(1)> ', hit: false });
    expect(s[1]).toEqual({ text: 'tides', hit: true });
  });
});

describe('labels', () => {
  it('pages', () => {
    expect(pageLabel({})).toBe('');
    expect(pageLabel({ page: 3 })).toBe('p. 3');
    expect(pageLabel({ page: 3, page_end: 3 })).toBe('p. 3');
    expect(pageLabel({ page: 3, page_end: 4 })).toBe('pp. 3–4');
    expect(pageLabel({ page: 0, page_end: 2 })).toBe('');
  });

  it('headings', () => {
    expect(headingLabel(undefined)).toBe('');
    expect(headingLabel('Methods > Data collection')).toBe('Methods › Data collection');
    expect(headingLabel('Intro')).toBe('Intro');
  });

  it('middle ellipsis keeps the start and the file', () => {
    expect(middleEllipsis('/a/b.txt', 20)).toBe('/a/b.txt');
    const p = '/home/someone/Documents/projects/2024/quarterly-reports/finance/summary-final.pdf';
    const s = middleEllipsis(p, 48);
    expect(s.length).toBeLessThanOrEqual(48);
    expect(s.startsWith('/home/')).toBe(true);
    expect(s.endsWith('/summary-final.pdf')).toBe(true);
    expect(s).toContain('…');
  });

  it('score as a percentage', () => {
    expect(scorePercent(0.824)).toBe(82);
    expect(scorePercent(1.3)).toBe(100);
    expect(scorePercent(-1)).toBe(0);
    expect(scorePercent(NaN)).toBe(0);
  });
});

describe('filters → request', () => {
  const now = new Date('2026-03-15T12:00:00Z');

  it('no filters: an empty object, default paging and the stream id', () => {
    const req = buildRequest({ query: '  tides ', mode: 'hybrid', collectionIds: [], filters: emptyFilters() }, 0, now);
    expect(req).toEqual({ query: 'tides', mode: 'hybrid', filters: {}, limit: 10, offset: 0, passages: 3, supersedes: SEARCH_STREAM });
  });

  it('rerank is sent only when asked for', () => {
    const base = { query: 'x', mode: 'hybrid' as const, collectionIds: [], filters: emptyFilters() };
    expect(buildRequest(base, 0, now).rerank).toBeUndefined();
    expect(buildRequest({ ...base, rerank: false }, 0, now).rerank).toBeUndefined();
    expect(buildRequest({ ...base, rerank: true }, 10, now)).toMatchObject({ rerank: true, offset: 10 });
  });

  it('file types map to extensions; collections and offset pass through', () => {
    const f = { ...emptyFilters(), types: ['pdf', 'markdown'], folder: '/home/me/notes' };
    const req = buildRequest({ query: 'x', mode: 'keyword', collectionIds: ['a', 'b'], filters: f }, 20, now);
    expect(req.collection_ids).toEqual(['a', 'b']);
    expect(req.offset).toBe(20);
    expect(req.mode).toBe('keyword');
    expect(req.filters).toEqual({ file_types: ['pdf', 'md', 'markdown'], folders: ['/home/me/notes'] });
  });

  it('relative dates count back from now', () => {
    expect(toRequestFilters({ ...emptyFilters(), date: 'week' }, now)).toEqual({ modified_from: '2026-03-08T12:00:00.000Z' });
    expect(toRequestFilters({ ...emptyFilters(), date: 'month' }, now).modified_from).toBe('2026-02-13T12:00:00.000Z');
    expect(toRequestFilters({ ...emptyFilters(), date: 'year' }, now).modified_from).toBe('2025-03-15T12:00:00.000Z');
  });

  it('a custom range includes its last day', () => {
    const f = toRequestFilters({ ...emptyFilters(), date: 'custom', from: '2026-01-10', to: '2026-01-20' }, now);
    expect(f.modified_from).toBe(new Date(2026, 0, 10).toISOString());
    expect(f.modified_before).toBe(new Date(2026, 0, 21).toISOString());
    expect(toRequestFilters({ ...emptyFilters(), date: 'custom', from: '', to: 'nope' }, now)).toEqual({});
  });

  it('counts active filters', () => {
    expect(activeFilterCount(emptyFilters())).toBe(0);
    expect(activeFilterCount({ ...emptyFilters(), types: ['pdf', 'word'], date: 'week' })).toBe(2);
    expect(activeFilterCount({ ...emptyFilters(), date: 'custom' })).toBe(0);
    expect(activeFilterCount({ ...emptyFilters(), date: 'custom', to: '2026-01-01', folder: '/x' })).toBe(2);
  });
});

describe('keyboard', () => {
  it('moves between results and back to the box', () => {
    expect(nextIndex('ArrowDown', 0, 3)).toBe(1);
    expect(nextIndex('ArrowDown', 2, 3)).toBe(2);
    expect(nextIndex('ArrowDown', -1, 3)).toBe(0);
    expect(nextIndex('ArrowUp', 2, 3)).toBe(1);
    expect(nextIndex('ArrowUp', 0, 3)).toBe(-1);
    expect(nextIndex('Home', 2, 3)).toBe(0);
    expect(nextIndex('End', 0, 3)).toBe(2);
    expect(nextIndex('Enter', 0, 3)).toBeNull();
    expect(nextIndex('ArrowDown', 0, 0)).toBeNull();
  });

  it('knows when a key is typing', () => {
    const el = (html: string) => {
      const d = document.createElement('div');
      d.innerHTML = html;
      return d.firstElementChild!;
    };
    expect(isTyping(el('<input type="text">'))).toBe(true);
    expect(isTyping(el('<input type="search">'))).toBe(true);
    expect(isTyping(el('<textarea></textarea>'))).toBe(true);
    expect(isTyping(el('<select></select>'))).toBe(true);
    expect(isTyping(el('<input type="checkbox">'))).toBe(false);
    expect(isTyping(el('<button></button>'))).toBe(false);
    expect(isTyping(document.body)).toBe(false);
    expect(isTyping(null)).toBe(false);
  });

  it('loopback hosts', () => {
    for (const h of ['127.0.0.1', 'localhost', '[::1]', '::1', '127.1.2.3']) expect(isLoopback(h)).toBe(true);
    for (const h of ['', '192.168.1.4', 'quarry.example', '127.0.0.1.example']) expect(isLoopback(h)).toBe(false);
  });
});
