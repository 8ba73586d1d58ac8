import { describe, expect, it } from 'vitest';
import { embedderSummary, engineSummary, formatBytes, formatCount, formatRelative, plural, statusLabel } from './format';

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KB'],
    [1536, '1.5 KB'],
    [10 * 1024, '10 KB'],
    [1024 * 1024 - 1, '1.0 MB'],
    [5.25 * 1024 ** 3, '5.3 GB'],
    [3 * 1024 ** 4, '3.0 TB'],
    [-1, '—'],
    [Number.NaN, '—'],
  ];
  for (const [n, want] of cases) it(`${n} → ${want}`, () => expect(formatBytes(n)).toBe(want));
});

describe('counts', () => {
  it('groups thousands', () => expect(formatCount(1234567)).toBe('1,234,567'));
  it('pluralises', () => {
    expect(plural(0, 'folder')).toBe('0 folders');
    expect(plural(1, 'folder')).toBe('1 folder');
    expect(plural(2500, 'vector')).toBe('2,500 vectors');
  });
});

describe('formatRelative', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const cases: [string | null, string][] = [
    [null, 'never'],
    ['not a date', '—'],
    ['2026-03-10T11:59:40Z', 'just now'],
    ['2026-03-10T11:55:00Z', '5 min ago'],
    ['2026-03-10T09:00:00Z', '3 h ago'],
    ['2026-03-09T10:00:00Z', 'yesterday'],
    ['2026-03-07T12:00:00Z', '3 days ago'],
    ['2026-01-02T12:00:00Z', '2026-01-02'],
  ];
  for (const [iso, want] of cases) it(`${iso} → ${want}`, () => expect(formatRelative(iso, now)).toBe(want));
});

describe('statusLabel', () => {
  it('names known states and passes others through', () => {
    expect(statusLabel('ready')).toBe('Ready');
    expect(statusLabel('pending')).toBe('Not indexed yet');
    expect(statusLabel('weird')).toBe('weird');
  });
});

describe('engineSummary', () => {
  it('keeps the headline and labels it when needed', () => {
    expect(engineSummary('not configured')).toBe('vector engine: not configured');
    expect(
      engineSummary('Built-in vector engine (Qdrant is not installed): exact search in memory, loaded from PostgreSQL'),
    ).toBe('Built-in vector engine (Qdrant is not installed)');
    expect(engineSummary('Qdrant 1.17.1')).toBe('vector engine: Qdrant 1.17.1');
  });
});

describe('embedderSummary', () => {
  it('says nothing before a model is loaded', () => {
    expect(embedderSummary(undefined)).toBe('');
    expect(embedderSummary([])).toBe('');
  });
  it('names the model, the device and the threads', () => {
    expect(embedderSummary([{ model: 'all-MiniLM-L6-v2', device: 'cpu', threads: 2 }])).toBe('all-MiniLM-L6-v2 on CPU (2 threads)');
    expect(embedderSummary([{ model: 'bge-small-en-v1.5', device: 'cuda', threads: 1 }])).toBe('bge-small-en-v1.5 on CUDA (1 thread)');
  });
  it('lists several models', () => {
    expect(
      embedderSummary([
        { model: 'a', device: 'cpu', threads: 2 },
        { model: 'b', device: 'coreml', threads: 4 },
      ]),
    ).toBe('a on CPU, b on COREML');
  });
});
