import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ModelsStore, merged } from './models.svelte';
import { GLOVE, MINILM, collection, fakeApi } from '../test/fixtures';
import type { Collection, ModelInfo } from './types';

const SMALL: ModelInfo = { ...MINILM, name: 'bge-small-en-v1.5', display_name: 'BGE small (English)', installed: false, state: 'not_installed' };

function setup(collections: Collection[] = []) {
  const api = fakeApi({ collections });
  api.models = [SMALL, GLOVE];
  const toasts = { error: vi.fn(), success: vi.fn() };
  const store = new ModelsStore(api, { toasts, pollMs: 2000, collections: () => api.collections });
  return { api, toasts, store };
}

describe('ModelsStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls the list every 2 s while a download runs, and stops when it ends', async () => {
    const { api, store } = setup();
    await store.refresh();
    const list = vi.spyOn(api, 'listModels');
    await store.download(SMALL.name);
    expect(api.calls).toContain(`download ${SMALL.name}`);
    expect(store.downloading).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(list).toHaveBeenCalledTimes(1);
    api.setModel(SMALL.name, { installed: true, state: 'installed', size_bytes: 130_000_000 });
    await vi.advanceTimersByTimeAsync(2000);
    expect(list).toHaveBeenCalledTimes(2);
    expect(store.downloading).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(list).toHaveBeenCalledTimes(2);
    store.dispose();
  });

  it('takes download events as they come', async () => {
    const { store } = setup();
    await store.refresh();
    store.onDownload({ model: SMALL.name, file: 'model.onnx', file_index: 0, files: 2, done: 1, total: 2 });
    expect(store.list[0]).toMatchObject({ state: 'downloading', download_percent: 25 });
    store.dispose();
  });

  it('notes a model that arrives and offers it to collections on word vectors', async () => {
    const { api, store, toasts } = setup([collection({ id: 'n', name: 'Notes', model: GLOVE.name })]);
    await store.refresh();
    expect(store.offers).toEqual([]);
    await store.importFrom({ model: SMALL.name, paths: ['/models/bge-small'] });
    expect(store.readied).toEqual([SMALL.name]);
    expect(toasts.success).toHaveBeenCalledWith('BGE small (English) is installed.');
    const offer = store.offerFor('n');
    expect(offer?.model.name).toBe(SMALL.name);
    store.dismiss(offer!);
    expect(store.offerFor('n')).toBeNull();
    // Seen installed at the first load: no offer.
    const fresh = new ModelsStore(api, { toasts, collections: () => api.collections });
    await fresh.refresh();
    expect(fresh.offers).toEqual([]);
  });

  it('reports failed actions and rejects a refused import or delete for the page to show', async () => {
    const { store, toasts } = setup([collection({ id: 'n', name: 'Notes', model: GLOVE.name })]);
    await store.refresh();
    await store.pause(SMALL.name);
    expect(toasts.error).toHaveBeenCalled();
    await expect(store.importFrom({ model: SMALL.name, paths: ['/missing'] })).rejects.toThrow(/missing words\.txt/);
    await expect(store.remove(GLOVE.name)).rejects.toThrow(/used by Notes/);
  });

  it('an import reply without state or size reads as installed, and the list fills in the rest', async () => {
    const { api, store } = setup();
    await store.refresh();
    const importModel = api.importModel;
    api.importModel = async (req) => {
      const m = await importModel(req);
      return { ...m, state: undefined, size_bytes: 0, collections: [] };
    };
    await store.importFrom({ model: SMALL.name, paths: ['/models/bge-small'] });
    expect(store.list[0]).toMatchObject({ installed: true, state: 'installed', size_bytes: 1_234_567 });
  });

  it('merged keeps what a bare reply leaves out', () => {
    const old: ModelInfo = { ...GLOVE, state: 'ready', size_bytes: 9, collections: [{ id: 'n', name: 'Notes' }] };
    expect(merged(old, { ...GLOVE, state: undefined, size_bytes: 0, collections: [] })).toMatchObject({
      state: 'ready',
      size_bytes: 9,
      collections: [{ id: 'n', name: 'Notes' }],
    });
    expect(merged({ ...SMALL, state: 'downloading' }, { ...SMALL, state: 'paused' }).state).toBe('paused');
    expect(merged({ ...SMALL, state: 'not_installed' }, { ...SMALL, installed: true, state: undefined }).state).toBe('installed');
  });
});
