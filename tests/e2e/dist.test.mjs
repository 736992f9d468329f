// npm run build's dist/ on a plain static host (no isolation headers): the page runs single-threaded and loads a model
// split into parts, joining and checking them; a damaged part is caught by its sha256; a hub model shipped with
// --model loads from the site.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { root, start } from './browser.mjs';
import { startHub } from './local_hub.mjs';

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

test('npm run build -- --model ID ships a converted hub model: ?hub=ID and the element load the site\'s copy, not the hub\'s', async () => {
  const hub = await startHub();
  const out = path.join(root, 'build', 'dist-model-test');
  try {
    await promisify(execFile)(process.execPath, [path.join(root, 'tools/build_dist.mjs'), '--out', out, '--part-size', '3000000',
      '--model', 'test/tiny-bert', '--hub-endpoint', hub.endpoint]);  // not execFileSync: the hub answers from this process
  } finally {
    hub.close();  // from here on the hub is gone: the page must not need it
  }
  const manifest = JSON.parse(readFileSync(path.join(out, 'models/builtin.json'), 'utf8'));
  const entry = manifest.models.find((m) => m.id === 'test/tiny-bert');
  assert.ok(entry && entry.parts.length >= 2, JSON.stringify(entry));
  assert.equal(entry.file, 'hub/test/tiny-bert@main.hlm');
  const site = await start({ isolation: false, mounts: [['/', out]] });
  try {
    const page = await site.browser.newPage();
    await page.goto(`${site.url}?hub=test/tiny-bert`);
    await page.waitForFunction(() => /^test\/tiny-bert \(int8\): \d+ tokens, 2 layers/.test(document.querySelector('#status').textContent),
      null, { timeout: 60000 });
    const got = await page.evaluate(async () => {
      const el = document.createElement('headlight-attention');
      el.setAttribute('sentence-a', 'The cat sat on the mat.');
      el.setAttribute('model', 'test/tiny-bert');
      const done = new Promise((ok, fail) => {
        el.addEventListener('headlight-ready', ok, { once: true });
        el.addEventListener('headlight-error', (e) => fail(new Error(e.detail.message)), { once: true });
      });
      await import('./headlight-attention.js');
      document.body.append(el);
      await done;
      return el.data?.layers;
    });
    assert.equal(got, 2);
    await page.close();
  } finally {
    await site.close();
  }
});
