// Hostile text in every output (issue #20): the corpus of tests/fixtures/hostile_strings.mjs typed into A and B, as the
// tokens of a converted vocabulary and in snapshot files. Every view, tooltip and panel, the SVG/PNG exports, the
// snapshot round trip, <headlight-attention> and the standalone HTML must show it as text: no element, no script, no
// request (counted per page: new elements of risky kinds, on* attributes, javascript: URLs, window.__pwned, dialogs,
// requests off the served origin or to no app file, page errors).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { root, showView, start } from './browser.mjs';
import { HOSTILE, HOSTILE_TEXTS, TRAP_HOST, wellFormed } from '../fixtures/hostile_strings.mjs';
import { mulberry32 } from '../js/random_input.mjs';
import { makeSnapshot, snapshotText } from '../../web/page/snapshot.js';
import { standaloneHtml } from '../../web/page/standalone.js';

const H = Object.fromEntries(HOSTILE);
// Strings cross to the page as ASCII JSON: the protocol would turn a lone surrogate into U+FFFD on the way.
const ascii = (v) => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
// The text an XML file can hold: each character XML 1.0 forbids (controls, U+FFFE/U+FFFF, lone surrogates) as U+FFFD.
const xmlText = (s) => wellFormed(s).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');

let env, tmp;
const SERVED = new Map();  // same-origin paths the test answers itself (host pages, snapshots) → {contentType, body}

before(async () => {
  // The standalone HTML inlines the element's bundle: made from the sources as they are now (as build_dist.mjs does).
  execFileSync(process.execPath, [path.join(root, 'tools/bundle_component.mjs')]);
  // No Content-Security-Policy: escaping must hold without it, and a policy would hide a payload that got through.
  env = await start({ csp: false });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hl-hostile-'));
});
after(async () => {
  await env?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// Whether a same-origin path is one of the app's files (web/ and models/, mapped as tools/serve.mjs maps them) or one
// the test serves.
function knownPath(pathname) {
  if (['/', '/app-files.json', '/engine/wasm/builds.json'].includes(pathname) || SERVED.has(pathname)) return true;
  let rel;
  try { rel = decodeURIComponent(pathname); } catch { return false; }
  const [dir, file] = rel.startsWith('/models/') ? ['models', path.join(root, rel)] : ['web', path.join(root, 'web', rel)];
  if (!file.startsWith(path.join(root, dir) + path.sep)) return false;
  try { return statSync(file).isFile(); } catch { return false; }
}

/** A fresh browser context whose pages are watched: {context, log: {requests, dialogs, errors, files}, origin}. Requests
 * off the origin are recorded and aborted; file: URLs other than log.files are recorded. */
async function watchedContext() {
  const origin = new URL(env.url).origin;
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 1000 }, serviceWorkers: 'block' });
  const log = { requests: [], dialogs: [], errors: [], files: new Set() };
  const allowed = (u) => {
    const url = new URL(u);
    if (['data:', 'blob:', 'about:'].includes(url.protocol)) return true;
    if (url.protocol === 'file:') return log.files.has(url.href);
    return url.origin === origin && knownPath(url.pathname);
  };
  await context.addInitScript(pageHelpers);
  context.on('request', (r) => { if (!allowed(r.url())) log.requests.push(r.url()); });
  await context.route((u) => /^https?:$/.test(u.protocol) && u.origin !== origin, (r) => r.abort());
  await context.route((u) => u.origin === origin && SERVED.has(u.pathname),
    (r) => r.fulfill({ status: 200, ...SERVED.get(new URL(r.request().url()).pathname) }));
  context.on('dialog', (d) => { log.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  context.on('page', (p) => p.on('pageerror', (e) => log.errors.push(e.message)));
  return { context, log, origin };
}

/** Fails unless nothing happened: no new risky element, on* attribute or javascript: URL anywhere (shadow roots too),
 * window.__pwned unset, and no request, dialog or page error recorded. */
async function assertClean(page, log, where) {
  const c = await page.evaluate(() => window.__hostile.census());
  const found = [...c.added, ...c.attrs].map((s) => JSON.parse(s));
  assert.deepEqual({ found, pwned: c.pwned, requests: log.requests, dialogs: log.dialogs, errors: log.errors },
    { found: [], pwned: null, requests: [], dialogs: [], errors: [] }, where);
}

// Runs in every page and frame before its own scripts: window.__hostile = {ascii(), census(), mark()}.
function pageHelpers() {
  // No service worker (the context blocks them too): requests then all reach the context's routes, which see and stop
  // them. The page runs as where service workers are unavailable (page/offline.js).
  delete Navigator.prototype.serviceWorker;
  const RISKY = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'img', 'image', 'style', 'link', 'base',
    'meta', 'foreignobject', 'use', 'animate', 'set', 'audio', 'video', 'source', 'track', 'form', 'a', 'portal']);
  const seen = new WeakSet();
  const elements = () => {
    const roots = [document], out = [];
    for (let k = 0; k < roots.length; ++k) {
      for (const el of roots[k].querySelectorAll('*')) { out.push(el); if (el.shadowRoot) roots.push(el.shadowRoot); }
    }
    return out;
  };
  // <headlight-attention>'s own stylesheet: a <style> or <link> directly in its shadow root (the unbundled element links
  // views/views.css); token text goes deeper, into the views.
  const own = (el) => ['style', 'link'].includes(el.localName) && el.parentNode instanceof ShadowRoot
    && el.parentNode.host.localName === 'headlight-attention';
  const ascii = (v) => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // added: risky elements that were not there at mark(); attrs: on* attributes, srcdoc and script URLs anywhere; risky:
  // every risky element by tag (a file whose own markup is in question is compared with a benign twin's).
  const census = () => {
    const added = [], attrs = [], risky = {};
    for (const el of elements()) {
      const tag = el.localName.toLowerCase();
      if (RISKY.has(tag) && !own(el)) {
        risky[tag] = (risky[tag] ?? 0) + 1;
        if (!seen.has(el)) added.push(`new <${tag}>: ${el.outerHTML.slice(0, 120)}`);
      }
      for (const a of el.attributes) {
        const name = a.name.toLowerCase(), v = a.value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
        if (name.startsWith('on')) attrs.push(`${a.name} attribute on <${tag}>`);
        if (name === 'srcdoc' || /^(javascript|vbscript):|^data:text\/html/.test(v)) {
          attrs.push(`${a.name}="${a.value.slice(0, 60)}" on <${tag}>`);
        }
      }
    }
    return { added: added.map(ascii), attrs: attrs.map(ascii), risky, pwned: window.__pwned ?? null };
  };
  window.__hostile = { ascii, census, mark() { for (const el of elements()) seen.add(el); } };
}

// Views --------------------------------------------------------------------------------------------------------------

// Whether `view` is drawn in scope ('#view': the page; 'el:ID': a <headlight-attention>'s shadow root). Runs in the page.
function viewReady([scope, view]) {
  const el = scope.startsWith('el:') ? document.getElementById(scope.slice(3)) : null;
  const box = el ? el.shadowRoot : document.querySelector(scope);
  const r = el ? el.data : window.headlight.result, shown = el ? el.data : window.headlight.shown;
  const count = (sel) => box.querySelectorAll(sel).length;
  return {
    head: () => count('.hl-token-left') === shown.n,
    model: () => count('canvas.hl-model-canvas') === 1,
    neuron: () => count('.hl-neuron-label') === r.n,
    matrix: () => count('canvas.hl-matrix-heat') === 1 && count('text.hl-matrix-rowlabel') > 0,
    patterns: () => count('.hl-pattern') === 6,
    layers: () => count('svg.hl-layers-chart') === 7,
    headmap: () => count('circle.hl-headmap-point') === r.layers * r.heads_per_layer,
    rollout: () => count('.hl-rollout-left text') === r.n,
  }[view]();
}

// scope: '#view' (the page) or 'el:ID' (a <headlight-attention>'s shadow root). Runs in the page: the problems found
// with the token labels of the view drawn there (each must be its token's text, cut as the view cuts it).
function viewTexts([scope, view]) {
  const el = scope.startsWith('el:') ? document.getElementById(scope.slice(3)) : null;
  const box = el ? el.shadowRoot : document.querySelector(scope);
  const shown = el ? el.data.tokens : window.headlight.shown.tokens;        // the tokens the head and matrix views draw
  const tokens = el ? el.data.tokens : window.headlight.result.tokens;      // the neuron and rollout views' (word pieces)
  const bad = [];
  const { ascii } = window.__hostile;
  const same = (what, got, want) => { if (got !== want) bad.push(`${what}: ${ascii(got)} for ${ascii(want)}`); };
  // labels.js's truncateLabel: k code points, the last an ellipsis
  const cut = (t, k) => { const c = Array.from(t); return c.length > k ? `${c.slice(0, k - 1).join('')}…` : t; };
  const texts = (sel) => [...box.querySelectorAll(sel)];
  if (view === 'head') {
    for (const side of ['left', 'right']) {
      const got = texts(`.hl-token-${side} text`);
      same(`${side} labels`, got.length, shown.length);
      got.forEach((t, i) => same(`${side} label ${i}`, t.textContent, shown[i]?.text));
    }
  } else if (view === 'neuron') {
    const labels = texts('.hl-neuron-label');
    same('neuron labels', labels.length, tokens.length);
    for (const g of labels) {
      same(`neuron label ${g.__data__.j}`, g.querySelector('text').textContent, cut(tokens[g.__data__.j].text, 18));
      same(`neuron label ${g.__data__.j} name`, g.getAttribute('aria-label'), `query token ${g.__data__.j}: ${tokens[g.__data__.j].text}`);
    }
  } else if (view === 'matrix') {
    const labels = texts('text.hl-matrix-rowlabel, text.hl-matrix-collabel');
    if (!labels.length) bad.push('no matrix labels');
    for (const t of labels) same(`matrix label ${t.__data__}`, t.textContent, cut(shown[t.__data__].text, 16));
  } else if (view === 'rollout') {
    for (const side of ['left', 'right']) {
      const got = texts(`.hl-rollout-${side} text`);
      same(`rollout ${side}`, got.length, tokens.length);
      got.forEach((t, i) => same(`rollout ${side} ${i}`, t.textContent, tokens[i].text));
    }
  } else if (view === 'patterns') {
    const words = new Set(tokens.map((t) => t.text));
    for (const b of texts('.hl-pattern-head')) {
      const m = /^layer \d+, head \d+: \d+\.\d\d(?: \(e\.g\. “([^]*)”\))?$/.exec(b.textContent);
      if (!m || (m[1] !== undefined && !words.has(m[1]))) bad.push(`pattern button ${window.__hostile.ascii(b.textContent.slice(0, 80))}`);
      if (b.children.length) bad.push('a pattern button holds elements');
    }
  }
  return bad;
}

// Tooltips: over token `k` of the head view, over a neuron label, over the matrix cell (i, j). Run in the page after the
// pointer moved there; the problems found.
function tipTexts([scope, kind, i, j]) {
  const el = scope.startsWith('el:') ? document.getElementById(scope.slice(3)) : null;
  const box = el ? el.shadowRoot : document.querySelector(scope);
  const shown = el ? el.data.tokens : window.headlight.shown.tokens;
  const tokens = el ? el.data.tokens : window.headlight.result.tokens;
  const view = el ? el.view : window.headlight.view;
  const text = (sel) => box.querySelector(sel)?.textContent ?? null;
  const bad = [];
  const want = (got, ok, what) => { if (!ok) bad.push(`${what} tooltip: ${window.__hostile.ascii(got)}`); };
  if (kind === 'head') {
    const t = text('.hl-tooltip-title');
    want(t, t?.startsWith(`from “${shown[i].text}”`), `head token ${i}`);
  } else if (kind === 'neuron') {
    const t = text('.hl-neuron-tip');
    want(t, t?.startsWith(`token ${i}: “${tokens[i].text}”`), `neuron label ${i}`);
  } else {
    const t = text('.hl-matrix-tip');
    want(t, t === `${shown[i].text} → ${shown[j].text}: ${view.valueAt(i, j).toFixed(3)}`, `matrix cell ${i}, ${j}`);
  }
  return bad;
}

// The indices of up to `count` token texts that are most hostile (markup characters, then anything not plain ASCII).
function hostileIndices(texts, count = 3) {
  const score = (t) => (/[<>"'&\\]/.test(t) ? 2 : 0) + (/[^\x20-\x7e]/.test(t) ? 1 : 0) + Math.min(1, t.length / 1000);
  return texts.map((t, i) => [score(t), i]).filter(([s]) => s > 0).sort((a, b) => b[0] - a[0]).slice(0, count).map(([, i]) => i);
}

const tokensOf = (page, scope) => page.evaluate((s) => window.__hostile.ascii((s.startsWith('el:')
  ? document.getElementById(s.slice(3)).data.tokens : window.headlight.shown.tokens).map((t) => t.text)), scope).then(JSON.parse);

// Points at up to 3 of the most hostile tokens of `view` (head-view tokens, neuron labels, matrix cells with the first of
// them) and checks each tooltip; returns how many.
async function hoverTips(page, scope, view) {
  const prefix = scope.startsWith('el:') ? `#${scope.slice(3)}` : scope;
  const picks = hostileIndices(await tokensOf(page, scope));
  const bad = [];
  for (const k of picks) {
    if (view === 'head') await page.hover(`${prefix} .hl-token-left >> nth=${k}`);
    else if (view === 'neuron') await page.hover(`${prefix} .hl-neuron-label >> nth=${k}`);
    else {  // the pointer event itself: the cell may lie outside the element's scroll box, where no mouse reaches
      await page.evaluate(([s, i, j]) => {
        const el = s.startsWith('el:') ? document.getElementById(s.slice(3)) : null;
        const c = (el ? el.view : window.headlight.view).cellCenter(i, j);
        (el ? el.shadowRoot : document.querySelector(s)).querySelector('canvas.hl-matrix-heat')
          .dispatchEvent(new PointerEvent('pointermove', { clientX: c.x, clientY: c.y, bubbles: true }));
      }, [scope, k, picks[0]]);
    }
    bad.push(...await page.evaluate(tipTexts, [scope, view, k, picks[0]]));
  }
  await page.mouse.move(1, 1);
  assert.deepEqual(bad, [], `${scope} ${view} tooltips`);
  return picks.length;
}

// The page -----------------------------------------------------------------------------------------------------------

const PAGE_VIEWS = ['head', 'model', 'neuron', 'matrix', 'patterns', 'layers', 'headmap', 'rollout'];
const TIPS = new Set(['head', 'neuron', 'matrix']);

/** The page in a watched context, first drawing done, its elements marked: {context, log, origin, page}. */
async function openWatched() {
  const w = await watchedContext();
  const page = await w.context.newPage();
  await page.goto(env.url);
  await page.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.view, null, { timeout: 60000 });
  await page.evaluate(() => window.__hostile.mark());
  return { ...w, page };
}

/** Puts a and b into the text boxes as typing does (an input event each) and waits for the run of exactly that text. */
async function setTexts(page, a, b) {
  const kept = await page.evaluate(([a, b]) => ['a', 'b'].map((id, k) => {
    const t = document.getElementById(id), want = JSON.parse([a, b][k]);
    t.value = want;
    t.dispatchEvent(new Event('input', { bubbles: true }));
    return t.value === want;
  }), [ascii(a), ascii(b)]);
  assert.deepEqual(kept, [true, true], 'the text boxes hold the text as given');
  await page.waitForFunction(() => {
    const r = window.headlight.result, a = document.getElementById('a').value, b = document.getElementById('b').value;
    return r && !r.partial && r.text?.a === a && r.text.b === (b.trim() ? b : null);
  }, null, { timeout: 60000 });
}

/** Shows `view` in scope (a tab click, unless it is shown) and waits until it is drawn. */
async function show(page, scope, view) {
  if (scope === '#view') await showView(page, view);
  else if (await page.evaluate((id) => document.getElementById(id).state.view, scope.slice(3)) !== view) {
    await page.click(`#${scope.slice(3)} [role=tab][data-view=${view}]`);
  }
  await page.waitForFunction(viewReady, [scope, view], { timeout: 60000 });
}

/** Each view in turn: drawn, its labels the tokens' texts, its tooltips text, nothing injected. */
async function sweepViews(page, log, scope, views, label) {
  for (const view of views) {
    await show(page, scope, view);
    assert.deepEqual(await page.evaluate(viewTexts, [scope, view]), [], `${label}: the ${view} view`);
    if (TIPS.has(view)) assert.ok(await hoverTips(page, scope, view) > 0, `${label}: no hostile token to hover in the ${view} view`);
    await assertClean(page, log, `${label}: the ${view} view`);
  }
}

async function download(page, button) {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 20000 }).catch(async (e) => {
      throw new Error(`${button} saved nothing (${e.message}); the status line: ${await page.textContent('#status')}`);
    }),
    page.click(button)]);
  return readFileSync(await dl.path());
}

// Run in the page on an exported SVG (ASCII JSON): {bad: the problems (not well-formed, an element that is no drawing,
// an on* attribute, a reference other than an embedded PNG, a stylesheet that fetches, head-view labels other than
// `labels`), title: the legend's text}.
function svgProblems([svgJson, labelsJson]) {
  const doc = new DOMParser().parseFromString(JSON.parse(svgJson), 'image/svg+xml');
  const labels = JSON.parse(labelsJson);
  const bad = [];
  const err = doc.querySelector('parsererror');
  if (err) return { bad: [window.__hostile.ascii(`not well-formed: ${err.textContent.slice(0, 300)}`)], title: 'null' };
  const DRAWING = new Set(['svg', 'g', 'path', 'line', 'rect', 'circle', 'ellipse', 'polyline', 'polygon', 'text', 'tspan',
    'title', 'desc', 'style', 'image', 'defs', 'clipPath', 'linearGradient', 'stop']);
  for (const el of doc.querySelectorAll('*')) {
    if (!DRAWING.has(el.localName) || el.namespaceURI !== 'http://www.w3.org/2000/svg') bad.push(`<${el.localName}> (${el.namespaceURI})`);
    for (const a of el.attributes) {
      if (/^on/i.test(a.localName)) bad.push(`${a.name} on <${el.localName}>`);
      const png = /^data:image\/png;base64,[A-Za-z0-9+/=]*$/.test(a.value);
      if (/^(href|src)$/i.test(a.localName) && !png) bad.push(`${a.name}="${a.value.slice(0, 60)}"`);
      if (a.localName === 'style' && /url\(|expression|evil\.example/i.test(a.value)) bad.push(`style="${a.value.slice(0, 60)}"`);
    }
  }
  const css = [...doc.querySelectorAll('style')].map((s) => s.textContent).join('\n');
  if (/@import|url\(|evil\.example/i.test(css)) bad.push('its stylesheet fetches');
  if (labels) {
    const got = [...doc.querySelectorAll('.hl-token-left text')].map((t) => t.textContent);
    if (JSON.stringify(got) !== JSON.stringify(labels)) bad.push(`head-view labels ${window.__hostile.ascii(got).slice(0, 300)}`);
  }
  return { bad: bad.map(window.__hostile.ascii), title: window.__hostile.ascii(doc.querySelector('text')?.textContent ?? null) };
}

/** The page's exports of the text drawn now: the SVG of the neuron, matrix and head views, the PNG, the snapshot (its
 * texts the page's, exactly) and the standalone HTML (opened from disk). titleHas: strings the legends and the HTML's
 * heading must show. Returns the snapshot's text. */
async function checkExports(page, log, label, titleHas) {
  for (const view of ['neuron', 'matrix', 'head']) {
    await show(page, '#view', view);
    const svg = (await download(page, '#export-svg')).toString('utf8');
    const labels = view === 'head' ? (await tokensOf(page, '#view')).map(xmlText) : null;
    const r = await page.evaluate(svgProblems, [ascii(svg), ascii(labels)]);
    assert.deepEqual(r.bad.map((s) => JSON.parse(s)), [], `${label}: the ${view} view's SVG`);
    const title = JSON.parse(r.title);
    for (const t of titleHas) assert.ok(title.includes(xmlText(t)), `${label}: the SVG legend ${ascii(title)} lacks ${ascii(t)}`);
  }
  const png = await download(page, '#export-png');
  const size = await page.evaluate(async (b64) => {
    const img = new Image();  // not in the document
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  }, png.toString('base64'));
  assert.ok(size[0] > 0 && size[1] > 0, `${label}: the PNG is ${size.join('×')}`);
  const snap = (await download(page, '#export-snapshot')).toString('utf8');
  const want = JSON.parse(await page.evaluate(() => window.__hostile.ascii({ tokens: window.headlight.result.tokens.map((t) => t.text),
    a: document.getElementById('a').value, b: document.getElementById('b').value })));
  const s = JSON.parse(snap);
  assert.deepEqual({ tokens: s.tokens.map((t) => t.text), a: s.text.a, b: s.text.b }, want, `${label}: the snapshot's texts`);
  const html = (await download(page, '#export-html')).toString('utf8');
  await checkStandalone(html, `${label} HTML`, { has: { h1: titleHas, title: titleHas } });
  await assertClean(page, log, `${label}: exports`);
  return snap;
}

// <headlight-attention> and the standalone file ------------------------------------------------------------------------

// An element's markup for a host page: attributes escaped here (the host's job), the snapshot inline as the docs say.
function elementHtml({ id, attrs = {}, inline = null }) {
  const attr = (v) => String(v).replace(/[&"<]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;' })[c]);
  return `<headlight-attention id="${id}"${Object.entries(attrs).map(([k, v]) => ` ${k}="${attr(v)}"`).join('')}>` +
    (inline ? `<script type="application/json">${inline.replace(/</g, '\\u003c')}</script>` : '') + '</headlight-attention>';
}

/** Serves a host page of `elements` (elementHtml's) under the page's origin with the unbundled element, and opens it
 * in a watched context, its own elements marked before the element's module script runs (modules run after parsing). */
async function openHost(name, elements) {
  SERVED.set(`/hostile/${name}.html`, { contentType: 'text/html; charset=utf-8', body: `<!doctype html><html lang="en"><head>
<meta charset="utf-8"><title>host</title></head><body>${elements.map(elementHtml).join('\n')}
<script type="module" src="/component/headlight-attention.js"></script><script>window.__hostile.mark()</script></body></html>` });
  const w = await watchedContext();
  const page = await w.context.newPage();
  await page.goto(`${w.origin}/hostile/${name}.html`);
  return { ...w, page };
}

/** A snapshot element: ready, its status naming the model, its tokens the snapshot's exactly, every view (by its tabs)
 * and tooltip text, nothing injected; exportSnapshot() gives the same token texts, byte for byte. */
async function checkElement(page, log, id, snap) {
  await page.waitForFunction((i) => document.getElementById(i)?.status === 'ready', id, { timeout: 30000 });
  const scope = `el:${id}`;
  const status = JSON.parse(await page.evaluate((i) => window.__hostile.ascii(document.getElementById(i).shadowRoot
    .querySelector('.hl-status').textContent), id));
  assert.ok(status.startsWith(`${snap.model.name} · ${snap.n} tokens`), `${id}: status ${ascii(status)}`);
  assert.deepEqual(await tokensOf(page, scope), snap.tokens.map((t) => t.text), `${id}: the tokens drawn`);
  await sweepViews(page, log, scope, snap.queries ? ['head', 'model', 'neuron', 'matrix'] : ['head', 'model', 'matrix'], id);
  const again = JSON.parse(await page.evaluate(async (i) => window.__hostile.ascii(await document.getElementById(i).exportSnapshot()), id));
  assert.ok(again.includes(`"tokens":${JSON.stringify(snap.tokens)}`), `${id}: the exported snapshot's tokens differ`);
  assert.deepEqual([JSON.parse(again).model, JSON.parse(again).text], [snap.model, snap.text], `${id}: the exported model and text`);
}

// A text as the HTML parser reads it back from a UTF-8 file: lone surrogates were written as U+FFFD; a NUL is dropped
// from an element's text and becomes U+FFFD in <title>.
const AS_HTML = { h1: (s) => wellFormed(s).replace(/\0/g, ''), footer: (s) => wellFormed(s).replace(/\0/g, ''),
  title: (s) => wellFormed(s).replace(/\0/g, '\uFFFD') };

// The risky elements of a standalone file with benign texts, by tag: what the hostile ones may hold.
let benignRisky = null;

/** Opens a standalone HTML file from disk: it draws, asks for nothing, holds the risky elements a benign file holds and
 * no on* attribute; its heading, title and footer are text (exact: `texts`, containing: `has`), as are the element's
 * tokens (the inline snapshot's). */
async function checkStandalone(html, label, { texts = {}, has = {} } = {}) {
  if (!benignRisky && label !== 'benign') {
    const benign = standaloneHtml({ bundle: readFileSync(path.join(root, 'web/headlight-attention.js'), 'utf8'),
      snapshot: snapshotText(await makeSnapshot(plainResult(3), { model: { name: 'benign' } })), title: 'benign' });
    benignRisky = await checkStandalone(benign, 'benign');
  }
  const file = path.join(tmp, `${label.replace(/\W+/g, '-')}.html`);
  writeFileSync(file, html);
  const { context, log } = await watchedContext();
  const url = pathToFileURL(file).href;
  log.files.add(url);
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.querySelector('headlight-attention')?.status === 'ready', null, { timeout: 30000 });
    const got = JSON.parse(await page.evaluate(() => {
      const el = document.querySelector('headlight-attention');
      el.id = 'saved';
      const of = (sel) => { const e = document.querySelector(sel); return e && { text: e.textContent, elements: e.children.length }; };
      return window.__hostile.ascii({ h1: of('h1'), title: of('title'), footer: of('footer') });
    }));
    for (const [key, want] of Object.entries(texts)) {
      assert.deepEqual(got[key], { text: AS_HTML[key](want), elements: 0 }, `${label}: <${key}>`);
    }
    for (const [key, list] of Object.entries(has)) {
      for (const t of list) {
        assert.ok(got[key].text.includes(AS_HTML[key](t)) && got[key].elements === 0, `${label}: <${key}> ${ascii(got[key])} lacks ${ascii(t)}`);
      }
    }
    const inline = JSON.parse(html.slice(html.indexOf('application/json">') + 18, html.indexOf('</script>')));
    assert.deepEqual(await tokensOf(page, 'el:saved'), inline.tokens.map((t) => t.text), `${label}: the tokens drawn`);
    await page.waitForFunction(viewReady, ['el:saved', 'head']);
    assert.deepEqual(await page.evaluate(viewTexts, ['el:saved', 'head']), [], `${label}: the head view`);
    const c = await page.evaluate(() => window.__hostile.census());
    if (label !== 'benign') {
      assert.deepEqual({ attrs: c.attrs.map((s) => JSON.parse(s)), risky: c.risky, pwned: c.pwned, requests: log.requests,
        dialogs: log.dialogs, errors: log.errors },
      { attrs: [], risky: benignRisky, pwned: null, requests: [], dialogs: [], errors: [] }, label);
    }
    return c.risky;
  } finally {
    await context.close();
  }
}

// Data -----------------------------------------------------------------------------------------------------------------

// An engine-shaped result over these token texts: 2 layers × 2 heads, seeded softmax rows, queries and keys (D = 4).
function resultOf(texts, seed = 20) {
  const rand = mulberry32(seed);
  const n = texts.length, L = 2, A = 2, D = 4, half = Math.ceil(n / 2);
  const attention = new Float32Array(L * A * n * n);
  for (let row = 0; row < L * A * n; ++row) {
    let sum = 0;
    for (let j = 0; j < n; ++j) sum += attention[row * n + j] = rand() ** 4;
    for (let j = 0; j < n; ++j) attention[row * n + j] /= sum;
  }
  const vectors = () => Float32Array.from({ length: L * A * n * D }, () => 2 * rand() - 1);
  const tokens = texts.map((text, i) => ({ text, segment: i < half ? 0 : 1, word: i === 0 || i === n - 1 ? -1 : i, start: -1, stop: -1 }));
  return { n, layers: L, heads_per_layer: A, head_size: D, tokens, attention, queries: vectors(), keys: vectors() };
}
const plainResult = (n) => resultOf(Array.from({ length: n }, (_, i) => `t${i}`));

// A snapshot whose model name, special tokens, texts and every token are hostile strings (the whole corpus, one token
// each, between the special tokens).
const SNAP_MODEL = { name: H['title end'], cls: H.script, sep: H['comment close'] };
async function hostileSnapshot() {
  const half = Math.ceil(HOSTILE_TEXTS.length / 2);
  return makeSnapshot(resultOf([SNAP_MODEL.cls, ...HOSTILE_TEXTS, SNAP_MODEL.sep]), { model: SNAP_MODEL,
    text: { a: HOSTILE_TEXTS.slice(0, half).join(' '), b: HOSTILE_TEXTS.slice(half).join(' ') }, view: { view: 'head', layer: 1 } });
}

// A Hugging Face folder (tiny-mlm's weights) whose tokenizer's five special tokens are hostile strings, and whose
// vocabulary past the first 999 lines is the corpus over and over (all but the words typed): the model's tokens and
// masked-word predictions are hostile strings. The folder's name, which the picker and status line show, is one too.
const SPECIALS = { pad_token: H['entity text'], unk_token: H['img onerror'], cls_token: H['script end'], sep_token: H['cdata end'],
  mask_token: H['attribute break'] };
const TYPED = ['the', 'cat', 'sat', 'on', 'mat'];
const FOLDER = '<svg onload="window.__pwned=21">&amp;\'';
function hostileCheckpoint() {
  const src = path.join(root, 'build/fixtures/tiny-mlm'), dir = path.join(tmp, FOLDER);
  mkdirSync(dir);
  const lines = readFileSync(path.join(src, 'vocab.txt'), 'utf8').split('\n');
  // one token a line: no line breaks; UTF-8: no lone surrogates
  const fits = HOSTILE_TEXTS.filter((t) => !/[\n\r]/.test(t) && t === wellFormed(t) && !Object.values(SPECIALS).includes(t));
  const keep = new Set(TYPED.map((w) => lines.indexOf(w)));
  for (let id = 999, k = 0; id < lines.length; ++id) if (!keep.has(id) && lines[id] !== '') lines[id] = fits[k++ % fits.length];
  for (const [key, text] of Object.entries(SPECIALS)) lines[lines.indexOf(`[${key.slice(0, -'_token'.length).toUpperCase()}]`)] = text;
  writeFileSync(path.join(dir, 'vocab.txt'), lines.join('\n'));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, ...SPECIALS }));
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(path.join(src, f), path.join(dir, f));
  return dir;
}

// Tests ----------------------------------------------------------------------------------------------------------------

test('the detectors see an injection: new elements, on* and javascript: attributes, the flag, a dialog, the requests', async () => {
  const { context, log, origin, page } = await openWatched();
  try {
    await assertClean(page, log, 'the page as it starts');
    await page.evaluate(() => {
      const scratch = document.body.appendChild(document.createElement('div'));
      scratch.id = 'hl-scratch';
      scratch.innerHTML = '<img src=x onerror="window.__pwned=99;alert(99)"><a href="javascript:void 0">x</a>' +
        '<link rel=stylesheet href="//evil.example/self.css">';
    });
    await page.waitForFunction(() => window.__pwned === 99);
    await page.waitForTimeout(100);  // the dialog's event reaches the test
    const c = await page.evaluate(() => window.__hostile.census());
    assert.deepEqual([...c.added, ...c.attrs].map((s) => JSON.parse(s).replace(/:.*/s, '').replace(/=.*/s, '')).sort(),
      ['href', 'new <a>', 'new <img>', 'new <link>', 'onerror attribute on <img>'].sort());
    assert.deepEqual(log.dialogs, ['99']);
    assert.deepEqual(log.requests.sort(), [`${origin}/x`, `http://${TRAP_HOST}/self.css`].sort());
    await page.evaluate(() => { document.getElementById('hl-scratch').remove(); delete window.__pwned; });
    log.requests.length = log.dialogs.length = 0;
    await assertClean(page, log, 'after the clean-up');
  } finally {
    await context.close();
  }
});

// The corpus in two rounds (each under the built-in model's 512 positions), half in A and half in B.
const ROUNDS = [0, 1].map((r) => HOSTILE_TEXTS.filter((_, i) => i % 2 === r));
let builtin = null;  // the page of the built-in model, left on the last round's text for the exports

test('hostile text typed into A and B: every view, tooltip and panel shows it as text', async () => {
  builtin = await openWatched();
  const { log, page } = builtin;
  for (const [k, texts] of ROUNDS.entries()) {
    const half = Math.ceil(texts.length / 2);
    await setTexts(page, texts.slice(0, half).join(' '), texts.slice(half).join(' '));
    assert.equal(await page.isVisible('#notice'), false, `round ${k}: the text was cut`);
    if (texts.includes(H['long word'])) {  // the 10,000-character word is one [UNK] with its whole span
      assert.ok(await page.evaluate(() => window.headlight.result.tokens.some((t) => t.text === '[UNK]' && t.stop - t.start === 10000)));
    }
    await sweepViews(page, log, '#view', PAGE_VIEWS, `round ${k}`);
  }
  await show(page, '#view', 'head');
  await page.check('#word-level');  // merged pieces: other labels, the same checks
  await page.waitForFunction(viewReady, ['#view', 'head']);
  assert.deepEqual(await page.evaluate(viewTexts, ['#view', 'head']), [], 'word level: the head view');
  await hoverTips(page, '#view', 'head');
  await page.uncheck('#word-level');
  await assertClean(page, log, 'word level');
});

test('exports of hostile text: SVG and PNG well-formed and inert, the snapshot exact, the HTML file inert', async () => {
  const { log, page } = builtin;
  // A short text (the exports of 430 tokens take a minute) that starts with what breaks XML: the legend and the
  // HTML file's heading hold its start.
  const a = [H['nul and controls'], H['lone high surrogate'], H.noncharacters, H['cdata end']].join(' ');
  await setTexts(page, a, [H['comment open'], H['lone low surrogate']].join(' '));
  await checkExports(page, log, 'built-in model', [a.slice(0, 40)]);
  // Last, as it keeps the Worker busy: the Syntax tab (treebank words, no typed text) while it computes.
  await showView(page, 'syntax');
  await page.waitForSelector('#view progress:not([hidden]), #view .hl-syntax-table');
  await assertClean(page, log, 'the Syntax tab');
  await builtin.context.close();
});

test('a converted vocabulary of hostile tokens, opened as a folder: tokens, predictions, views, toggles, exports', async () => {
  const dir = hostileCheckpoint();
  const { context, log, page } = await openWatched();
  try {
    await page.setInputFiles('#open-folder', dir);
    await page.waitForFunction(() => window.headlight.result?.layers === 2 && !window.headlight.result.partial, null, { timeout: 60000 });
    await setTexts(page, `the ${SPECIALS.pad_token} cat ${SPECIALS.mask_token} ${H['long word']}`,
      `${SPECIALS.unk_token} ${SPECIALS.cls_token} sat on the ${SPECIALS.sep_token} mat`);
    const seen = JSON.parse(await page.evaluate(() => window.__hostile.ascii({
      status: document.getElementById('status').textContent, picked: document.getElementById('model').selectedOptions[0].textContent,
      names: document.getElementById('special-names').textContent, tokens: window.headlight.result.tokens.map((t) => t.text),
      preds: [...document.querySelectorAll('#mlm .mlm-pred')].map((p) => p.textContent),
      predicted: window.headlight.result.mlm.flatMap((m) => m.predictions.map((x) => `${x.token} ${(100 * x.prob).toFixed(1)}%`)),
      inPreds: document.querySelectorAll('#mlm .mlm-pred *').length })));
    assert.ok(seen.status.startsWith(`${FOLDER}: `), `the status line: ${ascii(seen.status)}`);
    assert.equal(seen.picked, FOLDER);
    assert.equal(seen.names, `${SPECIALS.cls_token}/${SPECIALS.sep_token}`);
    for (const t of Object.values(SPECIALS)) assert.ok(seen.tokens.includes(t), `no token ${ascii(t)}`);
    assert.ok(seen.preds.length > 0 && seen.inPreds === 0);
    assert.deepEqual(seen.preds, seen.predicted);
    assert.ok(seen.preds.some((p) => HOSTILE_TEXTS.some((t) => p.startsWith(`${t} `))), 'no prediction is a hostile token');
    await sweepViews(page, log, '#view', PAGE_VIEWS, 'hostile vocabulary');
    await show(page, '#view', 'head');
    await page.check('#hide-special');  // the hostile [CLS]/[SEP] hidden by their text
    await page.waitForFunction(viewReady, ['#view', 'head']);
    assert.deepEqual(await page.evaluate(viewTexts, ['#view', 'head']), [], 'specials hidden: the head view');
    assert.equal(JSON.parse(await page.evaluate(() => window.__hostile.ascii(document.getElementById('special-hidden').textContent))),
      `${SPECIALS.cls_token} and ${SPECIALS.sep_token}`);
    await page.uncheck('#hide-special');
    const snap = await checkExports(page, log, 'hostile vocabulary', [FOLDER]);
    const s = JSON.parse(snap);
    assert.deepEqual([s.model.name, s.model.cls, s.model.sep], [FOLDER, SPECIALS.cls_token, SPECIALS.sep_token]);
    // the page's snapshot drawn by the element, and exported again
    const host = await openHost('vocabulary', [{ id: 'snap', attrs: { tabs: 'all', height: 600 }, inline: snap }]);
    try {
      await checkElement(host.page, host.log, 'snap', s);
    } finally {
      await host.context.close();
    }
  } finally {
    await context.close();
  }
});

test('a hostile snapshot in <headlight-attention>, inline and by URL: every view and tooltip, and the round trip', async () => {
  const snap = await hostileSnapshot(), text = snapshotText(snap);
  SERVED.set('/hostile/snap.json', { contentType: 'application/json', body: text });
  const { context, log, page } = await openHost('snapshots', [
    { id: 'inline', attrs: { tabs: `head,model,neuron,matrix,${H['img onerror']}`, height: 440 }, inline: text },
    { id: 'byurl', attrs: { snapshot: 'snap.json', tabs: 'all', height: 440 } }]);
  try {
    for (const id of ['inline', 'byurl']) await checkElement(page, log, id, snap);
    const note = JSON.parse(await page.evaluate(() => window.__hostile.ascii(document.getElementById('inline').shadowRoot
      .querySelector('.hl-note:not([hidden])')?.textContent ?? null)));
    assert.ok(note?.includes(`“${H['img onerror']}” is not a view`), `the tabs note: ${ascii(note)}`);
    await assertClean(page, log, 'the snapshot elements');
  } finally {
    await context.close();
  }
});

test('a standalone HTML file with a hostile title, heading, footer and attributes shows them as text', async () => {
  const title = `${H['title end']} ${H['script end']}`, heading = `${H.script} ${H['comment open']} ${H['lone high surrogate']}`;
  const html = standaloneHtml({ bundle: readFileSync(path.join(root, 'web/headlight-attention.js'), 'utf8'),
    snapshot: snapshotText(await hostileSnapshot()), title, heading, footer: H['entity text'],
    attrs: { tabs: `all,${H['attribute break']}`, height: '300" onload="window.__pwned=40' } });
  await checkStandalone(html, 'standalone', { texts: { title, h1: heading, footer: H['entity text'] } });
});
