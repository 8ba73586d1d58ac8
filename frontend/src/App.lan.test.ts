import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from './App.svelte';
import { Toasts } from './lib/toasts.svelte';
import { collection, fakeApi, lanMe, type FakeApi } from './test/fixtures';
import type { Me } from './lib/types';

const SHARED = collection({ id: 'c1', name: 'Notes', status: 'ready', permission: 'read', owner: 'owner' });

async function setup(api: FakeApi, me: Me | null, onsignout = vi.fn()) {
  render(App, { api, toasts: new Toasts(0), pollMs: 0, searchDebounceMs: 0, hostname: '192.168.1.10', me, onsignout });
  await screen.findByTestId('collection-detail');
  return { api, onsignout };
}

describe('App on a shared Quarry', () => {
  it('a colleague: no admin controls, their API keys, sign out', async () => {
    const me = lanMe();
    const { onsignout } = await setup(fakeApi({ me, collections: [SHARED] }), me);
    expect(screen.queryByTestId('open-models')).toBeNull();
    expect(screen.queryByTestId('open-settings')).toBeNull();
    expect(screen.queryByRole('button', { name: 'New' })).toBeNull();
    expect(screen.queryByTestId('rescan')).toBeNull();
    expect(screen.getByTestId('signed-in-as').textContent).toBe('Alice');

    await fireEvent.click(screen.getByTestId('open-sharing'));
    expect(screen.getByTestId('open-sharing').textContent).toContain('API keys');
    await screen.findByTestId('api-keys-panel');
    expect(screen.queryByTestId('users-panel')).toBeNull();
    await fireEvent.click(screen.getByTestId('sharing-close'));
    await screen.findByTestId('collection-detail');

    await fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(onsignout).toHaveBeenCalled();
  });

  it('results offer a download of the original instead of opening it', async () => {
    const me = lanMe();
    const { api } = await setup(fakeApi({ me, collections: [SHARED] }), me);
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'tides' } });
    const link = (await screen.findByTestId('result-download')) as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('/api/v1/documents/doc-1/file');
    expect(link.textContent).toBe('Download');
    await fireEvent.click(screen.getByTestId('search-result-open'));
    expect(api.opened).toEqual([]);
    expect((await screen.findByTestId('result-reveal')).textContent).toContain('Download the file');
  });

  it('an admin signed in from another computer manages sharing', async () => {
    const me = lanMe({ is_admin: true });
    await setup(fakeApi({ me, collections: [collection({ id: 'c1', permission: 'admin' })] }), me);
    expect(screen.getByTestId('open-models')).toBeTruthy();
    expect(screen.getByTestId('open-settings')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('open-sharing'));
    expect(screen.getByTestId('open-sharing').textContent).toContain('Sharing');
    await screen.findByTestId('users-panel');
    expect(screen.getByTestId('sharing-settings')).toBeTruthy();
  });

  it('the owner at the desktop: Sharing, no sign-out, files open natively', async () => {
    const api = fakeApi({ kind: 'desktop', collections: [collection({ id: 'c1', status: 'ready' })] });
    await setup(api, null);
    expect(screen.queryByTestId('sign-out')).toBeNull();
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'tides' } });
    await screen.findByTestId('search-result');
    expect(screen.queryByTestId('result-download')).toBeNull();
    await fireEvent.click(screen.getByTestId('search-result-open'));
    await waitFor(() => expect(api.opened).toHaveLength(1));
  });

  it('a colleague with nothing shared is told so', async () => {
    const me = lanMe();
    render(App, { api: fakeApi({ me }), toasts: new Toasts(0), pollMs: 0, me });
    expect(await screen.findByText('Nothing is shared with you yet')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Create a collection' })).toBeNull();
  });
});
