// The app's Models page: reached from the header, fed by model:download
// events, and the offer to switch a collection on word vectors to a model
// that has just arrived, in the Models page and the collection's header.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from './App.svelte';
import { Toasts } from './lib/toasts.svelte';
import { GLOVE, MINILM, collection, fakeApi } from './test/fixtures';
import type { ModelInfo } from './lib/types';

const SMALL: ModelInfo = { ...MINILM, name: 'bge-small-en-v1.5', display_name: 'BGE small (English)', default: true, installed: false, state: 'not_installed' };

function setup() {
  const api = fakeApi({ collections: [collection({ id: 'n', name: 'Notes', model: GLOVE.name })] });
  api.models = [SMALL, GLOVE];
  const toasts = new Toasts(0);
  render(App, { api, toasts, pollMs: 0, coalesceMs: 0, modelPollMs: 0 });
  return { api, toasts };
}

const card = (name: string) => screen.getAllByTestId('model-card').find((c) => c.dataset.model === name)!;

describe('App: models', () => {
  it('opens the Models page from the header and goes back', async () => {
    setup();
    await screen.findByTestId('collection-detail');
    await fireEvent.click(screen.getByRole('button', { name: 'Models' }));
    expect(await screen.findByTestId('models-page')).toBeTruthy();
    expect(screen.queryByTestId('collection-detail')).toBeNull();
    expect(screen.getByRole('button', { name: 'Models' }).getAttribute('aria-pressed')).toBe('true');
    await fireEvent.click(screen.getByRole('button', { name: 'Back to collections' }));
    expect(await screen.findByTestId('collection-detail')).toBeTruthy();
    // Choosing a collection in the sidebar leaves the page too.
    await fireEvent.click(screen.getByRole('button', { name: 'Models' }));
    await screen.findByTestId('models-page');
    await fireEvent.click(screen.getAllByTestId('collection-item')[0]);
    expect(await screen.findByTestId('collection-detail')).toBeTruthy();
  });

  it('shows download progress from model:download events', async () => {
    const { api } = setup();
    await screen.findByTestId('collection-detail');
    await fireEvent.click(screen.getByRole('button', { name: 'Models' }));
    await vi.waitFor(() => expect(card(SMALL.name)).toBeTruthy());
    api.emit('model:download', { model: SMALL.name, file: 'model.onnx', file_index: 0, files: 4, done: 50, total: 100 });
    await vi.waitFor(() => expect(within(card(SMALL.name)).getByTestId('model-state').textContent).toBe('Downloading 13%'));
  });

  it('offers the arrived model in the collection header; Switch opens the reindex dialog on it', async () => {
    const { api, toasts } = setup();
    await screen.findByTestId('collection-detail');
    expect(screen.queryByTestId('switch-offer')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Models' }));
    await vi.waitFor(() => expect(card(SMALL.name)).toBeTruthy());
    const small = within(card(SMALL.name));
    await fireEvent.click(small.getByTestId('model-import-open'));
    await fireEvent.input(small.getByLabelText('Folder path'), { target: { value: '/models/bge-small' } });
    await fireEvent.click(small.getByTestId('model-import-submit'));
    await vi.waitFor(() => expect(screen.getByTestId('switch-offer')).toBeTruthy());
    expect(toasts.items.some((t) => t.message === 'BGE small (English) is installed.')).toBe(true);

    await fireEvent.click(screen.getByRole('button', { name: 'Back to collections' }));
    const detail = await screen.findByTestId('collection-detail');
    const offer = within(detail).getByTestId('switch-offer');
    expect(within(offer).getByTestId('switch-offer-text').textContent).toBe('BGE small (English) is ready. Switch ‘Notes’ to it?');
    await fireEvent.click(within(offer).getByRole('button', { name: 'Switch…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Change model or precision' });
    expect((within(dialog).getByLabelText('Model') as HTMLSelectElement).value).toBe(SMALL.name);
    const confirm = within(dialog).getByRole('button', { name: 'Reindex' }) as HTMLButtonElement;
    await vi.waitFor(() => expect(confirm.disabled).toBe(false), { timeout: 2000 });
    await fireEvent.click(confirm);
    await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.calls).toContain(`reindex n {"model":"${SMALL.name}"}`);
    await vi.waitFor(() => expect(screen.queryByTestId('switch-offer')).toBeNull());
  });

  it('the change-model button still opens on the collection’s own model', async () => {
    setup();
    await screen.findByTestId('collection-detail');
    await fireEvent.click(screen.getByRole('button', { name: 'Change model or precision…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Change model or precision' });
    expect((within(dialog).getByLabelText('Model') as HTMLSelectElement).value).toBe(GLOVE.name);
  });
});
