import { describe, expect, it, vi } from 'vitest';
import { Workspace } from './workspace.svelte';
import { Toasts } from './toasts.svelte';
import { GLOVE, collection, doc, fakeApi, operation, progress, source } from '../test/fixtures';

function setup() {
  const api = fakeApi({ collections: [collection({ id: 'a', name: 'A' }), collection({ id: 'b', name: 'B' })] });
  const onEnded = vi.fn();
  const ws = new Workspace({ api, toasts: new Toasts(0), coalesceMs: 0, modelPollMs: 0, onEnded });
  return { api, ws, onEnded };
}

describe('Workspace', () => {
  it('loads status, models and collections, selecting the first', async () => {
    const { ws } = setup();
    await ws.load();
    expect(ws.loaded).toBe(true);
    expect(ws.status?.version).toBe('v0.1.0');
    expect(ws.models.list.length).toBe(2);
    expect(ws.selectedId).toBe('a');
    expect(ws.selected?.name).toBe('A');
  });

  it('deleting the selected collection selects its neighbour', async () => {
    const { ws } = setup();
    await ws.load();
    await ws.remove();
    expect(ws.collections.map((c) => c.id)).toEqual(['b']);
    expect(ws.selectedId).toBe('b');
  });

  it('an operation’s end is reported once and refreshes the collections', async () => {
    const { api, ws, onEnded } = setup();
    await ws.load();
    api.collections = [collection({ id: 'a', name: 'A', document_count: 4 }), collection({ id: 'b', name: 'B' })];
    api.operations = [operation({ collection_id: 'a' })];
    ws.onProgress(progress({ collection_id: 'a', status: 'completed' }));
    ws.onProgress(progress({ collection_id: 'a', status: 'completed' }));
    expect(onEnded).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(ws.collections[0].document_count).toBe(4));
  });

  it('re-reads the models when a collection starts using another model', async () => {
    const { api, ws } = setup();
    await ws.load();
    const list = vi.spyOn(api, 'listModels');
    await ws.refreshCollections();
    expect(list).not.toHaveBeenCalled();
    api.collections = [...api.collections, collection({ id: 'c', name: 'C', model: GLOVE.name })];
    await ws.refreshCollections();
    expect(list).toHaveBeenCalledTimes(1);
  });

  it('takes model:download events once connected', async () => {
    const { api, ws } = setup();
    await ws.load();
    const off = ws.connect();
    api.emit('model:download', { model: api.models[1].name, file: 'model.onnx', file_index: 0, files: 1, done: 1, total: 2 });
    // BGE is installed in the fixtures: its state stays.
    expect(ws.models.list[1].state).toBeUndefined();
    api.models = [{ ...api.models[0] }, { ...api.models[1], installed: false, state: 'not_installed' }];
    await ws.models.refresh();
    api.emit('model:download', { model: api.models[1].name, file: 'model.onnx', file_index: 0, files: 1, done: 1, total: 2 });
    expect(ws.models.list[1]).toMatchObject({ state: 'downloading', download_percent: 50 });
    off();
  });

  it('switches a folder’s watch and reads the folders and operations again', async () => {
    const { api, ws } = setup();
    api.sources = [source({ collection_id: 'a' }), source({ id: 8, collection_id: 'a', path: '/home/me/notes' })];
    await ws.load();
    await vi.waitFor(() => expect(ws.sources).toHaveLength(2));
    const list = vi.spyOn(api, 'listSources');
    const ops = vi.spyOn(api, 'listOperations');
    await ws.updateSource(ws.sources[0], { watch: false });
    expect(api.calls).toContain('watch a 7 false');
    expect(ws.sources.map((s) => [s.id, s.watch, s.watch_state])).toEqual([
      [7, false, 'paused'],
      [8, true, 'watching'],
    ]);
    expect(list).toHaveBeenCalledWith('a');
    expect(ops).toHaveBeenCalledWith('a');
  });

  it('a failed watch switch rejects and leaves the folders as they were', async () => {
    const { api, ws } = setup();
    await ws.load();
    await expect(ws.updateSource(source({ collection_id: 'a', id: 99 }), { watch: false })).rejects.toMatchObject({ code: 'not_found' });
    expect(ws.sources).toEqual([]);
    expect(api.calls).toContain('watch a 99 false');
  });

  it('unlocks a document: a wrong password rejects and changes nothing; the right one says so and reloads', async () => {
    const api = fakeApi({ collections: [collection({ id: 'a', name: 'A' })] });
    const toasts = new Toasts(0);
    const ws = new Workspace({ api, toasts, coalesceMs: 0, modelPollMs: 0 });
    await ws.load();
    const locked = doc({ id: 'p', path: '/home/me/papers/report.pdf', status: 'failed', error: 'password-protected PDF: a password is required to open it' });
    api.documents = [locked];
    api.documentPasswords = { p: 'asdfzxcv' };

    await expect(ws.unlock('a', locked, 'wrong')).rejects.toMatchObject({ code: 'invalid_argument', field: 'password' });
    expect(api.documents[0].status).toBe('failed');
    expect(toasts.items).toEqual([]);

    const key = ws.documentsKey;
    await ws.unlock('a', locked, 'asdfzxcv');
    expect(api.documents[0].status).toBe('completed');
    expect(toasts.items.map((t) => [t.kind, t.message])).toEqual([['success', 'report.pdf unlocked: its text is searchable now.']]);
    await vi.waitFor(() => expect(ws.documentsKey).toBeGreaterThan(key));
    // The operation that embeds its text shows.
    await vi.waitFor(() => expect(ws.live.get('a')?.operation_id).toBe(api.operations[0].id));
  });
});

