import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from './App.svelte';
import { Toasts } from './lib/toasts.svelte';
import { collection, fakeApi, type FakeApi } from './test/fixtures';

function setup(api: FakeApi) {
  const toasts = new Toasts(0);
  render(App, { api, toasts, pollMs: 0 });
  return { api, toasts };
}

describe('App', () => {
  it('shows the status line and the empty state', async () => {
    setup(fakeApi());
    expect(await screen.findByText('No collections yet')).toBeTruthy();
    const status = screen.getByTestId('status-line');
    expect(status.textContent).toContain('embedded PostgreSQL 18.4');
    expect(status.textContent).toContain('vector engine: not configured');
  });

  it('creates, renames, adds a folder and deletes', async () => {
    const { api } = setup(fakeApi({ collections: [collection({ id: 'p', name: 'Papers' })] }));
    await screen.findByTestId('collection-detail');

    // create
    await fireEvent.click(screen.getByRole('button', { name: 'New' }));
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'Notes' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create collection' }));
    await vi.waitFor(() => expect(screen.getByTestId('detail-name').textContent).toBe('Notes'));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getAllByTestId('collection-name').map((e) => e.textContent)).toEqual(['Papers', 'Notes']);

    // rename to a taken name: the server's message shows next to the field
    await fireEvent.click(screen.getByRole('button', { name: 'Rename' }));
    const input = screen.getByLabelText('Collection name') as HTMLInputElement;
    expect(input.value).toBe('Notes');
    await fireEvent.input(input, { target: { value: 'Papers' } });
    await fireEvent.submit(input.form!);
    const err = await screen.findByRole('alert');
    expect(err.textContent).toContain('already exists');
    expect(err.textContent).toContain('name_taken');

    // rename for real
    await fireEvent.input(input, { target: { value: 'My notes' } });
    await fireEvent.submit(input.form!);
    await vi.waitFor(() => expect(screen.getByTestId('detail-name').textContent).toBe('My notes'));

    // add a folder by path: a bad one first
    const path = screen.getByLabelText('Folder path');
    await fireEvent.input(path, { target: { value: '/missing' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    expect((await screen.findByText('/missing does not exist.')).textContent).toContain('path_not_found');
    await fireEvent.input(path, { target: { value: '/home/me/notes' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    await screen.findByTestId('source-item');
    expect(screen.getByTestId('source-path').textContent).toBe('/home/me/notes');

    // remove it
    await fireEvent.click(screen.getByRole('button', { name: 'Remove /home/me/notes' }));
    const confirmRemove = screen.getByRole('dialog', { name: 'Remove this folder?' });
    await fireEvent.click(within(confirmRemove).getByRole('button', { name: 'Remove folder' }));
    await vi.waitFor(() => expect(screen.queryByTestId('source-item')).toBeNull());

    // delete: the confirmation names the collection
    await fireEvent.click(screen.getByRole('button', { name: 'Delete…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete “My notes”?' });
    expect(document.activeElement?.textContent).toBe('Cancel');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Delete collection' }));
    await vi.waitFor(() => expect(screen.getAllByTestId('collection-name').map((e) => e.textContent)).toEqual(['Papers']));
    expect(api.collections.map((c) => c.name)).toEqual(['Papers']);
    expect(screen.getByTestId('detail-name').textContent).toBe('Papers');
  });

  it('shows a list error with a retry', async () => {
    const api = fakeApi();
    let fail = true;
    const list = api.listCollections;
    api.listCollections = () => (fail ? Promise.reject({ code: 'unavailable', message: 'Database down.' }) : list());
    setup(api);
    expect((await screen.findByRole('alert')).textContent).toContain('Database down.');
    fail = false;
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No collections yet')).toBeTruthy();
  });

  it('desktop: picks a folder natively', async () => {
    const api = fakeApi({ kind: 'desktop', pick: '/home/me/Pictures', collections: [collection()] });
    setup(api);
    await screen.findByTestId('collection-detail');
    expect(screen.queryByLabelText('Folder path')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Add folder…' }));
    expect((await screen.findByTestId('source-path')).textContent).toBe('/home/me/Pictures');
  });

  it('desktop: dropped folders go to the selected collection, or to a new one', async () => {
    let drop: ((paths: string[]) => void) | undefined;
    const api = fakeApi({ kind: 'desktop' });
    api.onFileDrop = (cb) => {
      drop = cb;
      return () => (drop = undefined);
    };
    const { toasts } = setup(api);
    await screen.findByText('No collections yet');

    drop!(['/data/a']);
    const dialog = await screen.findByRole('dialog', { name: 'New collection' });
    expect(toasts.items.at(-1)?.message).toMatch(/Create a collection first/);
    await fireEvent.input(within(dialog).getByLabelText('Name'), { target: { value: 'Data' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Create collection' }));
    await vi.waitFor(() => expect(screen.getByTestId('source-path').textContent).toBe('/data/a'));

    drop!(['/data/b', '/missing']);
    await vi.waitFor(() => expect(screen.getAllByTestId('source-path')).toHaveLength(2));
    await vi.waitFor(() => expect(toasts.items.some((t) => t.code === 'path_not_found')).toBe(true));
  });

  it('prevents the browser from opening dropped files and shows the overlay', async () => {
    const { toasts } = setup(fakeApi({ collections: [collection()] }));
    await screen.findByTestId('collection-detail');
    const dataTransfer = { types: ['Files'], dropEffect: 'none' };
    const over = new Event('dragover', { cancelable: true }) as DragEvent;
    Object.defineProperty(over, 'dataTransfer', { value: dataTransfer });
    window.dispatchEvent(over);
    expect(over.defaultPrevented).toBe(true);
    expect(await screen.findByTestId('drop-overlay')).toBeTruthy();

    const drop = new Event('drop', { cancelable: true }) as DragEvent;
    Object.defineProperty(drop, 'dataTransfer', { value: dataTransfer });
    window.dispatchEvent(drop);
    expect(drop.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(screen.queryByTestId('drop-overlay')).toBeNull());
    expect(toasts.items.at(-1)?.message).toMatch(/works in the desktop app/);
  });
});
