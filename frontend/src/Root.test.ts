import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Root from './Root.svelte';
import { Toasts } from './lib/toasts.svelte';
import { ApiError } from './lib/api';
import { collection, fakeApi, lanMe, type FakeApi } from './test/fixtures';

function setup(api: FakeApi) {
  render(Root, { api, toasts: new Toasts(0), pollMs: 0 });
  return api;
}

async function signIn(username: string, password: string) {
  await fireEvent.input(await screen.findByLabelText('User name'), { target: { value: username } });
  await fireEvent.input(screen.getByLabelText('Password'), { target: { value: password } });
  await fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('Root', () => {
  it('owner mode: the app at once, with no sign-out', async () => {
    setup(fakeApi({ collections: [collection()] }));
    await screen.findByTestId('collection-detail');
    expect(screen.queryByTestId('login')).toBeNull();
    expect(screen.queryByTestId('sign-out')).toBeNull();
    expect(screen.getByTestId('open-sharing').textContent).toContain('Sharing');
  });

  it('LAN without a session: signs in, shows the user, signs out', async () => {
    const api = setup(fakeApi({ me: null, collections: [collection({ permission: 'read', owner: 'owner' })] }));
    await screen.findByTestId('login');
    expect(screen.queryByTestId('collection-detail')).toBeNull();
    await signIn('alice', 'correct horse battery');
    await screen.findByTestId('collection-detail');
    expect(screen.getByTestId('signed-in-as').textContent).toBe('Alice');
    await fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await screen.findByTestId('login');
    expect(api.calls).toContain('logout');
    expect(screen.getByRole('status').textContent).toContain('signed out');
  });

  it('goes back to the sign-in screen when the session ends', async () => {
    const api = setup(fakeApi({ me: lanMe(), collections: [collection({ permission: 'read' })] }));
    await screen.findByTestId('collection-detail');
    api.expire();
    await screen.findByTestId('login');
    expect(screen.getByRole('status').textContent).toContain('session has ended');
  });

  it('a server without /auth/me is the owner’s', async () => {
    const api = fakeApi({ collections: [collection()] });
    api.me = async () => {
      throw new ApiError('not_found', 'Not found.');
    };
    setup(api);
    await screen.findByTestId('collection-detail');
    await waitFor(() => expect(screen.getByTestId('open-settings')).toBeTruthy());
  });
});
