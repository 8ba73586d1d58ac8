// End-to-end: the real app binary in HTTP mode, driven through Chromium.
//
//   QUARRY_BIN=../build/bin/quarry npm run e2e
//
// Env: QUARRY_BIN (required; without it the test skips, or fails when
// QUARRY_REQUIRE_ALL=1), QUARRY_E2E_OUT (screenshots go there),
// QUARRY_CHROMIUM (default /usr/bin/chromium). Everything else, e.g.
// QUARRY_PG_BINARIES, is passed through to the app.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN, REQUIRE_ALL, closeSession, makeWorkDir, openSession, screenshot as shoot } from './lib.mjs';

if (!BIN) {
  const why = 'QUARRY_BIN is not set: build the app (make build) and point QUARRY_BIN at it';
  if (REQUIRE_ALL) {
    test('e2e prerequisites', () => assert.fail(`${why} (QUARRY_REQUIRE_ALL=1 makes this a failure)`));
  } else {
    test('e2e', { skip: why }, () => {});
  }
} else {
  suite();
}

function suite() {
  describe('Quarry UI over HTTP', () => {
    let tmp;
    let app;
    let context;
    let page;
    const pageErrors = [];

    before(async () => {
      let dataDir;
      ({ tmp, dataDir } = await makeWorkDir('quarry-e2e-'));
      ({ app, context, page } = await openSession(tmp, dataDir, pageErrors, 15_000));
    });

    after(() => closeSession({ app, context }, tmp));

    // The error toasts are part of what these pictures show.
    const screenshot = (name) => shoot(page, name, { keepToasts: true });

    test('collections through the UI', async (t) => {
      const nameField = () => page.getByRole('dialog').getByLabel('Name', { exact: true });
      const listNames = () => page.getByTestId('collection-name').allTextContents();
      let modelName = '';

      await t.test('loads with an empty state and the status line', async () => {
        await page.goto(app.url);
        await page.getByText('No collections yet').waitFor();
        const status = await page.getByTestId('status-line').textContent();
        assert.match(status, /PostgreSQL/);
        assert.match(status, /vector engine/i);
        await screenshot('empty.png');
      });

      await t.test('creates a collection', async () => {
        await page.getByRole('button', { name: 'Create a collection' }).click();
        const dialog = page.getByRole('dialog', { name: 'New collection' });
        await dialog.waitFor();
        const model = dialog.getByLabel('Model');
        // The option reads "Name (default) — downloads on first use".
        modelName = (await model.locator('option:checked').textContent()).replace(/ \(default\)| — .*$/g, '');
        assert.ok(modelName, 'a model is preselected');
        await nameField().fill('Research notes');
        await dialog.getByLabel(/Description/).fill('Lab notebooks and papers');
        await screenshot('create-dialog.png');
        await dialog.getByRole('button', { name: 'Create collection' }).click();
        await dialog.waitFor({ state: 'detached' });
        const item = page.getByTestId('collection-item').filter({ hasText: 'Research notes' });
        await item.waitFor();
        assert.match(await item.getByTestId('collection-model').textContent(), new RegExp(escape(modelName)));
        assert.equal(await page.getByTestId('detail-name').textContent(), 'Research notes');
      });

      await t.test('renames it', async () => {
        await page.getByRole('button', { name: 'Rename' }).click();
        const input = page.getByLabel('Collection name');
        await input.fill('Field notes');
        await input.press('Enter');
        await page.getByTestId('detail-name').filter({ hasText: 'Field notes' }).waitFor();
        assert.deepEqual(await listNames(), ['Field notes']);
      });

      await t.test('rejects a duplicate name with the server’s message', async () => {
        await page.getByRole('button', { name: 'New', exact: true }).click();
        const dialog = page.getByRole('dialog', { name: 'New collection' });
        await nameField().fill('Field notes');
        await dialog.getByRole('button', { name: 'Create collection' }).click();
        const err = dialog.getByText(/already exists/);
        await err.waitFor();
        assert.match(await err.textContent(), /name_taken/);
        assert.equal(await nameField().getAttribute('aria-invalid'), 'true');
        await screenshot('duplicate-name.png');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
        assert.deepEqual(await listNames(), ['Field notes']);
      });

      await t.test('adds a folder by its path', async () => {
        const docs = path.join(tmp, 'docs');
        await mkdir(docs, { mode: 0o755 });
        await writeFile(path.join(docs, 'hello.txt'), 'Quarry finds things by meaning.\n');
        await chmod(docs, 0o755);

        // A file is refused with a reason next to the field.
        const field = page.getByLabel('Folder path');
        await field.fill(path.join(docs, 'hello.txt'));
        await page.getByRole('button', { name: 'Add folder', exact: true }).click();
        const err = page.getByRole('alert').filter({ hasText: 'not_a_directory' });
        await err.waitFor();

        await field.fill(docs);
        await page.getByRole('button', { name: 'Add folder', exact: true }).click();
        const src = page.getByTestId('source-path');
        await src.waitFor();
        assert.equal(await src.textContent(), await realpath(docs));
        await page.getByTestId('collection-item').filter({ hasText: '1 folder' }).waitFor();
        await screenshot('collection.png');
        await page.emulateMedia({ colorScheme: 'dark' });
        await screenshot('collection-dark.png');
        await page.emulateMedia({ colorScheme: 'light' });
      });

      await t.test('deletes it after confirmation', async () => {
        await page.getByRole('button', { name: 'Delete…' }).click();
        const dialog = page.getByRole('dialog', { name: 'Delete “Field notes”?' });
        await dialog.waitFor();
        await screenshot('confirm-delete.png');
        await dialog.getByRole('button', { name: 'Delete collection' }).click();
        await page.getByText('No collections yet').waitFor();
        assert.deepEqual(await listNames(), []);
      });

      await t.test('the page raised no errors', () => {
        assert.deepEqual(pageErrors, []);
      });
    });

    test('the app exits 0 on SIGINT', async () => {
      await context.close();
      context = undefined;
      const { code, signal } = await app.stop();
      assert.equal(signal, null, `killed by ${signal}; stderr tail:\n${app.tail()}`);
      assert.equal(code, 0, `exit code ${code}; stderr tail:\n${app.tail()}`);
    });
  });
}

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
