// The latest progress of each collection's operation, fed by live events,
// by polling, and by the replies that queue operations. Each collection
// shows one operation: the running one, else the one that ended last.

import type { Progress } from './types';
import { isActive, isEnded } from './progress';

export type UpdateResult = 'updated' | 'ended' | 'ignored';

export class LiveOperations {
  /** By collection id. */
  byCollection: Record<string, Progress> = $state({});
  /** Operations whose end has been seen: later snapshots of them are stale. */
  #ended = new Set<string>();

  get(collectionId: string | null | undefined): Progress | undefined {
    return collectionId ? this.byCollection[collectionId] : undefined;
  }

  /** Whether any collection has a queued or running operation. */
  get anyActive(): boolean {
    return Object.values(this.byCollection).some((p) => isActive(p.status));
  }

  /**
   * Takes a snapshot. 'ended' the first time an operation is seen to end
   * (the caller refreshes what it changed); 'ignored' for a stale one.
   */
  update(p: Progress): UpdateResult {
    if (!p || !p.operation_id || !p.collection_id) return 'ignored';
    const id = p.operation_id;
    if (this.#ended.has(id)) return 'ignored';
    const cur = this.byCollection[p.collection_id];
    if (cur && cur.operation_id !== id) {
      // A queued operation does not hide the one that is running.
      if (p.status === 'pending' && isActive(cur.status)) return 'ignored';
    }
    if (cur && cur.operation_id === id && cur.status === 'processing') {
      // A late 'queued' reply, or an older snapshot (a polled record that
      // lags the event stream).
      if (p.status === 'pending') return 'ignored';
      if (p.status === 'processing' && p.elapsed_ms < cur.elapsed_ms) return 'ignored';
    }
    this.byCollection = { ...this.byCollection, [p.collection_id]: p };
    if (isEnded(p.status)) {
      this.#ended.add(id);
      return 'ended';
    }
    return 'updated';
  }

  /** Hides an ended operation's outcome. */
  dismiss(collectionId: string): void {
    const cur = this.byCollection[collectionId];
    if (!cur || isActive(cur.status)) return;
    const next = { ...this.byCollection };
    delete next[collectionId];
    this.byCollection = next;
  }

  /** Forgets a collection (deleted). */
  forget(collectionId: string): void {
    if (!(collectionId in this.byCollection)) return;
    const next = { ...this.byCollection };
    delete next[collectionId];
    this.byCollection = next;
  }
}
