// The page, dist/, <headlight-attention> and the standalone HTML file under the strict Content-Security-Policy of
// tools/csp.mjs (docs/embedding.md#headers). Any violation fails: the page's securitypolicyviolation events, its console,
// and the reports of every Worker, service worker and page (the servers here add a report-uri to the policy).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

import { serve } from '../../tools/serve.mjs';
import { CSP } from '../../tools/csp.mjs';
import { standaloneHtml } from '../../web/page/standalone.js';
import { root, showView, typeText } from './browser.mjs';

const work = path.join(root, 'build', 'csp-test');
const site = path.join(work, 'site');      // a site: dist/ as headlight/ and host pages
const other = path.join(work, 'other');    // a second origin's page, loading the element from the site as from a CDN
const REPORT = '/__csp-report';
const REPORTED = `${CSP}; report-uri ${REPORT}`;
const PAIR = 'sentence-a="The cat sat on the mat." sentence-b="It was very tired."';
// Each tab of the page, and what it has drawn once its data is there.
const VIEWS = { head: 'path.hl-head-line, canvas.hl-head-canvas', model: 'canvas, svg', neuron: '.hl-neuron',
  matrix: 'canvas.hl-matrix-heat', patterns: '.hl-pattern', layers: 'svg', headmap: 'svg', syntax: '.hl-syntax-table',
  rollout: 'canvas, svg' };
const hostPage = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="icon" href="data:,"></head><body>${body}</body></html>`;

let browser;
const servers = [];
// A server with serve()'s options whose received CSP reports (from pages, Workers and service workers) are collected.
async function server(opts) {
  const s = await serve({ port: 0, ...opts });
  s.reports = [];
  s.server.prependListener('request', (req) => {
    if (req.method !== 'POST' || !req.url.startsWith(REPORT)) return;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const r = JSON.parse(body)['csp-report'];
      s.reports.push(`report: ${r['effective-directive']} refused ${r['blocked-uri'] || 'inline'} in ${r['document-uri']}`
        + `${r['source-file'] ? ` at ${r['source-file']}:${r['line-number']}` : ''}`);
    });
  });
  servers.push(s);
  return s;
}

let isolated, plain, hosted, cdnHost, noHeader;
before(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(other, { recursive: true });
  execFileSync(process.execPath, [path.join(root, 'tools/build_dist.mjs'), '--out', path.join(site, 'headlight')]);
  writeFileSync(path.join(site, 'probe.html'), hostPage('probe', '<p style="color: red">an inline style attribute</p>'));
  writeFileSync(path.join(site, 'host.html'), hostPage('post', `<headlight-attention id="x" ${PAIR} tabs="all" height="420">`
    + '</headlight-attention><script type="module" src="headlight/headlight-attention.js"></script>'));
  isolated = await server({ csp: REPORTED });                     // npm start
  plain = await server({ csp: REPORTED, isolation: false });      // npm start -- --no-isolation
  hosted = await server({ csp: REPORTED, mounts: [['/', site]] });  // dist/ on a host sending the headers
  // The site as a CDN sends CORS headers (embedding.md: a script on another origin). The post on the other origin adds
  // the CDN to script-src (the element, the engine's glue), worker-src (Chromium checks the static imports of a module
  // Worker, here the blob: one, against it) and connect-src (the wasm, the model), as embedding.md says.
  hosted.server.prependListener('request', (req, res) => res.setHeader('access-control-allow-origin', '*'));
  const cdn = hosted.url.replace(/\/$/, '');
  writeFileSync(path.join(other, 'post.html'), hostPage('post', `<headlight-attention id="x" ${PAIR}></headlight-attention>`
    + `<script type="module" src="${cdn}/headlight/headlight-attention.js"></script>`));
  const withCdn = ['script-src', 'worker-src', 'connect-src']
    .reduce((pol, d) => pol.replace(`${d} 'self'`, `${d} 'self' ${cdn}`), REPORTED);
  assert.equal(withCdn.split(cdn).length, 4, withCdn);
  cdnHost = await server({ isolation: false, mounts: [['/', other]], csp: withCdn });
  noHeader = await server({ csp: false, isolation: false, mounts: [['/', site]] });  // for the standalone file's own policy
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'] });
});
after(async () => {
  await browser?.close();
  for (const s of servers) s.server.close();
});

// A page (in its own context: its own service worker) that records every violation: securitypolicyviolation events
// (an init script, not inline script in the page), console messages about the policy, and uncaught errors.
async function watchedPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const p = await context.newPage();
  p.console = [];
  p.errors = [];
  p.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) p.console.push(`console: ${m.text()}`); });
  p.on('pageerror', (e) => p.errors.push(e.message));
  await p.addInitScript(() => {
    window.__cspViolations = [];
    window.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.effectiveDirective} refused `
      + `${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}${e.sample ? ` (${e.sample})` : ''}`), true);
  });
  p.done = () => context.close();
  return p;
}

// Everything recorded for page p and servers' reports: reports are sent after the violation, so they get a moment.
async function violations(p, ...from) {
  await new Promise((r) => setTimeout(r, 500));
  return [...await p.evaluate(() => window.__cspViolations), ...p.console, ...from.flatMap((s) => s.reports)];
}

async function assertClean(p, ...from) {
  assert.deepEqual(await violations(p, ...from), []);
  assert.deepEqual(p.errors, []);
}

// The response's policy, less the report-uri the servers here add: the exact one of tools/csp.mjs.
const policyOf = (response) => response.headers()['content-security-policy']?.replace(`; report-uri ${REPORT}`, '');

async function download(p, button) {
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click(button)]);
  return readFileSync(await dl.path());
}

const drawn = () => window.headlight?.runs > 0 && window.headlight.view;
// Waits until the element #x is ready; a timeout says what its status line says.
const elementReady = (p) => p.waitForFunction(() => document.getElementById('x')?.status === 'ready', null, { timeout: 60000 })
  .catch(async (e) => {
    const status = await p.evaluate(() => document.getElementById('x')?.shadowRoot.querySelector('.hl-status')?.textContent);
    throw new Error(`the element is not ready: ${status}`, { cause: e });
  });
async function tour(p, views) {
  for (const v of views) {
    await showView(p, v);
    await p.waitForFunction((sel) => document.querySelector('#view').querySelector(sel), VIEWS[v], { timeout: 90000 })
      .catch(async (e) => { throw new Error(`the ${v} tab did not draw ${VIEWS[v]}: ${await p.textContent('#status')}`, { cause: e }); });
  }
}

test('the check can fail: a style="" attribute under the policy is seen as an event, on the console and as a report', async () => {
  const p = await watchedPage();
  const response = await p.goto(`${hosted.url}probe.html`);
  assert.equal(policyOf(response), CSP);
  const seen = await p.evaluate(() => window.__cspViolations);
  assert.equal(seen.length, 1, seen.join('\n'));
  assert.match(seen[0], /^style-src-attr refused inline/);
  assert.equal(p.console.length, 1, p.console.join('\n'));
  for (let t = 0; t < 50 && !hosted.reports.length; ++t) await new Promise((r) => setTimeout(r, 100));
  assert.equal(hosted.reports.length, 1, hosted.reports.join('\n'));
  assert.match(hosted.reports[0], /^report: style-src-attr refused inline/);
  hosted.reports.length = 0;
  await p.done();
});

test('npm start\'s page, cross-origin isolated (threads, service worker): a new text, every tab, SVG, PNG, HTML', async () => {
  const p = await watchedPage();
  const response = await p.goto(isolated.url);
  assert.equal(policyOf(response), CSP);
  await p.waitForFunction(drawn, null, { timeout: 60000 });
  assert.match(await p.textContent('#status'), /\d+ threads/);
  assert.equal(await p.evaluate(() => crossOriginIsolated), true);
  await typeText(p, 'a', 'The quick brown fox jumps over the lazy dog.');
  await tour(p, Object.keys(VIEWS));
  await tour(p, ['syntax']);  // its table is kept: a treebank sentence with its arcs
  await p.click('#view .hl-syntax-table tr[data-relation=obj] button');
  await p.locator('#view .hl-syntax-dir .hl-syntax-head').first().click();
  await p.waitForSelector('#syntax-sentence:not([hidden]) .hl-syntax-arcs text.hl-word');
  // The exports: the SVG keeps the views' CSS (written as text, not a <style> element in a document of the page's). It
  // is parsed in a blank page: a document parsed in the page would be under the page's policy.
  const blank = await browser.newPage();
  for (const v of ['head', 'matrix']) {
    await showView(p, v);
    const svg = (await download(p, '#export-svg')).toString('utf8');
    const parsed = await blank.evaluate((s) => {
      const doc = new DOMParser().parseFromString(s, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null,
        css: doc.querySelector('svg > style')?.textContent ?? '' };
    }, svg);
    assert.equal(parsed.error, null);
    assert.match(parsed.css, /\.hl-/);
    const png = await download(p, '#export-png');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  }
  await blank.close();
  await showView(p, 'head');
  await typeText(p, 'a', 'I went to the store.');  // few enough lines to be drawn as SVG paths (the standalone's count)
  const lines = await p.locator('#view path.hl-head-line').count();
  assert.ok(lines > 10, `${lines} lines`);
  writeFileSync(path.join(site, 'saved.html'), await download(p, '#export-html'));
  writeFileSync(path.join(site, 'saved-lines.json'), JSON.stringify(lines));
  // The service worker installed under the policy (its own, from its response: its fetches are checked against it).
  await p.evaluate(() => navigator.serviceWorker.ready);
  await p.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, { timeout: 30000 });
  await assertClean(p, isolated);
  await p.done();
});

test('connect-src: the hub and its CDNs are allowed, another host is refused', async () => {
  const p = await watchedPage();  // a document of the server with no service worker, whose requests are aborted here
  await p.route(/^https:/, (route) => route.abort());
  await p.goto(`${isolated.url}models/builtin.json`);
  const refused = await p.evaluate(async () => {
    for (const url of ['https://huggingface.co/google-bert/bert-base-uncased/resolve/main/config.json',
      'https://cdn-lfs.hf.co/repos/x', 'https://cas-bridge.xethub.hf.co/xet-bridge-us/x']) await fetch(url).catch(() => {});
    await fetch('https://example.com/').catch(() => {});
    // The event is queued after the refused fetch's error: waited for, and for a moment more, as others would be.
    for (let t = 0; t < 50 && !window.__cspViolations.length; ++t) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    return window.__cspViolations.splice(0);
  });
  assert.equal(refused.length, 1, refused.join('\n'));  // the hub's three are not among them
  assert.match(refused[0], /^connect-src refused https:\/\/example\.com/);
  p.console.length = 0;  // the refusal's own line
  isolated.reports.length = 0;  // and its report
  await p.done();
});

test('npm start -- --no-isolation: the single-thread build under the policy', async () => {
  const p = await watchedPage();
  const response = await p.goto(plain.url);
  assert.equal(policyOf(response), CSP);
  await p.waitForFunction(drawn, null, { timeout: 60000 });
  assert.match(await p.textContent('#status'), /single thread/);
  await typeText(p, 'a', 'A single thread draws this one.');
  await tour(p, ['neuron', 'matrix', 'model', 'rollout', 'head']);
  await assertClean(p, plain);
  await p.done();
});

test('dist/ on a host that sends the policy: the page, and the element in a post with four tabs', async () => {
  const p = await watchedPage();
  const response = await p.goto(`${hosted.url}headlight/`);
  assert.equal(policyOf(response), CSP);
  await p.waitForFunction(drawn, null, { timeout: 60000 });
  assert.match(await p.textContent('#status'), /\d+ threads/);
  await tour(p, ['model', 'neuron', 'matrix']);
  await p.goto(`${hosted.url}host.html`);
  await elementReady(p);
  const shadow = (sel) => p.evaluate((s) => document.getElementById('x').shadowRoot.querySelectorAll(s).length, sel);
  assert.ok(await shadow('path.hl-head-line') > 50);
  // The shadow root's CSS took (an adopted sheet): views.css lays the tabs out in a row, as a flex box.
  assert.equal(await p.evaluate(() => getComputedStyle(document.getElementById('x').shadowRoot.querySelector('.hl-tabs')).display),
    'flex');
  for (const [view, sel] of [['neuron', '.hl-neuron'], ['matrix', 'canvas.hl-matrix-heat'], ['model', 'svg, canvas'],
    ['head', 'path.hl-head-line']]) {
    await p.locator(`#x [role=tab][data-view=${view}]`).click();
    await p.waitForFunction(([v, s]) => {
      const el = document.getElementById('x');
      return el.state.view === v && el.shadowRoot.querySelector(s);
    }, [view, sel]);
  }
  await assertClean(p, hosted);
  await p.done();
});

test('the element loaded from another origin (a CDN) starts its Worker through a blob: under worker-src', async () => {
  const p = await watchedPage();
  await p.goto(`${cdnHost.url}post.html`);
  await elementReady(p);
  assert.ok(p.workers().some((w) => w.url().startsWith('blob:')), p.workers().map((w) => w.url()).join('\n'));
  assert.ok(await p.evaluate(() => document.getElementById('x').shadowRoot.querySelectorAll('path.hl-head-line').length)
    > 50);
  await assertClean(p, cdnHost, hosted);
  await p.done();
});

// The HTML file saved by the page's button (in the isolated page's test): its <meta> policy allows its one script and
// style by hash.
async function checkStandalone(url) {
  const want = JSON.parse(readFileSync(path.join(site, 'saved-lines.json'), 'utf8'));
  const p = await watchedPage({ width: 1000, height: 800 });
  const requests = [];
  p.on('request', (r) => requests.push(r.url()));
  const response = await p.goto(url);
  assert.equal(response?.headers()['content-security-policy'], undefined, 'the file must be checked under its own policy');
  await p.waitForFunction(() => document.querySelector('headlight-attention')?.status === 'ready', null, { timeout: 30000 });
  assert.equal(await p.evaluate(() => document.querySelector('headlight-attention').shadowRoot
    .querySelectorAll('path.hl-head-line').length), want);
  assert.deepEqual(requests.filter((u) => u !== url && !u.startsWith('data:')), []);
  await assertClean(p);
  // The policy is in force: another inline script is refused, and that is the one violation seen (not eval: the
  // DevTools protocol that runs this test's code may eval whatever the policy says).
  assert.equal(await p.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.ran = true;';
    document.body.append(s);
    return window.ran ?? false;
  }), false);
  const seen = await violations(p);
  assert.equal(seen.length, 2, seen.join('\n'));  // the event and the console's line
  assert.match(seen[0], /^script-src-elem refused inline/);
  await p.done();
}

test('the standalone HTML file under its own <meta> policy: served over http, and opened from disk', async () => {
  const html = readFileSync(path.join(site, 'saved.html'), 'utf8');
  assert.match(html, new RegExp('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    + 'script-src \'sha256-[\\w+/]+=\'; style-src \'sha256-[\\w+/]+=\'; img-src data:">'));
  await checkStandalone(`${noHeader.url}saved.html`);
  await checkStandalone(pathToFileURL(path.join(site, 'saved.html')).href);
});

test('the standalone policy\'s hashes are those of the script and style as the browser reads them (CR LF as LF)', () => {
  const html = standaloneHtml({ bundle: 'const s = "é\u2026";\r\nconsole.log(s);\rlet t;', snapshot: '{}' });
  const sha = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const script = /<script type="module">([^]*?)<\/script>/.exec(html)[1];
  const style = /<style>([^]*?)<\/style>/.exec(html)[1];
  assert.equal(script, '\nconst s = "é\u2026";\nconsole.log(s);\nlet t;\n');
  assert.equal(/content="([^"]*)"/.exec(html)[1],
    `default-src 'none'; script-src ${sha(script)}; style-src ${sha(style)}; img-src data:`);
});

test('docs/embedding.md gives hosts the exact policy', () => {
  assert.ok(readFileSync(path.join(root, 'docs/embedding.md'), 'utf8').includes(`Content-Security-Policy: ${CSP}`),
    `docs/embedding.md does not quote the policy of tools/csp.mjs:\n${CSP}`);
});
