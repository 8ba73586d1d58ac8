// End-to-end: the Models page in a browser. On a fresh data directory
// GloVe is imported through the page's path field (a wrong folder first:
// the server's verification error is shown as it is); it shows as
// installed with its size; once a collection uses it, deleting it is
// refused with the server's message naming the collection; downloading a
// model with no network ends failed with a message a person can act on.
//
//   QUARRY_BIN=../build/bin/quarry node --test e2e/models.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { apiClient, closeSession, makeWorkDir, openSession, screenshot as shoot, SHARED, withModel } from './lib.mjs';

withModel('models page e2e', suite);

const GLOVE = 'glove-6b-100d';
const GLOVE_DIR = path.join(SHARED, 'models', 'glove-6b-100d-top100k');
/** A transformer model nobody here has: downloading it needs the network. */
const DOWNLOADABLE = 'bge-small-en-v1.5';
const SCREENSHOT = process.env.QUARRY_MODELS_SCREENSHOT || '/tmp/models-page.png';

function suite() {
  describe('The Models page', () => {
    let tmp;
    let app;
    let context;
    let page;
    let notDir;
    const pageErrors = [];

    const api = apiClient(() => app.url);
    const card = (name) => page.locator(`[data-testid="model-card"][data-model="${name}"]`);

    before(async () => {
      const work = await makeWorkDir('quarry-e2e-models-');
      tmp = work.tmp;
      notDir = path.join(tmp, 'not-a-model');
      await mkdir(notDir, { mode: 0o755 });
      await writeFile(path.join(notDir, 'readme.txt'), 'Not a model.\n');
      await chmod(notDir, 0o755);
      ({ app, context, page } = await openSession(tmp, work.dataDir, pageErrors, 30_000));
    });

    after(() => closeSession({ app, context }, tmp));

    test('models: import, refused delete, failed download', async (t) => {
      await t.test('the page lists every registered model', async () => {
        await page.goto(app.url);
        await page.getByTestId('open-models').click();
        await page.getByTestId('models-page').waitFor();
        const listed = await page.getByTestId('model-card').evaluateAll((els) => els.map((e) => e.dataset.model));
        const registered = (await api('GET', '/models')).body.map((m) => m.name);
        assert.deepEqual([...listed].sort(), [...registered].sort());
        const glove = card(GLOVE);
        assert.equal((await glove.getByTestId('model-state').textContent()).trim(), 'Not installed');
        assert.equal((await glove.getByTestId('model-kind').textContent()).trim(), 'Word vectors');
        assert.match(await glove.getByTestId('model-description').textContent(), /weaker matching/);
        // Word vectors are imported, never downloaded.
        assert.equal(await glove.getByTestId('model-download').count(), 0);
      });

      await t.test('a folder that is not the model is refused with the server’s words', async () => {
        const glove = card(GLOVE);
        await glove.getByTestId('model-import-open').click();
        await glove.getByTestId('model-import-path').fill(notDir);
        await glove.getByTestId('model-import-submit').click();
        const err = glove.getByTestId('model-import-error');
        await err.waitFor();
        const direct = await api('POST', '/models/import', { model: GLOVE, paths: [notDir] });
        assert.equal(direct.status, 400);
        const shown = (await err.textContent()).trim();
        assert.ok(shown.startsWith(direct.body.error.message), `shown verbatim: ${shown}`);
        assert.match(shown, /words\.txt/);
      });

      await t.test('importing GloVe through the path field installs it, with its size', async () => {
        const glove = card(GLOVE);
        await glove.getByTestId('model-import-path').fill(GLOVE_DIR);
        await glove.getByTestId('model-import-submit').click();
        await page.waitForFunction(
          (name) => ['installed', 'ready'].includes(document.querySelector(`[data-testid="model-card"][data-model="${name}"]`)?.getAttribute('data-state')),
          GLOVE,
          { timeout: 120_000 },
        );
        assert.match((await glove.getByTestId('model-state').textContent()).trim(), /^(Installed|Loaded)$/);
        assert.match(await glove.getByTestId('model-size').textContent(), /^\d+(\.\d)? MB on disk$/);
        assert.equal(await glove.getByTestId('model-import-form').count(), 0);
        const m = (await api('GET', '/models')).body.find((x) => x.name === GLOVE);
        assert.equal(m.installed, true);
        assert.ok(m.size_bytes > 1_000_000, `size ${m.size_bytes}`);
      });

      await t.test('a model a collection uses cannot be deleted: the refusal names the collection', async () => {
        const c = await api('POST', '/collections', { name: 'Notes', model: GLOVE });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        // The page learns who uses the model from the list.
        await page.waitForFunction(
          (name) => /Notes/.test(document.querySelector(`[data-testid="model-card"][data-model="${name}"] [data-testid="model-collections"]`)?.textContent ?? ''),
          GLOVE,
          { timeout: 15_000 },
        ).catch(async () => {
          await page.getByTestId('models-close').click();
          await page.getByTestId('open-models').click();
          await card(GLOVE).getByTestId('model-collections').getByText('Notes').waitFor();
        });
        await card(GLOVE).getByTestId('model-delete').click();
        const dialog = page.getByTestId('confirm-delete-model');
        await dialog.getByRole('button', { name: 'Delete model' }).click();
        const alert = dialog.getByRole('alert');
        await alert.waitFor();
        const text = await alert.textContent();
        assert.match(text, /used by Notes/);
        assert.match(text, /conflict/);
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        assert.equal((await api('GET', '/models')).body.find((x) => x.name === GLOVE).installed, true);
      });

      await t.test('downloading with no network ends failed, in words a person can act on', async (tt) => {
        const m = card(DOWNLOADABLE);
        await m.getByTestId('model-download').click();
        const deadline = Date.now() + 90_000;
        let state = '';
        for (;;) {
          state = (await m.getAttribute('data-state')) ?? '';
          if (state === 'failed' || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        if (state !== 'failed') {
          // A machine with network: the download runs; stop it.
          const pct = (await api('GET', '/models')).body.find((x) => x.name === DOWNLOADABLE)?.download_percent ?? 0;
          if (state === 'downloading' && pct > 0) {
            await m.getByTestId('model-cancel').click();
            tt.skip('this machine reaches the model server');
            return;
          }
          assert.fail(`the download should fail without network; state ${state}`);
        }
        assert.equal((await m.getByTestId('model-state').textContent()).trim(), 'Download failed');
        const msg = (await m.getByTestId('model-error').textContent()).trim();
        assert.ok(msg.length > 20, msg);
        assert.doesNotMatch(msg, /huggingface/i);
        assert.doesNotMatch(msg, /dial tcp/i);
        assert.doesNotMatch(msg, /https?:\/\//);
        assert.equal((await m.getByTestId('model-download').textContent()).trim(), 'Try again');
      });

      await t.test('screenshot', async () => {
        const close = page.getByTestId(/^toast-/).getByRole('button', { name: 'Dismiss', exact: true });
        while ((await close.count()) > 0) await close.first().click();
        await page.setViewportSize({ width: 1200, height: 1400 });
        await page.screenshot({ path: SCREENSHOT, animations: 'disabled' });
        await shoot(page, 'models-page.png');
        await page.setViewportSize({ width: 1200, height: 800 });
      });
    });

    test('the page raised no errors', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
