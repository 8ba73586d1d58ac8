import { describe, expect, it } from 'vitest';
import { LiveOperations } from './live.svelte';
import { pendingProgress } from './progress';
import { progress } from '../test/fixtures';

describe('LiveOperations', () => {
  it('keeps the latest snapshot per collection and reports the end once', () => {
    const live = new LiveOperations();
    expect(live.update(progress({ files_done: 1, elapsed_ms: 100 }))).toBe('updated');
    expect(live.update(progress({ files_done: 5, elapsed_ms: 400 }))).toBe('updated');
    expect(live.get(progress().collection_id)?.files_done).toBe(5);
    expect(live.anyActive).toBe(true);
    expect(live.update(progress({ status: 'completed', elapsed_ms: 900 }))).toBe('ended');
    expect(live.anyActive).toBe(false);
    // The same end again (a poll, the record) and late snapshots change nothing.
    expect(live.update(progress({ status: 'completed' }))).toBe('ignored');
    expect(live.update(progress({ status: 'processing', elapsed_ms: 950 }))).toBe('ignored');
    expect(live.get(progress().collection_id)?.status).toBe('completed');
  });

  it('ignores older snapshots of a running operation', () => {
    const live = new LiveOperations();
    live.update(progress({ files_done: 9, elapsed_ms: 2000 }));
    expect(live.update(progress({ files_done: 3, elapsed_ms: 800 }))).toBe('ignored');
    expect(live.update(pendingProgress('op-1', progress().collection_id, 'index'))).toBe('ignored');
    expect(live.get(progress().collection_id)?.files_done).toBe(9);
  });

  it('does not let a queued operation hide the running one', () => {
    const live = new LiveOperations();
    const cid = progress().collection_id;
    live.update(progress({ operation_id: 'a' }));
    expect(live.update(pendingProgress('b', cid, 'append'))).toBe('ignored');
    expect(live.get(cid)?.operation_id).toBe('a');
    live.update(progress({ operation_id: 'a', status: 'completed' }));
    // Once the first has ended, the next one shows.
    expect(live.update(progress({ operation_id: 'b', type: 'append' }))).toBe('updated');
    expect(live.get(cid)?.operation_id).toBe('b');
  });

  it('dismisses an ended operation, not a running one', () => {
    const live = new LiveOperations();
    const cid = progress().collection_id;
    live.update(progress());
    live.dismiss(cid);
    expect(live.get(cid)).toBeDefined();
    live.update(progress({ status: 'failed', error: 'boom' }));
    live.dismiss(cid);
    expect(live.get(cid)).toBeUndefined();
  });

  it('rejects snapshots without ids', () => {
    const live = new LiveOperations();
    expect(live.update(progress({ operation_id: '' }))).toBe('ignored');
    live.update(progress({ collection_id: 'x' }));
    live.forget('x');
    expect(live.get('x')).toBeUndefined();
  });
});
