// End-to-end: a collection is reindexed from the browser UI while it is
// being searched. The dialog plans each change (a precision change says no
// model runs), Reindex queues the operation, the activity list shows it,
// and searches in keyword and semantic mode keep answering, never with an
// error or an empty page, until the collection has its new precision and
// then its new chunk size.
//
//   QUARRY_BIN=../build/bin/quarry node --test e2e/reindex.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { apiClient, closeSession, makeWorkDir, openSession, pollUntil, REQUIRE_ALL, screenshot as shoot, SHARED, withModel } from './lib.mjs';

const STATIC_MODEL = 'glove-6b-100d';
const GLOVE_DIR = path.join(SHARED, 'models', 'glove-6b-100d-top100k');
/** Where the dialog's picture goes, besides $QUARRY_E2E_OUT. */
const DIALOG_SHOT = process.env.QUARRY_REINDEX_SHOT || '/tmp/reindex-dialog.png';
const QUERY = 'lighthouse storm';

withModel('reindex e2e', suite);

function suite() {
  describe('Reindexing from the UI while searching', { skip: existsSync(GLOVE_DIR) || REQUIRE_ALL ? false : `GloVe is missing: ${GLOVE_DIR}` }, () => {
    let tmp;
    let docs;
    let app;
    let context;
    let page;
    let id;
    const pageErrors = [];

    const api = apiClient(() => app.url);
    const until = (what, fn, ms = 120_000) => pollUntil(what, fn, ms);
    const operations = async () => (await api('GET', `/collections/${id}/operations`)).body ?? [];
    const settled = () =>
      until('operations settled', async () => {
        const ops = await operations();
        return ops.every((o) => !['pending', 'processing'].includes(o.status)) && ops;
      });

    /**
     * Searches over and over, alternating keyword and semantic mode, until
     * stopped; counts every answer that is an error or an empty page.
     */
    function searchLoop() {
      const stats = { keyword: 0, semantic: 0, errors: [], empty: [], warnings: [] };
      let running = true;
      const done = (async () => {
        for (let i = 0; running; i++) {
          const mode = i % 2 ? 'semantic' : 'keyword';
          try {
            const r = await api('POST', '/search', { query: QUERY, mode, filters: {} });
            stats[mode]++;
            if (r.status !== 200) stats.errors.push(`${mode} #${i}: ${r.status} ${JSON.stringify(r.body)}`);
            else if (!r.body.results?.length) stats.empty.push(`${mode} #${i}`);
            else if (r.body.warnings?.length) stats.warnings.push(`${mode} #${i}: ${r.body.warnings.join(' ')}`);
          } catch (err) {
            stats.errors.push(`${mode} #${i}: ${err}`);
          }
          await new Promise((r) => setTimeout(r, 40));
        }
      })();
      return {
        stats,
        async stop() {
          running = false;
          await done;
          return stats;
        },
      };
    }

    /** Opens the dialog from the header and waits for its first answer. */
    async function openDialog() {
      await page.getByRole('button', { name: 'Change model or precision…', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Change model or precision' });
      await dialog.waitFor();
      // The first field has the focus.
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'ri-model');
      // Unchanged, the server says there is nothing to change, and Reindex waits.
      await dialog.getByTestId('reindex-plan-error').waitFor();
      assert.match(await dialog.getByTestId('reindex-plan-error').textContent(), /^Nothing to change/);
      assert.equal(await dialog.getByTestId('reindex-confirm').isDisabled(), true);
      return dialog;
    }

    /** Confirms, and waits for the new reindex operation to complete. */
    async function confirmAndWait(dialog, before) {
      await dialog.getByTestId('reindex-confirm').click();
      await dialog.waitFor({ state: 'detached' });
      const op = await until('the reindex operation is listed', async () =>
        (await operations()).find((o) => o.type === 'reindex' && !before.has(o.id)),
      );
      // The activity list shows it.
      await page.getByTestId('operation-item').filter({ hasText: 'Reindex' }).first().waitFor();
      const end = await until('the reindex completes', async () => {
        const o = (await api('GET', `/operations/${op.id}`)).body;
        return !['pending', 'processing'].includes(o.status) && o;
      });
      assert.equal(end.status, 'completed', `reindex ${end.status}: ${end.error}`);
      // The activity list follows: the newest operation is this one, completed.
      await page.locator('[data-testid="operation-item"]:first-child[data-status="completed"]', { hasText: 'Reindex' }).waitFor();
      return end;
    }

    before(async () => {
      const work = await makeWorkDir('quarry-e2e-reindex-');
      tmp = work.tmp;
      docs = path.join(tmp, 'notes');
      await mkdir(docs, { mode: 0o755 });
      const storm = 'The lighthouse keeper logged every storm that crossed the northern sea, and the beam turned all night. ';
      for (let i = 0; i < 8; i++) await writeFile(path.join(docs, `lighthouse-${i}.txt`), storm.repeat(6 + i) + `Entry ${i}.\n`);
      const orchard = 'The apple harvest in the orchard came early, and the cider press ran from dawn to dusk. ';
      for (let i = 0; i < 24; i++) await writeFile(path.join(docs, `orchard-${i}.txt`), orchard.repeat(4 + (i % 5)) + `Note ${i}.\n`);
      await chmod(docs, 0o755);
      ({ app, context, page } = await openSession(tmp, work.dataDir, pageErrors, 30_000));
    });

    after(() => closeSession({ app, context }, tmp));

    test('precision, then chunk size, with searches answering throughout', async (t) => {
      await t.test('a GloVe collection is indexed and embedded', async () => {
        const m = await api('POST', '/models/import', { model: STATIC_MODEL, paths: [GLOVE_DIR] });
        assert.equal(m.status, 200, JSON.stringify(m.body));
        const c = await api('POST', '/collections', { name: 'Notes', model: STATIC_MODEL });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        id = c.body.id;
        assert.equal(c.body.quantization, 'float32');
        const s = await api('POST', `/collections/${id}/sources`, { path: docs });
        assert.equal(s.status, 201, JSON.stringify(s.body));
        const ops = await settled();
        assert.equal(ops[0].status, 'completed', `index: ${ops[0].status} ${ops[0].error}`);
        await until('embedded', async () => {
          const got = (await api('GET', `/collections/${id}`)).body;
          return got.readiness.semantic === 'ready' && got.readiness.embedded_chunks === got.readiness.chunks && got.document_count === 32;
        });
      });

      const loop = searchLoop();
      try {
        await t.test('int8 from the dialog: the plan says no model runs', async () => {
          await page.goto(app.url);
          await page.getByTestId('collection-detail').waitFor();
          const dialog = await openDialog();
          await dialog.getByTestId('reindex-quantization-int8').check();
          const summary = dialog.getByTestId('reindex-summary');
          await summary.waitFor();
          await page.waitForFunction(
            () => !document.querySelector('[data-testid="reindex-plan"]')?.getAttribute('data-status')?.match(/loading/),
          );
          const text = await summary.textContent();
          assert.match(text, /no model runs/);
          assert.match(text, /as int8/);
          assert.equal(await dialog.getByTestId('reindex-confirm').isDisabled(), false);
          await page.screenshot({ path: DIALOG_SHOT, animations: 'disabled' });
          await shoot(page, 'reindex-dialog.png');
          const before = new Set((await operations()).map((o) => o.id));
          await confirmAndWait(dialog, before);
          const got = (await api('GET', `/collections/${id}`)).body;
          assert.equal(got.quantization, 'int8');
          assert.equal(got.chunk_size, 200);
          // The page shows the new precision once the operation ends.
          await page.getByTestId('collection-detail').getByText('int8', { exact: true }).first().waitFor();
        });

        await t.test('a smaller chunk size from the dialog: the text is cut anew', async () => {
          const dialog = await openDialog();
          // The form starts from the collection's new settings.
          assert.equal(await dialog.getByTestId('reindex-quantization-int8').isChecked(), true);
          await dialog.getByLabel(/Chunk size/).fill('64');
          await page.waitForFunction(
            () => document.querySelector('[data-testid="reindex-plan"]')?.getAttribute('data-status') === 'ready',
          );
          const text = await dialog.getByTestId('reindex-summary').textContent();
          assert.match(text, /chunks of 64 tokens/);
          const before = new Set((await operations()).map((o) => o.id));
          await confirmAndWait(dialog, before);
          const got = (await api('GET', `/collections/${id}`)).body;
          assert.equal(got.chunk_size, 64);
          assert.equal(got.quantization, 'int8');
          assert.equal(got.readiness.semantic, 'ready');
          await page.getByTestId('collection-detail').getByText('64 tokens', { exact: false }).first().waitFor();
          await shoot(page, 'reindex-done.png');
        });
      } finally {
        const stats = await loop.stop();
        t.diagnostic(
          `searches: ${stats.keyword} keyword, ${stats.semantic} semantic; ${stats.errors.length} errors, ${stats.empty.length} empty, ${stats.warnings.length} with warnings`,
        );
        if (stats.warnings.length) t.diagnostic(`first warning: ${stats.warnings[0]}`);
        assert.deepEqual(stats.errors, [], 'no search failed');
        assert.deepEqual(stats.empty, [], 'no search came back empty');
        assert.ok(stats.keyword >= 5 && stats.semantic >= 5, `searched throughout: ${stats.keyword} keyword, ${stats.semantic} semantic`);
      }
    });

    test('the page raised no errors', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
