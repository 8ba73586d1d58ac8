// Operations and their progress as the UI shows them: the arithmetic of a
// snapshot, and the words and numbers for rates, times and outcomes.

import type { Operation, OperationStatus, Progress } from './types';
import { formatCount, plural } from './format';

/** Files the operation has dealt with, whatever the outcome. */
export function handled(p: Pick<Progress, 'files_done' | 'files_failed' | 'files_skipped'>): number {
  return num(p.files_done) + num(p.files_failed) + num(p.files_skipped);
}

/** 0…1, or null while the total is not known yet (the bar is indeterminate). */
export function fraction(p: Progress): number | null {
  if (p.status === 'completed') return 1;
  const total = num(p.files_total);
  if (total <= 0) return null;
  return Math.min(1, Math.max(0, handled(p) / total));
}

/** "12 / 30 files" or "12 files" while the total is unknown. */
export function filesLabel(p: Progress): string {
  const total = num(p.files_total);
  const h = handled(p);
  return total > 0 ? `${formatCount(h)} / ${plural(total, 'file')}` : plural(h, 'file');
}

export function isActive(status: string | undefined): boolean {
  return status === 'pending' || status === 'processing';
}

export function isEnded(status: string | undefined): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** 2.5 → "2.5 files/s"; 48.2 → "48 chunks/s". */
export function formatRate(perSec: number, unit: string): string {
  if (!Number.isFinite(perSec) || perSec < 0) return '—';
  const v = perSec < 10 ? (Math.round(perSec * 10) / 10).toString() : formatCount(perSec);
  return `${v} ${unit}/s`;
}

/** Seconds left: "about 1 min 30 s"; -1 (unknown) → "estimating…". */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'estimating…';
  if (seconds < 1) return 'almost done';
  return `about ${formatSeconds(seconds)}`;
}

/** Elapsed milliseconds: "850 ms", "12 s", "4 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return formatSeconds(ms / 1000, true);
}

function formatSeconds(seconds: number, floor = false): string {
  const s = floor ? Math.floor(seconds) : Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const r = s % 60;
    return r ? `${m} min ${String(r).padStart(2, '0')} s` : `${m} min`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m ? `${h} h ${String(m).padStart(2, '0')} min` : `${h} h`;
}

/**
 * Shortens a path in the middle so that its end (the file name) stays:
 * "/home/me/a/very/long/…/report.pdf".
 */
export function ellipsizeMiddle(s: string, max = 64): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return '…';
  const keep = max - 1;
  const tail = Math.ceil(keep * 0.6);
  const head = keep - tail;
  return chars.slice(0, head).join('') + '…' + chars.slice(chars.length - tail).join('');
}

const TYPE_LABELS: Record<string, string> = {
  index: 'Index folder',
  append: 'Rescan',
  reindex: 'Reindex',
  remove_source: 'Remove folder',
  delete: 'Delete collection',
};

/** Whether an operation was queued by a folder's watch (reason "watch" or "watch: …"). */
export function isWatchReason(reason: unknown): boolean {
  return typeof reason === 'string' && (reason === 'watch' || reason.startsWith('watch:'));
}

export function operationTypeLabel(type: string, reason?: unknown): string {
  if (type === 'append' && isWatchReason(reason)) return 'Folder changes';
  return TYPE_LABELS[type] ?? type;
}

/** What a running operation is doing, as a heading: "Indexing", "Rescanning". */
const TYPE_VERBS: Record<string, string> = {
  index: 'Indexing',
  append: 'Rescanning',
  reindex: 'Reindexing',
  remove_source: 'Removing folder',
  delete: 'Deleting',
};

export function operationVerb(type: string, reason?: unknown): string {
  if (type === 'append' && isWatchReason(reason)) return 'Updating';
  return TYPE_VERBS[type] ?? 'Working';
}

const STATUS_LABELS: Record<OperationStatus, string> = {
  pending: 'Queued',
  processing: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function operationStatusLabel(status: string): string {
  return STATUS_LABELS[status as OperationStatus] ?? status;
}

/** "loading model" → "Loading model". */
export function phaseLabel(p: Pick<Progress, 'status' | 'phase'>): string {
  if (p.status === 'pending') return 'Waiting to start';
  const phase = (p.phase || '').trim();
  if (!phase) return p.status === 'processing' ? 'Starting' : '';
  return phase[0].toUpperCase() + phase.slice(1);
}

/** The compact line for a collection card: "Indexing 12/30 files". */
export function compactLabel(p: Progress): string {
  const verb = operationVerb(p.type, p.reason);
  if (p.status === 'pending') return `${verb}: queued`;
  const total = num(p.files_total);
  const h = handled(p);
  if (total > 0) return `${verb} ${formatCount(h)}/${plural(total, 'file')}`;
  const phase = phaseLabel(p);
  return phase ? `${verb}: ${phase.toLowerCase()}` : verb;
}

/** "20 indexed · 1 failed · 2 unchanged · 1 removed · 45 chunks" (skipped files had not changed). */
export function countsSummary(p: Partial<Progress>): string {
  const parts = [`${formatCount(num(p.files_done))} indexed`];
  if (num(p.files_failed)) parts.push(`${formatCount(num(p.files_failed))} failed`);
  if (num(p.files_skipped)) parts.push(`${formatCount(num(p.files_skipped))} unchanged`);
  if (num(p.files_removed)) parts.push(`${formatCount(num(p.files_removed))} removed`);
  parts.push(plural(num(p.chunks), 'chunk'));
  return parts.join(' · ');
}

const OUTCOME_NOUNS: Record<string, string> = {
  index: 'Indexing',
  append: 'Rescan',
  reindex: 'Reindexing',
  remove_source: 'Removing the folder',
  delete: 'Deleting the collection',
};

/** The sentence for an ended operation. */
export function outcomeLabel(p: Progress): string {
  const what =
    p.type === 'append' && isWatchReason(p.reason) ? 'Update' : (OUTCOME_NOUNS[p.type] ?? operationTypeLabel(p.type));
  switch (p.status) {
    case 'completed':
      return `${what} finished in ${formatDuration(num(p.elapsed_ms))}`;
    case 'failed':
      return `${what} failed`;
    case 'cancelled':
      return `${what} cancelled after ${filesLabel(p)}`;
    case 'paused':
      return `${what} paused after ${filesLabel(p)}`;
    default:
      return operationVerb(p.type, p.reason);
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** A Progress from an operation record (its stored snapshot may be empty). */
export function progressFromOperation(op: Operation): Progress {
  const s = op.progress ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    operation_id: op.id,
    collection_id: op.collection_id,
    type: op.type,
    status: isStopping(op) ? 'processing' : op.status,
    phase: str(s.phase),
    files_total: num(s.files_total),
    files_done: num(s.files_done),
    files_failed: num(s.files_failed),
    files_skipped: num(s.files_skipped),
    chunks: num(s.chunks),
    bytes: num(s.bytes),
    current_file: str(s.current_file),
    files_per_sec: num(s.files_per_sec),
    chunks_per_sec: num(s.chunks_per_sec),
    eta_seconds: typeof s.eta_seconds === 'number' ? s.eta_seconds : -1,
    elapsed_ms: num(s.elapsed_ms),
    error: op.error || str(s.error) || undefined,
  };
}

/**
 * A running operation asked to stop: the server marks it cancelled at once
 * and sets completed_at only when its work has stopped.
 */
export function isStopping(op: Pick<Operation, 'status' | 'started_at' | 'completed_at'>): boolean {
  return op.status === 'cancelled' && !!op.started_at && !op.completed_at;
}

/** A queued operation before any progress arrives. */
export function pendingProgress(operationId: string, collectionId: string, type: string): Progress {
  return progressFromOperation({
    id: operationId,
    collection_id: collectionId,
    type,
    status: 'pending',
    config: null,
    progress: null,
    error: '',
    created_at: '',
    started_at: null,
    completed_at: null,
  });
}

/** How long an operation took (or has run), from its timestamps. */
export function operationDuration(op: Operation, now: Date = new Date()): number | null {
  if (!op.started_at) return null;
  const start = Date.parse(op.started_at);
  const end = op.completed_at ? Date.parse(op.completed_at) : now.getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, end - start);
}

/** Whether an operation can be paused, resumed or cancelled now. */
export function operationActions(op: Pick<Operation, 'type' | 'status' | 'started_at' | 'completed_at'>): {
  pause: boolean;
  resume: boolean;
  cancel: boolean;
} {
  const waiting = (op.status === 'pending' || op.status === 'processing') && !isStopping(op);
  const deleting = op.type === 'delete';
  return {
    pause: waiting && !deleting,
    resume: op.status === 'paused',
    cancel: (waiting || op.status === 'paused') && !deleting,
  };
}
