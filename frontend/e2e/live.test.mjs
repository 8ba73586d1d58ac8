// End-to-end: a collection whose model is missing (no network, nothing
// imported) is still indexed as text and found by keyword; the header says
// semantic search waits for the model; importing the model embeds the text
// with no further action; an operation is paused and resumed from the
// operations panel; deleting the collection is an operation that hides it
// at once.
//
//   QUARRY_BIN=../build/bin/quarry npm run e2e

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { apiClient, closeSession, makeWorkDir, openSession, pollUntil, screenshot as shoot, SHARED, withModel } from './lib.mjs';

withModel('live collections e2e', suite);

const STATIC_MODEL = 'glove-6b-100d';
const GLOVE_DIR = path.join(SHARED, 'models', 'glove-6b-100d-top100k');

function suite() {
  describe('Collections that are searchable before they are embedded', () => {
    let tmp;
    let docs;
    let app;
    let context;
    let page;
    let id;
    const pageErrors = [];

    const api = apiClient(() => app.url);
    const until = (what, fn, ms = 60_000) => pollUntil(what, fn, ms);
    const settled = () =>
      until('operations settled', async () => {
        const ops = (await api('GET', `/collections/${id}/operations`)).body ?? [];
        return ops.every((o) => !['pending', 'processing'].includes(o.status)) && ops;
      });

    before(async () => {
      const work = await makeWorkDir('quarry-e2e-live-');
      tmp = work.tmp;
      docs = path.join(tmp, 'notes');
      await mkdir(docs, { mode: 0o755 });
      await writeFile(path.join(docs, 'lighthouse.txt'), 'The lighthouse keeper logged every storm that crossed the northern sea.\n');
      for (let i = 0; i < 6; i++) await writeFile(path.join(docs, `orchard-${i}.txt`), `Note ${i} on the apple harvest in the orchard.\n`);
      await chmod(docs, 0o755);
      ({ app, context, page } = await openSession(tmp, work.dataDir, pageErrors, 30_000));
    });

    after(() => closeSession({ app, context }, tmp));

    test('text first, vectors when the model arrives', async (t) => {
      await t.test('a collection without its model indexes its text', async () => {
        const c = await api('POST', '/collections', { name: 'Notes', model: STATIC_MODEL });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        id = c.body.id;
        const s = await api('POST', `/collections/${id}/sources`, { path: docs });
        assert.equal(s.status, 201, JSON.stringify(s.body));
        const ops = await settled();
        assert.equal(ops[0].status, 'completed', `index without the model: ${ops[0].status} ${ops[0].error}`);
        const got = (await api('GET', `/collections/${id}`)).body;
        assert.equal(got.document_count, 7);
        assert.equal(got.readiness.keyword, 'ready');
        assert.equal(got.readiness.semantic, 'waiting');
      });

      await t.test('the header says keyword search is ready and semantic waits', async () => {
        await page.goto(app.url);
        const line = page.getByTestId('readiness');
        await line.waitFor();
        const text = await line.textContent();
        assert.match(text, /keyword search ready/);
        assert.match(text, /GloVe/);
        await shoot(page, 'live-waiting-for-model.png');
      });

      await t.test('hybrid search finds it by keyword and says what it left out', async () => {
        const r = await api('POST', '/search', { query: 'lighthouse storm', mode: 'semantic', filters: {} });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.body.warnings?.length, 'a warning names the collection searched by keyword');
        await page.keyboard.press('Control+K');
        await page.getByTestId('search-input').pressSequentially('lighthouse', { delay: 20 });
        await page.getByTestId('search-result').first().waitFor();
        const names = (await page.getByTestId('result-name').allTextContents()).map((x) => x.trim());
        assert.equal(names[0], 'lighthouse.txt');
        const warning = await page.getByTestId('search-warning').first().textContent();
        assert.match(warning, /Notes was searched by keyword only/);
        await shoot(page, 'live-search-keyword-fallback.png');
        await page.keyboard.press('Escape');
      });

      await t.test('a folder that is not the model is refused with what is missing', async () => {
        const r = await api('POST', '/models/import', { model: STATIC_MODEL, paths: [docs] });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.match(r.body.error.message, /words\.txt/);
      });

      await t.test('importing the model embeds the waiting text by itself', async () => {
        const r = await api('POST', '/models/import', { model: STATIC_MODEL, paths: [GLOVE_DIR] });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        await until('embedded', async () => {
          const got = (await api('GET', `/collections/${id}`)).body;
          return got.readiness.semantic === 'ready' && got.readiness.embedded_chunks === got.readiness.chunks;
        });
        const s = await api('POST', '/search', { query: 'lighthouse storm', mode: 'semantic', filters: {} });
        assert.equal(s.status, 200);
        assert.equal(s.body.warnings?.length ?? 0, 0, JSON.stringify(s.body.warnings));
        assert.equal(s.body.results[0]?.file_name, 'lighthouse.txt');
      });
    });

    test('pause and resume from the operations panel', async () => {
      await settled();
      // A rescan with work to do, paused at once, holds until resumed.
      for (let i = 0; i < 400; i++) await writeFile(path.join(docs, `more-${i}.txt`), `Extra note ${i} about pears and plums.\n`);
      const op = (await api('POST', `/collections/${id}/rescan`, {})).body;
      const paused = await api('POST', `/operations/${op.id}/pause`, {});
      if (paused.status === 409) return; // it finished first: nothing to pause
      assert.equal(paused.status, 200, JSON.stringify(paused.body));
      // A running operation stops at its next progress save; one in its
      // last moments may finish first, and then there is nothing to resume.
      // Wait until the run has stopped (or never started): only then is
      // "paused" final.
      const stopped = (o) =>
        o.status === 'completed' || (o.status === 'paused' && (!o.started_at || o.progress?.status === 'paused'));
      const last = await until('paused or finished', async () => {
        const o = (await api('GET', `/operations/${op.id}`)).body;
        return stopped(o) && o;
      });
      if (last.status === 'completed') return;
      await page.reload();
      const item = page.getByTestId('operation-item').filter({ has: page.getByTestId('operation-resume') });
      await item.waitFor();
      assert.equal(await item.getByTestId('operation-status').textContent(), 'Paused');
      await shoot(page, 'live-paused.png');
      await item.getByTestId('operation-resume').click();
      await until('resumed', async () => (await api('GET', `/operations/${op.id}`)).body.status === 'completed', 120_000);
      assert.equal((await api('GET', `/collections/${id}`)).body.document_count, 407);
    });

    test('deleting is an operation; the collection leaves at once', async () => {
      await page.getByRole('button', { name: 'Delete…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete collection' }).click();
      await until('gone from the list', async () => ((await api('GET', '/collections')).body ?? []).length === 0);
      assert.equal((await api('GET', `/collections/${id}`)).status, 404);
      await page.getByTestId('collection-detail').waitFor({ state: 'detached' });
    });

    test('the page raised no errors', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
