// Formatting helpers for sizes, counts and times.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 KB" (binary multiples, as file managers show them). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${Math.round(n)} B`;
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = v < 10 ? 1 : 0;
  // 1023.96 KB would round to "1024 KB": step up instead.
  if (Number(v.toFixed(digits)) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
    return `${v.toFixed(1)} ${UNITS[i]}`;
  }
  return `${v.toFixed(digits)} ${UNITS[i]}`;
}

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** "1 document", "2 documents". */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A past time relative to now: "just now", "5 min ago", "3 h ago", "2 days ago", else the date. */
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return 'never';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '—';
  const s = Math.round((now.getTime() - t.getTime()) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 7) return d === 1 ? 'yesterday' : `${d} days ago`;
  return t.toISOString().slice(0, 10);
}

const STATUS_LABELS: Record<string, string> = {
  pending: 'Not indexed yet',
  ready: 'Ready',
  processing: 'Indexing',
  error: 'Error',
  degraded: 'Degraded',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

/**
 * The vector engine as the header shows it: the part before any ':'
 * detail, labelled unless it names itself.
 */
export function engineSummary(engine: string): string {
  const short = engine.split(':')[0].trim() || engine.trim();
  return /vector/i.test(short) ? short : `vector engine: ${short}`;
}

/** "all-MiniLM-L6-v2 on CPU (2 threads)"; several models are listed by name. */
export function embedderSummary(list: readonly { model: string; device: string; threads: number }[] | undefined): string {
  if (!list || list.length === 0) return '';
  const device = (d: string) => (d.toLowerCase() === 'cpu' ? 'CPU' : d.toUpperCase());
  if (list.length === 1) {
    const e = list[0];
    return `${e.model} on ${device(e.device)} (${e.threads} thread${e.threads === 1 ? '' : 's'})`;
  }
  return list.map((e) => `${e.model} on ${device(e.device)}`).join(', ');
}
