// npm run bench:soak — the two soak tests (tests/js/soak.test.mjs under Node, tests/e2e/soak.test.mjs in Chromium; 1,000
// runs each, HEADLIGHT_SOAK_RUNS for another count), then their curves as markdown tables from build/soak_node.json and
// build/soak_browser.json: every 50 runs the wasm heap, the JS heap after a full GC, the live handles, and in Chromium the
// JS heap and ArrayBuffers of the page and the engine Worker, the DOM and the renderers' resident memory; and each one's
// growth over the last 500 runs (the line through the samples).
// --report: only print the tables of the last runs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

if (!process.argv.includes('--report')) {
  const t = spawnSync(process.execPath, ['--test', '--test-concurrency=1', 'tests/js/soak.test.mjs', 'tests/e2e/soak.test.mjs'],
    { cwd: root, stdio: 'inherit' });
  if (t.status !== 0) console.log(`\nthe soak tests failed (exit ${t.status}): the tables below are of what they wrote`);
}

const mib = (x) => (x / 2 ** 20).toFixed(2);
const pct = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
const handles = (h) => Object.entries(h).filter(([k, v]) => k !== 'total' && v).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';

function read(name) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'build', name), 'utf8'));
  } catch (e) {
    console.log(`\nno build/${name} (${e.code ?? e.message}): run the soak first`);
    return null;
  }
}

const node = read('soak_node.json');
if (node) {
  console.log(`\n### Node: ${node.runs} runs, ${(node.ms / 1000).toFixed(1)} s\n`);
  console.log('| run | wasm heap (MiB) | JS heap after GC (MiB) | live handles |');
  console.log('|---:|---:|---:|---|');
  for (const s of node.samples) console.log(`| ${s.run} | ${mib(s.wasm_bytes)} | ${mib(s.js_heap_bytes)} | ${handles(s.handles)} |`);
  console.log(`\nover the last ${node.tail} runs: wasm heap ${pct(node.growth_tail.wasm)}, JS heap ${pct(node.growth_tail.js_heap)}; `
    + `live handles at the end: ${node.end_handles.total}`);
}
const web = read('soak_browser.json');
if (web) {
  console.log(`\n### Chromium ${web.chromium}: ${web.runs} runs, ${(web.ms / 1000).toFixed(0)} s\n`);
  console.log('| run | wasm heap (MiB) | page JS heap after GC (MiB) | page ArrayBuffers (MiB) | Worker JS heap after GC (MiB) | JS objects (kB) | DOM nodes | listeners | renderers RSS (MiB) | live handles |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const s of web.samples) {
    console.log(`| ${s.run} | ${mib(s.wasm_bytes)} | ${mib(s.page_js_heap_bytes)} | ${mib(s.page_buffer_bytes)} | ${mib(s.worker_js_heap_bytes)} | `
      + `${s.js_object_bytes ? (s.js_object_bytes / 1000).toFixed(0) : ''} | `
      + `${s.dom_nodes} | ${s.js_event_listeners} | ${mib(s.renderer_rss_bytes)} | ${handles(s.handles)} |`);
  }
  console.log(`\nover the last ${web.tail} runs: ${Object.entries(web.growth_tail).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`);
}
