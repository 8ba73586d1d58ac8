// The app with live operations: events, the polling fallback, rescan and cancel.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from './App.svelte';
import { Toasts } from './lib/toasts.svelte';
import { collection, doc, fakeApi, operation, progress, source, type FakeApi } from './test/fixtures';

const CID = '11111111-1111-4111-8111-111111111111';

function setup(api: FakeApi, pollMs = 0) {
  const toasts = new Toasts(0);
  const r = render(App, { api, toasts, pollMs, coalesceMs: 0 });
  return { api, toasts, ...r };
}

const item = () => screen.getAllByTestId('collection-item')[0];

describe('App with live operations', () => {
  it('shows progress from events in the detail and the list, and refreshes when it ends', async () => {
    const api = fakeApi({ collections: [collection({ status: 'processing' })] });
    api.sources = [source()];
    setup(api);
    await screen.findByTestId('collection-detail');
    expect(screen.queryByTestId('operation-progress')).toBeNull();

    api.emit('operation:progress', progress({ files_total: 30, files_done: 10, files_failed: 1, files_skipped: 1 }));
    const view = await screen.findByTestId('operation-progress');
    expect(within(view).getByTestId('progress-files').textContent).toContain('12 / 30 files');
    expect(within(item()).getByTestId('collection-progress').textContent).toContain('Indexing 12/30 files');
    expect((screen.getByTestId('rescan') as HTMLButtonElement).disabled).toBe(true);

    api.emit('operation:progress', progress({ files_total: 30, files_done: 20, files_failed: 1, files_skipped: 1, elapsed_ms: 9000 }));
    await vi.waitFor(() => expect(within(view).getByTestId('progress-files').textContent).toContain('22 / 30 files'));

    // It ends: the counts, folders, documents and activity follow.
    api.collections = [collection({ status: 'ready', document_count: 29, vector_count: 80, source_count: 1 })];
    api.sources = [source({ document_count: 29 })];
    api.documents = [doc(), doc({ id: 'bad', path: '/home/me/papers/x.png', status: 'failed', error: 'binary file with no text' })];
    api.operations = [operation({ status: 'completed', progress: { files_done: 29, files_failed: 1, chunks: 80 } })];
    api.emit('operation:progress', progress({ status: 'completed', files_total: 30, files_done: 29, files_failed: 1, files_skipped: 0, elapsed_ms: 12_000 }));
    await vi.waitFor(() => expect(screen.getByTestId('operation-progress').getAttribute('data-status')).toBe('completed'));
    expect(screen.getByTestId('progress-title').textContent).toBe('Indexing finished in 12 s');
    await vi.waitFor(() => expect(within(item()).getByTestId('collection-counts').textContent).toContain('29 documents · 80 vectors'));
    expect(within(item()).queryByTestId('collection-progress')).toBeNull();
    await vi.waitFor(() => expect(screen.getByTestId('source-item').textContent).toContain('29 documents'));
    await vi.waitFor(() => expect(screen.getAllByTestId('document-row')).toHaveLength(2));
    expect(screen.getByTestId('document-error').textContent!.trim()).toBe('binary file with no text');
    expect(screen.getByRole('button', { name: 'Failed (1)' })).toBeTruthy();
    await vi.waitFor(() => expect(screen.getAllByTestId('operation-item')).toHaveLength(1));
    expect((screen.getByTestId('rescan') as HTMLButtonElement).disabled).toBe(false);

    // Late snapshots of the ended operation change nothing; Dismiss hides it.
    api.emit('operation:progress', progress({ status: 'processing', elapsed_ms: 11_000 }));
    await fireEvent.click(screen.getByRole('button', { name: 'Dismiss this summary' }));
    expect(screen.queryByTestId('operation-progress')).toBeNull();
  });

  it('refreshes the list on collection:changed', async () => {
    const api = fakeApi({ collections: [collection()] });
    setup(api);
    await screen.findByTestId('collection-detail');
    api.collections = [collection({ document_count: 5, vector_count: 9 })];
    api.emit('collection:changed', CID);
    await vi.waitFor(() => expect(within(item()).getByTestId('collection-counts').textContent).toContain('5 documents · 9 vectors'));
  });

  it('switches a folder’s watch off and on; a watch that changes state is shown on collection:changed', async () => {
    const api = fakeApi({ collections: [collection({ source_count: 1 })] });
    api.sources = [source()];
    setup(api);
    const row = await screen.findByTestId('source-item');
    expect(within(row).getByTestId('watch-state').textContent).toBe('Watching');
    const sw = within(row).getByRole('switch', { name: 'Watch for changes' }) as HTMLInputElement;
    await fireEvent.click(sw);
    await vi.waitFor(() => expect(within(screen.getByTestId('source-item')).getByTestId('watch-state').textContent).toBe('Watching off'));
    expect(api.calls).toContain(`watch ${CID} 7 false`);
    expect(screen.getByTestId('watch-message').textContent).toContain('changes reach search when you rescan');
    expect(sw.checked).toBe(false);
    await fireEvent.click(sw);
    await vi.waitFor(() => expect(within(screen.getByTestId('source-item')).getByTestId('watch-state').textContent).toBe('Watching'));
    expect(api.calls).toContain(`watch ${CID} 7 true`);

    // The folder goes away: the server says so with collection:changed.
    api.sources = [source({ watch_state: 'offline', watch_message: 'The folder is not there. Its documents stay searchable.' })];
    api.emit('collection:changed', CID);
    await vi.waitFor(() => expect(screen.getByTestId('watch-state').textContent).toBe('Offline'));
    expect(screen.getByTestId('watch-message').textContent).toBe('The folder is not there. Its documents stay searchable.');
  });

  it('shows a folder’s queued indexing, cancels it, and rescans', async () => {
    const api = fakeApi({ collections: [collection()] });
    setup(api);
    await screen.findByTestId('collection-detail');
    expect((screen.getByTestId('rescan') as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.input(screen.getByLabelText('Folder path'), { target: { value: '/home/me/papers' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    const view = await screen.findByTestId('operation-progress');
    expect(within(view).getByTestId('progress-phase').textContent).toBe('Waiting to start');
    expect(within(item()).getByTestId('collection-progress').textContent).toContain('Indexing: queued');
    await vi.waitFor(() => expect(screen.getAllByTestId('operation-item')).toHaveLength(1));

    const opId = api.operations[0].id;
    await fireEvent.click(within(view).getByRole('button', { name: 'Cancel' }));
    await vi.waitFor(() => expect(screen.getByTestId('operation-progress').getAttribute('data-status')).toBe('cancelled'));
    expect(api.calls).toContain(`cancel ${opId}`);
    expect(screen.getByTestId('progress-title').textContent).toBe('Indexing cancelled after 0 files');

    await fireEvent.click(screen.getByTestId('rescan'));
    await vi.waitFor(() => expect(screen.getByTestId('progress-title').textContent).toBe('Rescanning'));
    expect(api.calls).toContain(`rescan ${CID}`);
    await vi.waitFor(() => expect(screen.getAllByTestId('operation-item')).toHaveLength(2));
    expect(screen.getAllByTestId('operation-item')[0].textContent).toContain('Rescan');
  });

  it('reindexes from the header: the plan, then the queued operation in the activity list', async () => {
    const api = fakeApi({ collections: [collection({ document_count: 3, vector_count: 9 })] });
    setup(api);
    await screen.findByTestId('collection-detail');
    await fireEvent.click(screen.getByRole('button', { name: 'Change model or precision…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Change model or precision' });
    await fireEvent.click(within(dialog).getByLabelText(/int8/));
    await vi.waitFor(() => expect(within(dialog).getByTestId('reindex-summary').textContent).toMatch(/no model runs/), { timeout: 2000 });
    const confirm = within(dialog).getByRole('button', { name: 'Reindex' }) as HTMLButtonElement;
    await vi.waitFor(() => expect(confirm.disabled).toBe(false));
    await fireEvent.click(confirm);
    await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.calls).toContain(`reindex ${CID} {"quantization":"int8"}`);
    await vi.waitFor(() => expect(screen.getAllByTestId('operation-item')).toHaveLength(1));
    expect(screen.getAllByTestId('operation-item')[0].textContent).toContain('Reindex');
    expect(screen.getByTestId('progress-title').textContent).toBe('Reindexing');
  });

  it('says nothing when cancelling an operation that has just ended, and shows how it ended', async () => {
    const api = fakeApi({ collections: [collection({ status: 'processing' })] });
    api.sources = [source()];
    api.operations = [operation({ status: 'processing', completed_at: null, progress: { files_total: 4, files_done: 1 } })];
    const { toasts } = setup(api);
    const view = await screen.findByTestId('operation-progress');
    api.operations = [operation({ status: 'completed', progress: { files_total: 4, files_done: 4, elapsed_ms: 2000 } })];
    await fireEvent.click(within(view).getByRole('button', { name: 'Cancel' }));
    await vi.waitFor(() => expect(screen.getByTestId('operation-progress').getAttribute('data-status')).toBe('completed'));
    expect(toasts.items.filter((t) => t.kind === 'error')).toEqual([]);
  });

  it('picks up a running operation when a collection is opened', async () => {
    const api = fakeApi({ collections: [collection({ status: 'processing' })] });
    api.operations = [
      operation({ id: 'new', status: 'processing', completed_at: null, progress: { phase: 'indexing', files_total: 8, files_done: 3 } }),
      operation({ id: 'old' }),
    ];
    setup(api);
    const view = await screen.findByTestId('operation-progress');
    expect(within(view).getByTestId('progress-files').textContent).toContain('3 / 8 files');
    expect(screen.getAllByTestId('operation-item')).toHaveLength(2);
  });

  it('polls only while indexing and no event stream is connected', async () => {
    const api = fakeApi({ collections: [collection({ status: 'processing' })], connected: false });
    api.operations = [operation({ status: 'processing', completed_at: null, progress: { files_total: 10, files_done: 2 } })];
    let lists = 0;
    const list = api.listCollections;
    api.listCollections = () => {
      lists++;
      return list();
    };
    setup(api, 20);
    await screen.findByTestId('operation-progress');
    await vi.waitFor(() => expect(lists).toBeGreaterThan(2));
    // The poll follows the operation too.
    api.operations = [operation({ status: 'processing', completed_at: null, progress: { files_total: 10, files_done: 7, elapsed_ms: 5000 } })];
    await vi.waitFor(() => expect(screen.getByTestId('progress-files').textContent).toContain('7 / 10 files'));

    // Events arrive: polling stops.
    api.setConnected(true);
    await new Promise((r) => setTimeout(r, 30));
    const n = lists;
    await new Promise((r) => setTimeout(r, 120));
    expect(lists).toBe(n);

    // Lost again: it resumes, and sees the end.
    api.setConnected(false);
    api.collections = [collection({ status: 'ready', document_count: 10 })];
    api.operations = [operation({ status: 'completed', progress: { files_total: 10, files_done: 10, elapsed_ms: 8000 } })];
    await vi.waitFor(() => expect(screen.getByTestId('operation-progress').getAttribute('data-status')).toBe('completed'));
    await vi.waitFor(() => expect(within(item()).getByTestId('collection-counts').textContent).toContain('10 documents'));
    // Nothing is processing any more: no more polling.
    await new Promise((r) => setTimeout(r, 30));
    const m = lists;
    await new Promise((r) => setTimeout(r, 120));
    expect(lists).toBe(m);
  });

  it('stops listening when it goes away', async () => {
    const api = fakeApi({ collections: [collection()] });
    const { unmount } = setup(api);
    await screen.findByTestId('collection-detail');
    expect(api.listeners('operation:progress')).toBe(1);
    expect(api.listeners('collection:changed')).toBe(1);
    unmount();
    expect(api.listeners('operation:progress')).toBe(0);
    expect(api.listeners('collection:changed')).toBe(0);
  });
});
