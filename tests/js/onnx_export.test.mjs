// The ONNX export (tools/onnx/export_onnx.py) against Headlight's wasm engine, both run under Node
// (onnxruntime-web 1.30's wasm backend; tools/onnx/check_onnx.mjs), on the same token ids.
//
// Two activation quantizations are exported and held to different bounds:
// - "row": Headlight's own per-row int8 scheme written in ONNX operators. The integer sums are Headlight's, so
//   what is left is float rounding (and the rare activation that it pushes across a rounding boundary, which then
//   spreads): the bounds are tight and catch small mistakes (a tanh-GELU instead of erf fails them).
// - "tensor": onnxruntime's DynamicQuantizeLinear (one uint8 scale per tensor), the graph of the benchmark. Its own
//   rounding differs from Headlight's, so the bounds are those of a different int8 scheme: they catch gross mistakes
//   (scales, positions, mask) but not subtle ones, which is why the "row" graph exists.
// The measured figures quoted below come from `node tools/onnx/check_onnx.mjs` (2026-11-21, this machine).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { checkOnnx, readInputs } from '../../tools/onnx/check_onnx.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';  // Debian's, which has python3-onnx
const BUILTIN = path.join(root, 'models/headlight-mini/headlight-mini.hlm');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hl-onnx-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function exportOnnx(hlm, name, flags = []) {
  const out = path.join(tmp, `${name}.onnx`);
  execFileSync(PY, [path.join(root, 'tools/onnx/export_onnx.py'), hlm, out, ...flags], { encoding: 'utf8', stdio: 'pipe' });
  return new Uint8Array(readFileSync(out));
}

// The bounds a check's figures must meet; returns the ones that are not met (empty: passes).
function violations(f, b) {
  const v = [];
  const need = (ok, what) => { if (!ok) v.push(what); };
  need(f.mean_row_js <= b.meanJs, `mean row JS ${f.mean_row_js.toExponential(2)} > ${b.meanJs}`);
  need(f.most_attended_same >= b.sameArgmax, `most-attended same ${f.most_attended_same.toFixed(4)} < ${b.sameArgmax}`);
  need(f.hidden_cosine >= b.cosine, `hidden cosine ${f.hidden_cosine.toFixed(6)} < ${b.cosine}`);
  need(f.min_token_cosine >= b.tokenCosine, `lowest token cosine ${f.min_token_cosine.toFixed(6)} < ${b.tokenCosine}`);
  if (f.masks) need(f.mlm_top1_same >= b.mlmTop1, `MLM top-1 same ${f.mlm_top1_same.toFixed(3)} < ${b.mlmTop1}`);
  need(f.padded_inputs > 0, 'no padded input was run');
  need(f.padded_max_pad_attention <= 1e-6, `attention on [PAD]s ${f.padded_max_pad_attention.toExponential(2)} > 1e-6`);
  need(f.padded_max_attention_diff <= b.paddedDiff,
    `padded max |Δ attention| ${f.padded_max_attention_diff.toExponential(2)} > ${b.paddedDiff}`);
  if (b.layer0Diff !== undefined) {
    const d = f.per_layer[0].max_attention_diff;
    need(d <= b.layer0Diff, `layer 0 max |Δ attention| ${d.toExponential(2)} > ${b.layer0Diff}`);
  }
  return v;
}

// Per-row graph. Measured on the built-in model, first 16 held-out pairs (all 200 in brackets): mean row JS 5.9e-7
// (6.4e-7), most-attended the same 99.96% (99.92%), hidden cosine 0.999982 (0.999983), lowest token 0.99980
// (0.99956), MLM top-1 the same 59/60 (803/807), padded max |Δ attention| 7.6e-3 (1.5e-2: a rounding pushed across a
// boundary, then spread), layer 0 max |Δ attention| 1.4e-6 (1.6e-6); on the tiny fixture: JS 3.7e-8, 100%, cosine
// 0.9999999, lowest token 0.99995, 132/132, layer 0 1.2e-6. A tanh-GELU export gives JS 1.4e-5 and 99.27%: it fails.
const ROW = { meanJs: 4e-6, sameArgmax: 0.995, cosine: 0.9999, tokenCosine: 0.999, mlmTop1: 0.95, paddedDiff: 5e-2,
  layer0Diff: 1e-5 };
// DynamicQuantizeLinear graph. Measured on the built-in model, 16 pairs (200): mean row JS 1.11e-4 (1.16e-4),
// most-attended the same 97.46% (97.66%), hidden cosine 0.99939 (0.99940), lowest token 0.99736 (0.99733), MLM top-1
// 58/60 (769/807 = 95.3%), padded max |Δ attention| 5.7e-2 (7.3e-2); on the tiny fixture: JS 1.29e-4, 98.80%,
// cosine 0.99980, lowest token 0.99789, 130/132. (Headlight's own int8 against its f32 on the built-in model: JS
// 4.7e-5, 98.45%, MLM 96.5%.)
const TENSOR = { meanJs: 3e-4, sameArgmax: 0.96, cosine: 0.998, tokenCosine: 0.99, mlmTop1: 0.9, paddedDiff: 0.2 };

const pairs = readInputs({ limit: 16 });  // models/headlight-mini/heldout-pairs.tsv
const enginePromise = nodeEngine('st');
const builtinBytes = new Uint8Array(readFileSync(BUILTIN));

async function checkBuiltin(name, flags, inputs = pairs) {
  return checkOnnx({ hlmBytes: builtinBytes, onnxBytes: exportOnnx(BUILTIN, name, flags), inputs, engine: await enginePromise });
}

test('built-in model (f32 Q/K input), per-row activations: agrees with Headlight to float rounding', async () => {
  const f = await checkBuiltin('builtin-row', ['--act-quant', 'row']);
  assert.deepEqual(violations(f, ROW), []);
  assert.equal(f.per_layer.length, 4);
});

test('built-in model, DynamicQuantizeLinear (the benchmark graph): within the per-tensor scheme\'s error', async () => {
  const f = await checkBuiltin('builtin-tensor', []);
  // f32 Q/K input: layer 0's attention involves no activation quantization at all (measured 1.6e-6)
  assert.deepEqual(violations(f, { ...TENSOR, layer0Diff: 1e-5 }), []);
});

test('tiny fixture (int8 Q/K input, n = 1 … 512), both schemes; an f32 model is refused', async () => {
  const engine = await enginePromise;
  const dir = path.join(root, 'build', 'fixtures', 'tiny-mlm');
  const ck = {
    config: readFileSync(path.join(dir, 'config.json'), 'utf8'),
    vocab: readFileSync(path.join(dir, 'vocab.txt'), 'utf8'),
    tokenizerConfig: readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'),
    safetensors: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))),
  };
  const hlm = path.join(tmp, 'tiny.hlm');
  const hlmBytes = engine.convert(ck, { int8: true });
  writeFileSync(hlm, hlmBytes);
  const inputs = readInputs({ inputs: path.join(root, 'build/fixtures/tiny-mlm.inputs.json') });
  assert.deepEqual(inputs.map((x) => x.ids.length), [1, 2, 7, 33, 64, 128, 128, 512]);
  for (const [name, bounds] of [['row', ROW], ['tensor', TENSOR]]) {
    const f = await checkOnnx({ hlmBytes, onnxBytes: exportOnnx(hlm, `tiny-${name}`, ['--act-quant', name]), inputs, engine });
    assert.deepEqual(violations(f, bounds), [], name);
    assert.equal(f.masks, 132, name);  // includes inputs without any [MASK] (the head's If branch)
  }
  const f32 = path.join(tmp, 'tiny.f32.hlm');
  writeFileSync(f32, engine.convert(ck, { int8: false }));
  assert.throws(() => exportOnnx(f32, 'tiny-f32'), (e) => /needs an int8 model/.test(e.stderr));
});

test('a wrong export fails the check (so the bounds above can fail)', async () => {
  const few = pairs.slice(0, 4);
  const cases = [
    // [sabotage, activation scheme, bounds, inputs, a violation it must cause]
    ['tanh-gelu', 'row', ROW, pairs, /mean row JS/],       // measured JS 1.4e-5 on these 16 pairs, against 5.9e-7
    ['no-mask', 'row', ROW, few, /attention on \[PAD\]s/], // 0.97 of a row's attention on the padding
    ['no-weight-scale', 'tensor', TENSOR, few, /most-attended/],  // 23% the same
    ['no-position', 'tensor', TENSOR, few, /hidden cosine/],      // cosine 0.78
    ['no-mask', 'tensor', TENSOR, few, /attention on \[PAD\]s/],
  ];
  for (const [sabotage, scheme, bounds, inputs, expected] of cases) {
    const f = await checkBuiltin(`bad-${scheme}-${sabotage}`, ['--act-quant', scheme, '--sabotage', sabotage], inputs);
    const v = violations(f, bounds);
    assert.ok(v.some((x) => expected.test(x)),
      `${sabotage} (${scheme}) should fail with ${expected}; violations: ${v.join('; ') || 'none'}`);
  }
});
