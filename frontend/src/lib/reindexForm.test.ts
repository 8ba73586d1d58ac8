import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ReindexPlanner,
  draftFromCollection,
  modelOptionLabel,
  reindexModels,
  reindexRequest,
  requestKey,
  validateReindexDraft,
  type PlanState,
} from './reindexForm';
import { ApiError } from './api';
import { BGE, MINILM, RERANKER, collection } from '../test/fixtures';
import type { ReindexPlan, ReindexRequest } from './types';

const c = collection({ model: MINILM.name, quantization: 'float32', chunk_size: 256, chunk_overlap: 32 });

function plan(over: Partial<ReindexPlan> = {}): ReindexPlan {
  return {
    kind: 'reencode',
    model: MINILM.name,
    quantization: 'int8',
    chunk_size: 256,
    chunk_overlap: 32,
    documents: 3,
    chunks: 9,
    model_calls: false,
    model_installed: true,
    estimated_seconds: 1,
    summary: 'Re-encodes the 9 stored vectors as int8: no model runs and no file is opened.',
    ...over,
  };
}

describe('reindex request', () => {
  it('starts from the collection and sends nothing while nothing changed', () => {
    const d = draftFromCollection(c);
    expect(d).toEqual({ model: MINILM.name, quantization: 'float32', chunk_size: 256, chunk_overlap: 32 });
    expect(reindexRequest(d, c)).toEqual({});
  });

  it('sends only the fields that changed', () => {
    const d = draftFromCollection(c);
    expect(reindexRequest({ ...d, quantization: 'int8' }, c)).toEqual({ quantization: 'int8' });
    expect(reindexRequest({ ...d, chunk_size: 128 }, c)).toEqual({ chunk_size: 128 });
    expect(reindexRequest({ ...d, model: BGE.name, chunk_overlap: 0 }, c)).toEqual({ model: BGE.name, chunk_overlap: 0 });
    // Changed and changed back: nothing.
    expect(reindexRequest({ ...d, chunk_size: 256 }, c)).toEqual({});
  });

  it('leaves out an empty number field, which the form reports instead', () => {
    const d = { ...draftFromCollection(c), chunk_size: null };
    expect(reindexRequest(d, c)).toEqual({});
    expect(validateReindexDraft(d).chunk_size).toMatch(/whole number/);
    expect(validateReindexDraft({ ...d, chunk_size: 64, chunk_overlap: -1 }).chunk_overlap).toMatch(/negative/);
    expect(validateReindexDraft({ ...d, chunk_size: 12.5 }).chunk_size).toMatch(/whole number/);
    expect(validateReindexDraft(draftFromCollection(c))).toEqual({});
  });

  it('keys requests by their fields, whatever their order', () => {
    const a: ReindexRequest = { quantization: 'int8', chunk_size: 64 };
    const b: ReindexRequest = { chunk_size: 64, quantization: 'int8' };
    expect(requestKey(a)).toBe(requestKey(b));
    expect(requestKey(a)).not.toBe(requestKey({ quantization: 'int8' }));
  });
});

describe('reindex models', () => {
  it('lists the models that embed, not rerankers', () => {
    expect(reindexModels([MINILM, RERANKER, BGE], MINILM.name).map((m) => m.name)).toEqual([MINILM.name, BGE.name]);
  });

  it('keeps a current model the catalogue no longer knows, as unavailable', () => {
    const list = reindexModels([MINILM], 'gone/model');
    expect(list.map((m) => m.name)).toEqual(['gone/model', MINILM.name]);
    expect(list[0].unavailable).toBeTruthy();
  });

  it('labels the current model and those not installed', () => {
    expect(modelOptionLabel(MINILM, MINILM.name)).toBe('MiniLM L6 v2 (current)');
    expect(modelOptionLabel({ ...BGE, installed: false }, MINILM.name)).toBe('BGE base v1.5 — not installed');
    expect(modelOptionLabel({ ...BGE, unavailable: 'no runtime' }, MINILM.name)).toBe('BGE base v1.5 — unavailable');
  });
});

describe('ReindexPlanner', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(impl: (req: ReindexRequest) => Promise<ReindexPlan>) {
    const states: PlanState[] = [];
    const asked: ReindexRequest[] = [];
    const p = new ReindexPlanner(
      (req) => {
        asked.push(req);
        return impl(req);
      },
      (s) => states.push(s),
      250,
    );
    return { p, states, asked };
  }

  it('asks once the form rests, for the latest request only', async () => {
    const { p, states, asked } = setup(async (req) => plan({ quantization: req.quantization ?? 'float32' }));
    p.request({ quantization: 'float16' });
    await vi.advanceTimersByTimeAsync(100);
    p.request({ quantization: 'int8' });
    expect(states.at(-1)?.status).toBe('loading');
    await vi.advanceTimersByTimeAsync(249);
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual([{ quantization: 'int8' }]);
    const last = states.at(-1);
    expect(last?.status).toBe('ready');
    if (last?.status === 'ready') {
      expect(last.plan.quantization).toBe('int8');
      expect(last.key).toBe(requestKey({ quantization: 'int8' }));
    }
  });

  it('drops an answer that a newer request overtook', async () => {
    const resolvers: ((v: ReindexPlan) => void)[] = [];
    const { p, states } = setup(() => new Promise((r) => resolvers.push(r)));
    p.request({ quantization: 'int8' });
    await vi.advanceTimersByTimeAsync(250);
    p.request({ chunk_size: 128 });
    await vi.advanceTimersByTimeAsync(250);
    resolvers[1](plan({ kind: 'rechunk', summary: 'new' }));
    await vi.advanceTimersByTimeAsync(0);
    resolvers[0](plan({ summary: 'old' }));
    await vi.advanceTimersByTimeAsync(0);
    const ready = states.filter((s) => s.status === 'ready');
    expect(ready).toHaveLength(1);
    expect(ready[0].status === 'ready' && ready[0].plan.summary).toBe('new');
    expect(states.at(-1)?.status).toBe('ready');
  });

  it('reports the server’s refusal as an ApiError', async () => {
    const { p, states } = setup(async () => {
      throw { code: 'invalid_argument', message: 'Nothing to change: Papers already uses …' };
    });
    p.request({});
    await vi.advanceTimersByTimeAsync(250);
    const last = states.at(-1);
    expect(last?.status).toBe('error');
    if (last?.status === 'error') {
      expect(last.error).toBeInstanceOf(ApiError);
      expect(last.error.message).toMatch(/^Nothing to change/);
    }
  });

  it('forgets what was asked for an invalid form, and after dispose reports nothing', async () => {
    const { p, states, asked } = setup(async () => plan());
    p.request({ quantization: 'int8' });
    p.request(null);
    await vi.advanceTimersByTimeAsync(500);
    expect(asked).toEqual([]);
    expect(states.at(-1)).toEqual({ status: 'idle' });
    p.request({ quantization: 'int8' });
    p.dispose();
    const n = states.length;
    await vi.advanceTimersByTimeAsync(500);
    expect(asked).toEqual([]);
    expect(states).toHaveLength(n);
  });
});
