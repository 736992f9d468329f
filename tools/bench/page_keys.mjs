// Keystroke → drawn head view on the real page, for bench:page and bench:browser: typing a text to a token count,
// timed keystrokes, and serving the bert-base-shaped fixture to the page.
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

import { root, typeText } from '../../tests/e2e/browser.mjs';

const KEYS = 20;
const words = readFileSync(path.join(root, 'models/headlight-mini/heldout-pairs.tsv'), 'utf8').split(/\s+/).filter(Boolean);
export const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

/** The page's URL path for a model file outside web/ (build/fixtures/...): served from models/local/ (not committed)
 *  through a link, as Playwright's route.fulfill cannot carry 107 MB. */
export function serveBase(file) {
  const link = path.join(root, 'models/local', `bench-${path.basename(file)}`);
  mkdirSync(path.dirname(link), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(file, link);
  return `/models/local/${path.basename(link)}`;
}

// Types the first k words of the held-out text as sentence A, moving k until the run has `target` tokens (or 60
// tries); returns the token count reached.
export async function typeTokens(page, target, k) {
  let n = 0;
  for (let tries = 0; tries < 60; ++tries) {
    await typeText(page, 'a', words.slice(0, k).join(' '));
    n = await page.evaluate(() => window.headlight.result.n);
    if (n === target) break;
    k += n < target ? 1 : -1;
  }
  return n;
}

// KEYS keystrokes, each adding or removing an "s" at the end of sentence A, each waited for: keystroke → head view drawn
// (the viewed layer sent early, or the whole run), the engine's run and the drawing alone.
export async function keystrokes(page, label) {
  await page.focus('#a');
  await page.keyboard.press('End');
  const ms = [], drawMs = [], engineMs = [];
  for (let i = 0; i < KEYS; ++i) {
    const seen = await page.evaluate(() => [window.headlight.latencyMs.length, window.headlight.runs]);
    if (i % 2) await page.keyboard.press('Backspace'); else await page.keyboard.type('s');
    await page.waitForFunction(([c, r]) => window.headlight.latencyMs.length > c && window.headlight.runs > r, seen);
    const m = await page.evaluate(() => [window.headlight.latencyMs.at(-1), window.headlight.drawMs, window.headlight.result.timings_ms.total]);
    ms.push(m[0]); drawMs.push(m[1]); engineMs.push(m[2]);
  }
  const status = await page.textContent('#status');
  return { label, tokens: await page.evaluate(() => window.headlight.result.n), median_ms: quantile(ms, 0.5), p90_ms: quantile(ms, 0.9),
    engine_ms: quantile(engineMs, 0.5), draw_ms: quantile(drawMs, 0.5), engine: status.match(/\(([^)]*)\)$/)?.[1] };
}

