// Models by Hugging Face hub id in Chromium, against the local hub (local_hub.mjs: the hub's URL layout, a 302 to a
// second origin for the weights, CORS, Range): a shared ?hub= link converts and draws the model as it downloads; the
// converted model is kept and loads again with the hub off; the id box reports each failure and the model in use stays;
// Cancel stops a download; a cut transfer resumes; a full disk is reported; the catalog's bert-base-uncased (the
// bert-base-shaped fixture) loads from the picker and draws its 144 heads; DistilBERT and RoBERTa load at the tiny and the
// bert-base shape.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { CSP } from '../../tools/csp.mjs';
import { goTo, openPage, start, typeText } from './browser.mjs';
import { sha256, startHub, testRepos } from './local_hub.mjs';

let env, hub, page;
before(async () => {
  hub = await startHub(testRepos({ base: true }));
  // The page's policy with the local hub's two origins in connect-src, as a host using a mirror adds it (embedding.md).
  env = await start({ csp: CSP.replace("connect-src 'self'", `connect-src 'self' ${hub.endpoint} ${hub.cdn}`) });
  page = await openPage(env.browser, env.url);
});
after(async () => { hub?.close(); await env?.close(); });

const status = () => page.textContent('#status');
const hubLink = (id) => `${env.url}?hub=${id}&hub_endpoint=${encodeURIComponent(hub.endpoint)}`;
const waitStatus = (re, timeout = 120000) => page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#status').textContent),
  re.source, { timeout });
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

test('the converted model is kept: a reload loads it from the cache (no download), also with the hub off; Delete removes it', async () => {
  hub.requests.length = 0;
  await goTo(page, hubLink('test/tiny-bert'));
  await page.waitForFunction(() => window.headlight.result?.layers === 2, null, { timeout: 60000 });
  await waitStatus(/test\/tiny-bert: from the offline cache \(converted \d{4}-\d\d-\d\d\)/);
  const weights = hub.requests.filter((r) => r.origin === 'cdn');
  assert.ok(weights.length > 0 && weights.every((r) => r.method === 'HEAD'), 'only the ETag was asked for');
  hub.offline = true;
  await goTo(page, hubLink('test/tiny-bert'));
  await page.waitForFunction(() => window.headlight.result?.layers === 2, null, { timeout: 60000 });
  await waitStatus(/from the offline cache .*the hub is out of reach/);
  hub.offline = false;
  await page.click('#cached summary');
  const item = page.locator('#cached li', { hasText: 'test/tiny-bert ·' }).first();
  assert.match(await item.textContent(), /test\/tiny-bert · [\d.]+ MB · \d{4}-\d\d-\d\d/);
  const n = await page.locator('#cached li').count();
  await item.locator('button').click();
  await page.waitForFunction((k) => document.querySelectorAll('#cached li').length === k - 1, n);
  assert.deepEqual(page.errors, []);
});

test('a transfer cut midway resumes in the page: every byte of the weights is fetched once', async () => {
  const weights = testRepos()['test/tiny-bert']['model.safetensors'];
  hub.cuts.set(sha256(weights), { after: 3 << 20, times: 1 });
  hub.requests.length = 0;
  await page.fill('#hub-id', 'test/tiny-bert@cut');
  await page.click('#hub-load');
  await waitStatus(/^test\/tiny-bert@cut: \d+ tokens, 2 layers/);
  hub.cuts.clear();
  const gets = hub.requests.filter((r) => r.origin === 'cdn' && r.method === 'GET' && r.path.endsWith(sha256(weights)));
  // The second request starts where the page's bytes stopped: at most the 3 MB sent (a reset connection may drop some
  // in flight), never 0 (a restart).
  assert.equal(gets.length, 2, JSON.stringify(gets));
  assert.equal(gets[0].range, null);
  const from = Number(/^bytes=(\d+)-$/.exec(gets[1].range)?.[1]);
  assert.ok(from > 0 && from <= 3 << 20, gets[1].range);
});

test('a sharded checkpoint loads; a full disk says the model was not kept, and the model works', async () => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(env.url).origin, quotaSize: 100000 });
  try {
    await page.fill('#hub-id', 'test/sharded');
    await page.click('#hub-load');
    await waitStatus(/^test\/sharded: \d+ tokens, 2 layers.*was not kept for offline use: this site's storage is full \(QuotaExceededError\)/);
    await typeText(page, 'a', 'The model still runs.');
    assert.match(await status(), /^test\/sharded: /);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(env.url).origin });
  }
});

test('the picker lists the catalog with sizes; its bert-base-uncased (a bert-base-shaped checkpoint) loads and draws 144 heads', async () => {
  const labels = await page.$$eval('#model optgroup option', (os) => os.map((o) => o.textContent));
  assert.ok(labels.length >= 9, labels.join('\n'));
  assert.ok(labels.some((l) => /^bert-base-uncased · 12×12 heads · ≈4\d\d MB$/.test(l)), labels.join('\n'));
  assert.ok(labels.some((l) => /^bert-large-uncased · 24×16 heads · ≈1\.\d\d GB$/.test(l)), labels.join('\n'));
  const t0 = Date.now();
  await page.selectOption('#model', 'hub:google-bert/bert-base-uncased');
  await waitStatus(/Downloading google-bert\/bert-base-uncased: model.safetensors [\d.]+ of 4\d\d\.\d MB/, 60000);
  await waitStatus(/^google-bert\/bert-base-uncased: \d+ tokens, 12 layers × 12 heads/, 300000);
  console.log(`bert-base shape from the local hub: downloaded, converted and drawn in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(await page.evaluate(() => window.headlight.result.layers * window.headlight.result.heads_per_layer), 144);
  assert.equal((await picker()).value, 'hub:google-bert/bert-base-uncased');
  assert.deepEqual(page.errors, []);
});

// Typing on bert-base: a newer keystroke supersedes the run in flight (it stops at a layer boundary), yet the view
// redraws while typing goes on, and the last keystroke's text is what ends up drawn. The figures printed are for reading;
// npm run bench:page measures them.
test('typing at 100 ms a key on the bert-base shape: runs are superseded, the view redraws while typing, the last text is drawn', async () => {
  await typeText(page, 'b', '');
  const text = ['The quick brown fox, a creature of habit and considerable cunning, jumped over the lazy dog that lay',
    'sleeping in the warm afternoon sun beside the old stone wall of the farmhouse, where generations of farmers had',
    'tended their fields, raised their children, and told stories of foxes and dogs to anyone who would listen.',
    'Nobody in the village could remember a time when the fox had not come by at dusk, and the dog, old and grey,',
    'had long since given up chasing it; the two of them had reached an understanding that amused everyone, '].join(' ');
  await typeText(page, 'a', text);
  const n0 = await page.evaluate(() => window.headlight.result.n);
  assert.ok(n0 > 100, `${n0} tokens`);
  const before = await page.evaluate(() => {
    window.__keys = [];   // when each key reached the text
    window.__draws = [];  // each drawing (a run's result, or its viewed layer sent early): when, and its text's end
    document.querySelector('#a').addEventListener('input', () => window.__keys.push(performance.now()));
    const count = () => window.headlight.runs + window.headlight.partials;
    let seen = count();
    const watch = () => {
      if (count() !== seen) {
        seen = count();
        window.__draws.push({ t: performance.now(), end: window.headlight.result.tokens.slice(-5, -1).map((t) => t.text).join(' ') });
      }
      window.__watch = requestAnimationFrame(watch);
    };
    watch();
    return { runs: window.headlight.runs, engineRuns: window.headlight.engineRuns };
  });
  await page.focus('#a');
  await page.keyboard.press('End');
  const typed = 'and the dog never woke.';
  await page.keyboard.type(typed, { delay: 100 });
  await page.waitForFunction(() => window.__draws.some((d) => d.end === 'dog never woke .'), null, { timeout: 60000 });
  const r = await page.evaluate(() => { cancelAnimationFrame(window.__watch); return { keys: window.__keys, draws: window.__draws,
    engineRuns: window.headlight.engineRuns }; });
  const [first, last] = [r.keys[0], r.keys.at(-1)];
  assert.equal(r.keys.length, typed.length);
  const during = r.draws.filter((d) => d.t > first && d.t < last).map((d) => d.t);
  assert.ok(during.length >= 1, `the view redrew while typing (${typed.length} keys over ${((last - first) / 1000).toFixed(1)} s): ${during.length} times`);
  const final = r.draws.find((d) => d.end === 'dog never woke .');
  assert.ok(final.t > last);
  const started = r.engineRuns - before.engineRuns;
  const gaps = [first, ...during, last].slice(1).map((t, i) => t - [first, ...during][i]);
  console.log(`typing ${typed.length} keys at 100 ms on bert-base (${n0} tokens): ${started} runs started, ${r.draws.length} drawings, ` +
    `${during.length} while typing (longest wait ${Math.max(...gaps).toFixed(0)} ms), last key → its drawing ${(final.t - last).toFixed(0)} ms`);
  // Ten texts sent at once: the first stops at its first layer boundary, eight never start, the tenth is the one answered.
  const burst = await page.evaluate(async (base) => {
    const runs0 = window.headlight.engineRuns;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, k) => window.headlight.run(`${base} ${k}`)));
    return { answers: answers.map((x) => (x ? x.tokens.at(-2).text : null)), started: window.headlight.engineRuns - runs0 };
  }, text);
  assert.deepEqual(burst, { answers: [...Array(9).fill(null), '9'], started: 2 });
  assert.deepEqual(page.errors, []);
});

test('DistilBERT and RoBERTa checkpoints load by hub id and draw, each with its own special tokens', async () => {
  await typeText(page, 'a', 'The cat sat on the mat.');  // few enough lines for SVG
  for (const [id, cls, sep, layers] of [['test/tiny-distilbert', '[CLS]', '[SEP]', 2], ['test/tiny-roberta', '<s>', '</s>', 2]]) {
    await page.fill('#hub-id', id);
    await page.click('#hub-load');
    await waitStatus(new RegExp(`^${id.replace('/', '\\/')}: \\d+ tokens, ${layers} layers`));
    const tokens = await page.evaluate(() => window.headlight.result.tokens.map((t) => t.text));
    assert.equal(tokens[0], cls, id);
    assert.ok(tokens.includes(sep), id);
    assert.equal(await page.textContent('#special-names'), `${cls}/${sep}`, 'the toggle names the model\'s special tokens');
    assert.ok(await page.locator('#view path.hl-head-line').count() > 0, id);
  }
  assert.deepEqual(page.errors, []);
});

test('on a hub RoBERTa, hostile text runs and stays text; a checkpoint cut short or not safetensors is refused with its reason', async () => {
  assert.match(await status(), /^test\/tiny-roberta: \d+ tokens/, 'the model the test before loaded');
  await typeText(page, 'b', '');
  await typeText(page, 'a', '');  // (blanks are tokens of their own in byte-level BPE, as in transformers)
  assert.match(await status(), /The text is empty: type a sentence/);
  await typeText(page, 'a', '😀 漢字テスト مرحبا بالعالم שלום Ünïcödé \u200b\u202e e\u0301');
  assert.ok(await page.evaluate(() => window.headlight.result.n) > 8);
  await page.evaluate(() => { window.__pwned = 0; });
  await typeText(page, 'a', '<img src=x onerror="window.__pwned=1"><b>bold</b> <script>window.__pwned=2</script>');
  assert.deepEqual(await page.evaluate(() => ({ elements: document.querySelectorAll('#view img, #view b, #view script').length,
    pwned: window.__pwned, drawnTag: [...document.querySelectorAll('#view text')].some((t) => t.textContent.includes('<')) })),
  { elements: 0, pwned: 0, drawnTag: true });
  await typeText(page, 'a', 'word '.repeat(700));
  assert.match(await page.textContent('#notice'), /longer than the model's \d+ positions: cut in sentence A/);
  for (const [id, message] of [['test/truncated', /model.safetensors ended after [\d,]+ bytes/],
    ['test/garbage', /header length \d+ is not a safetensors file's/]]) {
    await page.fill('#hub-id', id);
    await page.click('#hub-load');
    await waitStatus(message);
    assert.ok(await page.evaluate(() => document.querySelector('#status').classList.contains('error')), id);
  }
  await typeText(page, 'a', 'Still here.');
  assert.match(await status(), /^test\/tiny-roberta: /);
  assert.deepEqual(page.errors, []);
});

test('DistilBERT and RoBERTa checkpoints of the bert-base shape load by hub id and draw all their heads', async () => {
  for (const [id, layers] of [['test/base-distilbert', 12], ['test/base-roberta', 12]]) {
    await page.fill('#hub-id', id);
    await page.click('#hub-load');
    await waitStatus(new RegExp(`^${id.replace('/', '\\/')}: \\d+ tokens, ${layers} layers × 12 heads`), 300000);
    assert.equal(await page.evaluate(() => window.headlight.result.layers * window.headlight.result.heads_per_layer), layers * 12, id);
  }
  assert.deepEqual(page.errors, []);
});
