// Models by Hugging Face hub id in Chromium, against the local hub (local_hub.mjs: the hub's URL layout, a 302 to a
// second origin for the weights, CORS): a shared ?hub= link converts and draws the model; the id box reports each
// failure and the model in use stays; Cancel stops a download.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { goTo, openPage, start, typeText } from './browser.mjs';
import { startHub } from './local_hub.mjs';

let env, hub, page;
before(async () => {
  env = await start();
  hub = await startHub();
  page = await openPage(env.browser, env.url);
});
after(async () => { hub?.close(); await env?.close(); });

const status = () => page.textContent('#status');
const picker = () => page.evaluate(() => ({ value: document.querySelector('#model').value,
  options: [...document.querySelectorAll('#model option')].map((o) => o.value) }));

test('a ?hub= link downloads the checkpoint, converts it in the Worker and draws it; the link keeps it', async () => {
  await goTo(page, `${env.url}?hub=test/tiny-bert&hub_endpoint=${encodeURIComponent(hub.endpoint)}`);
  await page.waitForFunction(() => window.headlight.result?.layers === 2, null, { timeout: 120000 });
  assert.match(await status(), /^test\/tiny-bert: \d+ tokens, 2 layers/);
  assert.equal((await picker()).value, 'hub:test/tiny-bert');
  assert.match(await page.evaluate(() => location.search), /[?&]hub=test%2Ftiny-bert/);
  assert.ok(hub.requests.some((r) => r.origin === 'cdn'), 'the weights came through the redirect to the CDN origin');
  assert.ok(await page.locator('#view path.hl-head-line').count() > 0);
  assert.deepEqual(page.errors, []);
});

test('a failing id shows what to do, stays out of the picker, and the model in use keeps running', async () => {
  const before = await picker();
  for (const [id, message] of [['test/nothing-here', /has no model test\/nothing-here/], ['gated/secret', /gated or private/],
    ['test/only-bin', /only pytorch_model.bin.*tools\/fetch-model/], ['not an id', /not a Hugging Face model id/]]) {
    await page.fill('#hub-id', id);
    await page.click('#hub-load');
    await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#status').textContent), message.source);
    assert.ok(await page.evaluate(() => document.querySelector('#status').classList.contains('error')), id);
    assert.deepEqual(await picker(), before, id);
  }
  await typeText(page, 'a', 'Still here.');
  assert.match(await status(), /^test\/tiny-bert: /);
});

test('Cancel stops a download; the page goes on with its model', async () => {
  hub.delayMs = 200;
  await page.fill('#hub-id', 'test/tiny-bert@other');  // another entry: not taken from the picker
  await page.click('#hub-load');
  await page.waitForFunction(() => /Downloading test\/tiny-bert@other: model.safetensors [\d.]+ of [\d.]+ MB, [\d.]+ MB\/s/
    .test(document.querySelector('#status').textContent), null, { timeout: 30000 });
  await page.click('#hub-cancel');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Stopped downloading'));
  hub.delayMs = 0;
  assert.equal(await page.isHidden('#hub-cancel'), true);
  assert.equal((await picker()).value, 'hub:test/tiny-bert');
});

test('<headlight-attention model="owner/name"> downloads, converts and draws a hub checkpoint', async () => {
  const got = await page.evaluate(async (endpoint) => {
    await import('/component/headlight-attention.js');
    const el = document.createElement('headlight-attention');
    el.setAttribute('sentence-a', 'The cat sat on the mat.');
    el.setAttribute('model', 'test/tiny-bert');
    el.setAttribute('hub-endpoint', endpoint);
    const done = new Promise((ok, fail) => {
      el.addEventListener('headlight-ready', ok, { once: true });
      el.addEventListener('headlight-error', (e) => fail(new Error(e.detail.message)), { once: true });
    });
    document.body.append(el);
    await done;
    return { status: el.status, layers: el.data?.layers, lines: el.shadowRoot.querySelectorAll('path.hl-head-line').length };
  }, hub.endpoint);
  assert.equal(got.status, 'ready');
  assert.equal(got.layers, 2);
  assert.ok(got.lines > 0);
});
