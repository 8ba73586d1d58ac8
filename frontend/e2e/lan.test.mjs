// End-to-end: sharing on the LAN. The owner (loopback, no sign-in) makes
// two collections, an account for bob, and shares one collection with him
// to read. Bob, in another browser, opens the HTTPS address the app
// printed: he signs in (a wrong password says so), sees and searches only
// the shared collection, gets no controls above reading, downloads a
// result, cannot reach the other collection by its id, and after signing
// out is asked to sign in again while the API refuses him. The owner's
// Sharing page shows the certificate fingerprint the app printed and the
// listener presents.
//
//   QUARRY_BIN=../build/bin/quarry node --test e2e/lan.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { chromium } from 'playwright-core';
import { apiClient, BIN, CHROMIUM, pollUntil, makeWorkDir, screenshot as shoot, startApp, withModel } from './lib.mjs';

withModel('LAN sharing e2e', suite);

/** Needs no network: keyword search works while its vectors are not installed. */
const MODEL = 'glove-6b-100d';
const PASSWORD = 'password123456';

/** `quarry user add`, the password on standard input; before the app starts (it needs the database alone). */
function addUser(dataDir, name, password) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['user', 'add', '-data-dir', dataDir, name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`quarry user add exited ${code}:\n${out}`));
    });
    child.stdin.end(password + '\n');
  });
}

/** The SHA-256 fingerprint of the certificate a TLS server presents, as AB:CD:… */
function presentedFingerprint(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

function suite() {
  describe('A colleague on the LAN sees only what is shared with him', () => {
    let tmp;
    let dataDir;
    let app;
    let browser;
    let bob;
    let owner;
    /** The sharing address and the fingerprint the app printed. */
    let lanUrl;
    let printed;
    let sharedId;
    let privateId;
    let privateDocId;
    const pageErrors = [];

    const api = apiClient(() => app.url);

    async function collectionOf(name, dir) {
      const c = await api('POST', '/collections', { name, model: MODEL });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      const s = await api('POST', `/collections/${c.body.id}/sources`, { path: dir });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      return c.body.id;
    }
    const indexed = (id, n) =>
      pollUntil(`collection ${id} indexed`, async () => {
        const ops = (await api('GET', `/collections/${id}/operations`)).body ?? [];
        const c = (await api('GET', `/collections/${id}`)).body;
        return ops.length > 0 && ops.every((o) => o.status === 'completed') && c.document_count === n && c.readiness.keyword === 'ready';
      });

    before(async () => {
      ({ tmp, dataDir } = await makeWorkDir('quarry-e2e-lan-'));
      const files = {
        shared: {
          'lighthouse.txt': 'The lighthouse keeper logged every storm that crossed the northern sea.\n',
          'orchard.txt': 'Notes on the apple harvest in the orchard behind the mill.\n',
        },
        private: {
          'zeppelin.txt': 'A zeppelin drifted over the quarry at dawn.\n',
          'salary.txt': 'Confidential salary bands for the marmalade department.\n',
        },
      };
      for (const [dir, content] of Object.entries(files)) {
        await mkdir(path.join(tmp, dir), { mode: 0o755 });
        for (const [name, text] of Object.entries(content)) await writeFile(path.join(tmp, dir, name), text);
        await chmod(path.join(tmp, dir), 0o755);
      }
      await addUser(dataDir, 'bob', PASSWORD);

      app = await startApp(dataDir, ['--lan', '127.0.0.1:0']);
      const m = /quarry: sharing (https:\/\/\S+) \(certificate sha256 ([0-9A-F:]+)\)/.exec(app.stdout());
      assert.ok(m, `the app prints its sharing address and fingerprint; stdout:\n${app.stdout()}`);
      [, lanUrl, printed] = m;

      sharedId = await collectionOf('Shared notes', path.join(tmp, 'shared'));
      privateId = await collectionOf('Private notes', path.join(tmp, 'private'));
      await indexed(sharedId, 2);
      await indexed(privateId, 2);
      const g = await api('POST', `/collections/${sharedId}/permissions`, { username: 'bob', permission: 'read' });
      assert.equal(g.status, 200, JSON.stringify(g.body));
      const found = await api('POST', '/search', { query: 'zeppelin', mode: 'keyword', filters: {} });
      privateDocId = found.body.results?.[0]?.document_id;
      assert.ok(privateDocId, `the owner finds the private file: ${JSON.stringify(found.body)}`);

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      // The certificate is self-signed; its fingerprint is checked below instead.
      bob = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 800 }, acceptDownloads: true });
      owner = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      for (const ctx of [bob, owner]) {
        ctx.setDefaultTimeout(30_000);
        ctx.on('page', (p) => p.on('pageerror', (err) => pageErrors.push(String(err))));
      }
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await app?.stop().catch(() => {});
      if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => {});
    });

    test('the listener presents the certificate whose fingerprint was printed', async () => {
      assert.match(printed, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const cert = new X509Certificate(await readFile(path.join(dataDir, 'config', 'sharing', 'lan-cert.pem')));
      assert.equal(cert.fingerprint256, printed, 'the certificate on disk');
      assert.equal(await presentedFingerprint(lanUrl), printed, 'the certificate the listener presents');
      // And it is the one behind the loopback API's answer.
      const s = await api('GET', '/sharing');
      assert.equal(s.status, 200, JSON.stringify(s.body));
      assert.equal(s.body.running, true);
      assert.equal(s.body.fingerprint, printed);
    });

    test('bob signs in, sees and finds only what is shared', async (t) => {
      const page = await bob.newPage();

      await t.test('the sharing address asks him to sign in', async () => {
        await page.goto(lanUrl);
        await page.getByTestId('login').waitFor();
        assert.equal(await page.getByRole('heading', { name: 'Sign in to Quarry' }).count(), 1);
        // Nothing of the app shows before signing in.
        assert.equal(await page.getByTestId('collection-item').count(), 0);
        await shoot(page, 'lan-sign-in.png');
        const r = await page.evaluate(async () => {
          const res = await fetch('/api/v1/collections');
          return { status: res.status, body: await res.json() };
        });
        assert.equal(r.status, 401);
        assert.equal(r.body.error.code, 'unauthenticated');
      });

      await t.test('a wrong password says so', async () => {
        await page.getByLabel('User name').fill('bob');
        await page.getByLabel('Password').fill('not-his-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        const err = page.getByTestId('login-error');
        await err.waitFor();
        assert.equal((await err.textContent()).trim(), 'Wrong user name or password.');
        assert.equal(await page.getByLabel('Password').isEnabled(), true);
        await shoot(page, 'lan-sign-in-wrong-password.png');
      });

      await t.test('the right one shows the app with only the shared collection', async () => {
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByTestId('collection-item').first().waitFor();
        const names = (await page.getByTestId('collection-name').allTextContents()).map((x) => x.trim());
        assert.deepEqual(names, ['Shared notes']);
        assert.equal((await page.getByTestId('signed-in-as').textContent()).trim(), 'bob');
        const cookies = await bob.cookies(lanUrl);
        const access = cookies.find((c) => c.name === 'quarry_access');
        assert.ok(access?.httpOnly && access.secure, `quarry_access is HttpOnly and Secure: ${JSON.stringify(cookies)}`);
        assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie readable by scripts');
      });

      await t.test('the shared collection offers nothing above reading', async () => {
        await page.getByTestId('collection-item').first().click();
        await page.getByTestId('detail-name').waitFor();
        assert.equal((await page.getByTestId('detail-name').textContent()).trim(), 'Shared notes');
        await page.getByTestId('access-note').waitFor();
        assert.match(await page.getByTestId('access-note').textContent(), /Shared with you by (?!local\b)[^.]+\.\s+You can search it and download its documents\./);
        for (const name of ['Delete…', 'Rename', 'Rescan', 'Share…', 'Add folder', 'Add folder…', 'Change model or precision…', 'New', 'Models', 'Settings']) {
          assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `no “${name}” button`);
        }
        for (const id of ['share-open', 'rescan', 'reindex-open', 'open-models', 'open-settings']) {
          assert.equal(await page.getByTestId(id).count(), 0, `no ${id}`);
        }
        assert.equal(await page.getByLabel('Folder path').count(), 0, 'no folder path field');
        assert.equal((await page.getByTestId('open-sharing').textContent()).trim(), 'API keys');
        assert.ok(!(await page.locator('body').innerText()).includes('Private notes'), 'the private collection is named nowhere');
        await shoot(page, 'lan-bob-collection.png');
      });

      await t.test('a word only in the private collection finds nothing', async () => {
        await page.keyboard.press('Control+K');
        await page.getByTestId('search-input').pressSequentially('zeppelin', { delay: 20 });
        await page.getByTestId('search-empty').waitFor();
        assert.equal(await page.getByTestId('search-result').count(), 0);
        assert.ok(!(await page.locator('body').innerText()).includes('Private notes'));
      });

      await t.test('a word in the shared collection finds its file, which downloads', async () => {
        await page.getByTestId('search-input').fill('');
        await page.getByTestId('search-input').pressSequentially('lighthouse', { delay: 20 });
        await page.getByTestId('search-result').first().waitFor();
        const names = (await page.getByTestId('result-name').allTextContents()).map((x) => x.trim());
        assert.deepEqual(names, ['lighthouse.txt']);
        assert.equal((await page.getByTestId('result-collection').first().textContent()).trim(), 'Shared notes');
        const link = page.getByTestId('result-download').first();
        const docId = await page.getByTestId('search-result').first().getAttribute('data-document-id');
        assert.equal(await link.getAttribute('href'), `/api/v1/documents/${docId}/file`);
        const fetched = await page.evaluate(async (href) => {
          const res = await fetch(href);
          return { status: res.status, disposition: res.headers.get('Content-Disposition'), text: await res.text() };
        }, await link.getAttribute('href'));
        assert.equal(fetched.status, 200);
        assert.match(fetched.disposition ?? '', /attachment/);
        assert.match(fetched.text, /lighthouse keeper/);
        await shoot(page, 'lan-bob-search.png');
        const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
        assert.equal(download.suggestedFilename(), 'lighthouse.txt');
        assert.match(await readFile(await download.path(), 'utf8'), /lighthouse keeper/);
        await page.keyboard.press('Escape');
      });

      await t.test('the private collection cannot be reached by its id', async () => {
        const got = await page.evaluate(
          async ({ cid, did }) => {
            const status = async (p, init) => (await fetch(p, init)).status;
            const search = await fetch('/api/v1/search', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ query: 'zeppelin', mode: 'keyword', filters: {}, collection_ids: [cid] }),
            });
            return {
              collection: await status(`/api/v1/collections/${cid}`),
              documents: await status(`/api/v1/collections/${cid}/documents?status=&limit=10&offset=0`),
              sources: await status(`/api/v1/collections/${cid}/sources`),
              file: await status(`/api/v1/documents/${did}/file`),
              search: { status: search.status, body: await search.json() },
            };
          },
          { cid: privateId, did: privateDocId },
        );
        assert.equal(got.collection, 404, 'GET the collection');
        assert.equal(got.documents, 404, 'list its documents');
        assert.equal(got.sources, 404, 'list its folders');
        assert.equal(got.file, 404, 'download its file');
        assert.ok(
          got.search.status === 404 || (got.search.status === 200 && (got.search.body.results ?? []).length === 0),
          `a search scoped to it: ${JSON.stringify(got.search)}`,
        );
        assert.ok(!JSON.stringify(got.search.body).includes('Private notes'), 'the search does not name it');
      });

      await t.test('his API keys page offers only his own keys', async () => {
        await page.getByTestId('open-sharing').click();
        await page.getByTestId('api-keys-panel').waitFor();
        for (const id of ['sharing-settings', 'users-panel', 'audit-panel']) assert.equal(await page.getByTestId(id).count(), 0, `no ${id}`);
        await shoot(page, 'lan-bob-api-keys.png');
        await page.getByTestId('sharing-close').click();
      });

      await t.test('signing out returns to the sign-in screen and the API refuses him', async () => {
        await page.getByTestId('sign-out').click();
        await page.getByTestId('login').waitFor();
        assert.match(await page.getByTestId('login').textContent(), /You have signed out\./);
        const r = await page.evaluate(async () => {
          const res = await fetch('/api/v1/collections');
          return { status: res.status, body: await res.json() };
        });
        assert.equal(r.status, 401);
        assert.equal(r.body.error.code, 'unauthenticated');
        await page.reload();
        await page.getByTestId('login').waitFor();
        assert.equal(await page.getByTestId('collection-item').count(), 0);
      });
      await page.close();
    });

    test('the owner’s Sharing page shows the printed fingerprint', async () => {
      const page = await owner.newPage();
      await page.goto(app.url);
      await page.getByTestId('open-sharing').click();
      await page.getByTestId('sharing-fingerprint').waitFor();
      assert.equal((await page.getByTestId('sharing-fingerprint').textContent()).trim(), printed);
      assert.equal((await page.getByTestId('sharing-state').textContent()).trim(), 'Running');
      // Started by --lan for this run: on, though not remembered as on.
      assert.equal(await page.getByTestId('sharing-switch').isChecked(), true);
      await page.getByTestId('sharing-this-run').waitFor();
      const urls = (await page.getByTestId('sharing-url').allTextContents()).map((x) => x.trim().replace(/\/$/, ''));
      assert.ok(urls.includes(lanUrl.replace(/\/$/, '')), `${JSON.stringify(urls)} lists ${lanUrl}`);
      await page.locator('[data-testid="user-row"][data-username="bob"]').waitFor();
      await shoot(page, 'lan-owner-sharing.png');
      // The audit log has bob's sign-ins, from the listener's side.
      const audit = page.getByTestId('audit-panel');
      await audit.scrollIntoViewIfNeeded();
      for (const action of ['auth.login_failed', 'auth.login', 'auth.logout']) {
        const row = audit.locator(`[data-testid="audit-row"][data-action="${action}"]`).first();
        await row.waitFor();
        assert.equal((await row.getByRole('cell').nth(1).textContent()).trim(), 'bob', `${action} names bob`);
      }
      const grant = audit.locator('[data-testid="audit-row"][data-action="permission.grant"]').first();
      assert.equal((await grant.getByRole('cell').nth(2).textContent()).trim(), 'Shared a collection with bob (read)');
      await shoot(page, 'lan-owner-sharing-users.png');
      await page.close();
    });

    test('the pages raised no errors', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
