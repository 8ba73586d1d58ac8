import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import CollectionDetail from './CollectionDetail.svelte';
import ShareDialog from './ShareDialog.svelte';
import { collection, doc, fakeApi, grant, MINILM, operation, progress, source } from '../../test/fixtures';
import type { Collection, Permission } from '../types';
import { collectionAccess, isQuarryAdmin } from '../access';

function setup(c: Collection, over: Record<string, unknown> = {}) {
  const api = fakeApi({ collections: [c] });
  const ok = async () => {};
  render(CollectionDetail, {
    collection: c,
    models: [MINILM],
    sources: [source({ collection_id: c.id })],
    live: progress({ collection_id: c.id, status: 'processing' }),
    operations: [operation({ collection_id: c.id, status: 'processing' })],
    loadDocuments: async () => [],
    onrescan: ok,
    oncancel: ok,
    onpause: ok,
    onresume: ok,
    onretry: ok,
    ondismiss: () => {},
    canPick: false,
    onupdate: ok,
    ondelete: ok,
    onaddsource: ok,
    onpick: ok,
    onremovesource: ok,
    onupdatesource: ok,
    reindexer: { planReindex: vi.fn(), reindex: vi.fn() },
    shareApi: api,
    ...over,
  });
  return api;
}

function setupWith(c: Collection, over: Record<string, unknown>) {
  const ok = async () => {};
  return render(CollectionDetail, {
    collection: c,
    models: [MINILM],
    sources: [source({ collection_id: c.id })],
    loadDocuments: async () => [],
    onrescan: ok,
    oncancel: ok,
    ondismiss: () => {},
    canPick: false,
    onupdate: ok,
    ondelete: ok,
    onaddsource: ok,
    onpick: ok,
    onremovesource: ok,
    ...over,
  });
}

/** What each control's presence says about the caller's rights. */
function controls() {
  const has = (q: () => HTMLElement | null) => q() !== null;
  return {
    rescan: has(() => screen.queryByTestId('rescan')),
    reindex: has(() => screen.queryByTestId('reindex-open')),
    share: has(() => screen.queryByTestId('share-open')),
    rename: has(() => screen.queryByRole('button', { name: 'Rename' })),
    delete: has(() => screen.queryByRole('button', { name: 'Delete…' })),
    describe: has(() => screen.queryByRole('button', { name: /description/ })),
    addFolder: has(() => screen.queryByLabelText('Folder path')),
    removeFolder: has(() => screen.queryByRole('button', { name: /^Remove \// })),
    watch: has(() => screen.queryByRole('switch', { name: 'Watch for changes' })),
    cancel: has(() => screen.queryByTestId('cancel-operation')),
    pause: has(() => screen.queryByTestId('operation-pause')),
    retry: has(() => screen.queryByTestId('retry-failed')),
  };
}

const ALL = { rescan: true, reindex: true, share: true, rename: true, delete: true, describe: true, addFolder: true, removeFolder: true, watch: true, cancel: true, pause: true, retry: true };

describe('CollectionDetail: what the caller may do', () => {
  it('owner mode (no permission field): everything', () => {
    setup(collection());
    expect(controls()).toEqual(ALL);
    expect(screen.queryByTestId('access-note')).toBeNull();
  });

  it('admin permission: everything; adding a folder also takes a Quarry admin', () => {
    setup(collection({ permission: 'admin' }), { quarryAdmin: false });
    expect(controls()).toEqual({ ...ALL, addFolder: false });
  });

  it('write: rescan, retry, operations and the watch switch; nothing that changes the collection', () => {
    setup(collection({ permission: 'write', owner: 'bob' }));
    expect(controls()).toEqual({
      ...ALL,
      reindex: false,
      share: false,
      rename: false,
      delete: false,
      describe: false,
      addFolder: false,
      removeFolder: false,
    });
    expect(screen.getByTestId('access-note').textContent).toContain('Shared with you by bob.');
  });

  it('read: nothing but looking', () => {
    setup(collection({ permission: 'read', owner: 'bob' }), { quarryAdmin: false });
    expect(controls()).toEqual(Object.fromEntries(Object.keys(ALL).map((k) => [k, false])));
    expect(screen.getByTestId('access-note').textContent).toContain('download its documents');
    // The folders and the running operation are still shown.
    expect(screen.getByTestId('source-item')).toBeTruthy();
    expect(screen.getByTestId('operation-progress')).toBeTruthy();
  });

  it('offers to unlock a password-protected document to writers only', async () => {
    const locked = doc({ id: 'p', path: '/home/me/papers/report.pdf', status: 'failed', error: 'password-protected PDF: a password is required to open it' });
    const loadDocuments = async () => [locked];
    for (const [permission, offered] of [['write', true], ['admin', true], ['read', false]] as const) {
      const { unmount } = setupWith(collection({ permission }), { loadDocuments, onunlock: async () => {} });
      await screen.findByTestId('document-error');
      expect(screen.queryByTestId('document-unlock') !== null, permission).toBe(offered);
      unmount();
    }
  });

  it('desktop picker is hidden too without the right to add folders', () => {
    setup(collection({ permission: 'read' }), { canPick: true });
    expect(screen.queryByRole('button', { name: 'Add folder…' })).toBeNull();
  });
});

describe('access helpers', () => {
  it('reads permissions', () => {
    const cases: [Permission | undefined, boolean, { write: boolean; admin: boolean; addFolder: boolean }][] = [
      [undefined, true, { write: true, admin: true, addFolder: true }],
      ['admin', false, { write: true, admin: true, addFolder: false }],
      ['write', true, { write: true, admin: false, addFolder: false }],
      ['read', true, { write: false, admin: false, addFolder: false }],
    ];
    for (const [p, qa, want] of cases) expect(collectionAccess({ permission: p }, qa)).toEqual(want);
    expect(isQuarryAdmin(null)).toBe(true);
    expect(isQuarryAdmin({ mode: 'owner', user: { is_admin: false } as never })).toBe(true);
    expect(isQuarryAdmin({ mode: 'lan', user: { is_admin: false } as never })).toBe(false);
    expect(isQuarryAdmin({ mode: 'lan', user: { is_admin: true } as never })).toBe(true);
  });
});

describe('ShareDialog', () => {
  const C = collection({ id: 'c1', name: 'Papers', is_public: false, permission: 'admin', owner: 'owner' });

  it('opens from the collection and makes it readable by everyone', async () => {
    const onupdate = vi.fn(async () => {});
    setup(C, { onupdate });
    await fireEvent.click(screen.getByTestId('share-open'));
    const dialog = screen.getByRole('dialog', { name: 'Share “Papers”' });
    const sw = within(dialog).getByRole('switch', { name: 'Everyone signed in can read' }) as HTMLInputElement;
    expect(sw.checked).toBe(false);
    await fireEvent.click(sw);
    await waitFor(() => expect(onupdate).toHaveBeenCalledWith({ is_public: true }));
  });

  it('lists grants, changes and removes one, and adds one by user name', async () => {
    const api = fakeApi();
    api.users.push({ ...api.users[1], id: 3, username: 'bob', display_name: 'Bob' });
    api.grants = [
      grant({ id: 1, collection_id: 'c1', user_id: 2, username: 'alice', permission: 'read' }),
      grant({ id: 2, collection_id: 'c1', user_id: null, username: null, api_key_id: 'k-1', api_key_name: 'backup', permission: 'read' }),
    ];
    render(ShareDialog, { collection: C, api, onupdate: async () => {}, onclose: vi.fn() });
    const rows = await screen.findAllByTestId('grant-row');
    expect(rows.map((r) => r.querySelector('.who')?.textContent)).toEqual(['alice', 'API key “backup”']);

    await fireEvent.change(screen.getByLabelText('Permission of alice'), { target: { value: 'write' } });
    await waitFor(() => expect(api.calls).toContain('grant c1 alice write'));
    await fireEvent.change(screen.getByLabelText('Permission of API key “backup”'), { target: { value: 'admin' } });
    await waitFor(() => expect(api.calls).toContain('grant c1 k-1 admin'));

    await fireEvent.click(screen.getByRole('button', { name: 'Remove alice' }));
    await waitFor(() => expect(screen.getAllByTestId('grant-row')).toHaveLength(1));
    expect(api.calls).toContain('revoke c1 1');

    await fireEvent.input(screen.getByLabelText('User name'), { target: { value: 'nobody' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect((await screen.findByRole('alert')).textContent).toContain('There is no user called "nobody".');

    await fireEvent.input(screen.getByLabelText('User name'), { target: { value: 'bob' } });
    await fireEvent.change(screen.getByLabelText('Permission'), { target: { value: 'write' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(screen.getAllByTestId('grant-row')).toHaveLength(2));
    expect(api.calls).toContain('grant c1 bob write');
    expect((screen.getByLabelText('Permission of bob') as HTMLSelectElement).value).toBe('write');
  });
});
