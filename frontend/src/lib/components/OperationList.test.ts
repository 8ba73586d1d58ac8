import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import OperationList from './OperationList.svelte';
import { operation } from '../../test/fixtures';

describe('OperationList', () => {
  it('lists operations with type, status, times, counts and errors', () => {
    const ops = [
      operation({ id: 'r', type: 'append', status: 'processing', completed_at: null, progress: { files_done: 2, chunks: 4 } }),
      operation({ id: 'f', type: 'index', status: 'failed', error: 'The folder is gone.', progress: {} }),
      operation({ id: 'c', type: 'index', status: 'completed', progress: { files_done: 20, files_failed: 1, files_skipped: 0, chunks: 45 } }),
      operation({ id: 'q', type: 'reindex', status: 'pending', started_at: null, completed_at: null, progress: {} }),
      operation({ id: 's', type: 'append', status: 'cancelled', completed_at: null, error: 'cancelled' }),
    ];
    render(OperationList, { operations: ops });
    const items = screen.getAllByTestId('operation-item');
    expect(items.map((i) => within(i).getByTestId('operation-status').textContent)).toEqual([
      'Running',
      'Failed',
      'Completed',
      'Queued',
      'Cancelling',
    ]);
    expect(items[0].textContent).toContain('Rescan');
    expect(within(items[0]).getByTestId('operation-summary').textContent).toBe('2 indexed · 4 chunks');
    expect(within(items[1]).getByTestId('operation-error').textContent).toBe('The folder is gone.');
    expect(within(items[1]).queryByTestId('operation-summary')).toBeNull();
    expect(within(items[2]).getByTestId('operation-summary').textContent).toBe('20 indexed · 1 failed · 45 chunks');
    expect(items[2].textContent).toContain('took 30 s');
    expect(items[3].textContent).toContain('queued');
    expect(items[3].textContent).toContain('Reindex');
    // "cancelled" is no error worth repeating.
    expect(within(items[4]).queryByTestId('operation-error')).toBeNull();
  });

  it('shows the newest five, then all on request', async () => {
    const ops = Array.from({ length: 8 }, (_, i) => operation({ id: `o${i}` }));
    render(OperationList, { operations: ops });
    expect(screen.getAllByTestId('operation-item')).toHaveLength(5);
    await fireEvent.click(screen.getByRole('button', { name: 'Show all 8' }));
    expect(screen.getAllByTestId('operation-item')).toHaveLength(8);
  });

  it('says when nothing has run', () => {
    render(OperationList, { operations: [] });
    expect(screen.getByTestId('no-operations')).toBeTruthy();
  });

  it('offers pause, resume and cancel where they apply', async () => {
    const calls: string[] = [];
    const ops = [
      operation({ id: 'run', type: 'index', status: 'processing', completed_at: null }),
      operation({ id: 'held', type: 'append', status: 'paused', completed_at: null }),
      operation({ id: 'del', type: 'delete', status: 'processing', completed_at: null }),
      operation({ id: 'done', type: 'index', status: 'completed' }),
    ];
    render(OperationList, {
      operations: ops,
      onpause: async (id: string) => void calls.push(`pause ${id}`),
      onresume: async (id: string) => void calls.push(`resume ${id}`),
      oncancel: async (id: string) => void calls.push(`cancel ${id}`),
    });
    const items = screen.getAllByTestId('operation-item');
    expect(within(items[1]).getByTestId('operation-status').textContent).toBe('Paused');
    await fireEvent.click(within(items[0]).getByTestId('operation-pause'));
    await fireEvent.click(within(items[1]).getByTestId('operation-resume'));
    await fireEvent.click(within(items[1]).getByTestId('operation-cancel'));
    expect(calls).toEqual(['pause run', 'resume held', 'cancel held']);
    expect(within(items[1]).queryByTestId('operation-pause')).toBeNull();
    // A delete runs to the end; a finished operation has nothing to change.
    for (const i of [2, 3]) expect(within(items[i]).queryAllByRole('button')).toHaveLength(0);
  });
});
