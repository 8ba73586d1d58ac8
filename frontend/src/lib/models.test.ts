import { describe, expect, it } from 'vitest';
import {
  applyDownloadProgress,
  eventPercent,
  isUpgrade,
  kindLabel,
  languagesLabel,
  modelActions,
  newlyAvailable,
  offerKey,
  offerText,
  percentLabel,
  reindexingIds,
  stateLabel,
  switchOffers,
} from './models';
import { BGE, GLOVE, MINILM, RERANKER, collection } from '../test/fixtures';
import type { ModelInfo } from './types';

const BGE_SMALL: ModelInfo = { ...MINILM, name: 'bge-small-en-v1.5', display_name: 'BGE small (English)', default: true, installed: false, state: 'not_installed' };
const MINI: ModelInfo = { ...MINILM, default: false, installed: false, state: 'not_installed' };
const notes = collection({ id: 'n', name: 'Notes', model: GLOVE.name });
const papers = collection({ id: 'p', name: 'Papers', model: MINI.name });

describe('model labels', () => {
  it('names kinds, languages and states', () => {
    expect(kindLabel('static')).toBe('Word vectors');
    expect(kindLabel('transformer')).toBe('Transformer');
    expect(kindLabel('reranker')).toBe('Reranker');
    expect(languagesLabel('en')).toBe('English');
    expect(languagesLabel('multi')).toBe('Many languages');
    expect(languagesLabel(undefined)).toBe('—');
    expect(stateLabel({ ...MINI, state: 'downloading', download_percent: 41.6 })).toBe('Downloading 42%');
    expect(stateLabel({ ...MINI, state: 'paused', download_percent: 99.7 })).toBe('Paused at 99%');
    expect(stateLabel({ ...MINI, state: 'failed' })).toBe('Download failed');
    expect(stateLabel({ ...MINILM, state: 'ready' })).toBe('Loaded');
    expect(stateLabel(GLOVE)).toBe('Installed');
    // An older server reports installed only.
    expect(stateLabel({ ...MINI, state: undefined })).toBe('Not installed');
    expect(stateLabel({ ...MINILM, state: undefined })).toBe('Installed');
    expect(percentLabel(100)).toBe('100%');
  });
});

describe('modelActions', () => {
  it('offers download, import for a model that is not here', () => {
    const a = modelActions(MINI);
    expect(a).toMatchObject({ download: true, retry: false, pause: false, resume: false, cancel: false, import: true, delete: false });
  });
  it('pause and cancel while downloading; resume and cancel while paused', () => {
    expect(modelActions({ ...MINI, state: 'downloading' })).toMatchObject({ download: false, pause: true, cancel: true, import: false, delete: false });
    expect(modelActions({ ...MINI, state: 'paused' })).toMatchObject({ download: false, pause: false, resume: true, cancel: true });
  });
  it('a failed download can be tried again', () => {
    expect(modelActions({ ...MINI, state: 'failed' })).toMatchObject({ download: true, retry: true });
  });
  it('word vectors are imported, never downloaded; installed models can be deleted', () => {
    expect(modelActions({ ...GLOVE, installed: false, state: 'not_installed' })).toMatchObject({ download: false, import: true, delete: false });
    expect(modelActions(GLOVE)).toMatchObject({ download: false, import: true, delete: true });
  });
  it('an unavailable model offers nothing', () => {
    const a = modelActions({ ...MINI, unavailable: 'needs a newer runtime' });
    expect(Object.values(a).some(Boolean)).toBe(false);
  });
});

describe('download progress', () => {
  const p = { model: MINI.name, file: 'model.onnx', file_index: 1, files: 4, done: 50, total: 100 };
  it('computes the overall percent like the server', () => {
    expect(eventPercent(p)).toBeCloseTo(37.5);
    expect(eventPercent({ ...p, files: 0 })).toBe(0);
    expect(eventPercent({ ...p, total: 0 })).toBe(25);
  });
  it('marks the model downloading, never going backwards, and leaves paused and installed ones alone', () => {
    const list = [MINI, { ...BGE }];
    const next = applyDownloadProgress(list, p);
    expect(next[0]).toMatchObject({ state: 'downloading', download_percent: 37.5 });
    expect(next[1]).toBe(list[1]);
    expect(applyDownloadProgress(next, { ...p, file_index: 0 })[0].download_percent).toBe(37.5);
    expect(applyDownloadProgress([{ ...MINI, state: 'paused', download_percent: 10 }], p)[0]).toMatchObject({ state: 'paused', download_percent: 10 });
    expect(applyDownloadProgress([MINILM], p)[0]).toBe(MINILM);
  });
});

describe('newlyAvailable', () => {
  it('names the models that arrived, not those seen for the first time or already here', () => {
    const prev = [MINI, BGE_SMALL, GLOVE];
    const next = [{ ...MINI, installed: true, state: 'installed' }, BGE_SMALL, GLOVE, { ...BGE }];
    expect(newlyAvailable(prev, next)).toEqual([MINI.name]);
    // installed → loaded is not an arrival
    expect(newlyAvailable([MINILM], [{ ...MINILM, state: 'ready' }])).toEqual([]);
  });
});

describe('switchOffers (the rule)', () => {
  const ready = { ...BGE_SMALL, installed: true, state: 'installed' };

  it('offers a transformer that arrived to a collection on word vectors', () => {
    const offers = switchOffers([ready, MINI, GLOVE], [notes, papers], [ready.name]);
    expect(offers).toHaveLength(1);
    expect(offers[0].model.name).toBe(ready.name);
    expect(offers[0].collection.id).toBe('n');
    expect(offerText(offers[0])).toBe('BGE small (English) is ready. Switch ‘Notes’ to it?');
  });

  it('offers nothing for models that were here before this session, or are not here', () => {
    expect(switchOffers([ready, GLOVE], [notes], [])).toEqual([]);
    expect(switchOffers([BGE_SMALL, GLOVE], [notes], [BGE_SMALL.name])).toEqual([]);
  });

  it('does not nag collections that chose another transformer, nor offer rerankers or word vectors', () => {
    const rr = { ...RERANKER, installed: true, state: 'installed' };
    const other = { ...GLOVE, name: 'glove-other', display_name: 'Other vectors' };
    expect(switchOffers([ready, MINI, GLOVE], [papers], [ready.name])).toEqual([]);
    expect(switchOffers([rr, GLOVE], [notes], [rr.name])).toEqual([]);
    expect(switchOffers([other, GLOVE], [notes], [other.name])).toEqual([]);
  });

  it('prefers the registry’s default model when several arrived', () => {
    const mini = { ...MINI, installed: true, state: 'installed' };
    const offers = switchOffers([mini, ready, GLOVE], [notes], [ready.name, mini.name]);
    expect(offers[0].model.name).toBe(ready.name);
    // Dismissing the default's offer leaves the other one.
    const rest = switchOffers([mini, ready, GLOVE], [notes], [ready.name, mini.name], new Set([offerKey(ready.name, 'n')]));
    expect(rest[0].model.name).toBe(mini.name);
  });

  it('skips a collection that is already being reindexed', () => {
    const reindexing = { ...ready, collections: [{ id: 'n', name: 'Notes (reindexing to it)' }] };
    expect(reindexingIds([reindexing])).toEqual(new Set(['n']));
    expect(switchOffers([reindexing, GLOVE], [notes], [ready.name])).toEqual([]);
  });

  it('isUpgrade: word vectors or the bundled stand-in to a transformer only', () => {
    expect(isUpgrade(GLOVE, ready)).toBe(true);
    expect(isUpgrade(MINI, ready)).toBe(false);
    expect(isUpgrade(GLOVE, GLOVE)).toBe(false);
    const bundled = { ...MINI, name: 'use-lite-en', bundled: true };
    expect(isUpgrade(bundled, ready)).toBe(true);
    expect(isUpgrade(GLOVE, bundled)).toBe(false);
  });
});
