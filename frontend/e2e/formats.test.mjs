// End-to-end: what old archives hold. A folder with a zip of documents, an
// e-mail with attachments and a password-protected PDF (real files of the
// shared mixed set) is indexed; the documents list shows each file inside
// the archive and each attachment as a document of its own, search finds
// text inside them, and the locked PDF is unlocked from the failed-files
// list with its password: a wrong one is refused and changes nothing.
//
//   QUARRY_BIN=../build/bin/quarry npm run e2e
//
// Env as in indexing.test.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { apiClient, closeSession, importTestModel, INDEX_TIMEOUT_MS, makeWorkDir, MODEL, openSession, pollUntil, screenshot as shoot, SHARED, withModel } from './lib.mjs';

withModel('formats e2e', suite);

const MIXED = path.join(SHARED, 'datasets', 'mixed');
const FILES = ['archives/tika__test-documents.zip', 'email/php-mime-mail-parser__issue274.eml', 'pdf/pypdf__r2-user-password.pdf'];
const SEP = ' › ';

function suite() {
  describe('Archives, attachments and passwords through the UI', () => {
    let tmp;
    let docs;
    let app;
    let context;
    let page;
    let collectionId;
    const pageErrors = [];
    const api = apiClient(() => app.url);
    const screenshot = (name) => shoot(page, name);

    before(async () => {
      const work = await makeWorkDir('quarry-e2e-formats-');
      tmp = work.tmp;
      await importTestModel(work.dataDir);
      docs = path.join(tmp, 'old-archive');
      await mkdir(docs, { mode: 0o755 });
      for (const f of FILES) await copyFile(path.join(MIXED, f), path.join(docs, path.basename(f)));
      await chmod(docs, 0o755);
      ({ app, context, page } = await openSession(tmp, work.dataDir, pageErrors, 30_000));
    });

    after(() => closeSession({ app, context }, tmp));

    test('members are documents; a locked PDF unlocks with its password', async (t) => {
      await t.test('the folder is indexed', async () => {
        const c = await api('POST', '/collections', { name: 'Old archive', model: MODEL });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        collectionId = c.body.id;
        const s = await api('POST', `/collections/${collectionId}/sources`, { path: docs });
        assert.equal(s.status, 201, JSON.stringify(s.body));
        const op = await pollUntil('indexing finished', async () => {
          const o = (await api('GET', `/operations/${s.body.operation_id}`)).body;
          return ['completed', 'failed', 'cancelled'].includes(o.status) && o;
        }, INDEX_TIMEOUT_MS, 250);
        assert.equal(op.status, 'completed', op.error);
      });

      await t.test('files inside the zip and the e-mail are listed as documents', async () => {
        const all = (await api('GET', `/collections/${collectionId}/documents?limit=100`)).body;
        const zip = path.join(docs, 'tika__test-documents.zip');
        const eml = path.join(docs, 'php-mime-mail-parser__issue274.eml');
        const paths = all.map((d) => d.path);
        for (const want of [zip, zip + SEP + 'testPDF.pdf', zip + SEP + 'testWORD.doc', eml, eml + SEP + 'Hello from SwiftMailer.docx', eml + SEP + 'test-localhost.eml']) {
          assert.ok(paths.includes(want), `${want} is a document (have ${paths.join(', ')})`);
        }
        await page.goto(app.url);
        await page.getByTestId('collection-detail').waitFor();
        await page.getByTestId('document-row').filter({ hasText: 'testPDF.pdf' }).first().waitFor();
        await screenshot('formats-documents.png');
      });

      await t.test('search finds text inside an archive member', async () => {
        await page.keyboard.press('Control+K');
        await page.getByTestId('search-input').pressSequentially('Tika', { delay: 20 });
        await page.getByTestId('search-mode-keyword').click();
        await page.getByTestId('search-status').filter({ hasText: '“Tika”' }).waitFor();
        await page.locator('.updating').waitFor({ state: 'detached' });
        const paths = await page.getByTestId('result-path').allTextContents();
        assert.ok(paths.some((p) => p.includes('tika__test-documents.zip' + SEP)), `a result inside the zip: ${paths}`);
        await screenshot('formats-search-member.png');
        await page.getByRole('button', { name: 'Clear search' }).click();
        await page.getByTestId('collection-detail').waitFor();
      });

      await t.test('the locked PDF is unlocked from the failed-files list', async () => {
        const locked = () => page.getByTestId('document-row').filter({ hasText: 'pypdf__r2-user-password.pdf' });
        await page.getByTestId('doc-filter-failed').click();
        await locked().waitFor();
        assert.match(await locked().getByTestId('document-error').textContent(), /password-protected PDF/);
        await locked().getByTestId('document-unlock').click();
        const dialog = page.getByTestId('unlock-dialog');
        await dialog.waitFor();
        assert.equal(await dialog.getByTestId('unlock-password').getAttribute('type'), 'password');

        await dialog.getByTestId('unlock-password').fill('not-the-password');
        await dialog.getByTestId('unlock-submit').click();
        await dialog.getByText('That password does not open').waitFor();
        await screenshot('formats-unlock-wrong.png');
        const still = (await api('GET', `/collections/${collectionId}/documents?status=failed&limit=100`)).body;
        assert.ok(still.some((d) => d.path.endsWith('pypdf__r2-user-password.pdf')), 'a wrong password leaves the document failed');

        await dialog.getByTestId('unlock-password').fill('asdfzxcv');
        await dialog.getByTestId('unlock-submit').click();
        await dialog.waitFor({ state: 'detached' });
        await page.getByText('unlocked: its text is searchable now').waitFor();
        await locked().waitFor({ state: 'detached' });
        await screenshot('formats-unlocked.png');
        const doc = (await api('GET', `/collections/${collectionId}/documents?limit=100`)).body.find((d) => d.path.endsWith('pypdf__r2-user-password.pdf'));
        assert.equal(doc.status, 'completed');
        assert.ok(doc.chunk_count > 0);
        const found = await api('POST', '/search', { query: 'encryption test', mode: 'keyword', filters: {} });
        assert.ok(found.body.results.some((r) => r.path.endsWith('pypdf__r2-user-password.pdf')), 'its text is found');
        assert.deepEqual(pageErrors, []);
      });
    });
  });
}
