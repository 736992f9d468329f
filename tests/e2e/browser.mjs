// Shared set-up of the browser tests: the page's own server (tools/serve.mjs) and Debian's Chromium via playwright-core.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { serve } from '../../tools/serve.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The tests' pictures; the README's (docs/screenshots/) are written by tools/screenshots.mjs alone.
export const SCREENSHOTS = path.join(root, 'build', 'screenshots');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** {browser, url, close()}: a server on a free port (isolation and the Content-Security-Policy on unless told; `mounts` as
 * serve's) and a headless Chromium (`args`: more command-line switches, e.g. --enable-unsafe-webgpu for SwiftShader's
 * WebGPU adapter). */
export async function start({ isolation = true, csp = true, mounts = undefined, args = [] } = {}) {
  const { server, url } = await serve({ port: 0, isolation, csp, mounts });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: [...ARGS, ...args] });
  return { browser, url, close: async () => { await browser.close(); server.close(); } };
}

/** A new page at url, failing the test on any uncaught page error; resolves once the first drawing is done. */
export async function openPage(browser, url, { width = 1280, height = 900 } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  page.errors = errors;
  await goTo(page, url);
  return page;
}

/** Loads url in an open page; resolves once its first drawing is done. */
export async function goTo(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.view, null, { timeout: 60000 });
}

/** Clicks the view tab `name` ('head', 'syntax', ...) and waits until the page's state shows it. */
export async function showView(page, name) {
  await page.click(`nav.views [data-view=${name}]`);
  await page.waitForFunction((v) => window.headlight.state.view === v, name);
}

/** Types into a textarea (replacing its text) and waits until the page has drawn a run for the new text (no-op when
 * the text is already there: no input event, so no run to wait for). */
export async function typeText(page, id, text) {
  if ((await page.inputValue(`#${id}`)) === text) return;
  const before = await page.evaluate(() => window.headlight.runs);
  await page.fill(`#${id}`, text);
  await page.waitForFunction((n) => window.headlight.runs > n, before, { timeout: 60000 });
  await page.waitForFunction(() => !document.querySelector('#status').textContent.startsWith('Preparing'));
}

/** dir/name.png, dir made if missing. */
export function screenshotPath(name, dir = SCREENSHOTS) {
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
