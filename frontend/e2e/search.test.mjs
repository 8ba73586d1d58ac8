// End-to-end: searching an indexed folder through the UI. A collection of
// eight notes on unrelated topics, each with a word no other note has, is
// indexed through the API; then the search box finds them: the keyword
// ranks its note first and is highlighted, a file-type filter that leaves
// the note out removes it, and the results render in light and dark.
//
//   QUARRY_BIN=../build/bin/quarry npm run e2e
//
// Env as in indexing.test.mjs. The test model has random weights, so only
// keyword mode's ranking means anything: hybrid mode is only expected to
// return the note somewhere.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { apiClient, closeSession, importTestModel, importTestReranker, INDEX_TIMEOUT_MS, makeWorkDir, MODEL, openSession, RERANKER, screenshot as shoot, withModel } from './lib.mjs';

withModel('search e2e', suite);

// [file name, unique keyword, text]. Each keyword appears in its note only.
const NOTES = [
  ['lighthouse.txt', 'lighthouse', 'The lighthouse keeper trimmed the wick each evening; the lighthouse lamp turned all night over the rocks.'],
  ['marmalade.txt', 'marmalade', 'Seville oranges make the best marmalade: boil the peel slowly, and the marmalade sets once it wrinkles on a cold plate.'],
  ['saxophone.txt', 'saxophone', 'Adolphe Sax patented the saxophone in 1846; a saxophone has a single reed like a clarinet but a conical brass body.'],
  ['origami.txt', 'origami', 'Origami folds a single square of paper into cranes and boxes; wet-folding origami lets the paper hold soft curves.'],
  ['avalanche.txt', 'avalanche', 'An avalanche starts where a weak layer of snow gives way; avalanche beacons help rescuers find buried skiers.'],
  ['telescope.txt', 'telescope', 'A reflecting telescope gathers light with a curved mirror; the bigger the telescope mirror, the fainter the stars it shows.'],
  ['cactus.txt', 'cactus', 'A cactus stores water in its swollen stem, and cactus spines are leaves that shade the plant and keep animals away.'],
  ['pottery.md', 'kiln', '# Pottery\n\n## Firing\n\nClay pots are fired in a kiln until they turn to ceramic; the kiln climbs past a thousand degrees.'],
];

function note(text, n) {
  // A few paragraphs, so that a note is more than one line.
  return `${text}\n\nThis is note ${n}. ${text}\n\nMore on note ${n}: it keeps to its own topic.\n`;
}

function suite() {
  describe('Searching through the UI', () => {
    let tmp;
    let docs;
    let app;
    let context;
    let page;
    const pageErrors = [];

    const api = apiClient(() => app.url);

    before(async () => {
      const work = await makeWorkDir('quarry-e2e-search-');
      tmp = work.tmp;
      const dataDir = work.dataDir;
      await importTestModel(dataDir);
      await importTestReranker(tmp, dataDir);

      docs = path.join(tmp, 'notes');
      await mkdir(docs, { mode: 0o755 });
      for (const [i, [name, , text]] of NOTES.entries()) await writeFile(path.join(docs, name), note(text, i + 1));
      await chmod(docs, 0o755);

      ({ app, context, page } = await openSession(tmp, dataDir, pageErrors, 30_000));
    });

    after(() => closeSession({ app, context }, tmp));

    // Toasts would hide what the picture is for: they are dismissed first.
    const screenshot = (name) => shoot(page, name);

    const results = () => page.getByTestId('search-result');
    const names = async () => (await page.getByTestId('result-name').allTextContents()).map((s) => s.trim());
    /** Waits until the results are for query q (the summary names it and nothing is loading). */
    async function settledFor(q) {
      await page
        .getByTestId('search-status')
        .filter({ hasText: `“${q}”` })
        .waitFor();
      await page.locator('.updating').waitFor({ state: 'detached' });
    }

    test('a keyword finds its note, highlighted; filters leave it out', async (t) => {
      await t.test('a folder is indexed', async () => {
        const models = (await api('GET', '/models')).body;
        const m = models.find((x) => x.name === MODEL);
        assert.ok(m?.installed, `${MODEL} was installed by import-model`);
        const c = await api('POST', '/collections', {
          name: 'Notes',
          description: 'Eight notes on unrelated topics',
          model: MODEL,
          quantization: 'float32',
          chunk_size: m.default_chunk_size,
          chunk_overlap: m.default_chunk_overlap,
        });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        const s = await api('POST', `/collections/${c.body.id}/sources`, { path: docs });
        assert.equal(s.status, 201, JSON.stringify(s.body));
        const deadline = Date.now() + INDEX_TIMEOUT_MS;
        for (;;) {
          const op = (await api('GET', `/operations/${s.body.operation_id}`)).body;
          if (op.status === 'completed') break;
          assert.ok(!['failed', 'cancelled'].includes(op.status), `indexing ${op.status}: ${op.error}`);
          assert.ok(Date.now() < deadline, 'indexing finished in time');
          await new Promise((r) => setTimeout(r, 500));
        }
        const got = (await api('GET', `/collections/${c.body.id}`)).body;
        assert.equal(got.document_count, NOTES.length);
        // The search endpoint answers.
        const probe = await api('POST', '/search', { query: 'marmalade', mode: 'keyword', filters: {} });
        assert.equal(probe.status, 200, `POST /api/v1/search: ${probe.status} ${JSON.stringify(probe.body)}`);
        await page.goto(app.url);
        await page.getByTestId('collection-detail').waitFor();
      });

      await t.test('hybrid (the default) returns the note', async () => {
        await page.keyboard.press('Control+K');
        const input = page.getByTestId('search-input');
        assert.equal(await input.evaluate((el) => el === document.activeElement), true, 'Ctrl+K focuses the search box');
        await input.pressSequentially('marmalade', { delay: 20 });
        await settledFor('marmalade');
        assert.equal(await page.getByTestId('search-mode-hybrid').getAttribute('aria-pressed'), 'true');
        assert.ok((await names()).includes('marmalade.txt'), `hybrid results include marmalade.txt: ${await names()}`);
        await page.getByTestId('search-took').waitFor();
      });

      await t.test('keyword mode ranks it first, with the word highlighted', async () => {
        await page.getByTestId('search-mode-keyword').click();
        await settledFor('marmalade');
        assert.equal(await page.getByTestId('search-mode-keyword').getAttribute('aria-pressed'), 'true');
        const first = results().first();
        assert.equal((await first.getByTestId('result-name').textContent()).trim(), 'marmalade.txt');
        const marks = await first.getByTestId('passage-snippet').locator('mark').allTextContents();
        assert.ok(marks.length > 0, 'the snippet has highlights');
        for (const m of marks) assert.match(m, /^marmalade$/i);
        assert.match(await first.getByTestId('result-path').textContent(), /marmalade\.txt$/);
        assert.equal((await first.getByTestId('result-collection').textContent()).trim(), 'Notes');
        // Only this note has the word.
        assert.deepEqual(await names(), ['marmalade.txt']);
        await screenshot('search-keyword.png');
        await page.emulateMedia({ colorScheme: 'dark' });
        await screenshot('search-keyword-dark.png');
        await page.emulateMedia({ colorScheme: 'light' });
      });

      await t.test('↓ moves to the result from the box', async () => {
        await page.getByTestId('search-input').press('ArrowDown');
        assert.equal(await results().first().getByTestId('search-result-open').evaluate((el) => el === document.activeElement), true);
        await page.keyboard.press('ArrowUp');
        assert.equal(await page.getByTestId('search-input').evaluate((el) => el === document.activeElement), true);
      });

      await t.test('a file-type filter that excludes the note removes it', async () => {
        await page.getByTestId('search-filters-toggle').click();
        await page.getByTestId('search-type-pdf').click();
        await page.getByTestId('search-empty').waitFor();
        assert.equal(await results().count(), 0);
        assert.match(await page.getByTestId('search-empty').textContent(), /No results for “marmalade”/);
        await screenshot('search-filtered-empty.png');
        // Text brings it back.
        await page.getByTestId('search-type-text').click();
        await results().first().waitFor();
        assert.deepEqual(await names(), ['marmalade.txt']);
        await page.getByTestId('search-type-pdf').click();
        await page.getByTestId('search-type-text').click();
      });

      await t.test('markdown: the filter keeps it, and the heading shows', async () => {
        await page.getByTestId('search-type-markdown').click();
        const input = page.getByTestId('search-input');
        await input.fill('kiln');
        await settledFor('kiln');
        assert.deepEqual(await names(), ['pottery.md']);
        const marks = await results().first().getByTestId('passage-snippet').locator('mark').allTextContents();
        assert.ok(marks.some((m) => /kiln/i.test(m)), `kiln is highlighted: ${marks}`);
        await page.getByTestId('search-type-text').click();
        await page.getByTestId('search-type-markdown').click();
        await input.fill('lighthouse telescope');
        await settledFor('lighthouse telescope');
        const got = await names();
        assert.equal(got.length, 2, `two notes: ${got}`);
        assert.deepEqual([...got].sort(), ['lighthouse.txt', 'telescope.txt']);
      });

      await t.test('several results, light and dark', async () => {
        await page.getByRole('button', { name: 'Clear filters' }).click();
        await page.getByTestId('search-filters-toggle').click();
        await page.getByTestId('search-mode-hybrid').click();
        const input = page.getByTestId('search-input');
        await input.fill('the single paper');
        await settledFor('the single paper');
        assert.ok((await results().count()) >= 2);
        await screenshot('search-hybrid.png');
        await page.emulateMedia({ colorScheme: 'dark' });
        await screenshot('search-hybrid-dark.png');
        await page.emulateMedia({ colorScheme: 'light' });
      });

      await t.test('Rerank re-scores the results with the installed reranker', async () => {
        const rerank = page.getByTestId('search-rerank');
        assert.equal(await rerank.getAttribute('aria-pressed'), 'false');
        assert.match(await rerank.getAttribute('title'), /MS MARCO/);
        const input = page.getByTestId('search-input');
        await input.fill('lighthouse telescope');
        await settledFor('lighthouse telescope');
        const before = await names();
        const reply = page.waitForResponse((r) => r.url().endsWith('/api/v1/search') && r.request().postDataJSON()?.rerank === true);
        await rerank.click();
        const body = await (await reply).json();
        assert.equal(await rerank.getAttribute('aria-pressed'), 'true');
        await page.getByTestId('search-reranked').waitFor();
        assert.equal(body.reranker, RERANKER);
        assert.equal(body.reranked, before.length);
        const scores = body.results.map((r) => r.score);
        assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'reranked documents are in score order');
        for (const r of body.results) for (const p of r.passages) assert.equal(p.rerank_score, p.score);
        assert.deepEqual([...(await names())].sort(), [...before].sort(), 'reranking re-orders the same documents');
        await screenshot('search-reranked.png');
        await rerank.click();
        await page.getByTestId('search-reranked').waitFor({ state: 'detached' });
      });

      await t.test('Escape clears the box and the collection shows again', async () => {
        await page.getByTestId('search-input').press('Escape');
        await page.getByTestId('collection-detail').waitFor();
      });

      await t.test('the page raised no errors', () => {
        assert.deepEqual(pageErrors, []);
      });
    });
  });
}
