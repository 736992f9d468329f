// Soak under Node: 1,000 runs of the engine (tests/js/soak_child.mjs, in a process of its own run with --expose-gc):
// the wasm heap and the JS heap reach a plateau over the last 500 runs, the live handles are what the loop holds at each
// sample, and none is left at the end. The curve is in build/soak_node.json (npm run bench:soak reports it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { root } from './fixtures.mjs';

// Growth allowed over the last 500 runs (soak_child.mjs's growth(): the line through the samples). The wasm heap only
// grows (pages are never given back), so 1% means it stopped growing. The JS heap after a full GC holds V8's compiled
// code and feedback as well as the loop's objects, and moves by up to 2% between samples either way; its line over the
// tail is what grows: 1% of its ~8 MB is 80 kB, and a leak of 160 bytes a run (a result's token list) fails it, as
// node:test's own record of async resources did (330 bytes a run, +2.3%, when the soak ran inside the test).
const WASM_GROWTH = 0.01, JS_GROWTH = 0.01;

test('soak: 1,000 runs under Node: the wasm and JS heaps reach a plateau, and every handle is freed', () => {
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(root, 'tests/js/soak_child.mjs')],
    { encoding: 'utf8', timeout: 540000, env: { ...process.env, HEADLIGHT_SOAK_RUNS: process.env.HEADLIGHT_SOAK_RUNS ?? '1000' } });
  const r = JSON.parse(out.trim().split('\n').pop());
  const mb = (x) => (x / 2 ** 20).toFixed(2), pct = (x) => `${(100 * x).toFixed(2)}%`;
  const [first, last] = [r.samples[1], r.samples.at(-1)];
  console.log(`soak (Node, ${r.runs} runs, ${(r.ms / 1000).toFixed(1)} s): wasm ${mb(first.wasm_bytes)} → ${mb(last.wasm_bytes)} MiB, `
    + `JS heap ${mb(first.js_heap_bytes)} → ${mb(last.js_heap_bytes)} MiB; over the last ${r.tail} runs: wasm `
    + `${pct(r.growth_tail.wasm)}, JS heap ${pct(r.growth_tail.js_heap)}`);
  assert.deepEqual(r.unexpected, [], 'live handles other than the loop\'s models, kept results and treebank');
  assert.equal(r.end_handles.total, 0, `handles left: ${JSON.stringify(r.end_handles)}`);
  assert.ok(r.growth_tail.wasm <= WASM_GROWTH, `the wasm heap grew ${pct(r.growth_tail.wasm)} over the last ${r.tail} runs`);
  assert.ok(r.growth_tail.js_heap <= JS_GROWTH, `the JS heap grew ${pct(r.growth_tail.js_heap)} over the last ${r.tail} runs`);
});
