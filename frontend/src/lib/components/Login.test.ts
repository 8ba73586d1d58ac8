import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Login from './Login.svelte';
import { ApiError } from '../api';
import { fakeApi } from '../../test/fixtures';

async function signIn(username: string, password: string) {
  await fireEvent.input(screen.getByLabelText('User name'), { target: { value: username } });
  await fireEvent.input(screen.getByLabelText('Password'), { target: { value: password } });
  await fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('Login', () => {
  it('signs in and hands over who it is', async () => {
    const api = fakeApi({ me: null });
    const onsignedin = vi.fn();
    render(Login, { api, onsignedin });
    expect(document.activeElement).toBe(screen.getByLabelText('User name'));
    expect((screen.getByLabelText('Password') as HTMLInputElement).type).toBe('password');
    await signIn('alice', 'correct horse battery');
    await waitFor(() => expect(onsignedin).toHaveBeenCalled());
    expect(onsignedin.mock.calls[0][0]).toMatchObject({ mode: 'lan', user: { username: 'alice' } });
    expect(api.calls).toEqual(['login alice']);
  });

  it('shows the server’s message for a wrong password', async () => {
    const onsignedin = vi.fn();
    render(Login, { api: fakeApi({ me: null }), onsignedin });
    await signIn('alice', 'wrong');
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong user name or password.');
    expect(onsignedin).not.toHaveBeenCalled();
    // The button works again.
    expect((screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('says when a lock-out ends', async () => {
    render(Login, { api: fakeApi({ me: null }), onsignedin: vi.fn() });
    await signIn('locked', 'whatever');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Too many failed sign-ins. Try again in 30 s.');
    expect(alert.getAttribute('data-code')).toBe('rate_limited');
  });

  it('adds the wait when the server’s message leaves it out', async () => {
    const api = fakeApi({ me: null });
    api.login = async () => {
      throw new ApiError('rate_limited', 'Too many attempts.', undefined, { retryAfter: 12 });
    };
    render(Login, { api, onsignedin: vi.fn() });
    await signIn('alice', 'x');
    expect((await screen.findByRole('alert')).textContent).toBe('Too many attempts. Try again in 12 s.');
  });

  it('asks for both fields before calling the server', async () => {
    const api = fakeApi({ me: null });
    render(Login, { api, onsignedin: vi.fn(), notice: 'Your session has ended. Sign in again.' });
    expect(screen.getByRole('status').textContent).toContain('session has ended');
    await fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/user name and password/);
    expect(api.calls).toEqual([]);
  });
});
