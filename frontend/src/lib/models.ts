// The Models page's rules, kept free of Svelte: what a model's state reads
// as, which actions it offers, how a download event moves its percent, and
// when a model that has just arrived is worth offering to a collection.

import type { Collection, ModelDownloadProgress, ModelInfo } from './types';

/** The model kinds in words. */
export function kindLabel(kind: string): string {
  switch (kind) {
    case 'transformer':
      return 'Transformer';
    case 'static':
      return 'Word vectors';
    case 'reranker':
      return 'Reranker';
    default:
      return kind || 'Unknown';
  }
}

/** 'en' → 'English', 'multi' → 'about 100 languages'; others as given. */
export function languagesLabel(languages: string | undefined): string {
  if (!languages) return '—';
  const names: Record<string, string> = { en: 'English', multi: 'Many languages' };
  return languages
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((l) => names[l] ?? l)
    .join(', ');
}

/** Whether the model's files are here: installed, or loaded and running. */
export function isAvailable(m: ModelInfo): boolean {
  return m.installed || m.state === 'ready' || m.state === 'installed';
}

/** Where the model stands; the list reports state, older servers only installed. */
export function modelState(m: ModelInfo): string {
  if (m.state) return m.state;
  return m.installed ? 'installed' : 'not_installed';
}

/** Rounds a percent for display, never showing 100% before the end. */
export function percentLabel(p: number | undefined): string {
  const v = Math.max(0, Math.min(100, p ?? 0));
  return `${v >= 99.5 && v < 100 ? 99 : Math.round(v)}%`;
}

/** The state in words: "Downloading 42%", "Paused at 42%", "Installed"… */
export function stateLabel(m: ModelInfo): string {
  switch (modelState(m)) {
    case 'ready':
      return 'Loaded';
    case 'installed':
      return 'Installed';
    case 'downloading':
      return `Downloading ${percentLabel(m.download_percent)}`;
    case 'paused':
      return `Paused at ${percentLabel(m.download_percent)}`;
    case 'failed':
      return isAvailable(m) ? 'Installed, failed to load' : 'Download failed';
    default:
      return 'Not installed';
  }
}

/** Static word vectors are imported from a folder; every other kind can be downloaded. */
export function isDownloadable(m: ModelInfo): boolean {
  return m.kind !== 'static' && !m.unavailable;
}

export interface ModelActions {
  download: boolean;
  /** A failed download: Download reads "Try again". */
  retry: boolean;
  pause: boolean;
  resume: boolean;
  cancel: boolean;
  import: boolean;
  delete: boolean;
}

/** What the page offers for a model in its current state. */
export function modelActions(m: ModelInfo): ModelActions {
  const state = modelState(m);
  const here = isAvailable(m);
  const moving = state === 'downloading' || state === 'paused';
  return {
    download: isDownloadable(m) && !here && !moving,
    retry: isDownloadable(m) && !here && state === 'failed',
    pause: state === 'downloading',
    resume: state === 'paused' && isDownloadable(m),
    cancel: moving,
    import: !m.unavailable && !moving,
    delete: here && !moving,
  };
}

/** A download event's overall percent, as the server computes it: files done plus the running one's part. */
export function eventPercent(p: ModelDownloadProgress): number {
  if (!p.files) return 0;
  const part = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  return (100 * (p.file_index + part)) / p.files;
}

/** The list with one download event applied: its model is downloading, at the event's percent. */
export function applyDownloadProgress(list: readonly ModelInfo[], p: ModelDownloadProgress): ModelInfo[] {
  if (!p?.model) return [...list];
  const percent = eventPercent(p);
  return list.map((m) => {
    if (m.name !== p.model || isAvailable(m)) return m;
    // A paused download's late events do not restart it.
    if (m.state === 'paused') return m;
    return { ...m, state: 'downloading', download_percent: Math.max(percent, m.state === 'downloading' ? (m.download_percent ?? 0) : 0), error: undefined };
  });
}

/** The models that were not here in prev and are in next (a download finished, an import). */
export function newlyAvailable(prev: readonly ModelInfo[], next: readonly ModelInfo[]): string[] {
  const before = new Map(prev.map((m) => [m.name, m]));
  return next.filter((m) => {
    const was = before.get(m.name);
    return was !== undefined && !isAvailable(was) && isAvailable(m);
  }).map((m) => m.name);
}

/** A model that has just arrived, offered to a collection that would gain from it. */
export interface SwitchOffer {
  model: ModelInfo;
  collection: Collection;
}

/** A dismissed offer's identity. */
export function offerKey(model: string, collectionId: string): string {
  return `${model}\u0000${collectionId}`;
}

/**
 * Whether to is stronger than from for a collection: a transformer reads
 * sentences, word vectors only average words. Rerankers never embed.
 */
export function isUpgrade(from: ModelInfo, to: ModelInfo): boolean {
  if (from.name === to.name || to.kind !== 'transformer' || to.bundled) return false;
  // Word vectors, or the small model bundled as a stand-in until a stronger one arrives.
  return from.kind === 'static' || !!from.bundled;
}

/** Ids of the collections a reindex is building anew (the list names them "… (reindexing to it)"). */
export function reindexingIds(models: readonly ModelInfo[]): Set<string> {
  const ids = new Set<string>();
  for (const m of models) for (const u of m.collections ?? []) if (/\(reindexing to it\)$/.test(u.name)) ids.add(u.id);
  return ids;
}

/**
 * The rule for offering a switch: a model that became available this
 * session (readied), that can run, and that is an upgrade over a
 * collection's current model (word vectors, or the bundled stand-in → a
 * transformer) is offered to
 * that collection, unless the collection is already being reindexed or the
 * offer was dismissed. When several arrived, the registry's default model
 * is offered first, then the most recent. One offer per collection.
 */
export function switchOffers(
  models: readonly ModelInfo[],
  collections: readonly Collection[],
  readied: readonly string[],
  dismissed: ReadonlySet<string> = new Set(),
): SwitchOffer[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const candidates = [...readied]
    .reverse()
    .map((n) => byName.get(n))
    .filter((m): m is ModelInfo => !!m && isAvailable(m) && !m.unavailable && m.kind !== 'reranker')
    .sort((a, b) => Number(b.default) - Number(a.default));
  if (candidates.length === 0) return [];
  const busy = reindexingIds(models);
  const out: SwitchOffer[] = [];
  for (const c of collections) {
    const current = byName.get(c.model);
    if (!current || busy.has(c.id)) continue;
    const m = candidates.find((x) => isUpgrade(current, x) && !dismissed.has(offerKey(x.name, c.id)));
    if (m) out.push({ model: m, collection: c });
  }
  return out;
}

/** The offer in one sentence: "BGE small (English) is ready. Switch ‘Notes’ to it?" */
export function offerText(o: SwitchOffer): string {
  return `${o.model.display_name} is ready. Switch ‘${o.collection.name}’ to it?`;
}
