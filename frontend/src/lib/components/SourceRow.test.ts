import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import SourceRow, { watchLabel } from './SourceRow.svelte';
import { ApiError } from '../api';
import { source } from '../../test/fixtures';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SourceRow', () => {
  it('shows the folder, its counts and that it is watched', () => {
    render(SourceRow, { source: source({ document_count: 3, size_bytes: 2048 }), onremove: () => {}, onwatch: async () => {} });
    expect(screen.getByTestId('source-path').textContent).toBe('/home/me/papers');
    expect(screen.getByTestId('source-item').textContent).toContain('3 documents · 2.0 KB · indexed never');
    expect(screen.getByTestId('watch-state').textContent).toBe('Watching');
    expect(screen.getByTestId('source-item').getAttribute('data-watch-state')).toBe('watching');
    expect(screen.queryByTestId('watch-message')).toBeNull();
    const sw = screen.getByRole('switch', { name: 'Watch for changes' }) as HTMLInputElement;
    expect(sw.checked).toBe(true);
    expect(sw.disabled).toBe(false);
    // The switch says which folder it is for.
    expect(sw.getAttribute('aria-describedby')).toBe(screen.getByTestId('source-path').id);
  });

  const states = [
    { state: 'scanning', label: 'Scanning…', watch: true, message: '', shown: null },
    {
      state: 'paused',
      label: 'Watching off',
      watch: false,
      message: 'Watching is off: changes reach search when you rescan.',
      shown: 'Watching is off: changes reach search when you rescan.',
    },
    {
      state: 'offline',
      label: 'Offline',
      watch: true,
      message: 'The folder is not there (unplugged, unmounted or renamed?). Its documents stay searchable.',
      shown: 'The folder is not there (unplugged, unmounted or renamed?). Its documents stay searchable.',
    },
    // Offline and error are explained even when the server gave no reason.
    { state: 'offline', label: 'Offline', watch: true, message: '', shown: 'The folder is not there. Its documents stay searchable.' },
    {
      state: 'error',
      label: 'Watch error',
      watch: true,
      message: 'The system’s limit of watched folders is reached: raise fs.inotify.max_user_watches.',
      shown: 'The system’s limit of watched folders is reached: raise fs.inotify.max_user_watches.',
    },
    { state: 'error', label: 'Watch error', watch: true, message: '', shown: 'Changes to this folder are not being watched.' },
  ] as const;
  for (const c of states) {
    it(`labels ${c.state}${c.message ? ' with its message' : ' without a message'}`, () => {
      render(SourceRow, {
        source: source({ watch: c.watch, watch_state: c.state, watch_message: c.message || undefined }),
        onremove: () => {},
        onwatch: async () => {},
      });
      expect(screen.getByTestId('watch-state').textContent).toBe(c.label);
      const msg = screen.queryByTestId('watch-message');
      expect(msg?.textContent ?? null).toBe(c.shown);
      expect((screen.getByRole('switch') as HTMLInputElement).checked).toBe(c.watch);
    });
  }

  it('falls back to the raw state for one it does not know', () => {
    expect(watchLabel('hibernating')).toBe('hibernating');
    expect(watchLabel('paused')).toBe('Watching off');
  });

  it('switches watching off, disabled while the request runs', async () => {
    const d = deferred();
    const onwatch = vi.fn(() => d.promise);
    const { rerender } = render(SourceRow, { source: source(), onremove: () => {}, onwatch });
    const sw = screen.getByRole('switch', { name: 'Watch for changes' }) as HTMLInputElement;
    await fireEvent.click(sw);
    expect(onwatch).toHaveBeenCalledWith(false);
    expect(sw.checked).toBe(false);
    expect(sw.disabled).toBe(true);
    // The caller has the folder as the server now has it, then the request ends.
    await rerender({ source: source({ watch: false, watch_state: 'paused', watch_message: 'Watching is off.' }) });
    d.resolve();
    await vi.waitFor(() => expect(sw.disabled).toBe(false));
    expect(sw.checked).toBe(false);
    expect(screen.getByTestId('watch-state').textContent).toBe('Watching off');
    expect(screen.getByTestId('watch-message').textContent).toBe('Watching is off.');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says why the switch failed and puts it back', async () => {
    const onwatch = vi.fn((): Promise<void> => Promise.reject(new ApiError('not_found', 'Not found: source 7.')));
    render(SourceRow, { source: source(), onremove: () => {}, onwatch });
    const sw = screen.getByRole('switch') as HTMLInputElement;
    await fireEvent.click(sw);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Not found: source 7.');
    expect(alert.textContent).toContain('not_found');
    expect(sw.checked).toBe(true);
    expect(sw.disabled).toBe(false);
    // The next try clears the error.
    onwatch.mockImplementationOnce(() => Promise.resolve());
    await fireEvent.click(sw);
    await vi.waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('has no switch without a handler; Remove asks the caller', async () => {
    const onremove = vi.fn();
    render(SourceRow, { source: source(), onremove });
    expect(screen.queryByRole('switch')).toBeNull();
    expect(screen.getByTestId('watch-state').textContent).toBe('Watching');
    await fireEvent.click(screen.getByRole('button', { name: 'Remove /home/me/papers' }));
    expect(onremove).toHaveBeenCalledTimes(1);
  });
});
