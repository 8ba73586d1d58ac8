// The create-collection form's rules: model-aware chunking defaults and
// client-side checks that mirror the server's (the server still has the
// last word; its errors are shown as they come).

import type { CreateCollectionRequest, Model, Quantization } from './types';

export const NAME_MAX = 128;
export const DESCRIPTION_MAX = 2000;
export const MIN_CHUNK_SIZE = 32;

/** What each vector precision trades, in a few words. */
export const QUANT_HINTS: Record<string, string> = {
  float32: 'exact, largest',
  float16: 'half the size, near-exact',
  int8: 'a quarter of the size, slightly less exact',
};

export interface CollectionDraft {
  name: string;
  description: string;
  model: string;
  quantization: Quantization;
  chunk_size: number;
  chunk_overlap: number;
}

/** Which chunking fields the user has typed into (and so keep on model change). */
export interface Touched {
  chunk_size: boolean;
  chunk_overlap: boolean;
}

export type FieldErrors = Partial<Record<keyof CollectionDraft, string>>;

/** A catalogue model, which may say why it cannot be used yet. */
type MaybeUnavailable = Model & { unavailable?: string };

export function isUsable(m: Model | undefined): boolean {
  return !!m && !(m as MaybeUnavailable).unavailable;
}

/** The default model, else the first one that can be used, else the first. */
export function defaultModel(models: readonly Model[]): Model | undefined {
  return models.find((m) => m.default && isUsable(m)) ?? models.find(isUsable) ?? models[0];
}

export function findModel(models: readonly Model[], name: string): Model | undefined {
  return models.find((m) => m.name === name);
}

export function newDraft(models: readonly Model[]): CollectionDraft {
  const m = defaultModel(models);
  return {
    name: '',
    description: '',
    model: m?.name ?? '',
    quantization: 'float32',
    chunk_size: m?.default_chunk_size ?? 0,
    chunk_overlap: m?.default_chunk_overlap ?? 0,
  };
}

/** The draft after choosing another model: untouched chunking follows the model. */
export function withModel(draft: CollectionDraft, model: Model | undefined, touched: Touched): CollectionDraft {
  const next = { ...draft, model: model?.name ?? '' };
  if (!model) return next;
  if (!touched.chunk_size) next.chunk_size = model.default_chunk_size;
  if (!touched.chunk_overlap) next.chunk_overlap = model.default_chunk_overlap;
  return next;
}

function runeLength(s: string): number {
  return [...s].length;
}

// Same class as Go's unicode.IsControl: C0, DEL and C1.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function validateName(raw: string): string | undefined {
  const name = raw.trim();
  if (!name) return 'A collection needs a name.';
  const n = runeLength(name);
  if (n > NAME_MAX) return `The name is ${n} characters long; at most ${NAME_MAX} are allowed.`;
  if (CONTROL.test(name)) return 'The name must not contain control characters such as tabs or line breaks.';
  return undefined;
}

export function validateDescription(raw: string): string | undefined {
  const n = runeLength(raw.trim());
  if (n > DESCRIPTION_MAX) return `The description is ${n} characters long; at most ${DESCRIPTION_MAX} are allowed.`;
  return undefined;
}

/** Field errors for a draft; empty when it may be sent. */
export function validateDraft(draft: CollectionDraft, model: Model | undefined): FieldErrors {
  const errors: FieldErrors = {};
  const name = validateName(draft.name);
  if (name) errors.name = name;
  const desc = validateDescription(draft.description);
  if (desc) errors.description = desc;
  if (!model) errors.model = 'Choose a model.';
  else if (!isUsable(model)) {
    errors.model = `${model.display_name} cannot be used yet: ${(model as MaybeUnavailable).unavailable}`;
  }
  const size = draft.chunk_size;
  const max = model?.max_seq_len;
  if (!Number.isInteger(size)) {
    errors.chunk_size = 'Chunk size must be a whole number of tokens.';
  } else if (size < MIN_CHUNK_SIZE || (max !== undefined && size > max)) {
    errors.chunk_size =
      max !== undefined
        ? `Chunk size must be between ${MIN_CHUNK_SIZE} and ${max} tokens for ${model!.display_name}.`
        : `Chunk size must be at least ${MIN_CHUNK_SIZE} tokens.`;
  }
  const overlap = draft.chunk_overlap;
  const sizeOk = !errors.chunk_size;
  const half = sizeOk ? Math.floor(size / 2) : undefined;
  if (!Number.isInteger(overlap)) {
    errors.chunk_overlap = 'Chunk overlap must be a whole number of tokens.';
  } else if (overlap < 0 || (half !== undefined && overlap > half)) {
    errors.chunk_overlap =
      half !== undefined
        ? `Chunk overlap must be between 0 and ${half} tokens (half the chunk size).`
        : 'Chunk overlap cannot be negative.';
  }
  return errors;
}

export function toRequest(draft: CollectionDraft): CreateCollectionRequest {
  return {
    name: draft.name.trim(),
    description: draft.description.trim(),
    model: draft.model,
    quantization: draft.quantization,
    chunk_size: draft.chunk_size,
    chunk_overlap: draft.chunk_overlap,
  };
}
