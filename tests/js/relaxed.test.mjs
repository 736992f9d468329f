// The relaxed-SIMD builds (tools/build.sh wasm-st-relaxed, wasm-mt-relaxed) under Node: they validate only with relaxed
// SIMD, and give exactly the plain builds' results on int8 and f32 models, single thread and with 2 threads (relaxed
// SIMD only in the int8 dot products, whose sums are exact; third_party/patches/xnnpack-0004-*). (Their Catch2 suite
// runs through ctest: tools/test.sh.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { checkpoint, root } from './fixtures.mjs';

const built = (v) => existsSync(path.join(root, 'build', `wasm-${v}`, `headlight-${v}-node.cjs`));
const skip = !built('st-relaxed') || !built('mt-relaxed') ? 'relaxed builds missing: bash tools/build.sh wasm-st-relaxed wasm-mt-relaxed' : false;

const maxAbsDiff = (x, y) => {
  assert.equal(x.length, y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
};

test('the relaxed modules validate with relaxed SIMD only', { skip }, () => {
  for (const v of ['st-relaxed', 'mt-relaxed']) {
    const wasm = path.join(root, 'build', `wasm-${v}`, `headlight-${v}-node.wasm`);
    const check = 'try { new WebAssembly.Module(require("fs").readFileSync(process.argv[1])); console.log("ok"); } catch (e) { console.log(e.message); }';
    assert.equal(execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', check, wasm], { encoding: 'utf8' }).trim(), 'ok');
    assert.match(execFileSync(process.execPath, ['-e', check, wasm], { encoding: 'utf8' }), /relaxed/);
  }
});

test('relaxed and plain single-thread builds give the same results (int8 and f32 models)', { skip }, async () => {
  const plain = await nodeEngine('st'), relaxed = await nodeEngine('st-relaxed');
  const a = 'I went to the 🍓 [MASK].', b = 'At the store, I bought fresh strawberries.';
  for (const int8 of [true, false]) {
    const bytes = plain.convert(checkpoint('tiny-mlm'), { int8 });
    assert.deepEqual(relaxed.convert(checkpoint('tiny-mlm'), { int8 }), bytes, 'conversion is the same');
    const m1 = plain.loadModel(bytes), m2 = relaxed.loadModel(bytes);
    const r1 = plain.run(m1, a, b, { topK: 4 }), r2 = relaxed.run(m2, a, b, { topK: 4 });
    assert.deepEqual(r2.tokens, r1.tokens);
    for (const field of ['attention', 'queries', 'keys', 'hidden']) {
      const d = maxAbsDiff(r1[field], r2[field]);
      assert.equal(d, 0, `${int8 ? 'int8' : 'f32'} ${field}: max |Δ| ${d}`);
    }
    assert.deepEqual(r2.mlm[0].predictions.map((p) => p.token), r1.mlm[0].predictions.map((p) => p.token));
    plain.freeModel(m1);
    relaxed.freeModel(m2);
  }
});

test('relaxed pthreads build runs with 2 threads and gives the plain single-thread build\'s results', { skip }, () => {
  const out = execFileSync(process.execPath, [path.join(root, 'tests/js/mt_child.mjs'), 'mt-relaxed', 'int8'], { encoding: 'utf8', timeout: 120000 });
  const r = JSON.parse(out.trim().split('\n').pop());
  assert.equal(r.threads, 2);
  assert.ok(r.n > 5 && r.length > 0);
  assert.equal(r.maxDiff, 0, `max |Δ| ${r.maxDiff}`);
});

// The Worker's feature test (web/engine/simd_probe.js) must say yes exactly where the relaxed builds load: Node 20 runs
// relaxed SIMD only behind its flag, so the probe is false without it and true with it, like the builds' own modules.
test('the Worker\'s relaxed-SIMD probe agrees with the engine', () => {
  const probe = (flags) => execFileSync(process.execPath, [...flags, '--input-type=module', '-e',
    `import { hasRelaxedSimd } from ${JSON.stringify(path.join(root, 'web/engine/simd_probe.js'))}; console.log(hasRelaxedSimd());`],
  { encoding: 'utf8' }).trim();
  assert.equal(probe([]), 'false');
  assert.equal(probe(['--experimental-wasm-relaxed-simd']), 'true');
});
