import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import SearchResults from './SearchResults.svelte';
import { SearchSession } from '../search.svelte';
import type { SearchResponse } from '../types';
import { collection, passage, response, result } from '../../test/fixtures';

const C = collection({ id: 'c1', name: 'Notes' });

async function settled(r: SearchResponse, q = 'tides') {
  const s = new SearchSession(async () => r, { debounceMs: 0 });
  s.input(q);
  await vi.waitFor(() => expect(s.settled).toBe(true));
  return s;
}

function setup(s: SearchSession, over: Record<string, unknown> = {}) {
  const onopen = vi.fn(async () => null as string | null);
  const oncopy = vi.fn();
  const onfocusinput = vi.fn();
  const view = render(SearchResults, { session: s, collections: [C], onopen, oncopy, onfocusinput, ...over });
  return { onopen, oncopy, onfocusinput, view };
}

describe('SearchResults', () => {
  it('renders a result: name, path, collection, score, location and highlighted snippet', async () => {
    const s = await settled(
      response({
        took_ms: 12.4,
        results: [
          result({
            collection_id: 'c1',
            score: 0.82,
            passages: [
              passage({
                page: 3,
                page_end: 4,
                heading: 'Oceans > Tides',
                snippet: { text: '🌊 The <b>tides</b> 東京 rise', highlights: [{ start: 10, end: 15 }, { start: 20, end: 22 }] },
              }),
            ],
          }),
        ],
      }),
    );
    setup(s);
    const card = screen.getByTestId('search-result');
    expect(within(card).getByTestId('result-name').textContent).toBe('tides.txt');
    expect(within(card).getByTestId('result-path').textContent).toBe('/home/me/papers/notes/tides.txt');
    expect(within(card).getByTestId('result-collection').textContent).toBe('Notes');
    expect(within(card).getByTestId('result-score').textContent).toContain('82%');
    expect(within(card).getByTestId('passage-location').textContent).toBe('pp. 3–4 · Oceans › Tides');
    const snippet = within(card).getByTestId('passage-snippet');
    // Markup in the text stays text; the ranges are <mark>s.
    expect(snippet.querySelector('b')).toBeNull();
    expect(snippet.textContent).toBe('🌊 The <b>tides</b> 東京 rise');
    expect(Array.from(snippet.querySelectorAll('mark')).map((m) => m.textContent)).toEqual(['tides', '東京']);
    expect(screen.getByTestId('search-status').textContent).toMatch(/1 document\s+for “tides”/);
    expect(screen.getByTestId('search-took').textContent).toBe('12 ms');
  });

  it('folds the other passages: “n more matches”, then “+n more in this document”', async () => {
    const s = await settled(
      response({
        results: [
          result({
            passages: [passage({ chunk_index: 0 }), passage({ chunk_index: 4, page: 7 }), passage({ chunk_index: 9 })],
            more_matches: 5,
          }),
        ],
      }),
    );
    const { onopen } = setup(s);
    expect(screen.queryAllByTestId('search-passage')).toHaveLength(0);
    const toggle = screen.getByTestId('result-expand');
    expect(toggle.textContent?.trim()).toBe('7 more matches');
    expect(screen.queryByTestId('result-further')).toBeNull();
    await fireEvent.click(toggle);
    expect(screen.getAllByTestId('search-passage')).toHaveLength(2);
    expect(screen.getByTestId('result-further').textContent).toBe('+5 more in this document');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    // A passage opens at its page.
    await fireEvent.click(screen.getAllByTestId('search-passage')[0]);
    expect(onopen).toHaveBeenCalledWith(expect.objectContaining({ document_id: 'doc-1' }), 7);
  });

  it('opens the result at its best passage’s page; a browser shows the path to copy', async () => {
    const s = await settled(response({ results: [result({ passages: [passage({ page: 2 })] })] }));
    const { onopen, oncopy } = setup(s);
    onopen.mockResolvedValueOnce('A browser cannot open files on your computer. The file is at');
    await fireEvent.click(screen.getByTestId('search-result-open'));
    expect(onopen).toHaveBeenCalledWith(expect.objectContaining({ document_id: 'doc-1' }), 2);
    const reveal = await screen.findByTestId('result-reveal');
    expect(reveal.textContent).toContain('A browser cannot open files');
    expect((within(reveal).getByRole('textbox') as HTMLInputElement).value).toBe('/home/me/papers/notes/tides.txt');
    await fireEvent.click(within(reveal).getByRole('button', { name: 'Copy path' }));
    expect(oncopy).toHaveBeenCalledWith('/home/me/papers/notes/tides.txt');
  });

  it('moves between results with the arrow keys; Enter opens', async () => {
    const s = await settled(
      response({ results: ['a', 'b', 'c'].map((id) => result({ document_id: id, file_name: `${id}.txt` })) }),
    );
    const { onopen, onfocusinput, view } = setup(s);
    const buttons = screen.getAllByTestId('search-result-open');
    view.component.focusFirst();
    expect(document.activeElement).toBe(buttons[0]);
    await fireEvent.keyDown(buttons[0], { key: 'ArrowDown' });
    expect(document.activeElement).toBe(buttons[1]);
    await fireEvent.keyDown(buttons[1], { key: 'ArrowDown' });
    await fireEvent.keyDown(buttons[2], { key: 'ArrowDown' });
    expect(document.activeElement).toBe(buttons[2]);
    await fireEvent.keyDown(buttons[2], { key: 'Home' });
    expect(document.activeElement).toBe(buttons[0]);
    await fireEvent.keyDown(buttons[0], { key: 'End' });
    expect(document.activeElement).toBe(buttons[2]);
    await fireEvent.keyDown(buttons[2], { key: 'ArrowUp' });
    expect(document.activeElement).toBe(buttons[1]);
    // Enter on a focused button is its click.
    await fireEvent.click(document.activeElement!);
    expect(onopen).toHaveBeenCalledWith(expect.objectContaining({ document_id: 'b' }), 0);
    await fireEvent.keyDown(buttons[1], { key: 'ArrowUp' });
    await fireEvent.keyDown(buttons[0], { key: 'ArrowUp' });
    expect(onfocusinput).toHaveBeenCalledTimes(1);
  });

  it('no results: suggests keyword mode and removing filters', async () => {
    const s = await settled(response({ results: [] }), 'zzz');
    s.filters = { types: ['pdf'], folder: '', date: 'any', from: '', to: '' };
    let calls = 0;
    const original = s.refresh.bind(s);
    s.refresh = () => {
      calls++;
      original();
    };
    setup(s);
    const empty = screen.getByTestId('search-empty');
    expect(empty.textContent).toContain('No results for “zzz”');
    await fireEvent.click(within(empty).getByRole('button', { name: 'Search by keyword' }));
    expect(s.mode).toBe('keyword');
    await vi.waitFor(() => expect(screen.getByTestId('search-empty')).toBeTruthy());
    await fireEvent.click(within(screen.getByTestId('search-empty')).getByRole('button', { name: 'Remove filters' }));
    expect(s.filters.types).toEqual([]);
    expect(calls).toBe(2);
  });

  it('says when indexing is still running, shows warnings, and pages on', async () => {
    let page = 0;
    const s = new SearchSession(
      async (req) => {
        page++;
        return response({
          results: [result({ document_id: `d${req.offset}` })],
          has_more: page === 1,
          warnings: page === 1 ? ['“Papers” was searched by keyword only: its model is not installed.'] : [],
        });
      },
      { debounceMs: 0 },
    );
    s.input('tides');
    await vi.waitFor(() => expect(s.settled).toBe(true));
    setup(s, { indexing: ['Notes'] });
    expect(screen.getByTestId('search-indexing').textContent).toContain('Still indexing “Notes”: results may be incomplete.');
    expect(screen.getByTestId('search-warning').textContent).toContain('searched by keyword only');
    expect(screen.getByTestId('search-status').textContent).toContain('1+ documents');
    await fireEvent.click(screen.getByTestId('search-more'));
    await vi.waitFor(() => expect(screen.getAllByTestId('search-result')).toHaveLength(2));
    expect(screen.queryByTestId('search-more')).toBeNull();
  });

  it('shows an error, and the empty state without collections', async () => {
    const s = new SearchSession(async () => Promise.reject({ code: 'invalid_argument', message: 'The query is too long.' }), {
      debounceMs: 0,
    });
    s.input('x');
    await vi.waitFor(() => expect(s.error).not.toBeNull());
    const { view } = setup(s);
    expect(screen.getByTestId('search-error').textContent).toContain('The query is too long. invalid_argument');
    view.unmount();
    const oncreate = vi.fn();
    setup(s, { collections: [], oncreate });
    expect(screen.getByTestId('search-no-collections').textContent).toContain('No collections yet');
    await fireEvent.click(screen.getByRole('button', { name: 'Create a collection' }));
    expect(oncreate).toHaveBeenCalled();
  });
});
