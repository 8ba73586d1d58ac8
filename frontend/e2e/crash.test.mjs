// End-to-end crash safety: the real app binary is killed with SIGKILL at
// several points of an index, a reindex and a delete, and started again.
// Each time the operation resumes (or is re-queued) and ends as a clean
// run would: the same documents and chunks as a collection indexed
// without a crash, PostgreSQL's chunks equal to the points the vector
// engine itself counts, and no staging or orphaned vector collection left.
// A kill during a burst of changes to a watched folder loses none of them:
// after the restart the collection holds every file on disk.
//
//   QUARRY_BIN=../build/bin/quarry node --test e2e/crash.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { apiClient, importTestModel, makeWorkDir, MODEL, pollUntil, runBin, SHARED, startApp, withModel } from './lib.mjs';

withModel('crash safety e2e', suite);

const STATIC_MODEL = 'glove-6b-100d';
const GLOVE_DIR = path.join(SHARED, 'models', 'glove-6b-100d-top100k');
const FILES = 1200;
/** The watched burst: how many files, and when the app is killed after it starts. */
const BURST = 300;
const KILL_AFTER_MS = 300;
const WORDS = ['harbour', 'lantern', 'orchard', 'granite', 'meadow', 'ledger', 'compass', 'thistle', 'furnace', 'glacier', 'saffron', 'quarry'];

function suite() {
  describe('SIGKILL during index, reindex and delete', () => {
    let tmp;
    let dataDir;
    let docs;
    let app;

    const api = apiClient(() => app.url);
    const until = (what, fn, ms = 240_000, every = 100) => pollUntil(what, fn, ms, every);
    const settled = (id) =>
      until(`operations of ${id} settled`, async () => {
        const ops = (await api('GET', `/collections/${id}/operations`)).body ?? [];
        return ops.length > 0 && ops.every((o) => !['pending', 'processing', 'paused'].includes(o.status)) && ops;
      });
    /** Kills the app without warning and starts it again on the same data. */
    const crash = async () => {
      app.child.kill('SIGKILL');
      await new Promise((r) => app.child.once('exit', r));
      app = await startApp(dataDir);
    };
    /**
     * Waits until an operation is under way: processing, and with key set
     * until it has done some of that work (progress is saved every second).
     * Indexing small files takes well under a second, so the index step
     * kills it as soon as it runs.
     */
    const midway = (opID, key) =>
      until(`operation ${opID} under way`, async () => {
        const op = (await api('GET', `/operations/${opID}`)).body;
        assert.ok(!['completed', 'failed', 'cancelled'].includes(op?.status), `operation ${opID} ended (${op?.status}) before it could be killed`);
        return op?.status === 'processing' && (!key || (op.progress?.[key] ?? 0) > 0);
      }, 120_000, 5);
    const integrity = async () => (await api('GET', '/integrity')).body;
    const counts = async (id) => {
      const c = (await api('GET', `/collections/${id}`)).body;
      return { documents: c.document_count, chunks: c.readiness.chunks, embedded: c.readiness.embedded_chunks };
    };
    const sound = (what) =>
      until(`${what}: PostgreSQL and the vector engine agree`, async () => {
        const i = await integrity();
        return i.consistent && !i.collections.some((c) => c.loading || c.staging) && i;
      }, 60_000, 250);

    before(async () => {
      const work = await makeWorkDir('quarry-e2e-crash-');
      tmp = work.tmp;
      dataDir = work.dataDir;
      docs = path.join(tmp, 'archive');
      await mkdir(docs, { mode: 0o755 });
      for (let i = 0; i < FILES; i++) {
        const words = Array.from({ length: 40 }, (_, w) => WORDS[(i * 7 + w * w + w) % WORDS.length]);
        await writeFile(path.join(docs, `note-${String(i).padStart(4, '0')}.txt`), `Note ${i}. ${words.join(' ')}.\n`);
      }
      await chmod(docs, 0o755);
      await importTestModel(dataDir);
      await runBin(['import-model', '-model', STATIC_MODEL, '-data-dir', dataDir, GLOVE_DIR]);
      app = await startApp(dataDir);
    });

    after(async () => {
      await app?.stop();
      await rm(tmp, { recursive: true, force: true });
    });

    test('every operation survives SIGKILL', async (t) => {
      let crashed;
      let clean;

      await t.test('index: killed mid-way, resumed, equal to a clean run', async () => {
        crashed = (await api('POST', '/collections', { name: 'Crashed', model: STATIC_MODEL })).body.id;
        await api('POST', `/collections/${crashed}/sources`, { path: docs });
        const op = (await api('GET', `/collections/${crashed}/operations`)).body[0];
        await midway(op.id);
        await crash();
        const ops = await settled(crashed);
        assert.ok(ops.every((o) => o.status === 'completed'), JSON.stringify(ops.map((o) => [o.type, o.status, o.error])));

        clean = (await api('POST', '/collections', { name: 'Clean', model: STATIC_MODEL })).body.id;
        await api('POST', `/collections/${clean}/sources`, { path: docs });
        await settled(clean);
        const [a, b] = [await counts(crashed), await counts(clean)];
        assert.deepEqual(a, b, 'crashed and clean runs hold the same documents and chunks');
        assert.equal(a.documents, FILES);
        assert.equal(a.embedded, a.chunks);
        await sound('after the index crash');
      });

      await t.test('reindex: killed before and during, resumed, one build left', async () => {
        const queued = await api('POST', `/collections/${crashed}/reindex`, { model: MODEL });
        assert.equal(queued.status, 202, JSON.stringify(queued.body));
        await crash(); // before it staged anything
        await midway(queued.body.id, 'embedded');
        await crash(); // while it stages
        const done = await until('reindex finished', async () => {
          const op = (await api('GET', `/operations/${queued.body.id}`)).body;
          return ['completed', 'failed', 'cancelled'].includes(op.status) && op;
        });
        assert.equal(done.status, 'completed', done.error);

        const ref = await api('POST', `/collections/${clean}/reindex`, { model: MODEL });
        assert.equal(ref.status, 202, JSON.stringify(ref.body));
        await settled(clean);
        const [a, b] = [await counts(crashed), await counts(clean)];
        assert.deepEqual(a, b, 'crashed and clean reindexes hold the same chunks');
        const got = (await api('GET', `/collections/${crashed}`)).body;
        assert.equal(got.model, MODEL);
        const i = await sound('after the reindex crashes');
        for (const c of i.collections) assert.deepEqual(c.builds, [c.build], `${c.name}: only the live build is left`);
      });

      await t.test('delete: killed right after it is asked for, finished at the next start', async () => {
        const del = await api('DELETE', `/collections/${crashed}`);
        assert.equal(del.status, 202, JSON.stringify(del.body));
        await crash();
        await until('the deleted collection gone everywhere', async () => {
          const list = (await api('GET', '/collections')).body;
          const i = await integrity();
          return !list.some((c) => c.id === crashed) && i.orphans.length === 0 && i.consistent;
        }, 60_000, 250);
        assert.equal((await api('GET', `/collections/${crashed}`)).status, 404);
        const i = await sound('after the delete crash');
        assert.deepEqual(i.collections.map((c) => c.id), [clean]);
      });
    });

    test('kill -9 during a burst of watched changes', async (t) => {
      const dir = path.join(tmp, 'burst');
      let id;
      /** Writes BURST small files named prefix-NNN.txt, in tens with short pauses; counts them in progress.written. */
      const burst = async (prefix, progress) => {
        for (let i = 0; i < BURST; i++) {
          await writeFile(path.join(dir, `${prefix}-${String(i).padStart(3, '0')}.txt`), `${prefix} note ${i}: ${WORDS[i % WORDS.length]} and ${WORDS[(i * 5 + 3) % WORDS.length]}.\n`);
          progress.written++;
          if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20));
        }
      };
      const kill = async () => {
        const exited = new Promise((r) => app.child.once('exit', r));
        app.child.kill('SIGKILL');
        await exited;
      };
      /** Restarts the app and checks that the collection holds every file on disk, soundly. */
      const restartAndCheck = async (what) => {
        const restarted = Date.now();
        app = await startApp(dataDir);
        const onDisk = (await readdir(dir)).filter((n) => n.endsWith('.txt')).length;
        // At start the watch catches up with what changed while Quarry was
        // down: wait for an operation to end after the restart, then for all.
        const ops = await until(`${what}: operations settled after the restart`, async () => {
          const list = (await api('GET', `/collections/${id}/operations`)).body ?? [];
          const idle = list.every((o) => !['pending', 'processing', 'paused'].includes(o.status));
          const ranSince = list.some((o) => o.completed_at && Date.parse(o.completed_at) >= restarted);
          return idle && ranSince && list;
        });
        t.diagnostic(`${what}: operations ${JSON.stringify(ops.map((o) => [o.type, o.status, o.config?.reason ?? '', o.progress?.files_done ?? 0]))}`);
        assert.ok(ops.every((o) => o.status === 'completed'), JSON.stringify(ops.map((o) => [o.type, o.status, o.error])));
        const c = await counts(id);
        assert.equal(c.documents, onDisk, `${what}: the collection holds every file on disk (${onDisk}): ${JSON.stringify(c)}`);
        assert.equal(c.embedded, c.chunks);
        const i = await sound(what);
        assert.ok(i.collections.some((x) => x.id === id), 'the integrity report covers the collection');
        return onDisk;
      };

      await t.test('a watched folder is indexed and idle', async () => {
        await mkdir(dir, { mode: 0o755 });
        for (let i = 0; i < 3; i++) await writeFile(path.join(dir, `seed-${i}.txt`), `Seed note ${i} about the ${WORDS[i]}.\n`);
        await chmod(dir, 0o755);
        const made = await api('POST', '/collections', { name: 'Burst', model: STATIC_MODEL });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        id = made.body.id;
        const added = await api('POST', `/collections/${id}/sources`, { path: dir });
        assert.equal(added.status, 201, JSON.stringify(added.body));
        assert.equal(added.body.watch, true, 'a folder is watched by default');
        await settled(id);
        await until('the folder is watched', async () => (await api('GET', `/collections/${id}/sources`)).body?.[0]?.watch_state === 'watching', 30_000, 100);
        assert.equal((await counts(id)).documents, 3);
      });

      await t.test(`killed ${KILL_AFTER_MS} ms into a burst of ${BURST} files`, async () => {
        const progress = { written: 0 };
        let atKill = 0;
        const killed = new Promise((r) => setTimeout(r, KILL_AFTER_MS)).then(() => ((atKill = progress.written), kill()));
        const t0 = Date.now();
        await burst('burst', progress);
        const wroteMs = Date.now() - t0;
        await killed;
        t.diagnostic(`wrote ${BURST} files in ${wroteMs} ms; SIGKILL after ${KILL_AFTER_MS} ms, with ${atKill} of them written`);
        assert.equal(await restartAndCheck('after the burst crash'), BURST + 3);
      });

      await t.test('killed once the watch has queued its own work for a burst', async () => {
        const known = new Set(((await api('GET', `/collections/${id}/operations`)).body ?? []).map((o) => o.id));
        const progress = { written: 0 };
        const writing = burst('again', progress);
        const op = await until('the watch queued the burst', async () => {
          const list = (await api('GET', `/collections/${id}/operations`)).body ?? [];
          return list.find((o) => !known.has(o.id) && o.type === 'append');
        }, 30_000, 10);
        await kill();
        t.diagnostic(`SIGKILL with ${progress.written} files written, the watch's ${op.type} ${op.status} (${op.config?.reason ?? ''}, ${op.progress?.files_done ?? 0} done)`);
        await writing;
        assert.equal(await restartAndCheck('after the second burst crash'), 2 * BURST + 3);
      });
    });
  });
}
