// Where a keystroke's wait for layer 0 goes, on the bert-base shape at about 128 tokens: when the engine's Worker posts
// the early layer (and its whole result), against when the page has drawn it. Usage: node tools/bench/layer0_trace.mjs
import path from 'node:path';

import { openPage, root, start, typeText } from '../../tests/e2e/browser.mjs';
import { serveBase, typeTokens } from './page_keys.mjs';
const env = await start();
const page = await openPage(env.browser, `${env.url}?model=${serveBase(path.join(root, 'build/fixtures/base-mlm.int8.hlm'))}&gpu=off`, { width: 1280, height: 900 });
await page.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.result.layers === 12, null, { timeout: 120000 });
await typeText(page, 'b', '');
await typeTokens(page, 128, 100);
const w = page.workers().find((x) => x.url().includes('engine/worker'));
await w.evaluate(() => {
  self.__log = [];
  const post = self.postMessage.bind(self);
  self.postMessage = (m, t) => { self.__log.push(['post:' + m?.type, performance.timeOrigin + performance.now()]); return post(m, t); };
  self.addEventListener('message', (e) => self.__log.push(['recv:' + e.data?.type, performance.timeOrigin + performance.now()]));
});
await page.focus('#a'); await page.keyboard.press('End');
for (let i = 0; i < 6; ++i) {
  const seen = await page.evaluate(() => [window.headlight.latencyMs.length, window.headlight.runs]);
  const t0 = await page.evaluate(() => performance.timeOrigin + performance.now());
  if (i % 2) await page.keyboard.press('Backspace'); else await page.keyboard.type('s');
  await page.waitForFunction(([c, r]) => window.headlight.latencyMs.length > c && window.headlight.runs > r, seen);
  const lat = await page.evaluate(() => window.headlight.latencyMs.at(-1));
  const log = await w.evaluate(() => { const l = self.__log; self.__log = []; return l; });
  const at = (k) => (log.find(([x]) => x === k)?.[1] ?? NaN) - t0;
  console.log(`key ${i}: Worker posted layer 0 at ${at('post:partial').toFixed(0)} ms, the whole run at ${at('post:result').toFixed(0)} ms; ` +
    `the page had drawn layer 0 at ${lat.toFixed(0)} ms`);
}
await env.close();
