import { describe, expect, it } from 'vitest';
import { operationActionHandlers } from './operationActions';
import { collection, doc, fakeApi, operation } from '../test/fixtures';
import type { Progress } from './types';

function setup() {
  const api = fakeApi();
  const shown: Progress[] = [];
  const reloaded: string[] = [];
  const checked: string[] = [];
  const said: string[] = [];
  const h = operationActionHandlers({
    api,
    onProgress: (p) => void shown.push(p),
    reload: (id) => void reloaded.push(id),
    check: async (id) => void checked.push(id),
    toasts: {
      error: (e) => said.push(`error ${(e as Error).message}`),
      info: (m) => said.push(`info ${m}`),
      success: (m) => said.push(`success ${m}`),
    },
  });
  return { api, h, shown, reloaded, checked, said };
}

describe('operation actions', () => {
  it('pauses, resumes and cancels, showing each new state', async () => {
    const { api, h, shown, reloaded } = setup();
    api.operations = [operation({ id: 'o1', collection_id: 'c1', status: 'processing', completed_at: null })];
    await h.pause('o1');
    expect(shown.at(-1)?.status).toBe('paused');
    await h.resume('o1');
    expect(shown.at(-1)?.status).toBe('pending');
    await h.cancel('o1');
    expect(api.operations[0].status).toBe('cancelled');
    expect(api.calls.filter((c) => /^(pause|resume|cancel) /.test(c))).toEqual(['pause o1', 'resume o1', 'cancel o1']);
    expect(reloaded).toEqual(['c1', 'c1', 'c1']);
  });

  it('re-reads an operation that changed meanwhile instead of showing an error', async () => {
    const { api, h, checked, said } = setup();
    api.operations = [operation({ id: 'o2', status: 'completed' })];
    await h.pause('o2');
    expect(checked).toEqual(['o2']);
    expect(said).toEqual([]);
  });

  it('retries failed documents, and says so when there are none', async () => {
    const { api, h, said } = setup();
    api.documents = [doc({ id: 'd1', status: 'completed' })];
    await h.retry('c1');
    expect(said).toEqual(['info No failed documents to retry.']);
    api.documents = [doc({ id: 'd2', status: 'failed' })];
    await h.retry('c1', ['d2']);
    expect(api.calls).toContain('retry c1 d2');
    expect(said.at(-1)).toMatch(/^success/);
  });

  it('rescans, showing the queued operation and re-reading the list', async () => {
    const { api, h, shown, reloaded } = setup();
    await h.rescan('c1');
    expect(api.calls).toContain('rescan c1');
    expect(shown.at(-1)).toMatchObject({ collection_id: 'c1', type: 'append', status: 'pending' });
    expect(reloaded).toEqual(['c1']);
  });

  it('plans and queues a reindex; refusals reach the caller, not a toast', async () => {
    const { api, h, shown, reloaded, said } = setup();
    api.collections = [collection({ id: 'c1', vector_count: 9 })];
    const p = await h.planReindex('c1', { quantization: 'int8' });
    expect(p.kind).toBe('reencode');
    expect(p.summary).toMatch(/no model runs/);
    await h.reindex('c1', { quantization: 'int8' });
    expect(api.calls).toContain('reindex c1 {"quantization":"int8"}');
    expect(shown.at(-1)).toMatchObject({ collection_id: 'c1', type: 'reindex', status: 'pending' });
    expect(reloaded).toEqual(['c1']);
    expect(said.at(-1)).toMatch(/^success Reindex queued/);
    await expect(h.reindex('c1', {})).rejects.toMatchObject({ message: expect.stringMatching(/^Nothing to change/) });
    expect(said.filter((x) => x.startsWith('error'))).toEqual([]);
  });
});
