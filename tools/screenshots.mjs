// Refreshes the README's pictures (docs/screenshots/*.png): each scene of tests/e2e/scenes.mjs, the page on its own
// server with the real engine in headless Chromium, as the e2e tests show them (they picture them into build/).
//
//   npm run screenshots [-- NAME ...]     (every scene by default; needs build/wasm-st and build/wasm-mt)
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { root, start } from '../tests/e2e/browser.mjs';
import { SCENES, openScene, shootScene } from '../tests/e2e/scenes.mjs';

const DOCS = path.join(root, 'docs', 'screenshots');

// The README's pictures and the scenes must be the same set, or a picture would go stale (or be written for nothing).
const shown = [...readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(/docs\/screenshots\/([\w-]+)\.png/g)].map((m) => m[1]);
const missing = shown.filter((n) => !SCENES[n]), unused = Object.keys(SCENES).filter((n) => !shown.includes(n));
if (missing.length || unused.length) {
  console.error(`README.md and tests/e2e/scenes.mjs disagree: no scene for ${missing.join(', ') || '-'}; ` +
    `not in the README: ${unused.join(', ') || '-'}`);
  process.exit(1);
}
const names = process.argv.slice(2);
const unknown = names.filter((n) => !SCENES[n]);
if (unknown.length) {
  console.error(`no scene ${unknown.join(', ')}; scenes: ${Object.keys(SCENES).join(', ')}`);
  process.exit(2);
}

const env = await start();
try {
  for (const name of names.length ? names : Object.keys(SCENES)) {
    const page = await openScene(env.browser, env.url, name);
    const status = await page.evaluate(() => document.querySelector('#status').className);
    if (page.errors.length || /error/.test(status))
      throw new Error(`${name}: the page failed: ${[...page.errors, await page.textContent('#status')].join('\n')}`);
    await shootScene(page, name, DOCS);
    await page.close();
    console.log(`docs/screenshots/${name}.png`);
  }
} finally {
  await env.close();
}
