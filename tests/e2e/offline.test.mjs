// Offline use (issue #6): the service worker (web/sw.js) keeps the app, the page keeps the model (web/page/models.js);
// with the network off the page loads and runs, and a corrupted cached model is caught by its sha256 and downloaded again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { serve } from '../../tools/serve.mjs';
import { root, start, typeText } from './browser.mjs';

const manifest = JSON.parse(readFileSync(path.join(root, 'models/builtin.json'), 'utf8'));
const builtin = manifest.models.find((m) => m.id === manifest.default);
const MODEL_FILE = path.posix.basename(builtin.file);  // 'headlight-mini.hlm', as the notes name it
// The page has drawn a run, or given up with an error in its status line (waited for, then asserted with the status as message).
const drawnOrError = () => (window.headlight?.runs > 0 && window.headlight.view) || document.querySelector('#status.error');
async function waitForDrawing(page) {
  await page.waitForFunction(drawnOrError, null, { timeout: 60000 });
  const { ok, status } = await page.evaluate(() => ({ ok: window.headlight.runs > 0 && !!window.headlight.view,
    status: document.querySelector('#status').textContent }));
  assert.ok(ok, `the page did not draw: ${status}`);
}

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

// A page in a fresh context (its own service workers and caches) whose first drawing is done; page errors fail the test.
async function freshPage(url) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(url);
  await waitForDrawing(page);
  return { context, page };
}

async function reloadAndDraw(page) {
  await page.reload();
  await waitForDrawing(page);
}

test('with the network off the page loads from the service worker\'s cache, runs the cached model and answers edits', async () => {
  // Its own server, so that the test can see what reaches it and then take it away.
  const { server, url } = await serve({ port: 0 });
  const requests = [];
  server.on('request', (req) => requests.push(req.url));
  const { context, page } = await freshPage(url);
  try {
    assert.equal(await page.evaluate(() => window.headlight.modelNote), null, 'the first visit downloads the model');
    // The service worker installed (every file of app-files.json cached), active and controlling the page.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, { timeout: 30000 });
    const cache = await page.evaluate(async () => {
      const list = await (await fetch('app-files.json')).json();
      const app = await caches.open('headlight-app-v1');
      const missing = [];
      for (const f of list) if (!(await app.match(new URL(f, document.baseURI).href))) missing.push(f);
      const models = (await (await caches.open('headlight-models-v1')).keys()).map((r) => r.url);
      return { count: list.length, missing, models };
    });
    assert.deepEqual(cache.missing, [], 'every file of app-files.json is in the app cache');
    assert.ok(cache.count > 20, `app-files.json lists the app (${cache.count} files)`);
    assert.deepEqual(cache.models, [new URL(`models/${builtin.file}`, url).href]);

    // Offline as the browser sees it: nothing may reach the server, the service worker's own fetches included.
    await context.setOffline(true);
    requests.length = 0;
    await reloadAndDraw(page);
    assert.deepEqual(requests, [], 'no request reached the server while offline');
    const offline = await page.evaluate(() => ({ status: document.querySelector('#status').textContent, note: window.headlight.modelNote,
      isolated: crossOriginIsolated, lines: document.querySelectorAll('#view path.hl-head-line').length }));
    assert.match(offline.status, /headlight-mini: 19 tokens, 4 layers × 4 heads/);
    assert.equal(offline.note, `${MODEL_FILE}: from the offline cache`);
    assert.match(offline.status, new RegExp(`${MODEL_FILE.replace('.', '\\.')}: from the offline cache`));
    assert.ok(offline.isolated, 'cached responses keep the cross-origin isolation headers');
    assert.match(offline.status, /threads/, 'so the threaded engine still runs');
    assert.equal(offline.lines, 19 * 19 * 4);

    // And with no server at all: the page loads again, and a new text gives a new run.
    server.close();
    server.closeAllConnections();
    await reloadAndDraw(page);
    await typeText(page, 'b', '');
    await typeText(page, 'a', 'Hello world.');
    const edited = await page.evaluate(() => ({ n: window.headlight.result.n, status: document.querySelector('#status').textContent }));
    assert.equal(edited.n, 5);
    assert.match(edited.status, /headlight-mini: 5 tokens/);
    // A file that was never cached: the service worker says so.
    const missing = await page.evaluate(async () => {
      const res = await fetch('no-such-file.txt');
      return { status: res.status, text: await res.text() };
    });
    assert.equal(missing.status, 503);
    assert.match(missing.text, /^Headlight is offline and \/no-such-file\.txt was not cached/);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
    server.close();
  }
});

test('a corrupted cached model is caught by its sha256, downloaded again and cached intact', async () => {
  const { context, page } = await freshPage(env.url);
  try {
    const modelUrl = new URL(`models/${builtin.file}`, env.url).href;
    const cachedSha = () => page.evaluate(async (u) => {
      const res = await (await caches.open('headlight-models-v1')).match(u);
      const digest = await crypto.subtle.digest('SHA-256', await res.arrayBuffer());
      return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    }, modelUrl);
    assert.equal(await cachedSha(), builtin.sha256, 'the first visit cached the model');
    // One byte flipped, same length: only the sha256 can tell.
    await page.evaluate(async (u) => {
      const cache = await caches.open('headlight-models-v1');
      const res = await cache.match(u);
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[bytes.length >> 1] ^= 0x5a;
      await cache.put(u, new Response(bytes, { headers: res.headers }));
    }, modelUrl);
    assert.notEqual(await cachedSha(), builtin.sha256);

    const downloads = [];
    page.on('request', (r) => { if (r.url() === modelUrl) downloads.push(r.url()); });
    await reloadAndDraw(page);
    const note = await page.evaluate(() => window.headlight.modelNote);
    assert.equal(note, `the cached copy of ${MODEL_FILE} was corrupt (sha256 mismatch): downloaded it again`);
    assert.match(await page.textContent('#status'), /headlight-mini: 19 tokens.*was corrupt \(sha256 mismatch\): downloaded it again/);
    assert.equal(downloads.length, 1, 'the model was downloaded again');
    assert.equal(await cachedSha(), builtin.sha256, 'the cache holds the intact model again');

    // The next visit uses the repaired copy.
    downloads.length = 0;
    await reloadAndDraw(page);
    assert.equal(await page.evaluate(() => window.headlight.modelNote), `${MODEL_FILE}: from the offline cache`);
    assert.deepEqual(downloads, []);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
  }
});
