import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import CollectionList from './CollectionList.svelte';
import { BGE, MINILM, collection, progress } from '../../test/fixtures';

describe('CollectionList', () => {
  it('shows an empty state with a call to action', async () => {
    const oncreate = vi.fn();
    render(CollectionList, { collections: [], models: [MINILM], selectedId: null, onselect: vi.fn(), oncreate });
    expect(screen.getByText('No collections yet')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Create a collection' }));
    expect(oncreate).toHaveBeenCalledOnce();
  });

  it('lists collections with model, precision, counts and status', async () => {
    const onselect = vi.fn();
    const a = collection({
      id: 'a',
      name: 'Papers',
      source_count: 2,
      document_count: 1234,
      vector_count: 1,
      total_size_bytes: 5 * 1024 * 1024,
      status: 'ready',
    });
    const b = collection({ id: 'b', name: 'Mail', description: '', model: BGE.name, quantization: 'int8', status: 'error' });
    render(CollectionList, { collections: [a, b], models: [MINILM, BGE], selectedId: 'b', onselect, oncreate: vi.fn() });

    const list = screen.getByRole('list', { name: 'Collections' });
    const items = within(list).getAllByTestId('collection-item');
    expect(items).toHaveLength(2);
    const first = within(items[0]);
    expect(first.getByText('Papers')).toBeTruthy();
    expect(first.getByText('Research PDFs')).toBeTruthy();
    expect(first.getByTestId('collection-model').textContent).toContain('MiniLM L6 v2');
    expect(items[0].textContent).toContain('2 folders · 1,234 documents · 1 vector · 5.0 MB');
    expect(first.getByTestId('status-badge').textContent).toBe('Ready');

    expect(items[1].textContent).toContain('BGE base v1.5');
    expect(items[1].textContent).toContain('int8');
    expect(items[1].getAttribute('aria-current')).toBe('true');
    expect(items[0].getAttribute('aria-current')).toBeNull();

    await fireEvent.click(items[0]);
    expect(onselect).toHaveBeenCalledWith('a');
  });

  it('moves focus with the arrow keys', async () => {
    render(CollectionList, {
      collections: [collection({ id: 'a', name: 'A' }), collection({ id: 'b', name: 'B' })],
      models: [MINILM],
      selectedId: null,
      onselect: vi.fn(),
      oncreate: vi.fn(),
    });
    const [a, b] = screen.getAllByTestId('collection-item');
    a.focus();
    await fireEvent.keyDown(a, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(b);
    await fireEvent.keyDown(b, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(a);
  });

  it('shows a compact progress line for a collection that is indexing', async () => {
    const a = collection({ id: 'a', name: 'Papers', status: 'processing' });
    const b = collection({ id: 'b', name: 'Mail', status: 'ready' });
    const live = {
      a: progress({ collection_id: 'a', files_total: 30, files_done: 10, files_failed: 1, files_skipped: 1 }),
      b: progress({ collection_id: 'b', operation_id: 'op-2', status: 'completed' }),
    };
    render(CollectionList, { collections: [a, b], models: [MINILM], live, selectedId: 'a', onselect: vi.fn(), oncreate: vi.fn() });
    const items = screen.getAllByTestId('collection-item');
    expect(within(items[0]).getByTestId('collection-progress').textContent).toContain('Indexing 12/30 files');
    expect((items[0].querySelector('.mini-fill') as HTMLElement).style.width).toBe('40%');
    // An ended operation shows nothing in the list.
    expect(within(items[1]).queryByTestId('collection-progress')).toBeNull();
  });
});
