import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import ReindexDialog from './ReindexDialog.svelte';
import { BGE, MINILM, RERANKER, collection, fakePlan } from '../../test/fixtures';
import { ApiError } from '../api';
import type { ReindexRequest } from '../types';

const c = collection({ id: 'c1', name: 'Papers', document_count: 3, vector_count: 9 });

function setup(over: { start?: (req: ReindexRequest) => Promise<void> } = {}) {
  const asked: ReindexRequest[] = [];
  const plan = vi.fn(async (req: ReindexRequest) => {
    asked.push(req);
    return fakePlan([c], c.id, req);
  });
  const start = vi.fn(over.start ?? (async () => {}));
  const onclose = vi.fn();
  render(ReindexDialog, { collection: c, models: [MINILM, RERANKER, { ...BGE, installed: false }], plan, start, onclose, debounceMs: 0 });
  const confirm = () => screen.getByRole('button', { name: 'Reindex' }) as HTMLButtonElement;
  return { plan, asked, start, onclose, confirm };
}

describe('ReindexDialog', () => {
  it('is a labelled modal dialog that focuses the model, preselected', () => {
    setup();
    const dialog = screen.getByRole('dialog', { name: 'Change model or precision' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const model = screen.getByLabelText('Model') as HTMLSelectElement;
    expect(document.activeElement).toBe(model);
    expect(model.value).toBe(MINILM.name);
    expect((screen.getByLabelText(/float32/) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText(/Chunk size/) as HTMLInputElement).value).toBe('256');
    expect((screen.getByLabelText(/Overlap/) as HTMLInputElement).value).toBe('32');
  });

  it('offers embedding models only, saying which are not installed', () => {
    setup();
    const options = Array.from((screen.getByLabelText('Model') as HTMLSelectElement).options).map((o) => o.textContent?.trim());
    expect(options).toEqual(['MiniLM L6 v2 (current)', 'BGE base v1.5 — not installed']);
  });

  it('shows the server’s refusal of an unchanged form, with Reindex disabled', async () => {
    const { confirm } = setup();
    await waitFor(() => expect(screen.getByTestId('reindex-plan-error').textContent).toMatch(/^Nothing to change/));
    expect(confirm().disabled).toBe(true);
  });

  it('plans each change and shows the summary; Reindex sends only what changed', async () => {
    const { asked, start, onclose, confirm } = setup();
    await fireEvent.click(screen.getByLabelText(/int8/));
    await waitFor(() => expect(screen.getByTestId('reindex-summary').textContent).toMatch(/no model runs/));
    expect(asked.at(-1)).toEqual({ quantization: 'int8' });
    expect(confirm().disabled).toBe(false);

    await fireEvent.input(screen.getByLabelText(/Chunk size/), { target: { value: '128' } });
    await waitFor(() => expect(screen.getByTestId('reindex-summary').textContent).toMatch(/chunks of 128 tokens/));
    expect(asked.at(-1)).toEqual({ quantization: 'int8', chunk_size: 128 });

    await fireEvent.click(confirm());
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(start).toHaveBeenCalledWith({ quantization: 'int8', chunk_size: 128 });
  });

  it('shows a field’s refusal under the field', async () => {
    const { confirm } = setup();
    const size = screen.getByLabelText(/Chunk size/);
    await fireEvent.input(size, { target: { value: '8' } });
    await waitFor(() => expect(size.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText(/between 32 and 256 tokens/)).toBeTruthy();
    expect(confirm().disabled).toBe(true);
  });

  it('does not ask the server about an empty number field', async () => {
    const { plan, confirm } = setup();
    await waitFor(() => expect(plan).toHaveBeenCalledTimes(1));
    await fireEvent.input(screen.getByLabelText(/Overlap/), { target: { value: '' } });
    expect(screen.getByText(/Chunk overlap must be a whole number/)).toBeTruthy();
    await new Promise((r) => setTimeout(r, 20));
    expect(plan).toHaveBeenCalledTimes(1);
    expect(confirm().disabled).toBe(true);
  });

  it('keeps the dialog open with the error when queuing fails', async () => {
    const { onclose, confirm } = setup({
      start: async () => {
        throw new ApiError('conflict', 'Papers is already being reindexed.');
      },
    });
    await fireEvent.click(screen.getByLabelText(/float16/));
    await waitFor(() => expect(confirm().disabled).toBe(false));
    await fireEvent.click(confirm());
    await waitFor(() => expect(screen.getByTestId('reindex-error').textContent).toMatch(/already being reindexed/));
    expect(onclose).not.toHaveBeenCalled();
  });

  it('closes on Escape and on Cancel', async () => {
    const { onclose } = setup();
    await fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(onclose).toHaveBeenCalledTimes(1);
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onclose).toHaveBeenCalledTimes(2);
  });
});

describe('ReindexDialog with an initial model', () => {
  it('starts on the offered model and plans the switch at once', async () => {
    const plan = vi.fn(async (req: ReindexRequest) => fakePlan([c], c.id, req));
    render(ReindexDialog, { collection: c, models: [MINILM, BGE], plan, start: async () => {}, onclose: () => {}, debounceMs: 0, initialModel: BGE.name });
    expect((screen.getByLabelText('Model') as HTMLSelectElement).value).toBe(BGE.name);
    await waitFor(() => expect(plan).toHaveBeenCalledWith({ model: BGE.name }));
  });

  it('ignores a model it does not list', () => {
    render(ReindexDialog, { collection: c, models: [MINILM], plan: async (req) => fakePlan([c], c.id, req), start: async () => {}, onclose: () => {}, debounceMs: 0, initialModel: 'nope' });
    expect((screen.getByLabelText('Model') as HTMLSelectElement).value).toBe(MINILM.name);
  });
});
