// The reindex dialog's rules: the form starts from the collection's
// settings, only what the user changed is sent (the server keeps the rest,
// and picks chunking that fits a new model), and the plan is asked for a
// moment after the last change, its stale answers dropped.

import { toApiError, type ApiError } from './api';
import type { Collection, ModelInfo, Quantization, ReindexPlan, ReindexRequest } from './types';

export interface ReindexDraft {
  model: string;
  quantization: Quantization;
  /** null while the field is empty. */
  chunk_size: number | null;
  chunk_overlap: number | null;
}

export type ReindexFieldErrors = Partial<Record<'chunk_size' | 'chunk_overlap', string>>;

/** The form for a collection: its settings, with another model when one is given. */
export function draftFromCollection(c: Collection, model?: string): ReindexDraft {
  return { model: model || c.model, quantization: c.quantization, chunk_size: c.chunk_size, chunk_overlap: c.chunk_overlap };
}

/**
 * The models a collection can be embedded with: rerankers only re-order
 * search results. The collection's own model stays listed even when the
 * catalogue no longer has it, so the form can show what it uses now.
 */
export function reindexModels(models: readonly ModelInfo[], current: string): ModelInfo[] {
  const list = models.filter((m) => m.kind !== 'reranker');
  if (current && !list.some((m) => m.name === current)) {
    list.unshift({
      name: current,
      short_name: current,
      display_name: current,
      description: '',
      dims: 0,
      max_seq_len: 0,
      default_chunk_size: 0,
      default_chunk_overlap: 0,
      default: false,
      installed: true,
      kind: 'unknown',
      unavailable: 'this version of Quarry does not know it',
    });
  }
  return list;
}

/** An option's text: the name, whether it is the current one, and whether it is here. */
export function modelOptionLabel(m: ModelInfo, current: string): string {
  let s = m.display_name;
  if (m.name === current) s += ' (current)';
  if (m.unavailable) s += ' — unavailable';
  else if (m.installed === false) s += ' — not installed';
  return s;
}

/** Client checks the server would refuse anyway; the server checks the ranges. */
export function validateReindexDraft(d: ReindexDraft): ReindexFieldErrors {
  const errors: ReindexFieldErrors = {};
  if (!Number.isInteger(d.chunk_size)) errors.chunk_size = 'Chunk size must be a whole number of tokens.';
  if (!Number.isInteger(d.chunk_overlap)) errors.chunk_overlap = 'Chunk overlap must be a whole number of tokens.';
  else if ((d.chunk_overlap as number) < 0) errors.chunk_overlap = 'Chunk overlap cannot be negative.';
  return errors;
}

/** The request for a draft: only the fields that differ from the collection's. */
export function reindexRequest(d: ReindexDraft, c: Collection): ReindexRequest {
  const req: ReindexRequest = {};
  if (d.model && d.model !== c.model) req.model = d.model;
  if (d.quantization !== c.quantization) req.quantization = d.quantization;
  if (d.chunk_size !== null && d.chunk_size !== c.chunk_size) req.chunk_size = d.chunk_size;
  if (d.chunk_overlap !== null && d.chunk_overlap !== c.chunk_overlap) req.chunk_overlap = d.chunk_overlap;
  return req;
}

/** A request's identity, to tell whether a plan answers it. */
export function requestKey(req: ReindexRequest): string {
  return JSON.stringify([req.model ?? null, req.quantization ?? null, req.chunk_size ?? null, req.chunk_overlap ?? null]);
}

export type PlanState =
  | { status: 'idle' }
  | { status: 'loading'; key: string }
  | { status: 'ready'; key: string; plan: ReindexPlan }
  | { status: 'error'; key: string; error: ApiError };

/**
 * Asks for the plan of the latest request delayMs after it was made;
 * an answer to an older request is dropped.
 */
export class ReindexPlanner {
  #plan: (req: ReindexRequest) => Promise<ReindexPlan>;
  #onchange: (s: PlanState) => void;
  #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #seq = 0;

  constructor(plan: (req: ReindexRequest) => Promise<ReindexPlan>, onchange: (s: PlanState) => void, delayMs = 250) {
    this.#plan = plan;
    this.#onchange = onchange;
    this.#delayMs = delayMs;
  }

  /** Plans req soon; null (the form cannot be sent) forgets what was asked. */
  request(req: ReindexRequest | null): void {
    const seq = ++this.#seq;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!req) {
      this.#onchange({ status: 'idle' });
      return;
    }
    const key = requestKey(req);
    this.#onchange({ status: 'loading', key });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#plan(req).then(
        (plan) => {
          if (seq === this.#seq) this.#onchange({ status: 'ready', key, plan });
        },
        (e: unknown) => {
          if (seq === this.#seq) this.#onchange({ status: 'error', key, error: toApiError(e) });
        },
      );
    }, this.#delayMs);
  }

  /** Stops: nothing more is asked or reported. */
  dispose(): void {
    this.#seq++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
