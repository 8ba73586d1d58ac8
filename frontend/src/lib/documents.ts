// The documents view's rules: its filters, paging, and how paths and types
// are shown.

import type { DocumentInfo, DocumentStatus } from './types';

/** Documents per page. */
export const PAGE_SIZE = 100;
/** Failed documents are counted up to this many ("1,000+"). */
export const COUNT_LIMIT = 1000;

export const DOCUMENT_FILTERS: readonly { value: DocumentStatus | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'completed', label: 'Indexed' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
  { value: 'processing', label: 'Processing' },
];

const LABELS: Record<string, string> = {
  pending: 'Pending',
  processing: 'Processing',
  completed: 'Indexed',
  failed: 'Failed',
};

export function documentStatusLabel(status: string): string {
  return LABELS[status] ?? status;
}

/**
 * A document's path relative to the folder that holds it (the longest
 * matching one), else the full path.
 */
export function displayPath(path: string, roots: readonly string[]): string {
  let best = '';
  for (const r of roots) {
    const root = r.replace(/[\\/]+$/, '');
    if (!root || root.length <= best.length) continue;
    const rest = path.slice(root.length);
    if (path.startsWith(root) && (rest.startsWith('/') || rest.startsWith('\\'))) best = root;
  }
  return best ? path.slice(best.length + 1) : path;
}

const TYPES: Record<string, string> = {
  'text/plain': 'Text',
  'text/markdown': 'Markdown',
  'text/html': 'HTML',
  'text/csv': 'CSV',
  'application/pdf': 'PDF',
  'application/json': 'JSON',
  'application/octet-stream': 'Binary',
  'text/xml': 'XML',
  'application/rtf': 'RTF',
  'application/epub+zip': 'EPUB',
  'application/mbox': 'Mailbox',
  'message/rfc822': 'Email',
  'multipart/related': 'Web archive',
  'application/vnd.ms-outlook': 'Outlook message',
  'application/msword': 'Word (legacy)',
  'application/vnd.ms-excel': 'Excel (legacy)',
  'application/vnd.ms-powerpoint': 'PowerPoint (legacy)',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel',
  'application/vnd.oasis.opendocument.text': 'OpenDocument text',
  'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument sheet',
  'application/vnd.oasis.opendocument.presentation': 'OpenDocument slides',
  'application/x-ooxml-encrypted': 'Encrypted Office',
  'application/zip': 'ZIP archive',
  'application/x-tar': 'Tar archive',
  'application/gzip': 'Compressed archive',
  'application/x-bzip2': 'Compressed archive',
  'application/x-xz': 'Compressed archive',
  'application/x-7z-compressed': '7-Zip archive',
  'application/vnd.rar': 'RAR archive',
  'application/vnd.apple.pages': 'Pages',
  'application/vnd.apple.numbers': 'Numbers',
  'application/vnd.apple.keynote': 'Keynote',
  'application/vnd.ms-xpsdocument': 'XPS',
};

/**
 * A short name for a MIME type: "text/plain; charset=utf-8" → "Text",
 * "image/png" → "PNG image", "application/x-foo" → "foo"; '' → "—".
 */
export function typeLabel(mime: string): string {
  const m = (mime || '').split(';')[0].trim().toLowerCase();
  if (!m) return '—';
  if (TYPES[m]) return TYPES[m];
  const [top, sub = ''] = m.split('/');
  const name = sub.replace(/^(x-|vnd\.)/, '').replace(/\+.*$/, '');
  if (top === 'image' || top === 'audio' || top === 'video') return `${name.toUpperCase()} ${top}`;
  return name || top;
}

/** Joins an archive's path and a member's name in a document path. */
export const MEMBER_SEP = ' › ';

/** The file name a document path ends in (of a file inside an archive too). */
export function fileName(path: string): string {
  const member = path.split(MEMBER_SEP).pop() ?? path;
  return member.split(/[\\/]/).pop() || member;
}

/** Formats a password can open. */
const LOCKABLE = ['.pdf', '.docx', '.xlsx', '.pptx', '.doc', '.xls', '.ppt'];

/**
 * Whether a document failed for want of a password, in a format a password
 * opens: it can be unlocked. The server decides; this offers the button.
 */
export function isUnlockable(d: Pick<DocumentInfo, 'path' | 'status' | 'error'>): boolean {
  if (d.status !== 'failed') return false;
  const name = fileName(d.path).toLowerCase();
  if (!LOCKABLE.some((ext) => name.endsWith(ext))) return false;
  const reason = (d.error || '').toLowerCase();
  return reason.includes('password') || reason.includes('encrypted');
}
