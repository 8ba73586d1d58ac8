import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import ModelsPage from './ModelsPage.svelte';
import { ModelsStore } from '../models.svelte';
import { operationActionHandlers } from '../operationActions';
import { GLOVE, MINILM, RERANKER, collection, fakeApi } from '../../test/fixtures';
import type { ModelInfo } from '../types';

const SMALL: ModelInfo = {
  ...MINILM,
  name: 'bge-small-en-v1.5',
  display_name: 'BGE small (English)',
  description: 'Strong, small English model; the default.',
  installed: false,
  state: 'not_installed',
  license: 'MIT',
  languages: 'en',
};

async function setup(o: { kind?: 'desktop' | 'http'; pick?: string; models?: ModelInfo[] } = {}) {
  const api = fakeApi({ kind: o.kind, pick: o.pick, collections: [collection({ id: 'n', name: 'Notes', model: GLOVE.name, vector_count: 9 })] });
  api.models = o.models ?? [SMALL, { ...GLOVE, device: 'cpu', state: 'ready' }, RERANKER];
  const toasts = { error: vi.fn(), success: vi.fn(), info: vi.fn() };
  const store = new ModelsStore(api, { toasts, pollMs: 0, collections: () => api.collections });
  await store.refresh();
  const ops = operationActionHandlers({ api, onProgress: () => {}, reload: () => {}, check: async () => {}, toasts });
  const onclose = vi.fn();
  const onselectcollection = vi.fn();
  render(ModelsPage, { models: store, canPick: api.kind === 'desktop', pick: () => api.pickDirectory(), reindexer: ops, onclose, onselectcollection });
  const card = async (name: string) => {
    await vi.waitFor(() => expect(screen.getAllByTestId('model-card').some((c) => c.dataset.model === name)).toBe(true));
    return screen.getAllByTestId('model-card').find((c) => c.dataset.model === name)!;
  };
  return { api, store, toasts, card, onclose, onselectcollection };
}

describe('ModelsPage', () => {
  it('shows every model: kind, size, dimensions, languages, license, state, device and who uses it', async () => {
    const { card, onselectcollection } = await setup();
    const glove = within(await card(GLOVE.name));
    // What is here comes first; rerankers apart.
    expect(screen.getAllByTestId('model-card').map((c) => c.dataset.model)).toEqual([GLOVE.name, SMALL.name, RERANKER.name]);
    expect(glove.getByTestId('model-name').textContent).toBe('GloVe word vectors (English)');
    expect(glove.getByTestId('model-kind').textContent).toBe('Word vectors');
    expect(glove.getByTestId('model-description').textContent).toMatch(/weaker matching/);
    expect(glove.getByTestId('model-size').textContent).toBe('38 MB on disk');
    expect(glove.getByTestId('model-dims').textContent).toBe('100');
    expect(glove.getByTestId('model-state').textContent).toBe('Loaded');
    expect(glove.getByTestId('model-device').textContent).toBe('CPU');
    expect(glove.getByText('English')).toBeTruthy();
    expect(glove.getByText('PDDL-1.0')).toBeTruthy();
    await fireEvent.click(glove.getByRole('button', { name: 'Notes' }));
    expect(onselectcollection).toHaveBeenCalledWith('n');
    // Word vectors are imported, not downloaded.
    expect(glove.queryByTestId('model-download')).toBeNull();

    const small = within(await card(SMALL.name));
    expect(small.getByTestId('model-state').textContent).toBe('Not installed');
    expect(small.getByTestId('model-size').textContent).toBe('not on this machine');
    expect(small.getByTestId('model-collections').textContent).toMatch(/no collection/);
    expect(screen.getByText('For re-ranking search results')).toBeTruthy();
  });

  it('downloads, pauses, resumes and cancels', async () => {
    const { api, card, store } = await setup();
    const small = within(await card(SMALL.name));
    await fireEvent.click(small.getByTestId('model-download'));
    await vi.waitFor(() => expect(small.getByTestId('model-state').textContent).toBe('Downloading 0%'));
    store.onDownload({ model: SMALL.name, file: 'model.onnx', file_index: 1, files: 2, done: 1, total: 2 });
    await vi.waitFor(() => expect(small.getByTestId('model-state').textContent).toBe('Downloading 75%'));
    expect(small.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('75');
    await fireEvent.click(small.getByTestId('model-pause'));
    await vi.waitFor(() => expect(small.getByTestId('model-state').textContent).toMatch(/^Paused/));
    await fireEvent.click(small.getByTestId('model-resume'));
    await vi.waitFor(() => expect(small.getByTestId('model-pause')).toBeTruthy());
    await fireEvent.click(small.getByTestId('model-cancel'));
    await vi.waitFor(() => expect(small.getByTestId('model-state').textContent).toBe('Not installed'));
    expect(api.calls.filter((c) => /download/.test(c))).toEqual([
      `download ${SMALL.name}`,
      `pause-download ${SMALL.name}`,
      `download ${SMALL.name}`,
      `cancel-download ${SMALL.name}`,
    ]);
  });

  it('shows a failed download’s reason and offers to try again', async () => {
    const { card } = await setup({ models: [{ ...SMALL, state: 'failed', error: 'no connection to the model server; Quarry tries again every 5 min' }] });
    const small = within(await card(SMALL.name));
    expect(small.getByTestId('model-state').textContent).toBe('Download failed');
    expect(small.getByTestId('model-error').textContent).toBe('The download failed: no connection to the model server; Quarry tries again every 5 min');
    expect(small.getByTestId('model-download').textContent?.trim()).toBe('Try again');
  });

  it('browser: imports from a typed path, showing the server’s verification error verbatim', async () => {
    const { api, card } = await setup();
    const small = within(await card(SMALL.name));
    await fireEvent.click(small.getByTestId('model-import-open'));
    const path = small.getByLabelText('Folder path');
    await fireEvent.input(path, { target: { value: '/home/me/missing' } });
    await fireEvent.click(small.getByTestId('model-import-submit'));
    await vi.waitFor(() =>
      expect(small.getByTestId('model-import-error').textContent).toBe(
        `The folder does not hold ${SMALL.name}: missing words.txt; nothing was changed. invalid_argument`,
      ),
    );
    await fireEvent.input(path, { target: { value: '/home/me/bge-small' } });
    await fireEvent.click(small.getByTestId('model-import-unverified'));
    await fireEvent.click(small.getByTestId('model-import-submit'));
    await vi.waitFor(() => expect(small.getByTestId('model-state').textContent).toBe('Installed'));
    await vi.waitFor(() => expect(small.queryByTestId('model-import-form')).toBeNull());
    expect(small.getByTestId('model-size').textContent).toBe('1.2 MB on disk');
    expect(api.calls).toContain(`import ${SMALL.name} /home/me/bge-small unverified`);
  });

  it('desktop: imports from the native folder picker', async () => {
    const { api, card } = await setup({ kind: 'desktop', pick: '/home/me/bge-small' });
    const small = within(await card(SMALL.name));
    await fireEvent.click(small.getByTestId('model-import-open'));
    expect(small.queryByLabelText('Folder path')).toBeNull();
    await fireEvent.click(small.getByTestId('model-import-pick'));
    await vi.waitFor(() => expect(small.getByTestId('model-state').textContent).toBe('Installed'));
    expect(api.calls).toContain('pick');
    expect(api.calls).toContain(`import ${SMALL.name} /home/me/bge-small`);
  });

  it('asks before deleting and shows the refusal that names the collections', async () => {
    const { card } = await setup();
    const glove = within(await card(GLOVE.name));
    await fireEvent.click(glove.getByTestId('model-delete'));
    const dialog = screen.getByRole('dialog', { name: 'Delete GloVe word vectors (English)?' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Delete model' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toMatch(/GloVe word vectors \(English\) is used by Notes: delete those collections/);
    expect(alert.textContent).toContain('conflict');
  });

  it('offers the arrived model to the collection on word vectors and opens the reindex dialog on it', async () => {
    const { api, card } = await setup();
    const small = within(await card(SMALL.name));
    await fireEvent.click(small.getByTestId('model-import-open'));
    await fireEvent.input(small.getByLabelText('Folder path'), { target: { value: '/home/me/bge-small' } });
    await fireEvent.click(small.getByTestId('model-import-submit'));
    const offer = await screen.findByTestId('switch-offer');
    expect(within(offer).getByTestId('switch-offer-text').textContent).toBe('BGE small (English) is ready. Switch ‘Notes’ to it?');
    await fireEvent.click(within(offer).getByRole('button', { name: 'Switch…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Change model or precision' });
    expect((within(dialog).getByLabelText('Model') as HTMLSelectElement).value).toBe(SMALL.name);
    await vi.waitFor(() => expect(api.calls).toContain(`plan n {"model":"${SMALL.name}"}`));
    await vi.waitFor(() => expect((within(dialog).getByRole('button', { name: 'Reindex' }) as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Reindex' }));
    await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.calls).toContain(`reindex n {"model":"${SMALL.name}"}`);
    expect(screen.queryByTestId('switch-offer')).toBeNull();
  });

  it('Not now hides the offer', async () => {
    const { card, store } = await setup();
    await store.importFrom({ model: SMALL.name, paths: ['/x'] });
    await card(SMALL.name);
    await fireEvent.click(await screen.findByTestId('switch-offer-dismiss'));
    expect(screen.queryByTestId('switch-offer')).toBeNull();
  });
});
