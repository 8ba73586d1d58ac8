import { describe, expect, it } from 'vitest';
import { displayPath, documentStatusLabel, typeLabel } from './documents';

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
    expect(typeLabel('image/png')).toBe('PNG image');
    expect(typeLabel('application/x-tar')).toBe('tar');
    expect(typeLabel('application/vnd.oasis.opendocument.text')).toBe('OpenDocument text');
    expect(typeLabel('application/vnd.apple.keynote')).toBe('apple.keynote');
    expect(typeLabel('image/svg+xml')).toBe('SVG image');
    expect(typeLabel('')).toBe('—');
  });

  it('labels statuses', () => {
    expect(documentStatusLabel('completed')).toBe('Indexed');
    expect(documentStatusLabel('failed')).toBe('Failed');
    expect(documentStatusLabel('weird')).toBe('weird');
  });
});
