import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import CreateCollectionDialog from './CreateCollectionDialog.svelte';
import { BGE, MINILM, collection, fakeApi } from '../../test/fixtures';
import { ApiError } from '../api';

function setup(api = fakeApi()) {
  const oncreated = vi.fn();
  const onclose = vi.fn();
  render(CreateCollectionDialog, { api, models: [BGE, MINILM], oncreated, onclose });
  const field = (label: string | RegExp) => screen.getByLabelText(label) as HTMLInputElement;
  return { api, oncreated, onclose, field };
}

describe('CreateCollectionDialog', () => {
  it('is a labelled modal dialog that focuses the name', () => {
    setup();
    expect(screen.getByRole('dialog', { name: 'New collection' })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByLabelText('Name'));
  });

  it('preselects the default model, float32 and the model’s chunking', () => {
    const { field } = setup();
    expect((screen.getByLabelText('Model') as HTMLSelectElement).value).toBe(MINILM.name);
    expect((screen.getByLabelText(/float32/) as HTMLInputElement).checked).toBe(true);
    expect(field(/Chunk size/).value).toBe('256');
    expect(field(/Overlap/).value).toBe('32');
    expect(screen.getByText(/reads at most 256/)).toBeTruthy();
  });

  it('updates chunking defaults with the model unless edited', async () => {
    const { field } = setup();
    const model = screen.getByLabelText('Model') as HTMLSelectElement;
    await fireEvent.change(model, { target: { value: BGE.name } });
    expect(field(/Chunk size/).value).toBe('400');
    expect(field(/Overlap/).value).toBe('50');
    expect(screen.getByText(/reads at most 512/)).toBeTruthy();

    await fireEvent.input(field(/Chunk size/), { target: { value: '300' } });
    await fireEvent.change(model, { target: { value: MINILM.name } });
    expect(field(/Chunk size/).value).toBe('300');
    expect(field(/Overlap/).value).toBe('32');
  });

  it('validates on submit without calling the server', async () => {
    const { api, field } = setup();
    await fireEvent.input(field(/Chunk size/), { target: { value: '1000' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create collection' }));
    expect(screen.getByText('A collection needs a name.')).toBeTruthy();
    expect(screen.getByText(/between 32 and 256 tokens for MiniLM/)).toBeTruthy();
    expect(api.calls).toEqual([]);
    expect(field('Name').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(field('Name'));
  });

  it('sends the form and reports the new collection', async () => {
    const { api, oncreated, field } = setup();
    await fireEvent.input(field('Name'), { target: { value: '  Notes ' } });
    await fireEvent.click(screen.getByLabelText(/int8/));
    await fireEvent.click(screen.getByRole('button', { name: 'Create collection' }));
    await vi.waitFor(() => expect(oncreated).toHaveBeenCalledOnce());
    expect(JSON.parse(api.calls[0].slice('create '.length))).toEqual({
      name: 'Notes',
      description: '',
      model: MINILM.name,
      quantization: 'int8',
      chunk_size: 256,
      chunk_overlap: 32,
    });
    expect(oncreated.mock.calls[0][0].name).toBe('Notes');
  });

  it('shows the server’s field error next to the field with its code', async () => {
    const { field, oncreated } = setup(fakeApi({ collections: [collection({ name: 'Papers' })] }));
    await fireEvent.input(field('Name'), { target: { value: 'Papers' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create collection' }));
    const msg = await screen.findByText(/already exists/);
    expect(msg.textContent).toContain('name_taken');
    expect(field('Name').getAttribute('aria-invalid')).toBe('true');
    expect(oncreated).not.toHaveBeenCalled();
    // Typing clears it.
    await fireEvent.input(field('Name'), { target: { value: 'Papers 2' } });
    expect(screen.queryByText(/already exists/)).toBeNull();
  });

  it('shows an error without a field as a banner', async () => {
    const api = fakeApi();
    api.createCollection = () => Promise.reject(new ApiError('internal', 'Something went wrong inside Quarry.'));
    const { field } = setup(api);
    await fireEvent.input(field('Name'), { target: { value: 'X' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create collection' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Something went wrong inside Quarry.');
    expect(alert.textContent).toContain('internal');
  });

  it('closes on Escape and Cancel', async () => {
    const { onclose } = setup();
    await fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onclose).toHaveBeenCalledTimes(2);
  });

  it('marks models that will download and disables unavailable ones with the reason', async () => {
    const api = fakeApi();
    const remote = { ...BGE, installed: false };
    const blocked = { ...MINILM, name: 'static-x', display_name: 'Static X', default: false, installed: false, kind: 'static', unavailable: 'needs the word vectors file' };
    const oncreated = vi.fn();
    render(CreateCollectionDialog, { api, models: [MINILM, remote, blocked], oncreated, onclose: vi.fn() });
    const select = screen.getByLabelText('Model') as HTMLSelectElement;
    const options = Array.from(select.options);
    expect(options.map((o) => o.textContent)).toEqual([
      'MiniLM L6 v2 (default)',
      'BGE base v1.5 — downloads on first use',
      'Static X — unavailable',
    ]);
    expect(options.map((o) => o.disabled)).toEqual([false, false, true]);
    expect(screen.getByTestId('unavailable-models').textContent).toContain('Static X cannot be used yet: needs the word vectors file');
    expect(screen.queryByTestId('model-download-note')).toBeNull();
    await fireEvent.change(select, { target: { value: remote.name } });
    expect(screen.getByTestId('model-download-note').textContent).toContain('will download on first use');
  });

  it('does not preselect an unavailable default model', () => {
    const blockedDefault = { ...MINILM, unavailable: 'not built for this platform' };
    render(CreateCollectionDialog, { api: fakeApi(), models: [blockedDefault, BGE], oncreated: vi.fn(), onclose: vi.fn() });
    expect((screen.getByLabelText('Model') as HTMLSelectElement).value).toBe(BGE.name);
  });
});
