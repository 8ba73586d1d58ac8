// End-to-end: indexing a folder through the UI with a real model. The
// progress view, the documents (a binary file fails with its reason), the
// counts in the list, and a rescan after files change.
//
//   QUARRY_BIN=../build/bin/quarry npm run e2e
//
// Env as in app.test.mjs, and QUARRY_SHARED_DIR (default ../shared next to
// the repository) for the test model, which is installed into the data
// directory with `quarry import-model` first.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, chmod, copyFile, mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  INDEX_TIMEOUT_MS,
  MODEL,
  closeSession,
  importTestModel,
  makeWorkDir,
  openSession,
  screenshot as shoot,
  withModel,
} from './lib.mjs';

withModel('indexing e2e', suite);

const TOPICS = [
  ['tides', 'The moon pulls the oceans, and twice a day the water climbs the beach and falls back again.'],
  ['bread', 'A sourdough starter is flour and water that wild yeast and bacteria have made their home.'],
  ['glaciers', 'Glaciers carve valleys slowly, dragging stones that scratch long lines into the bedrock.'],
  ['bees', 'Honeybees dance to tell their sisters where the flowers are and how far away they bloom.'],
  ['compilers', 'A compiler turns source code into machine instructions after parsing and type checking it.'],
  ['chess', 'In the opening, chess players fight for the centre and bring their knights and bishops out.'],
  ['volcanoes', 'Magma rises through cracks in the crust and erupts as lava, ash and clouds of gas.'],
  ['tea', 'Green and black tea come from the same plant; only the processing of the leaves differs.'],
  ['sailing', 'Sailing upwind means tacking back and forth, the sails trimmed close to the wind.'],
  ['memory', 'Sleep helps the brain consolidate memories, replaying the day while the body rests.'],
  ['bridges', 'Suspension bridges hang their deck from cables draped over tall towers and anchored ashore.'],
  ['owls', 'Owls hunt at night, finding mice in the dark by sound alone with their uneven ears.'],
  ['coffee', 'Roasting coffee beans browns their sugars and brings out hundreds of aromatic compounds.'],
  ['rivers', 'Rivers meander across flat plains, cutting the outside of each bend and filling the inside.'],
  ['printing', 'Movable type let printers set a page from reusable letters and print it many times over.'],
  ['comets', 'Comets are balls of ice and dust whose tails always point away from the sun.'],
  ['gardens', 'Compost feeds the soil: leaves, peels and coffee grounds turn into dark crumbly humus.'],
  ['trains', 'Steam locomotives boiled water in a firebox-heated boiler to push pistons and turn wheels.'],
  ['violins', 'A violin body amplifies the vibrating strings through its carved spruce top.'],
  ['deserts', 'Deserts can be cold as well as hot; what defines them is how little rain they receive.'],
];

function essay(topic, line, n) {
  const paras = [];
  for (let i = 0; i < 4; i++) {
    paras.push(
      `${line} This is note ${n}, paragraph ${i + 1}, about ${topic}. ` +
        `People have written about ${topic} for a long time, and each account adds a detail or two. ` +
        `Here the ${topic} notes go on with observation ${i + 1}: ${line.toLowerCase()}`,
    );
  }
  return paras.join('\n\n') + '\n';
}

function suite() {
  describe('Indexing through the UI', () => {
    let tmp;
    let docs;
    let app;
    let context;
    let page;
    let collectionId = '';
    const pageErrors = [];

    before(async () => {
      const work = await makeWorkDir('quarry-e2e-index-');
      tmp = work.tmp;
      const dataDir = work.dataDir;
      await importTestModel(dataDir);

      // 20 notes, a copy of one, and a binary file that cannot be indexed.
      docs = path.join(tmp, 'notes');
      await mkdir(docs, { mode: 0o755 });
      for (const [i, [topic, line]] of TOPICS.entries()) {
        await writeFile(path.join(docs, `${String(i + 1).padStart(2, '0')}-${topic}.txt`), essay(topic, line, i + 1));
      }
      await copyFile(path.join(docs, '02-bread.txt'), path.join(docs, 'bread-copy.txt'));
      const junk = Buffer.alloc(4096);
      for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 256;
      await writeFile(path.join(docs, 'photo.png'), junk);
      await chmod(docs, 0o755);

      ({ app, context, page } = await openSession(tmp, dataDir, pageErrors, 30_000));
    });

    after(() => closeSession({ app, context }, tmp));

    // Toasts would hide what the picture is for: they are dismissed first.
    const screenshot = (name) => shoot(page, name);

    async function get(p) {
      const res = await fetch(app.url.replace(/\/$/, '') + '/api/v1' + p);
      assert.equal(res.status, 200, `GET ${p}: ${res.status}`);
      return res.json();
    }

    const plural = (n, one) => `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;

    test('a folder is indexed, and rescanned after changes', async (t) => {
      const item = () => page.getByTestId('collection-item').filter({ hasText: 'Indexed notes' });
      const progressView = page.getByTestId('operation-progress');

      await t.test('the installed model is offered', async () => {
        const models = await get('/models');
        const m = models.find((x) => x.name === MODEL);
        assert.ok(m, `${MODEL} is in the catalogue`);
        assert.equal(m.installed, true, `${MODEL} was installed by import-model`);
        await page.goto(app.url);
        await page.getByText('No collections yet').waitFor();
        await page.getByRole('button', { name: 'Create a collection' }).click();
        const dialog = page.getByRole('dialog', { name: 'New collection' });
        await dialog.waitFor();
        await dialog.getByLabel('Model').selectOption(MODEL);
        const label = await dialog.getByLabel('Model').locator('option:checked').textContent();
        assert.doesNotMatch(label, /downloads on first use/, 'an installed model is not marked for download');
        await dialog.getByLabel('Name', { exact: true }).fill('Indexed notes');
        await dialog.getByRole('button', { name: 'Create collection' }).click();
        await dialog.waitFor({ state: 'detached' });
        await item().waitFor();
        collectionId = await item().getAttribute('data-collection-id');
        assert.ok(collectionId);
      });

      await t.test('adding a folder shows live progress until it completes', async () => {
        await page.getByLabel('Folder path').fill(docs);
        await page.getByRole('button', { name: 'Add folder', exact: true }).click();
        await progressView.waitFor({ timeout: 60_000 });
        await screenshot('indexing-progress.png');
        await page
          .locator('[data-testid="operation-progress"][data-status="completed"]')
          .waitFor({ timeout: INDEX_TIMEOUT_MS });
        const title = await progressView.getByTestId('progress-title').textContent();
        assert.match(title, /finished/);
        // 22 files: 20 notes, a copy (the same content: one document), a binary.
        assert.match(await progressView.getByTestId('progress-files').textContent(), /22 \/ 22 files/);
        assert.match(await progressView.getByTestId('progress-summary').textContent(), /1 failed/);
        await page.getByTestId('collection-progress').waitFor({ state: 'detached' });
      });

      await t.test('the list row shows the counts', async () => {
        const c = await get(`/collections/${collectionId}`);
        assert.ok(c.vector_count > 0, 'vectors were written');
        const want = `${plural(c.document_count, 'document')} · ${plural(c.vector_count, 'vector')}`;
        await item().getByTestId('collection-counts').filter({ hasText: want }).waitFor();
        await screenshot('indexing-done.png');
      });

      await t.test('documents are listed; the binary one failed with its reason', async () => {
        const rows = page.getByTestId('document-row');
        await rows.first().waitFor();
        const all = await get(`/collections/${collectionId}/documents?limit=100`);
        assert.equal(all.length, 21, 'the copy shares its document');
        assert.equal(await rows.count(), all.length);
        const failed = all.filter((d) => d.status === 'failed');
        assert.equal(failed.length, 1);
        assert.match(failed[0].path, /photo\.png$/);
        assert.ok(failed[0].error, 'a failed document has a reason');

        const failedRow = rows.filter({ hasText: 'photo.png' });
        assert.equal(await failedRow.getAttribute('data-status'), 'failed');
        assert.equal((await failedRow.getByTestId('document-error').textContent()).trim(), failed[0].error);
        // The copy: one document at two paths.
        assert.equal(await rows.filter({ hasText: '×2' }).count(), 1);

        await page.getByTestId('doc-filter-failed').filter({ hasText: 'Failed (1)' }).click();
        await page.locator('[data-testid="document-row"]').nth(1).waitFor({ state: 'detached' });
        assert.equal(await rows.count(), 1);
        assert.match(await rows.first().textContent(), /photo\.png/);
        await page.getByTestId('document-error').scrollIntoViewIfNeeded();
        await screenshot('documents-failed.png');
        await page.getByTestId('doc-filter-all').click();
        await rows.nth(20).waitFor();
        await page.getByRole('heading', { name: 'Documents' }).scrollIntoViewIfNeeded();
        await page.getByRole('heading', { name: 'Documents' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
        await screenshot('documents.png');
      });

      await t.test('a rescan picks up a changed and a deleted file', async () => {
        const before = await get(`/collections/${collectionId}`);
        await appendFile(path.join(docs, '05-compilers.txt'), '\nA later note: register allocation colours a graph.\n');
        await unlink(path.join(docs, '20-deserts.txt'));

        await page.getByTestId('rescan').click();
        const ops = page.getByTestId('operation-item');
        await ops.filter({ hasText: 'Rescan' }).first().waitFor();
        await page
          .locator('[data-testid="operation-progress"][data-status="completed"]')
          .filter({ hasText: 'Rescan finished' })
          .waitFor({ timeout: INDEX_TIMEOUT_MS });

        // The counts follow without a reload.
        const want = `${plural(before.document_count - 1, 'document')}`;
        await item().getByTestId('collection-counts').filter({ hasText: want }).waitFor();
        const after = await get(`/collections/${collectionId}`);
        assert.equal(after.document_count, before.document_count - 1);
        assert.match(
          await item().getByTestId('collection-counts').textContent(),
          new RegExp(plural(after.vector_count, 'vector')),
        );
        await page.getByTestId('document-row').nth(19).waitFor();
        assert.equal(await page.getByTestId('document-row').count(), 20);

        // Recent activity: the rescan, newest first, then the first index.
        const rescan = ops.first();
        assert.match(await rescan.textContent(), /Rescan/);
        assert.equal(await rescan.getAttribute('data-status'), 'completed');
        assert.match(await rescan.getByTestId('operation-summary').textContent(), /1 indexed.*unchanged/);
        assert.match(await ops.nth(1).textContent(), /Index folder/);
        await screenshot('rescan-done.png');
      });

      await t.test('the page raised no errors', () => {
        assert.deepEqual(pageErrors, []);
      });
    });
  });
}
