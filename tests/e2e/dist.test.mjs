// npm run build's dist/ on a plain static host (no isolation headers): the page runs single-threaded and loads a model
// split into parts, joining and checking them; a damaged part is caught by its sha256.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { root, start } from './browser.mjs';

const dist = path.join(root, 'build', 'dist-test');
let env;
before(async () => {
  execFileSync(process.execPath, [path.join(root, 'tools/build_dist.mjs'), '--out', dist, '--part-size', '3000000']);
  env = await start({ isolation: false, mounts: [['/', dist]] });
});
after(async () => { await env?.close(); });

test('dist/ serves the page; the built-in model comes in 3 parts, joined and checked', async () => {
  const manifest = JSON.parse(readFileSync(path.join(dist, 'models/builtin.json'), 'utf8'));
  assert.equal(manifest.models[0].parts.length, 3);
  const page = await env.browser.newPage();
  const parts = [];
  page.on('request', (r) => { if (/\.hlm\.part\d$/.test(r.url())) parts.push(r.url()); });
  await page.goto(env.url);
  await page.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.view, null, { timeout: 60000 });
  assert.match(await page.textContent('#status'), /headlight-mini: 19 tokens.*single thread/);
  assert.equal(parts.length, 3);
  assert.ok((await page.$$('#view path.hl-head-line')).length > 0);
  await page.close();
});

test('a damaged part gives an error naming the sha256 check', async () => {
  const file = path.join(dist, 'models/headlight-mini/headlight-mini.hlm.part1');
  const bytes = readFileSync(file);
  bytes[1000] ^= 0xff;
  writeFileSync(file, bytes);
  const page = await env.browser.newPage();
  await page.goto(env.url);
  await page.waitForFunction(() => document.querySelector('#status').classList.contains('error'), null, { timeout: 60000 });
  assert.match(await page.textContent('#status'), /part1 does not match its sha256/);
  await page.close();
});
