import { describe, expect, it } from 'vitest';
import {
  compactLabel,
  operationTypeLabel,
  countsSummary,
  ellipsizeMiddle,
  filesLabel,
  formatDuration,
  formatEta,
  formatRate,
  fraction,
  handled,
  isStopping,
  operationDuration,
  outcomeLabel,
  pendingProgress,
  phaseLabel,
  progressFromOperation,
} from './progress';
import { operation, progress } from '../test/fixtures';

describe('progress arithmetic', () => {
  it('counts done, failed and skipped files as handled', () => {
    expect(handled(progress({ files_done: 10, files_failed: 1, files_skipped: 2 }))).toBe(13);
  });

  it('is a fraction of the total, capped, or unknown without a total', () => {
    expect(fraction(progress({ files_total: 40, files_done: 8, files_failed: 1, files_skipped: 1 }))).toBe(0.25);
    expect(fraction(progress({ files_total: 10, files_done: 12, files_failed: 0, files_skipped: 0 }))).toBe(1);
    expect(fraction(progress({ files_total: 0, files_done: 0 }))).toBeNull();
    expect(fraction(progress({ status: 'completed', files_total: 0 }))).toBe(1);
  });

  it('labels the files', () => {
    expect(filesLabel(progress({ files_total: 30, files_done: 10, files_failed: 1, files_skipped: 1 }))).toBe('12 / 30 files');
    expect(filesLabel(progress({ files_total: 0, files_done: 0, files_failed: 0, files_skipped: 0 }))).toBe('0 files');
    expect(filesLabel(progress({ files_total: 1, files_done: 1, files_failed: 0, files_skipped: 0 }))).toBe('1 / 1 file');
  });

  it('makes the compact line for the list', () => {
    expect(compactLabel(progress({ files_total: 30, files_done: 10, files_failed: 1, files_skipped: 1 }))).toBe('Indexing 12/30 files');
    expect(compactLabel(progress({ type: 'append', files_total: 1200, files_done: 1000, files_failed: 0, files_skipped: 0 }))).toBe(
      'Rescanning 1,000/1,200 files',
    );
    expect(compactLabel(progress({ files_total: 0, phase: 'loading model' }))).toBe('Indexing: loading model');
    expect(compactLabel(pendingProgress('o', 'c', 'index'))).toBe('Indexing: queued');
  });
});

describe('progress formatting', () => {
  it('formats rates', () => {
    expect(formatRate(2.54, 'files')).toBe('2.5 files/s');
    expect(formatRate(0, 'files')).toBe('0 files/s');
    expect(formatRate(48.2, 'chunks')).toBe('48 chunks/s');
    expect(formatRate(1234.4, 'chunks')).toBe('1,234 chunks/s');
    expect(formatRate(Number.NaN, 'files')).toBe('—');
    expect(formatRate(-1, 'files')).toBe('—');
  });

  it('formats the time left', () => {
    expect(formatEta(-1)).toBe('estimating…');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('estimating…');
    expect(formatEta(0.4)).toBe('almost done');
    expect(formatEta(12.2)).toBe('about 13 s');
    expect(formatEta(59.5)).toBe('about 1 min');
    expect(formatEta(90)).toBe('about 1 min 30 s');
    expect(formatEta(605)).toBe('about 10 min 05 s');
    expect(formatEta(3600)).toBe('about 1 h');
    expect(formatEta(3 * 3600 + 7 * 60 + 3)).toBe('about 3 h 07 min');
  });

  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_900)).toBe('12 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(-5)).toBe('—');
  });

  it('shortens paths in the middle, keeping the file name', () => {
    const p = '/home/me/research/papers/2024/transformers/attention-is-all-you-need.pdf';
    expect(ellipsizeMiddle(p, 200)).toBe(p);
    const s = ellipsizeMiddle(p, 40);
    expect([...s]).toHaveLength(40);
    expect(s).toContain('…');
    expect(s.endsWith('all-you-need.pdf')).toBe(true);
    expect(s.startsWith('/home/me/')).toBe(true);
    expect(ellipsizeMiddle('/a/ünïcödé/ñame.txt', 10)).toHaveLength(10);
    expect(ellipsizeMiddle('abc', 1)).toBe('…');
  });

  it('labels phases', () => {
    expect(phaseLabel({ status: 'processing', phase: 'loading model' })).toBe('Loading model');
    expect(phaseLabel({ status: 'processing', phase: '' })).toBe('Starting');
    expect(phaseLabel({ status: 'pending', phase: '' })).toBe('Waiting to start');
    expect(phaseLabel({ status: 'completed', phase: '' })).toBe('');
  });

  it('summarises counts and outcomes', () => {
    expect(countsSummary({ files_done: 20, files_failed: 1, files_skipped: 0, chunks: 45 })).toBe('20 indexed · 1 failed · 45 chunks');
    expect(countsSummary({ files_done: 1, files_skipped: 19, chunks: 1 })).toBe('1 indexed · 19 unchanged · 1 chunk');
    expect(countsSummary({ files_done: 0, files_removed: 1, chunks: 0 })).toBe('0 indexed · 1 removed · 0 chunks');
    expect(countsSummary({})).toBe('0 indexed · 0 chunks');
    expect(outcomeLabel(progress({ status: 'completed', elapsed_ms: 12_000 }))).toBe('Indexing finished in 12 s');
    expect(outcomeLabel(progress({ status: 'completed', type: 'append', elapsed_ms: 300 }))).toBe('Rescan finished in 300 ms');
    expect(outcomeLabel(progress({ status: 'completed', type: 'append', reason: 'watch', elapsed_ms: 14 }))).toBe('Update finished in 14 ms');
    expect(compactLabel(progress({ status: 'processing', type: 'append', reason: 'watch: catch up', files_total: 4, files_done: 1 }))).toMatch(/^Updating \d\/4 files$/);
    expect(operationTypeLabel('append', 'watch')).toBe('Folder changes');
    expect(operationTypeLabel('append', 'retry')).toBe('Rescan');
    expect(outcomeLabel(progress({ status: 'failed' }))).toBe('Indexing failed');
    expect(outcomeLabel(progress({ status: 'cancelled' }))).toBe('Indexing cancelled after 12 / 30 files');
  });
});

describe('operations as progress', () => {
  it('reads a stored snapshot', () => {
    const p = progressFromOperation(
      operation({ status: 'processing', completed_at: null, progress: { phase: 'indexing', files_total: 5, files_done: 2, eta_seconds: 3 } }),
    );
    expect(p).toMatchObject({ operation_id: 'op-1', status: 'processing', phase: 'indexing', files_total: 5, files_done: 2, eta_seconds: 3 });
    expect(p.chunks).toBe(0);
  });

  it('copes with an empty or missing snapshot', () => {
    const p = progressFromOperation(operation({ status: 'pending', progress: {}, started_at: null, completed_at: null }));
    expect(p).toMatchObject({ status: 'pending', files_total: 0, eta_seconds: -1, current_file: '', phase: '' });
    expect(progressFromOperation(operation({ progress: null })).files_done).toBe(0);
  });

  it('carries the error', () => {
    expect(progressFromOperation(operation({ status: 'failed', error: 'model missing' })).error).toBe('model missing');
  });

  it('treats a running operation asked to stop as still running until it has stopped', () => {
    const stopping = operation({ status: 'cancelled', completed_at: null });
    expect(isStopping(stopping)).toBe(true);
    expect(progressFromOperation(stopping).status).toBe('processing');
    expect(progressFromOperation(operation({ status: 'cancelled' })).status).toBe('cancelled');
    // Cancelled while queued: never started, over at once.
    expect(progressFromOperation(operation({ status: 'cancelled', started_at: null, completed_at: null })).status).toBe('cancelled');
  });

  it('measures how long an operation took', () => {
    expect(operationDuration(operation())).toBe(30_000);
    expect(operationDuration(operation({ started_at: null }))).toBeNull();
    const now = new Date('2026-01-01T10:00:11Z');
    expect(operationDuration(operation({ completed_at: null }), now)).toBe(10_000);
  });
});
