import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import OperationProgress from './OperationProgress.svelte';
import { progress } from '../../test/fixtures';

describe('OperationProgress', () => {
  it('shows a running operation: bar, files, chunks, rates, time left, current file', () => {
    const p = progress({
      files_total: 30,
      files_done: 10,
      files_failed: 1,
      files_skipped: 1,
      chunks: 1240,
      files_per_sec: 2.5,
      chunks_per_sec: 48.2,
      eta_seconds: 90,
      current_file: '/home/me/papers/2024/a-very-long-directory-name/with/many/levels/and-a-long-file-name-at-the-end.pdf',
    });
    render(OperationProgress, { progress: p, oncancel: vi.fn(), ondismiss: vi.fn() });
    expect(screen.getByTestId('progress-title').textContent).toBe('Indexing');
    expect(screen.queryByTestId('progress-phase')).toBeNull(); // 'indexing' would repeat the title
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('12');
    expect(bar.getAttribute('aria-valuemax')).toBe('30');
    expect((bar.firstElementChild as HTMLElement).style.width).toBe('40%');
    expect(screen.getByTestId('progress-files').textContent).toContain('12 / 30 files');
    expect(screen.getByTestId('progress-files').textContent).toContain('40%');
    expect(screen.getByText('1 failed')).toBeTruthy();
    expect(screen.getByText('1 unchanged')).toBeTruthy();
    expect(screen.getByTestId('progress-chunks').textContent).toBe('1,240');
    expect(screen.getByTestId('progress-rate').textContent).toBe('2.5 files/s');
    expect(screen.getByText('48 chunks/s')).toBeTruthy();
    expect(screen.getByTestId('progress-eta').textContent).toBe('about 1 min 30 s');
    const current = screen.getByTestId('progress-current');
    expect(current.getAttribute('title')).toBe(p.current_file);
    const shown = current.querySelector('.mono')!.textContent!;
    expect(shown).toContain('…');
    expect(shown.endsWith('and-a-long-file-name-at-the-end.pdf')).toBe(true);
  });

  it('has an indeterminate bar while the total is unknown', () => {
    render(OperationProgress, {
      progress: progress({ files_total: 0, files_done: 0, files_failed: 0, files_skipped: 0, phase: 'loading model', elapsed_ms: 200, eta_seconds: -1 }),
      oncancel: vi.fn(),
      ondismiss: vi.fn(),
    });
    const bar = screen.getByRole('progressbar');
    expect(bar.classList.contains('indeterminate')).toBe(true);
    expect(bar.hasAttribute('aria-valuenow')).toBe(false);
    expect(screen.getByTestId('progress-phase').textContent).toBe('Loading model');
    expect(screen.getByTestId('progress-eta').textContent).toBe('estimating…');
    // Too early for a meaningful rate.
    expect(screen.getByTestId('progress-rate').textContent).toBe('—');
  });

  it('cancels, and says so until the operation ends', async () => {
    let resolve!: () => void;
    const oncancel = vi.fn(() => new Promise<void>((r) => (resolve = r)));
    const { rerender } = render(OperationProgress, { progress: progress(), oncancel, ondismiss: vi.fn() });
    const button = screen.getByRole('button', { name: 'Cancel' });
    await fireEvent.click(button);
    expect(oncancel).toHaveBeenCalledOnce();
    expect(screen.getByTestId('cancel-operation').textContent!.trim()).toBe('Cancelling…');
    expect((screen.getByTestId('cancel-operation') as HTMLButtonElement).disabled).toBe(true);
    resolve();
    await vi.waitFor(() => expect(screen.getByTestId('progress-phase').textContent).toBe('Cancelling'));
    await rerender({ progress: progress({ status: 'cancelled', files_done: 12 }) });
    expect(screen.getByTestId('progress-title').textContent).toBe('Indexing cancelled after 14 / 30 files');
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('shows a completed operation with its summary', async () => {
    const ondismiss = vi.fn();
    render(OperationProgress, {
      progress: progress({ status: 'completed', files_total: 22, files_done: 21, files_failed: 1, files_skipped: 0, chunks: 40, elapsed_ms: 1300 }),
      oncancel: vi.fn(),
      ondismiss,
    });
    expect(screen.getByTestId('progress-title').textContent).toBe('Indexing finished in 1 s');
    expect(screen.getByRole('status').textContent).toBe('Indexing finished in 1 s');
    expect(screen.queryByRole('progressbar')).toBeNull();
    const summary = screen.getByTestId('progress-summary').textContent!;
    expect(summary).toContain('21 indexed · 1 failed · 40 chunks');
    expect(summary).toContain('see the failed documents below');
    await fireEvent.click(screen.getByRole('button', { name: 'Dismiss this summary' }));
    expect(ondismiss).toHaveBeenCalledOnce();
  });

  it('shows why an operation failed', () => {
    render(OperationProgress, {
      progress: progress({ status: 'failed', error: 'The model all-MiniLM-L6-v2 is not installed.' }),
      oncancel: vi.fn(),
      ondismiss: vi.fn(),
    });
    expect(screen.getByTestId('progress-title').textContent).toBe('Indexing failed');
    expect(screen.getByRole('alert').textContent).toBe('The model all-MiniLM-L6-v2 is not installed.');
  });

  it('shows a queued operation', () => {
    render(OperationProgress, {
      progress: progress({ status: 'pending', files_total: 0, files_done: 0, files_failed: 0, files_skipped: 0, elapsed_ms: 0, phase: '' }),
      oncancel: vi.fn(),
      ondismiss: vi.fn(),
    });
    expect(screen.getByTestId('progress-phase').textContent).toBe('Waiting to start');
    expect(screen.getByTestId('progress-eta').textContent).toBe('—');
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
  });
});
