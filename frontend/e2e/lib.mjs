// Shared by the end-to-end tests: starting the app binary and Chromium.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BIN = process.env.QUARRY_BIN;
export const REQUIRE_ALL = process.env.QUARRY_REQUIRE_ALL === '1';
export const CHROMIUM = process.env.QUARRY_CHROMIUM || '/usr/bin/chromium';
export const OUT = process.env.QUARRY_E2E_OUT;
const READY_TIMEOUT_MS = 90_000;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where build/scripts/test.sh collects results: screenshots land there when $QUARRY_E2E_OUT is not set. */
export const RESULTS_DIR = OUT || path.join(repoRoot, 'build', 'test-results');
/** The shared models and datasets, beside the repository unless QUARRY_SHARED_DIR says otherwise. */
export const SHARED = process.env.QUARRY_SHARED_DIR || path.resolve(repoRoot, '../shared');
/** The test model: MiniLM-L6's real tokenizer with synthetic weights of the same shape. */
export const MODEL = 'all-MiniLM-L6-v2';
export const MODEL_DIRS = [path.join(SHARED, 'models', 'all-MiniLM-L6-v2'), path.join(SHARED, 'models', 'synthetic-minilm-l6-int8')];
/** Indexing on a slow two-core machine: loading the model, embedding, the vector index. */
export const INDEX_TIMEOUT_MS = 240_000;

/**
 * Runs suite when the app binary and the test model are there. Otherwise
 * the tests are skipped, or fail under QUARRY_REQUIRE_ALL=1 (CI).
 */
export function withModel(name, suite) {
  const absent = [...MODEL_DIRS, path.join(SHARED, 'models', 'synthetic-bert-tiny')].find((d) => !existsSync(d));
  const missing = !BIN
    ? 'QUARRY_BIN is not set: build the app (make build) and point QUARRY_BIN at it'
    : absent
      ? `the test model is missing: ${absent} (set QUARRY_SHARED_DIR)`
      : '';
  if (!missing) {
    suite();
  } else if (REQUIRE_ALL) {
    test(`${name} prerequisites`, () => assert.fail(`${missing} (QUARRY_REQUIRE_ALL=1 makes this a failure)`));
  } else {
    test(name, { skip: missing }, () => {});
  }
}

/** Installs the test model into a data directory with the real CLI. */
export function importTestModel(dataDir) {
  return runBin(['import-model', '-model', MODEL, '-variant', 'int8', '-allow-unverified', '-data-dir', dataDir, ...MODEL_DIRS]);
}
/** The registered reranker the tests install. */
export const RERANKER = 'ms-marco-MiniLM-L-6-v2';

/**
 * Installs a test reranker into a data directory: a cross-encoder built
 * from the shared synthetic tiny BERT (real runtime, meaningless scores),
 * imported with the real CLI.
 */
export async function importTestReranker(tmp, dataDir) {
  const dir = path.join(tmp, 'cross-encoder');
  await run('go', ['run', './backend/fixtures/crossencoder/cmd/crossencoder',
    '-base', path.join(SHARED, 'models', 'synthetic-bert-tiny', 'model.onnx'),
    '-tokenizer', path.join(SHARED, 'models', 'all-MiniLM-L6-v2'), '-out', dir], repoRoot);
  await chmod(dir, 0o755);
  return runBin(['import-model', '-model', RERANKER, '-allow-unverified', '-data-dir', dataDir, dir]);
}

/** Runs a command to completion in cwd; rejects with its output when it fails. */
function run(cmd, args, cwd, timeoutMs = 180_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out = (out + d).slice(-16_000)));
    child.stderr.setEncoding('utf8').on('data', (d) => (out = (out + d).slice(-16_000)));
    const what = `${path.basename(cmd)} ${args[0]}`;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} took longer than ${timeoutMs / 1000} s; output:\n${out}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${cmd}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${what} exited (code ${code}, signal ${signal}); output:\n${out}`));
    });
  });
}

/** A JSON client for the app's API; url() is read on each call (a restarted app has a new port). */
export function apiClient(url) {
  return async (method, p, body) => {
    const res = await fetch(url().replace(/\/$/, '') + '/api/v1' + p, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/** Calls fn every `every` ms until it returns something truthy, and returns that; fails after ms. */
export async function pollUntil(what, fn, ms = 60_000, every = 250) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() < deadline, `${what} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const STOP_TIMEOUT_MS = 30_000;

/**
 * Starts `quarry --serve 127.0.0.1:0` (plus extraArgs) and resolves with
 * its URL once it says it is serving; stdout() is what it printed so far.
 */
export async function startApp(dataDir, extraArgs = []) {
  const child = spawn(BIN, ['--serve', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr = (stderr + d).slice(-16_000);
  });
  const exited = once(child, 'exit');
  const tail = () => stderr.split('\n').slice(-30).join('\n');
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`quarry did not say it was serving within ${READY_TIMEOUT_MS / 1000} s; stderr tail:\n${tail()}`));
    }, READY_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      const m = /quarry: serving (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${BIN}: ${err.message}`));
    });
    exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`quarry exited (code ${code}, signal ${signal}) before serving; stderr tail:\n${tail()}`));
    });
  });
  return {
    url,
    child,
    tail,
    stdout: () => stdout,
    /** SIGINT, then the exit code (SIGKILL after a deadline). */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const [code, signal] = await exited;
      clearTimeout(timer);
      return { code, signal };
    },
  };
}

/** Headless Chromium with a profile in dir. */
export function launchBrowser(dir) {
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Runs BIN with args; resolves with its output, rejects on a non-zero exit or after timeoutMs. */
export function runBin(args, timeoutMs = 180_000) {
  return run(BIN, args, undefined, timeoutMs);
}

/**
 * A temporary folder holding a data directory. Run as root, the app runs
 * PostgreSQL as an unprivileged user, which must be able to traverse both.
 */
export async function makeWorkDir(prefix) {
  const tmp = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(tmp, 0o755);
  const dataDir = path.join(tmp, 'data');
  await mkdir(dataDir, { mode: 0o755 });
  await chmod(dataDir, 0o755);
  return { tmp, dataDir };
}

/** Starts the app on dataDir and a browser page; errors the page raises go to pageErrors. */
export async function openSession(tmp, dataDir, pageErrors, timeoutMs) {
  const app = await startApp(dataDir);
  const context = await launchBrowser(path.join(tmp, 'chromium'));
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeoutMs);
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  return { app, context, page };
}

/** Closes the browser, stops the app and removes the work folder, whatever state they are in. */
export async function closeSession({ app, context }, tmp) {
  await context?.close().catch(() => {});
  await app?.stop().catch(() => {});
  if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => {});
}

/**
 * Saves a screenshot to dir ($QUARRY_E2E_OUT unless given; none when
 * neither is), first dismissing toasts unless keepToasts.
 */
export async function screenshot(page, name, { keepToasts = false, dir = OUT } = {}) {
  if (!dir) return;
  if (!keepToasts) {
    const close = page.getByTestId(/^toast-/).getByRole('button', { name: 'Dismiss', exact: true });
    while ((await close.count()) > 0) await close.first().click();
  }
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name), animations: 'disabled' });
}
