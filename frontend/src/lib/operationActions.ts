// What the collection detail, its operations panel, its documents list
// and the reindex dialog ask of the server: rescan, pause, resume, cancel,
// retry, reindex. Each reports through the same callbacks, so the app
// shows the change at once and refreshes what it touched.

import { toApiError, type Api } from './api';
import type { Operation, Progress, ReindexPlan, ReindexRequest } from './types';
import { progressFromOperation } from './progress';

export interface OperationActionDeps {
  api: Api;
  /** Shows an operation's new state. */
  onProgress: (p: Progress) => void;
  /** Re-reads a collection's operations (and counts). */
  reload: (collectionId: string) => void;
  /** Re-reads one operation (it ended meanwhile). */
  check: (operationId: string) => Promise<void>;
  toasts: { error(e: unknown): unknown; info(message: string): unknown; success(message: string): unknown };
}

export interface OperationActionHandlers {
  /** Queues an operation that indexes what changed in all the collection's folders. */
  rescan(collectionId: string): Promise<void>;
  cancel(operationId: string): Promise<void>;
  pause(operationId: string): Promise<void>;
  resume(operationId: string): Promise<void>;
  /** Retries the collection's failed documents (all, or the given ids). */
  retry(collectionId: string, documentIds?: string[]): Promise<void>;
  /** What a reindex would do; rejects with the server's error. */
  planReindex(collectionId: string, req: ReindexRequest): Promise<ReindexPlan>;
  /** Queues a reindex and shows its operation; rejects with the server's error, for the dialog to show. */
  reindex(collectionId: string, req: ReindexRequest): Promise<void>;
}

export function operationActionHandlers(d: OperationActionDeps): OperationActionHandlers {
  const changed = (op: Operation) => {
    d.onProgress(progressFromOperation(op));
    d.reload(op.collection_id);
  };
  const act = async (operationId: string, fn: (id: string) => Promise<Operation>) => {
    try {
      changed(await fn(operationId));
    } catch (e) {
      // 'conflict': it ended or changed meanwhile; its record says how.
      if (toApiError(e).code === 'conflict') await d.check(operationId);
      else d.toasts.error(e);
    }
  };
  return {
    async rescan(collectionId) {
      try {
        changed(await d.api.rescanCollection(collectionId));
      } catch (e) {
        d.toasts.error(e);
      }
    },
    cancel: (id) => act(id, (x) => d.api.cancelOperation(x)),
    pause: (id) => act(id, (x) => d.api.pauseOperation(x)),
    resume: (id) => act(id, (x) => d.api.resumeOperation(x)),
    async retry(collectionId, documentIds) {
      try {
        changed(await d.api.retryDocuments(collectionId, documentIds?.length ? { document_ids: documentIds } : {}));
        d.toasts.success('Failed documents queued to be indexed again.');
      } catch (e) {
        if (toApiError(e).code === 'not_found') d.toasts.info('No failed documents to retry.');
        else d.toasts.error(e);
      }
    },
    planReindex: (collectionId, req) => d.api.planReindex(collectionId, req),
    async reindex(collectionId, req) {
      changed(await d.api.reindexCollection(collectionId, req));
      d.toasts.success('Reindex queued. Search keeps using the current index until the new one is complete.');
    },
  };
}
