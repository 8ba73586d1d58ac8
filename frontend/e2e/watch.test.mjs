// End-to-end: a folder is watched once it is added. A file written into
// it on disk is found by a keyword search in the UI without a rescan; a
// file deleted from it leaves search by itself. The folder's row says
// "Watching"; its switch turns watching off ("Watching off", and the API
// says watch=false), after which changes wait for a rescan; turning it on
// again catches up with them.
//
//   QUARRY_BIN=../build/bin/quarry node --test --test-reporter=spec e2e/watch.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, unlinkSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  apiClient,
  closeSession,
  makeWorkDir,
  openSession,
  pollUntil,
  RESULTS_DIR,
  runBin,
  screenshot as shoot,
  SHARED,
  withModel,
} from './lib.mjs';

withModel('watched folders e2e', suite);

const STATIC_MODEL = 'glove-6b-100d';
const GLOVE_DIR = path.join(SHARED, 'models', 'glove-6b-100d-top100k');
/** How long a change on disk may take to reach search. */
const WATCH_MS = 10_000;
/** Words no other note has. */
const NEW_WORD = 'quillfeather';
const OFF_WORD = 'brambleworth';

function suite() {
  describe('Watched folders', () => {
    let tmp;
    let docs;
    let app;
    let context;
    let page;
    let id;
    const pageErrors = [];

    const api = apiClient(() => app.url);
    const until = (what, fn, ms = 60_000, every = 250) => pollUntil(what, fn, ms, every);
    const settled = () =>
      until('operations settled', async () => {
        const ops = (await api('GET', `/collections/${id}/operations`)).body ?? [];
        return ops.length > 0 && ops.every((o) => !['pending', 'processing', 'paused'].includes(o.status)) && ops;
      }, 120_000);
    const sources = async () => (await api('GET', `/collections/${id}/sources`)).body ?? [];
    const apiFinds = async (word) => {
      const r = await api('POST', '/search', { query: word, mode: 'keyword', filters: {} });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body.results ?? []).map((x) => x.file_name);
    };
    const screenshot = (name) => shoot(page, name, { dir: RESULTS_DIR });

    const input = () => page.getByTestId('search-input');
    /**
     * Searches for word again (Enter) until want(the result names the UI
     * shows) or WATCH_MS; resolves with the time it took.
     */
    async function uiSearchUntil(what, word, want) {
      const t0 = Date.now();
      let names = [];
      const notes = [];
      await until(
        what,
        async () => {
          await input().press('Enter');
          try {
            await page.getByTestId('search-status').filter({ hasText: `“${word}”` }).waitFor({ timeout: 5000 });
            await page.locator('.updating').waitFor({ state: 'detached', timeout: 5000 });
          } catch (e) {
            const status = await page.getByTestId('search-results').textContent().catch(() => '?');
            notes.push(`${Date.now() - t0} ms: ${e.message.split('\n')[0]}; the results said ${JSON.stringify(status?.slice(0, 200))}`);
            return false;
          }
          names = (await page.getByTestId('result-name').allTextContents()).map((s) => s.trim());
          return want(names);
        },
        WATCH_MS,
        500,
      ).catch(async (e) => {
        const ops = ((await api('GET', `/collections/${id}/operations`)).body ?? []).map((o) => [o.type, o.status, o.config?.reason, o.created_at, o.completed_at]);
        throw new Error(
          `${e.message}; the UI showed ${JSON.stringify(names)}; the API finds ${JSON.stringify(await apiFinds(word))};\n` +
            `${notes.join('\n')}\noperations: ${JSON.stringify(ops)}\napp log tail:\n${app.tail()}`,
        );
      });
      return Date.now() - t0;
    }

    before(async () => {
      const work = await makeWorkDir('quarry-e2e-watch-');
      tmp = work.tmp;
      docs = path.join(tmp, 'notes');
      await mkdir(docs, { mode: 0o755 });
      await writeFile(path.join(docs, 'lighthouse.txt'), 'The lighthouse keeper logged every storm that crossed the northern sea.\n');
      await writeFile(path.join(docs, 'orchard.txt'), 'Notes on the apple harvest in the orchard, row by row.\n');
      await chmod(docs, 0o755);
      await runBin(['import-model', '-model', STATIC_MODEL, '-data-dir', work.dataDir, GLOVE_DIR]);
      ({ app, context, page } = await openSession(tmp, work.dataDir, pageErrors, 30_000));
    });

    after(() => closeSession({ app, context }, tmp));

    test('changes on disk reach search by themselves; the switch turns that off', async (t) => {
      await t.test('a folder is added and indexed', async () => {
        const c = await api('POST', '/collections', { name: 'Notes', model: STATIC_MODEL });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        id = c.body.id;
        const s = await api('POST', `/collections/${id}/sources`, { path: docs });
        assert.equal(s.status, 201, JSON.stringify(s.body));
        assert.equal(s.body.watch, true, 'a folder is watched by default');
        const ops = await settled();
        assert.ok(ops.every((o) => o.status === 'completed'), JSON.stringify(ops.map((o) => [o.type, o.status, o.error])));
        assert.equal((await api('GET', `/collections/${id}`)).body.document_count, 2);
      });

      await t.test('the folder shows it is watched', async () => {
        await page.goto(app.url);
        await page.getByTestId('collection-detail').waitFor();
        const row = page.getByTestId('source-item');
        await row.getByTestId('watch-state').filter({ hasText: /^Watching$/ }).waitFor();
        assert.equal(await row.getAttribute('data-watch-state'), 'watching');
        assert.equal(await row.getByRole('switch', { name: 'Watch for changes' }).isChecked(), true);
        await screenshot('watch.png');
      });

      await t.test('a new file is found by keyword without a rescan', async () => {
        assert.deepEqual(await apiFinds(NEW_WORD), [], 'nothing has the word yet');
        await page.keyboard.press('Control+K');
        await input().pressSequentially(NEW_WORD, { delay: 10 });
        await page.getByTestId('search-mode-keyword').click();
        await page
          .getByTestId('search-empty')
          .waitFor({ timeout: 10_000 })
          .catch(async (e) => {
            const shown = await page.getByTestId('search-results').textContent().catch(() => '?');
            throw new Error(`${e.message.split('\n')[0]}: before the write the UI said ${JSON.stringify(shown?.slice(0, 300))}\napp log tail:\n${app.tail()}`);
          });

        writeFileSync(path.join(docs, 'fresh.txt'), `A note written while Quarry watched: ${NEW_WORD} grows by the river.\n`);
        const took = await uiSearchUntil(`the UI finds fresh.txt within ${WATCH_MS / 1000} s`, NEW_WORD, (n) => n.includes('fresh.txt'));
        t.diagnostic(`found ${took} ms after the write`);
        await until('three documents', async () => (await api('GET', `/collections/${id}`)).body.document_count === 3);
      });

      await t.test('a deleted file leaves search by itself', async () => {
        unlinkSync(path.join(docs, 'fresh.txt'));
        const took = await uiSearchUntil(`fresh.txt leaves the UI's results within ${WATCH_MS / 1000} s`, NEW_WORD, (n) => !n.includes('fresh.txt'));
        t.diagnostic(`gone ${took} ms after the delete`);
        await page.getByTestId('search-empty').waitFor();
        assert.deepEqual(await apiFinds(NEW_WORD), []);
        await until('two documents', async () => (await api('GET', `/collections/${id}`)).body.document_count === 2);
      });

      await t.test('the switch turns watching off', async () => {
        await input().press('Escape');
        await page.getByTestId('collection-detail').waitFor();
        const row = page.getByTestId('source-item');
        const sw = row.getByRole('switch', { name: 'Watch for changes' });
        await sw.click();
        await row.getByTestId('watch-state').filter({ hasText: 'Watching off' }).waitFor();
        assert.equal(await row.getAttribute('data-watch-state'), 'paused');
        assert.equal(await sw.isChecked(), false);
        assert.equal(await sw.isEnabled(), true, 'the switch is usable again once the request ended');
        assert.match(await row.getByTestId('watch-message').textContent(), /rescan/i);
        const [s] = await sources();
        assert.equal(s.watch, false, JSON.stringify(s));
        assert.equal(s.watch_state, 'paused', JSON.stringify(s));
        await screenshot('watch-off.png');
      });

      await t.test('while it is off a change waits; turning it on catches up', async () => {
        await settled();
        writeFileSync(path.join(docs, 'unwatched.txt'), `Written while nobody watched: ${OFF_WORD} hedges.\n`);
        // A watched change would be in search well within this.
        await new Promise((r) => setTimeout(r, 3000));
        assert.deepEqual(await apiFinds(OFF_WORD), [], 'a change to an unwatched folder waits for a rescan');

        const row = page.getByTestId('source-item');
        await row.getByRole('switch', { name: 'Watch for changes' }).click();
        await until('watching again', async () => (await row.getAttribute('data-watch-state')) === 'watching' || (await row.getAttribute('data-watch-state')) === 'scanning');
        await until('the catch-up found the file', async () => (await apiFinds(OFF_WORD)).includes('unwatched.txt'), 30_000);
        await row.getByTestId('watch-state').filter({ hasText: /^Watching$/ }).waitFor();
        assert.equal((await sources())[0].watch, true);
      });
    });

    test('the page raised no errors', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
