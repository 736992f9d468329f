// Writes python/headlight/viewer.html, the page headlight.show() fills in for a notebook: the <headlight-attention>
// bundle and markers for the snapshot, title, tabs, view and height (generated; not committed).
// Python replaces the JSON string "@@HEADLIGHT_SNAPSHOT@@" (quotes included) by the snapshot's JSON with every "<"
// written \u003c, and each other marker by HTML-escaped text; the page then goes into an <iframe srcdoc sandbox="allow-scripts">.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { standaloneHtml } from '../web/page/standalone.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundlePath = path.join(root, 'web/headlight-attention.js');
const out = path.join(root, 'python/headlight/viewer.html');

const MARKERS = { snapshot: '"@@HEADLIGHT_SNAPSHOT@@"', title: '@@HEADLIGHT_TITLE@@', tabs: '@@HEADLIGHT_TABS@@',
  view: '@@HEADLIGHT_VIEW@@', height: '@@HEADLIGHT_HEIGHT@@' };
const FOOTER = 'Drawn by Headlight from the attention you passed (weights stored to 8 bits, within 1/255).';

// What the bundle is made from (tools/bundle_component.mjs follows its imports from web/component/): the newest
// modification time of those folders' files and of the bundler itself.
const SOURCES = ['web/component', 'web/views', 'web/data', 'web/page', 'web/engine', 'tools/bundle_component.mjs'];
function newestSource() {
  let newest = 0;
  const walk = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      if (p === path.join(root, 'web/engine/wasm')) return;  // the engine's builds: loaded at run time, not bundled
      for (const name of readdirSync(p)) walk(path.join(p, name));
    } else if (/\.(m?js|css)$/.test(p)) newest = Math.max(newest, st.mtimeMs);
  };
  for (const s of SOURCES) walk(path.join(root, s));
  return newest;
}

if (!existsSync(bundlePath) || statSync(bundlePath).mtimeMs < newestSource()) {
  console.log('python_viewer: web/headlight-attention.js is missing or older than its sources: bundling it');
  await import('./bundle_component.mjs');
}

// The document's title stays "Headlight" and the marker goes in the heading, which the reader sees: each marker once.
const html = standaloneHtml({
  bundle: readFileSync(bundlePath, 'utf8'),
  snapshot: MARKERS.snapshot,
  title: 'Headlight',
  heading: MARKERS.title,
  footer: FOOTER,
  attrs: { tabs: MARKERS.tabs, view: MARKERS.view, height: MARKERS.height },
});
for (const [name, marker] of Object.entries(MARKERS)) {
  const count = html.split(marker).length - 1;
  if (count !== 1) throw new Error(`python_viewer: the ${name} marker ${marker} occurs ${count} times in the page, not once: Python could not fill it in`);
}
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, html);
console.log(`python_viewer: python/headlight/viewer.html (${html.length} bytes)`);
