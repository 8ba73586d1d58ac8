// The search view's rules: highlighted snippets, filters and how they map
// to a request, page labels, paths, and moving between results by keyboard.

import type { Passage, SearchFilters, SearchMode, SearchRequest, Span } from './types';

/**
 * Every request from this window's search box names this stream: a newer
 * one cancels the older on the server. The suffix keeps two windows (or
 * browser tabs) from cancelling each other's searches.
 */
export const SEARCH_STREAM = `searchbox-${Math.random().toString(36).slice(2, 10)}`;
/** Documents per page. */
export const SEARCH_LIMIT = 10;
/** Passages per document. */
export const SEARCH_PASSAGES = 3;
/** Typing waits this long for the next key before searching (ms). */
export const SEARCH_DEBOUNCE_MS = 150;
/**
 * With reranking on, typing waits longer: each search then costs the
 * reranker's work (about a second on two CPU cores), better spent on the
 * query the user stops at.
 */
export const RERANK_DEBOUNCE_MS = 400;

export const SEARCH_MODES: readonly { value: SearchMode; label: string; hint: string }[] = [
  { value: 'hybrid', label: 'Hybrid', hint: 'Meaning and words together' },
  { value: 'keyword', label: 'Keyword', hint: 'The exact words you typed' },
  { value: 'semantic', label: 'Semantic', hint: 'Passages with a similar meaning' },
];

// --- highlights ------------------------------------------------------------

export interface Segment {
  text: string;
  hit: boolean;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * Splits text into plain and highlighted pieces by UTF-16 ranges. Ranges
 * out of bounds are clamped, empty ones dropped, overlapping or touching
 * ones merged, and none splits a surrogate pair (an emoji stays whole).
 */
export function segments(text: string, highlights: readonly Span[] | null | undefined): Segment[] {
  const n = text.length;
  const spans: Span[] = [];
  for (const h of highlights ?? []) {
    if (!h || !Number.isFinite(h.start) || !Number.isFinite(h.end)) continue;
    let start = Math.max(0, Math.min(n, Math.trunc(h.start)));
    let end = Math.max(0, Math.min(n, Math.trunc(h.end)));
    if (start > 0 && start < n && isLow(text.charCodeAt(start)) && isHigh(text.charCodeAt(start - 1))) start--;
    if (end > 0 && end < n && isLow(text.charCodeAt(end)) && isHigh(text.charCodeAt(end - 1))) end++;
    if (end > start) spans.push({ start, end });
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Span[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  const out: Segment[] = [];
  let at = 0;
  for (const s of merged) {
    if (s.start > at) out.push({ text: text.slice(at, s.start), hit: false });
    out.push({ text: text.slice(s.start, s.end), hit: true });
    at = s.end;
  }
  if (at < n || out.length === 0) out.push({ text: text.slice(at), hit: false });
  return out;
}

// --- passages and paths ------------------------------------------------------

/** "p. 3", "pp. 3–4", or '' without a page. */
export function pageLabel(p: Pick<Passage, 'page' | 'page_end'>): string {
  if (!p.page || p.page < 1) return '';
  if (p.page_end && p.page_end > p.page) return `pp. ${p.page}–${p.page_end}`;
  return `p. ${p.page}`;
}

/** A heading path as the server sends it ("A > B", "A / B"), shown with chevrons. */
export function headingLabel(h: string | undefined): string {
  if (!h) return '';
  return h
    .split(/\s+(?:>|›|»|\/)\s+|\n/)
    .map((x) => x.trim())
    .filter(Boolean)
    .join(' › ');
}

/** Cuts the middle out of a long path, keeping its start and the file's folder: "/home/me/…/notes/a.txt". */
export function middleEllipsis(s: string, max = 72): string {
  if (s.length <= max) return s;
  const keepEnd = Math.ceil((max - 1) * 0.6);
  const keepStart = max - 1 - keepEnd;
  // Cut at separators where they are near.
  let head = s.slice(0, keepStart);
  const hs = Math.max(head.lastIndexOf('/'), head.lastIndexOf('\\'));
  if (hs > keepStart * 0.5) head = head.slice(0, hs + 1);
  let tail = s.slice(s.length - keepEnd);
  const ts = tail.search(/[\\/]/);
  if (ts >= 0 && ts < keepEnd * 0.4) tail = tail.slice(ts);
  return `${head}…${tail}`;
}

/** The score (0–1) as a whole percentage. */
export function scorePercent(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.round(Math.max(0, Math.min(1, score)) * 100);
}

// --- filters -------------------------------------------------------------------

export interface FileTypeChoice {
  key: string;
  label: string;
  /** What the request's file_types carries: extensions and MIME types. */
  types: readonly string[];
}

export const FILE_TYPES: readonly FileTypeChoice[] = [
  { key: 'pdf', label: 'PDF', types: ['pdf'] },
  { key: 'word', label: 'Word', types: ['docx', 'doc', 'odt', 'rtf'] },
  { key: 'text', label: 'Text', types: ['txt', 'text', 'log'] },
  { key: 'markdown', label: 'Markdown', types: ['md', 'markdown'] },
  { key: 'html', label: 'HTML', types: ['html', 'htm', 'xhtml', 'mht', 'mhtml'] },
  { key: 'sheet', label: 'Spreadsheet', types: ['xlsx', 'xls', 'ods', 'csv', 'tsv'] },
  { key: 'slides', label: 'Slides', types: ['pptx', 'ppt', 'odp'] },
  { key: 'email', label: 'E-mail', types: ['eml', 'msg', 'mbox'] },
];

export type DateRange = 'any' | 'week' | 'month' | 'year' | 'custom';

export const DATE_RANGES: readonly { value: DateRange; label: string }[] = [
  { value: 'any', label: 'Any time' },
  { value: 'week', label: 'Past week' },
  { value: 'month', label: 'Past month' },
  { value: 'year', label: 'Past year' },
  { value: 'custom', label: 'Custom range…' },
];

/** A folder the filters offer: a source of a collection in scope. */
export interface FolderChoice {
  path: string;
  collection: string;
}

/** What the filters panel holds. */
export interface FilterState {
  /** Keys of FILE_TYPES. */
  types: string[];
  /** A folder (path prefix), or '' for any. */
  folder: string;
  date: DateRange;
  /** Custom range: 'YYYY-MM-DD' dates, both inclusive; '' for open. */
  from: string;
  to: string;
}

export function emptyFilters(): FilterState {
  return { types: [], folder: '', date: 'any', from: '', to: '' };
}

/** How many filters are set (the badge on the Filters button). */
export function activeFilterCount(f: FilterState): number {
  let n = 0;
  if (f.types.length) n++;
  if (f.folder) n++;
  if (f.date !== 'any' && (f.date !== 'custom' || f.from || f.to)) n++;
  return n;
}

/** A 'YYYY-MM-DD' date at local midnight, or null. */
function localDay(s: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The request's filters for the panel's state; `now` for the relative ranges. */
export function toRequestFilters(f: FilterState, now: Date = new Date()): SearchFilters {
  const out: SearchFilters = {};
  const types = FILE_TYPES.filter((t) => f.types.includes(t.key)).flatMap((t) => t.types);
  if (types.length) out.file_types = types;
  if (f.folder) out.folders = [f.folder];
  const back = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
  switch (f.date) {
    case 'week':
      out.modified_from = back(7);
      break;
    case 'month':
      out.modified_from = back(30);
      break;
    case 'year':
      out.modified_from = back(365);
      break;
    case 'custom': {
      const from = localDay(f.from);
      const to = localDay(f.to);
      if (from) out.modified_from = from.toISOString();
      if (to) {
        // The end day is included: before the next midnight.
        to.setDate(to.getDate() + 1);
        out.modified_before = to.toISOString();
      }
      break;
    }
  }
  return out;
}

export interface SearchParams {
  query: string;
  mode: SearchMode;
  /** Empty: all collections. */
  collectionIds: string[];
  filters: FilterState;
  /** Re-score the best results with the local reranker. */
  rerank?: boolean;
}

/** The request for a page of results. */
export function buildRequest(p: SearchParams, offset = 0, now: Date = new Date()): SearchRequest {
  const req: SearchRequest = {
    query: p.query.trim(),
    mode: p.mode,
    filters: toRequestFilters(p.filters, now),
    limit: SEARCH_LIMIT,
    offset,
    passages: SEARCH_PASSAGES,
    supersedes: SEARCH_STREAM,
  };
  if (p.collectionIds.length) req.collection_ids = [...p.collectionIds];
  if (p.rerank) req.rerank = true;
  return req;
}

// --- keyboard ------------------------------------------------------------------

/**
 * The result to focus after a key: ArrowDown/ArrowUp move one, Home/End
 * jump; -1 (from the first, ArrowUp) means back to the search box; null
 * for other keys.
 */
export function nextIndex(key: string, current: number, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case 'ArrowDown':
      return current < 0 ? 0 : Math.min(count - 1, current + 1);
    case 'ArrowUp':
      return current <= 0 ? -1 : current - 1;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** Whether a key press is typing into a field (so '/' is a character, not a shortcut). */
export function isTyping(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase();
    return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
  }
  return el.isContentEditable === true;
}

/** Whether the page was served from this machine (an HTTP server on loopback opens files here). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
