import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import DocumentList from './DocumentList.svelte';
import type { DocumentInfo, ListDocumentsRequest } from '../types';
import { doc } from '../../test/fixtures';

function docs(n: number, over: (i: number) => Partial<DocumentInfo> = () => ({})): DocumentInfo[] {
  return Array.from({ length: n }, (_, i) => doc({ id: `d${i}`, path: `/home/me/papers/${String(i).padStart(3, '0')}.txt`, ...over(i) }));
}

function fakeLoad(all: DocumentInfo[]) {
  const calls: string[] = [];
  const load = vi.fn(async (cid: string, req: ListDocumentsRequest) => {
    calls.push(`${cid} ${req.status || 'all'} ${req.limit} ${req.offset}`);
    return all.filter((d) => !req.status || d.status === req.status).slice(req.offset, req.offset + req.limit);
  });
  return { load, calls };
}

describe('DocumentList', () => {
  it('lists documents with size, type, chunks, pages and status; failed ones say why', async () => {
    const all = [
      doc({ id: 'a', path: '/home/me/papers/a.txt', size: 2048, chunk_count: 3, paths: 2 }),
      doc({ id: 'b', path: '/home/me/papers/sub/b.pdf', mime_type: 'application/pdf', page_count: 12, chunk_count: 30 }),
      doc({ id: 'c', path: '/home/me/papers/c.png', mime_type: 'image/png', status: 'failed', error: 'image with no text', chunk_count: 0 }),
    ];
    const { load } = fakeLoad(all);
    render(DocumentList, { collectionId: 'c1', load, roots: ['/home/me/papers'] });
    const rows = await screen.findAllByTestId('document-row');
    expect(rows).toHaveLength(3);
    expect(within(rows[0]).getByTestId('document-path').textContent).toBe('a.txt');
    expect(rows[0].textContent).toContain('2.0 KB');
    expect(rows[0].textContent).toContain('Text');
    expect(rows[0].textContent).toContain('×2');
    expect(within(rows[0]).getByTestId('document-status').textContent).toBe('Indexed');
    expect(within(rows[1]).getByTestId('document-path').textContent).toBe('sub/b.pdf');
    expect(rows[1].getAttribute('data-status')).toBe('completed');
    expect(rows[1].textContent).toContain('PDF');
    expect(rows[1].textContent).toContain('12');
    expect(rows[2].getAttribute('data-status')).toBe('failed');
    expect(within(rows[2]).getByTestId('document-error').textContent!.trim()).toBe('image with no text');
    expect(within(rows[2]).getByTestId('document-status').textContent).toBe('Failed');
    expect(rows[2].querySelector('[title="/home/me/papers/c.png"]')).toBeTruthy();
  });

  it('counts the failed ones and filters by status', async () => {
    const all = docs(5, (i) => (i % 2 ? { status: 'failed', error: `reason ${i}` } : {}));
    const { load, calls } = fakeLoad(all);
    render(DocumentList, { collectionId: 'c1', load });
    const failed = await screen.findByRole('button', { name: 'Failed (2)' });
    expect(screen.getAllByTestId('document-row')).toHaveLength(5);
    await fireEvent.click(failed);
    await vi.waitFor(() => expect(screen.getAllByTestId('document-row')).toHaveLength(2));
    expect(failed.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getAllByTestId('document-error').map((e) => e.textContent!.trim())).toEqual(['reason 1', 'reason 3']);
    expect(calls).toContain('c1 failed 100 0');
    await fireEvent.click(screen.getByRole('button', { name: 'Pending' }));
    expect(await screen.findByText('No pending documents.')).toBeTruthy();
  });

  it('pages 100 at a time', async () => {
    const { load, calls } = fakeLoad(docs(230));
    render(DocumentList, { collectionId: 'c1', load });
    await vi.waitFor(() => expect(screen.getAllByTestId('document-row')).toHaveLength(100));
    expect(screen.getByTestId('doc-range').textContent!.trim()).toBe('1–100');
    const prev = screen.getByRole('button', { name: '‹ Previous' }) as HTMLButtonElement;
    expect(prev.disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Next ›' }));
    await vi.waitFor(() => expect(screen.getByTestId('doc-range').textContent!.trim()).toBe('101–200'));
    await fireEvent.click(screen.getByRole('button', { name: 'Next ›' }));
    await vi.waitFor(() => expect(screen.getAllByTestId('document-row')).toHaveLength(30));
    expect(screen.getByTestId('doc-range').textContent!.trim()).toBe('201–230');
    expect((screen.getByRole('button', { name: 'Next ›' }) as HTMLButtonElement).disabled).toBe(true);
    expect(calls.filter((c) => c.includes(' all '))).toEqual(['c1 all 100 0', 'c1 all 100 100', 'c1 all 100 200']);
    // A filter starts at the first page again.
    await fireEvent.click(screen.getByRole('button', { name: 'Indexed' }));
    await vi.waitFor(() => expect(calls.at(-1)).toBe('c1 completed 100 0'));
  });

  it('reloads when told the documents changed, and starts over for another collection', async () => {
    const all = docs(2);
    const { load, calls } = fakeLoad(all);
    const { rerender } = render(DocumentList, { collectionId: 'c1', load, refreshKey: 0 });
    await screen.findAllByTestId('document-row');
    all.push(doc({ id: 'new', path: '/home/me/papers/new.txt', status: 'failed', error: 'bad' }));
    await rerender({ collectionId: 'c1', load, refreshKey: 1 });
    await vi.waitFor(() => expect(screen.getAllByTestId('document-row')).toHaveLength(3));
    expect(await screen.findByRole('button', { name: 'Failed (1)' })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Failed (1)' }));
    await vi.waitFor(() => expect(screen.getAllByTestId('document-row')).toHaveLength(1));
    await rerender({ collectionId: 'c2', load, refreshKey: 1 });
    await vi.waitFor(() => expect(calls.at(-1)).toMatch(/^c2 /));
    expect(calls).toContain('c2 all 100 0');
    expect(screen.getByRole('button', { name: 'All' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('shows an empty state and errors', async () => {
    const load = vi.fn(async () => []);
    render(DocumentList, { collectionId: 'c1', load });
    expect((await screen.findByTestId('no-documents')).textContent).toContain('No documents yet');
  });

  it('shows a failed load', async () => {
    const load = vi.fn(() => Promise.reject({ code: 'internal', message: 'Database down.' }));
    render(DocumentList, { collectionId: 'c1', load });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Database down.');
    expect(alert.textContent).toContain('internal');
  });

  describe('unlocking password-protected files', () => {
    const reason = 'password-protected PDF: a password is required to open it';
    function lockedDocs() {
      return [
        doc({ id: 'p', path: '/home/me/papers/report.pdf', mime_type: 'application/pdf', status: 'failed', error: reason, chunk_count: 0 }),
        doc({ id: 'x', path: '/home/me/papers/sheet.xlsx', status: 'failed', error: 'password-protected Office document (encrypted OOXML package)', chunk_count: 0 }),
        doc({ id: 'z', path: '/home/me/papers/broken.pdf', status: 'failed', error: 'malformed PDF: no pages found', chunk_count: 0 }),
        doc({ id: 't', path: '/home/me/papers/notes.txt' }),
      ];
    }

    it('offers Unlock… only for failed, password-protected PDF and Office files', async () => {
      const { load } = fakeLoad(lockedDocs());
      render(DocumentList, { collectionId: 'c1', load, onunlock: vi.fn(async () => {}) });
      const rows = await screen.findAllByTestId('document-row');
      const offered = rows.map((r) => within(r).queryByRole('button', { name: 'Unlock…' }) !== null);
      // report.pdf, sheet.xlsx, broken.pdf (another reason), notes.txt (indexed)
      expect(offered).toEqual([true, true, false, false]);
      expect(within(rows[0]).getByTestId('document-error').textContent).toBe(reason);
    });

    it('shows no Unlock… to a caller who may not write', async () => {
      const { load } = fakeLoad(lockedDocs());
      render(DocumentList, { collectionId: 'c1', load });
      await screen.findAllByTestId('document-row');
      expect(screen.queryByRole('button', { name: 'Unlock…' })).toBeNull();
    });

    it('asks for the password, shows a wrong one inline, and reloads once it opens the file', async () => {
      const all = lockedDocs();
      const { load, calls } = fakeLoad(all);
      const tried: string[] = [];
      const onunlock = vi.fn(async (d: DocumentInfo, password: string) => {
        tried.push(`${d.id} ${password}`);
        if (password !== 'asdfzxcv') {
          throw { code: 'invalid_argument', field: 'password', message: 'That password does not open report.pdf. Check it and try again.' };
        }
        all[all.findIndex((x) => x.id === d.id)] = { ...d, status: 'completed', error: '', chunk_count: 4 };
      });
      render(DocumentList, { collectionId: 'c1', load, onunlock });
      await fireEvent.click(await screen.findByRole('button', { name: 'Failed (3)' }));
      await vi.waitFor(() => expect(screen.getAllByTestId('document-row')).toHaveLength(3));
      const report = screen.getAllByTestId('document-row').find((r) => r.textContent!.includes('report.pdf'))!;
      await fireEvent.click(within(report).getByRole('button', { name: 'Unlock…' }));

      const dialog = await screen.findByRole('dialog', { name: 'Unlock report.pdf' });
      const input = within(dialog).getByLabelText('Password') as HTMLInputElement;
      expect(input.type).toBe('password');
      expect(input.getAttribute('autocomplete')).toBe('off');
      expect(document.activeElement).toBe(input);

      // Nothing typed: said at once, nothing sent.
      await fireEvent.click(within(dialog).getByRole('button', { name: 'Unlock' }));
      expect(await within(dialog).findByText('Type the password that opens report.pdf.')).toBeTruthy();
      expect(onunlock).not.toHaveBeenCalled();

      await fireEvent.input(input, { target: { value: 'wrong' } });
      await fireEvent.click(within(dialog).getByRole('button', { name: 'Unlock' }));
      expect(await within(dialog).findByText(/That password does not open report\.pdf\. Check it and try again\./)).toBeTruthy();
      expect(input.getAttribute('aria-invalid')).toBe('true');
      expect(screen.getByRole('dialog')).toBeTruthy();
      const loadsBefore = calls.length;

      await fireEvent.input(input, { target: { value: 'asdfzxcv' } });
      await fireEvent.submit(input.form!);
      await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
      expect(tried).toEqual(['p wrong', 'p asdfzxcv']);
      // The list and the failed count are read again: the row leaves the failed list.
      await vi.waitFor(() => expect(screen.getAllByTestId('document-row')).toHaveLength(2));
      expect(calls.length).toBeGreaterThan(loadsBefore);
      expect(screen.getAllByTestId('document-row').some((r) => r.textContent!.includes('report.pdf'))).toBe(false);
      expect(await screen.findByRole('button', { name: 'Failed (2)' })).toBeTruthy();
    });

    it('closes on Cancel without sending anything', async () => {
      const { load } = fakeLoad(lockedDocs());
      const onunlock = vi.fn(async () => {});
      render(DocumentList, { collectionId: 'c1', load, onunlock });
      const rows = await screen.findAllByTestId('document-row');
      await fireEvent.click(within(rows[1]).getByRole('button', { name: 'Unlock…' }));
      const dialog = await screen.findByRole('dialog', { name: 'Unlock sheet.xlsx' });
      await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
      await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
      expect(onunlock).not.toHaveBeenCalled();
    });
  });
});
