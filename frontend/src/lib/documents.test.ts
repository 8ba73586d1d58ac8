import { describe, expect, it } from 'vitest';
import { displayPath, documentStatusLabel, fileName, isUnlockable, typeLabel } from './documents';

describe('documents', () => {
  it('shows paths relative to the folder that holds them', () => {
    const roots = ['/home/me/papers', '/home/me/papers/2024/', '/srv/notes'];
    expect(displayPath('/home/me/papers/a.txt', roots)).toBe('a.txt');
    expect(displayPath('/home/me/papers/2024/b/c.pdf', roots)).toBe('b/c.pdf');
    expect(displayPath('/home/me/papers-old/x.txt', roots)).toBe('/home/me/papers-old/x.txt');
    expect(displayPath('/elsewhere/y.txt', roots)).toBe('/elsewhere/y.txt');
    expect(displayPath('C:\\Docs\\z.txt', ['C:\\Docs'])).toBe('z.txt');
    expect(displayPath('/a/b', [])).toBe('/a/b');
  });

  it('names types briefly', () => {
    expect(typeLabel('text/plain; charset=utf-8')).toBe('Text');
    expect(typeLabel('application/pdf')).toBe('PDF');
    expect(typeLabel('application/gzip')).toBe('Compressed archive');
    expect(typeLabel('application/vnd.rar')).toBe('RAR archive');
    expect(typeLabel('image/png')).toBe('PNG image');
    expect(typeLabel('application/x-tar')).toBe('Tar archive');
    expect(typeLabel('application/x-shockwave-flash')).toBe('shockwave-flash');
    expect(typeLabel('application/vnd.oasis.opendocument.text')).toBe('OpenDocument text');
    expect(typeLabel('application/vnd.apple.keynote')).toBe('Keynote');
    expect(typeLabel('image/svg+xml')).toBe('SVG image');
    expect(typeLabel('')).toBe('—');
  });

  it('labels statuses', () => {
    expect(documentStatusLabel('completed')).toBe('Indexed');
    expect(documentStatusLabel('failed')).toBe('Failed');
    expect(documentStatusLabel('weird')).toBe('weird');
  });

  it('names the file a path ends in, inside archives too', () => {
    expect(fileName('/home/me/papers/report.pdf')).toBe('report.pdf');
    expect(fileName('C:\\Docs\\z.docx')).toBe('z.docx');
    expect(fileName('/data/a.zip › folder/report.pdf')).toBe('report.pdf');
    expect(fileName('/data/a.zip › inner.tgz › notes.xlsx')).toBe('notes.xlsx');
  });

  it('offers unlocking only for failed, password-protected PDF and Office files', () => {
    const locked = { path: '/a/report.pdf', status: 'failed' as const, error: 'password-protected PDF: a password is required to open it' };
    const cases: { name: string; d: typeof locked | { path: string; status: 'failed' | 'completed'; error: string }; want: boolean }[] = [
      { name: 'password-protected PDF', d: locked, want: true },
      { name: 'upper-case extension', d: { ...locked, path: '/a/REPORT.PDF' }, want: true },
      { name: 'encrypted Word', d: { path: '/a/b.docx', status: 'failed', error: 'password-protected Office document (encrypted OOXML package)' }, want: true },
      { name: 'legacy Excel', d: { path: '/a/b.xls', status: 'failed', error: 'password-protected Excel workbook (RC4)' }, want: true },
      { name: 'PowerPoint', d: { path: '/a/b.ppt', status: 'failed', error: 'password-protected PowerPoint presentation' }, want: true },
      { name: 'encrypted PDF', d: { ...locked, error: 'encrypted PDF this reader cannot decrypt (x)' }, want: true },
      { name: 'inside an archive', d: { ...locked, path: '/a/x.zip › in/report.pdf' }, want: true },
      { name: 'another reason', d: { ...locked, error: 'malformed PDF: no pages found' }, want: false },
      { name: 'not failed', d: { ...locked, status: 'completed' }, want: false },
      { name: 'a locked zip', d: { path: '/a/x.zip', status: 'failed', error: 'password-protected Zip archive' }, want: false },
      { name: 'a text file', d: { path: '/a/password.txt', status: 'failed', error: 'encrypted' }, want: false },
    ];
    for (const c of cases) expect(isUnlockable(c.d), c.name).toBe(c.want);
  });
});
