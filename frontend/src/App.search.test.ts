import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from './App.svelte';
import { Toasts } from './lib/toasts.svelte';
import { ApiError } from './lib/api';
import { collection, fakeApi, passage, RERANKER, response, result, type FakeApi } from './test/fixtures';
import { SEARCH_STREAM } from './lib/search';

const NOTES = collection({ id: 'c1', name: 'Notes', status: 'ready' });
const PAPERS = collection({ id: 'c2', name: 'Papers', status: 'ready' });

async function setup(api: FakeApi, hostname = 'quarry.example') {
  const toasts = new Toasts(0);
  render(App, { api, toasts, pollMs: 0, searchDebounceMs: 0, hostname });
  await screen.findByTestId('collection-detail');
  const input = screen.getByTestId('search-input') as HTMLInputElement;
  return { api, toasts, input };
}

async function type(input: HTMLInputElement, q: string) {
  await fireEvent.input(input, { target: { value: q } });
}

describe('App search', () => {
  it('searches as you type and shows the collections again when the box is empty', async () => {
    const { api, input } = await setup(fakeApi({ collections: [NOTES] }));
    await type(input, 'tides');
    await screen.findByTestId('search-result');
    expect(screen.queryByTestId('collection-detail')).toBeNull();
    expect(api.searches.at(-1)).toMatchObject({ query: 'tides', mode: 'hybrid', supersedes: SEARCH_STREAM, filters: {} });
    expect(api.searches.at(-1)!.collection_ids).toBeUndefined();
    await type(input, '');
    await screen.findByTestId('collection-detail');
    expect(screen.queryByTestId('search-results')).toBeNull();
  });

  it('Ctrl+K, Cmd+K and / focus the box; / while typing elsewhere is a character', async () => {
    const { input } = await setup(fakeApi({ collections: [NOTES] }));
    expect(document.activeElement).not.toBe(input);
    await fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    expect(document.activeElement).toBe(input);
    input.blur();
    await fireEvent.keyDown(window, { key: 'k', metaKey: true });
    expect(document.activeElement).toBe(input);
    input.blur();
    await fireEvent.keyDown(document.body, { key: '/' });
    expect(document.activeElement).toBe(input);
    const folder = screen.getByLabelText('Folder path');
    folder.focus();
    await fireEvent.keyDown(folder, { key: '/' });
    expect(document.activeElement).toBe(folder);
  });

  it('mode, file types, folder and scope map to the request', async () => {
    const api = fakeApi({ collections: [NOTES, PAPERS] });
    api.sources.push({ id: 7, collection_id: 'c2', type: 'directory', path: '/home/me/papers', document_count: 1, size_bytes: 1, last_indexed_at: null, created_at: '', watch: true, watch_state: 'watching' });
    const { input } = await setup(api);
    await type(input, 'tides');
    await screen.findByTestId('search-result');

    await fireEvent.click(screen.getByTestId('search-mode-keyword'));
    expect(api.searches.at(-1)!.mode).toBe('keyword');
    expect(screen.getByTestId('search-mode-keyword').getAttribute('aria-pressed')).toBe('true');

    await fireEvent.click(screen.getByTestId('search-filters-toggle'));
    await fireEvent.click(screen.getByTestId('search-type-pdf'));
    await fireEvent.click(screen.getByTestId('search-type-word'));
    expect(api.searches.at(-1)!.filters.file_types).toEqual(['pdf', 'docx', 'doc', 'odt', 'rtf']);
    expect(screen.getByTestId('search-filter-count').textContent).toBe('1');

    const folder = screen.getByTestId('search-folder') as HTMLSelectElement;
    await vi.waitFor(() => expect(Array.from(folder.options).map((o) => o.value)).toContain('/home/me/papers'));
    await fireEvent.change(folder, { target: { value: '/home/me/papers' } });
    expect(api.searches.at(-1)!.filters.folders).toEqual(['/home/me/papers']);

    await fireEvent.change(screen.getByTestId('search-date'), { target: { value: 'week' } });
    expect(api.searches.at(-1)!.filters.modified_from).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    await fireEvent.click(screen.getByTestId('search-scope'));
    const menu = screen.getByTestId('search-scope-menu');
    await fireEvent.click(within(menu).getByLabelText('Papers'));
    expect(api.searches.at(-1)!.collection_ids).toEqual(['c2']);
    expect(screen.getByTestId('search-scope').textContent).toContain('Papers');
    await fireEvent.click(within(menu).getByLabelText('All collections'));
    expect(api.searches.at(-1)!.collection_ids).toBeUndefined();

    await fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(api.searches.at(-1)!.filters).toEqual({});
  });

  it('desktop: a click opens the document at the passage’s page', async () => {
    const api = fakeApi({ collections: [NOTES], kind: 'desktop' });
    api.searchImpl = async () => response({ results: [result({ file_name: 'a.pdf', passages: [passage({ page: 4 })] })] });
    api.openImpl = async () => ({ path: '/a.pdf', page_used: false });
    const { input } = await setup(api);
    await type(input, 'tides');
    await fireEvent.click(await screen.findByTestId('search-result-open'));
    expect(api.opened).toEqual([{ document_id: 'doc-1', page: 4 }]);
    expect((await screen.findByTestId('toast-info')).textContent).toContain('Opened a.pdf; the passage is on p. 4.');
    expect(screen.queryByTestId('result-reveal')).toBeNull();
  });

  it('browser on another machine: shows the path instead of opening', async () => {
    const api = fakeApi({ collections: [NOTES] });
    const { input } = await setup(api, 'quarry.example');
    await type(input, 'tides');
    await fireEvent.click(await screen.findByTestId('search-result-open'));
    expect(api.opened).toEqual([]);
    expect((await screen.findByTestId('result-reveal')).textContent).toContain('A browser cannot open files');
  });

  it('browser on this machine: asks the server to open it, else shows the path', async () => {
    const api = fakeApi({ collections: [NOTES] });
    const { input } = await setup(api, '127.0.0.1');
    await type(input, 'tides');
    await fireEvent.click(await screen.findByTestId('search-result-open'));
    expect(api.opened).toHaveLength(1);
    expect((await screen.findByTestId('toast-success')).textContent).toContain('Opened in your default app');

    api.openImpl = () => Promise.reject(new ApiError('unavailable', 'Files can only be opened in the desktop app.'));
    await fireEvent.click(screen.getByTestId('search-result-open'));
    await screen.findByTestId('result-reveal');
  });

  it('ArrowDown in the box goes to the first result; ArrowUp from it comes back', async () => {
    const api = fakeApi({ collections: [NOTES] });
    api.searchImpl = async () => response({ results: [result({ document_id: 'a' }), result({ document_id: 'b' })] });
    const { input } = await setup(api);
    await type(input, 'tides');
    await screen.findAllByTestId('search-result');
    input.focus();
    await fireEvent.keyDown(input, { key: 'ArrowDown' });
    const buttons = screen.getAllByTestId('search-result-open');
    expect(document.activeElement).toBe(buttons[0]);
    await fireEvent.keyDown(buttons[0], { key: 'ArrowUp' });
    expect(document.activeElement).toBe(input);
    // Escape clears.
    await fireEvent.keyDown(input, { key: 'Escape' });
    expect(input.value).toBe('');
    await screen.findByTestId('collection-detail');
  });

  it('says results may be incomplete while a collection in scope indexes', async () => {
    const api = fakeApi({ collections: [collection({ id: 'c1', name: 'Notes', status: 'processing' }), PAPERS] });
    const { input } = await setup(api);
    await type(input, 'tides');
    expect((await screen.findByTestId('search-indexing')).textContent).toContain('Still indexing “Notes”');
    await fireEvent.click(screen.getByTestId('search-scope'));
    await fireEvent.click(within(screen.getByTestId('search-scope-menu')).getByLabelText('Papers'));
    await vi.waitFor(() => expect(screen.queryByTestId('search-indexing')).toBeNull());
  });

  it('choosing a collection in the sidebar leaves the search', async () => {
    const { input } = await setup(fakeApi({ collections: [NOTES, PAPERS] }));
    await type(input, 'tides');
    await screen.findByTestId('search-result');
    await fireEvent.click(screen.getAllByTestId('collection-item')[1]);
    await screen.findByTestId('collection-detail');
    expect(screen.getByTestId('detail-name').textContent).toBe('Papers');
    expect(input.value).toBe('');
  });

  it('no reranker registered: no Rerank switch', async () => {
    const { input } = await setup(fakeApi({ collections: [NOTES] }));
    await type(input, 'tides');
    await screen.findByTestId('search-result');
    expect(screen.queryByTestId('search-rerank')).toBeNull();
  });

  it('Rerank downloads the reranker once, then searches with it; the create dialog never offers it', async () => {
    const api = fakeApi({ collections: [NOTES] });
    api.models.push({ ...RERANKER });
    let release!: () => void;
    api.installImpl = () => new Promise<void>((r) => (release = r));
    api.searchImpl = async (req) =>
      response({ query: req.query, mode: 'hybrid', ...(req.rerank ? { reranker: RERANKER.name, reranked: 1 } : {}) });
    const { input, toasts } = await setup(api);
    await type(input, 'tides');
    await screen.findByTestId('search-result');
    expect(screen.queryByTestId('search-reranked')).toBeNull();

    const btn = screen.getByTestId('search-rerank') as HTMLButtonElement;
    expect(btn.getAttribute('aria-pressed')).toBe('false');
    expect(btn.title).toContain('Download');
    await fireEvent.click(btn);
    await vi.waitFor(() => expect(btn.disabled).toBe(true));
    expect(btn.textContent).toContain('Downloading');
    expect(api.calls).toContain(`install ${RERANKER.name}`);
    release();
    await vi.waitFor(() => expect(btn.getAttribute('aria-pressed')).toBe('true'));
    await vi.waitFor(() => expect(api.searches.at(-1)!.rerank).toBe(true));
    await screen.findByTestId('search-reranked');
    expect(toasts.items.some((t) => t.kind === 'success' && t.message.includes('installed'))).toBe(true);

    // Off again: plain requests, and no second download on the way back on.
    await fireEvent.click(btn);
    await vi.waitFor(() => expect(api.searches.at(-1)!.rerank).toBeUndefined());
    await vi.waitFor(() => expect(screen.queryByTestId('search-reranked')).toBeNull());
    await fireEvent.click(btn);
    await vi.waitFor(() => expect(api.searches.at(-1)!.rerank).toBe(true));
    expect(api.calls.filter((c) => c.startsWith('install')).length).toBe(1);

    await type(input, '');
    await fireEvent.click(await screen.findByTitle('New collection (Ctrl+N)'));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).not.toContain(RERANKER.display_name);
  });

  it('a failed download says why and leaves reranking off', async () => {
    const api = fakeApi({ collections: [NOTES] });
    api.models.push({ ...RERANKER });
    api.installImpl = async () => {
      throw new ApiError('unavailable', 'MS MARCO could not be downloaded (offline); import it from a folder instead');
    };
    const { input, toasts } = await setup(api);
    await type(input, 'tides');
    await screen.findByTestId('search-result');
    const btn = screen.getByTestId('search-rerank');
    await fireEvent.click(btn);
    await vi.waitFor(() => expect(toasts.items.some((t) => t.kind === 'error' && t.message.includes('import it from a folder'))).toBe(true));
    expect(btn.getAttribute('aria-pressed')).toBe('false');
    expect(api.searches.every((r) => !r.rerank)).toBe(true);
  });
});
