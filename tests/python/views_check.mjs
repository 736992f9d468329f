// Opens an HTML file of headlight.show() outputs (a notebook export or a test page) in headless Chromium with every
// request but the file itself blocked, shows each <iframe>'s tabs in turn and writes what each drew as JSON, with every
// request made ({url, frame: 'page' or the frame's URL}).
// Usage: node tests/python/views_check.mjs PAGE.html OUT.json
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [file, out] = process.argv.slice(2);
const url = pathToFileURL(file).href;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
const requests = [], errors = [];
page.on('request', (r) => requests.push({ url: r.url(), frame: r.frame() === page.mainFrame() ? 'page' : r.frame().url() }));
page.on('pageerror', (e) => errors.push(e.message));
await page.route('**', (route) => {
  const u = route.request().url();
  return u === url || u.startsWith('about:') || u.startsWith('data:') ? route.continue() : route.abort();
});
const t0 = Date.now();
await page.goto(url);
const loadMs = Date.now() - t0;  // the page and its frames parsed (their load events)
const views = [];
const frames = page.locator('iframe');
for (let k = 0; k < await frames.count(); ++k) {
  await frames.nth(k).scrollIntoViewIfNeeded();
  const handle = await frames.nth(k).elementHandle();
  const frame = await handle.contentFrame();
  const shown = Date.now();
  await frame.waitForFunction(() => ['ready', 'error'].includes(document.querySelector('headlight-attention')?.status), null, { timeout: 60000 });
  const drawnMs = Date.now() - shown;
  const el = (f, arg) => frame.evaluate(f, arg);
  const view = await el(() => {
    const e = document.querySelector('headlight-attention'), d = e.data;
    return { status: e.status, message: e.shadowRoot.querySelector('.hl-status').textContent, n: d?.n, layers: d?.layers,
      heads: d?.heads_per_layer, tokens: d?.tokens.map((t) => t.text), hasQk: Boolean(d?.queries),
      tabs: [...e.shadowRoot.querySelectorAll('[role=tab]')].map((b) => b.dataset.view), state: e.state };
  });
  view.drawnMs = drawnMs;
  if (view.status === 'ready') {
    const drawn = {};
    for (const tab of view.tabs) {
      // The tab clicked in the page and timed there, to the second frame after (Playwright's own click costs seconds
      // on a frame of many megabytes, and would be measured instead).
      const ms = await el(async (tab) => {
        const b = document.querySelector('headlight-attention').shadowRoot.querySelector(`[role=tab][data-view=${tab}]`);
        const t0 = performance.now();
        b.click();
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      }, tab);
      drawn[tab] = await el((tab) => {
        const e = document.querySelector('headlight-attention'), s = e.state, root = e.shadowRoot;
        if (s.view !== tab) throw new Error(`the ${tab} tab was clicked and the element shows the ${s.view} view`);
        if (tab === 'head') {
          const { n, heads_per_layer: A, attention } = e.data, heads = s.selectedHeads ?? [...Array(A).keys()];
          let nonzero = 0;  // the weights of the shown layer and heads the element holds that are above 0
          for (const h of heads) for (let k = 0; k < n * n; ++k) nonzero += attention[((s.layer * A + h) * n * n) + k] > 0;
          return { state: { layer: s.layer, selectedHeads: heads }, nonzero, drawn: e.view.drawn(),
            lines: [...root.querySelectorAll('path.hl-head-line')].map((p) => p.__data__).map(({ h, i, j, w }) => [h, i, j, w]) };
        }
        if (tab === 'model') {
          return { canvases: root.querySelectorAll('canvas.hl-model-canvas').length,
            label: root.querySelector('canvas.hl-model-canvas')?.getAttribute('aria-label') };
        }
        if (tab === 'neuron') {
          const v = e.view.values();
          return { state: { layer: s.layer, head: s.head, token: s.token }, q: [...v.q], k: v.k.length, softmax: [...v.softmax] };
        }
        const n = e.data.n, values = [];
        for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) values.push(e.view.valueAt(i, j));
        return { state: { layer: s.layer, head: s.head }, values };
      }, tab);
      drawn[tab].ms = Math.round(ms);
    }
    view.drawn = drawn;
  }
  views.push(view);
}
writeFileSync(out, JSON.stringify({ views, requests: requests.filter((r) => r.url !== url), errors, loadMs, totalMs: Date.now() - t0 }));
await browser.close();
