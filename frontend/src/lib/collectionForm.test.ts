import { describe, expect, it } from 'vitest';
import { defaultModel, newDraft, toRequest, validateDraft, validateName, withModel, type CollectionDraft } from './collectionForm';
import { BGE, MINILM } from '../test/fixtures';

describe('defaults', () => {
  it('preselects the default model and its chunking', () => {
    expect(newDraft([BGE, MINILM])).toEqual({
      name: '',
      description: '',
      model: MINILM.name,
      quantization: 'float32',
      chunk_size: 256,
      chunk_overlap: 32,
    });
  });

  it('falls back to the first model without a default', () => {
    expect(defaultModel([{ ...BGE }, { ...MINILM, default: false }])?.name).toBe(BGE.name);
    expect(newDraft([]).model).toBe('');
  });

  it('follows the model until the user edits a chunking field', () => {
    const d = newDraft([MINILM, BGE]);
    const untouched = withModel(d, BGE, { chunk_size: false, chunk_overlap: false });
    expect([untouched.model, untouched.chunk_size, untouched.chunk_overlap]).toEqual([BGE.name, 400, 50]);

    const sizeEdited = withModel({ ...d, chunk_size: 128 }, BGE, { chunk_size: true, chunk_overlap: false });
    expect([sizeEdited.chunk_size, sizeEdited.chunk_overlap]).toEqual([128, 50]);

    const both = withModel({ ...d, chunk_size: 128, chunk_overlap: 0 }, BGE, { chunk_size: true, chunk_overlap: true });
    expect([both.chunk_size, both.chunk_overlap]).toEqual([128, 0]);
  });
});

describe('validation mirrors the server', () => {
  const ok: CollectionDraft = { ...newDraft([MINILM]), name: 'Papers' };
  const cases: { name: string; draft: Partial<CollectionDraft>; field?: keyof CollectionDraft; message?: RegExp }[] = [
    { name: 'valid', draft: {} },
    { name: 'name required', draft: { name: '   ' }, field: 'name', message: /needs a name/ },
    { name: 'name of 128 runes', draft: { name: 'é'.repeat(128) } },
    { name: 'name of 129 runes', draft: { name: 'x'.repeat(129) }, field: 'name', message: /129 characters/ },
    { name: 'emoji count as one', draft: { name: '😀'.repeat(128) } },
    { name: 'control characters', draft: { name: 'a\tb' }, field: 'name', message: /control/ },
    { name: 'chunk size minimum', draft: { chunk_size: 32, chunk_overlap: 16 } },
    { name: 'chunk size below minimum', draft: { chunk_size: 31, chunk_overlap: 0 }, field: 'chunk_size', message: /between 32 and 256 tokens for MiniLM/ },
    { name: 'chunk size at model max', draft: { chunk_size: 256 } },
    { name: 'chunk size above model max', draft: { chunk_size: 257 }, field: 'chunk_size', message: /256/ },
    { name: 'empty chunk size', draft: { chunk_size: null as unknown as number }, field: 'chunk_size', message: /whole number/ },
    { name: 'fractional chunk size', draft: { chunk_size: 100.5 }, field: 'chunk_size' },
    { name: 'overlap zero', draft: { chunk_overlap: 0 } },
    { name: 'overlap half', draft: { chunk_size: 100, chunk_overlap: 50 } },
    { name: 'overlap over half', draft: { chunk_size: 101, chunk_overlap: 51 }, field: 'chunk_overlap', message: /between 0 and 50/ },
    { name: 'negative overlap', draft: { chunk_overlap: -1 }, field: 'chunk_overlap' },
    { name: 'description too long', draft: { description: 'x'.repeat(2001) }, field: 'description' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const errs = validateDraft({ ...ok, ...c.draft }, MINILM);
      if (!c.field) {
        expect(errs).toEqual({});
        return;
      }
      expect(Object.keys(errs)).toEqual([c.field]);
      if (c.message) expect(errs[c.field]).toMatch(c.message);
    });
  }

  it('needs a known model', () => {
    expect(validateDraft(ok, undefined).model).toBe('Choose a model.');
  });

  it('validateName trims like the server', () => {
    expect(validateName('  ok  ')).toBeUndefined();
  });

  it('sends trimmed text', () => {
    expect(toRequest({ ...ok, name: '  Papers ', description: ' d ' })).toMatchObject({ name: 'Papers', description: 'd' });
  });
});
