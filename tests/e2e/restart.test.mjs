// The engine Worker dying (a real wasm trap, an exception in its global scope): the page and the element say so, a new
// Worker starts with the same model, the same text is drawn again with the same attention, and typing goes on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { goTo, openPage, root, start, typeText } from './browser.mjs';

let env;
before(async () => {
  env = await start({ mounts: [['/harness/', path.join(root, 'tests/e2e/harness')], ['/models/', path.join(root, 'models')],
    ['/', path.join(root, 'web')]] });
});
after(async () => { await env?.close(); });

const LONG = 'the cat sat on the mat and looked at the dog . '.repeat(40);  // 482 tokens: a run of several frames

// The engine Workers alive in a page (Emscripten's pthread workers are not counted); Playwright drops a terminated one
// from page.workers() when it hears of its end, so this waits up to 5 s for the count to settle on `want`.
async function engineWorkers(page, want) {
  const count = () => page.workers().filter((w) => /\/engine\/worker\.js$/.test(w.url())).length;
  for (let t = 0; t < 50 && count() !== want; t++) await page.waitForTimeout(100);
  return count();
}

// The page's drawn result, every tensor whole: its tokens, and its attention's length and SHA-256 (hex; not 15 MB of
// numbers through Playwright).
const drawn = (page) => page.evaluate(async () => {
  const r = await window.headlight.full();
  const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', r.attention))].map((b) => b.toString(16).padStart(2, '0'));
  return { tokens: r.tokens.map((t) => t.text), attention: [r.attention.length, sha.join('')] };
});

// The same build, model and text give the same bits.
function sameAttention(got, want, what) {
  assert.deepEqual(got.tokens, want.tokens, `${what}: tokens`);
  assert.deepEqual(got.attention, want.attention, `${what}: the attention's bytes differ`);
}

const status = (page) => page.evaluate(() => ({ text: document.querySelector('#status').textContent,
  error: document.querySelector('#status').classList.contains('error') }));

test('the page: a wasm trap while idle restarts the engine with the model, redraws the same attention, and typing works', async () => {
  const page = await openPage(env.browser, `${env.url}?test-crash`);
  const want = await drawn(page);
  const runs = await page.evaluate(() => window.headlight.runs);
  await page.evaluate(() => window.headlight.crashEngine('trap'));
  await page.waitForFunction((n) => window.headlight.restarts === 1 && window.headlight.runs > n, runs, { timeout: 60000 });
  const s = await status(page);
  assert.match(s.text, /The engine stopped \(memory access out of bounds\) and was restarted with headlight-mini/);
  assert.equal(s.error, false, s.text);
  sameAttention(await drawn(page), want, 'after the restart');
  assert.equal(await engineWorkers(page, 1), 1, 'the dead Worker was not terminated, or no new one started');
  await typeText(page, 'a', 'Hello world.');
  assert.deepEqual(await page.evaluate(() => window.headlight.result.tokens.slice(0, 4).map((t) => t.text)), ['[CLS]', 'hello', 'world', '.']);
  assert.match((await status(page)).text, /^headlight-mini: \d+ tokens/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the page: the Worker dying during a run fails no run on screen; the run\'s text is drawn once the engine is back', async () => {
  const page = await openPage(env.browser, `${env.url}?test-crash`);
  await typeText(page, 'b', '');
  const before = await page.evaluate(() => ({ runs: window.headlight.runs, partials: window.headlight.partials }));
  // The viewed layer is drawn early while the later ones run: the crash is asked for in the task that draws it, while
  // the Worker holds the run's later layers until that layer is on screen.
  await page.evaluate(() => {
    const h = window.headlight;
    let partials = h.partials;
    Object.defineProperty(h, 'partials', { configurable: true, get: () => partials,
      set: (v) => { partials = v; h.crashEngine('throw'); Object.defineProperty(h, 'partials', { value: v, writable: true }); } });
  });
  await page.fill('#a', LONG);
  await page.waitForFunction(() => window.headlight.restarts === 1 && window.headlight.result?.partial === false
    && window.headlight.result.text.a.length > 400, null, { timeout: 60000 });
  const s = await status(page);
  assert.match(s.text, /^headlight-mini: 482 tokens.*The engine stopped \(Uncaught Error: crash-for-test: thrown in the engine Worker\) and was restarted with headlight-mini/s);
  assert.equal(s.error, false, s.text);
  // the interrupted run gave no result: the one drawn is the run after the restart
  assert.equal(await page.evaluate(() => window.headlight.runs), before.runs + 1);
  const got = await drawn(page);
  assert.equal(got.tokens.length, 482);
  // the same text on a page that never crashed draws the same attention
  const fresh = await openPage(env.browser, `${env.url}?a=${encodeURIComponent(LONG)}`);
  sameAttention(got, await drawn(fresh), 'the redrawn long text');
  await fresh.close();
  await typeText(page, 'a', 'Still typing.');
  assert.equal(await page.evaluate(() => window.headlight.result.n), 5);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the page: a Worker that dies during the first model load is replaced, the model is loaded again and drawn, and the status says so', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  // The first engine Worker is a module that imports tests/e2e/harness/die_on_first_load.js and then the real worker.js;
  // the Workers after it are the real one.
  let stand = 0;
  // (the real response's headers: the page is cross-origin isolated, and a Worker without COEP would not start)
  await page.route((url) => url.pathname === '/engine/worker.js' && url.search === '', async (route) => {
    if (stand++ > 0) return route.continue();
    return route.fulfill({ response: await route.fetch(),
      body: "import '/harness/die_on_first_load.js';\nimport '/engine/worker.js?real';\n" });
  });
  await goTo(page, env.url);
  assert.equal(stand, 2, 'the stand-in and then the real Worker');
  assert.equal(await page.evaluate(() => window.headlight.restarts), 1);
  const s = await status(page);
  assert.match(s.text, /^headlight-mini: \d+ tokens.*The engine stopped \(Uncaught Error: killed by the test during the first model load\) while loading the model and was restarted/s);
  assert.equal(s.error, false, s.text);
  const fresh = await openPage(env.browser, env.url);
  sameAttention(await drawn(page), await drawn(fresh), 'the first model loaded by the second Worker');
  await fresh.close();
  assert.equal(await engineWorkers(page, 1), 1);
  await typeText(page, 'a', 'Hello world.');
  assert.deepEqual(await page.evaluate(() => window.headlight.result.tokens.slice(0, 4).map((t) => t.text)), ['[CLS]', 'hello', 'world', '.']);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('crashEngine is refused without ?test-crash: the Worker honours it only for a client made with testHooks', async () => {
  const page = await openPage(env.browser, env.url);
  await assert.rejects(page.evaluate(() => window.headlight.crashEngine('trap')), /not made with testHooks/);
  // the Worker itself refuses the message from a client without the hooks
  const answer = await page.evaluate(() => new Promise((resolve) => {
    const w = new Worker('/engine/worker.js', { type: 'module' });
    w.onmessage = ({ data }) => {
      if (data.id === 1) w.postMessage({ type: 'crash-for-test', id: 2, how: 'trap' });
      if (data.id === 2) { w.terminate(); resolve(data); }
    };
    w.postMessage({ type: 'init', id: 1, threads: 1 });
  }));
  assert.equal(answer.type, 'error');
  assert.match(answer.error.message, /crash-for-test is for tests/);
  assert.equal(await page.evaluate(() => window.headlight.restarts), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the element: a dead engine Worker is restarted, each element draws its text again, and a new sentence runs', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(`${env.url}harness/elements.html`);
  const ready = (id) => page.waitForFunction((i) => document.getElementById(i)?.status === 'ready', id, { timeout: 60000 });
  await ready('one');
  await ready('two');
  const whole = (id) => page.evaluate(async (i) => {
    const el = document.getElementById(i);
    const r = await (await window.pool.engine()).whole(el.data);
    const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', r.attention))].map((b) => b.toString(16).padStart(2, '0'));
    return { tokens: r.tokens.map((t) => t.text), attention: [r.attention.length, sha.join('')],
      status: el.shadowRoot.querySelector('.hl-status').textContent };
  }, id);
  const want = { one: await whole('one'), two: await whole('two') };
  // an exception in the Worker's global scope (its 'error' event), thrown through Playwright: no hook in the product
  const worker = page.workers().find((w) => /\/engine\/worker\.js$/.test(w.url()));
  await worker.evaluate(() => { setTimeout(() => { throw new Error('thrown by the test'); }); });
  for (const id of ['one', 'two']) {
    await page.waitForFunction((i) => /engine stopped/.test(document.getElementById(i).shadowRoot.querySelector('.hl-status').textContent)
      && document.getElementById(i).status === 'ready', id, { timeout: 60000 });
    const got = await whole(id);
    assert.match(got.status, /the engine stopped \(Uncaught Error: thrown by the test\) and was restarted with headlight-mini/);
    sameAttention(got, want[id], `element ${id}`);
  }
  assert.equal(await engineWorkers(page, 1), 1);
  await page.evaluate(() => document.getElementById('one').setAttribute('sentence-a', 'A brand new first sentence here.'));
  await page.waitForFunction(() => document.getElementById('one').data.tokens.some((t) => t.text === 'brand'));
  assert.deepEqual(page.errors, []);
  await page.close();
});
