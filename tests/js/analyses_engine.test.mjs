// The engine's analyses through web/engine/analyses.js (wasm): the syntactic-head table equals the native CLI's on the
// same model and sentences; rollout against a plain JS product; the norm weighting and its statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { loadTreebank, resultCombined, syntaxChoices, syntaxTable } from '../../web/engine/analyses.js';
import { root } from './fixtures.mjs';

const engine = await nodeEngine('st');
const MODEL = path.join(root, 'models/headlight-mini/headlight-mini.hlm');
const TREEBANK = path.join(root, 'web/data/ud-english-ewt/en_ewt-ud-dev.conllu');
const model = engine.loadModel(new Uint8Array(readFileSync(MODEL)));

test('the syntactic-head table in wasm equals tools/analyze --syntax on the same 150 sentences', () => {
  const tb = loadTreebank(engine, readFileSync(TREEBANK));
  assert.equal(tb.sentences, 2001);
  const table = syntaxTable(engine, model, tb);
  for (let k = 0; k < 150; k++) table.add(k, tb.sentence(k).text);
  const wasm = table.json();
  table.free();
  tb.free();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-syntax-'));
  execFileSync(path.join(root, 'build/native/hl-analyze'), [MODEL, '--syntax', '--treebank', TREEBANK, '--sentences', '150',
    '--out', dir]);
  const cli = JSON.parse(readFileSync(path.join(dir, 'syntax.json'), 'utf8'));
  for (const key of ['sentences', 'words', 'arcs', 'skipped_arcs', 'unaligned_words']) assert.equal(wasm[key], cli[key], key);
  assert.deepEqual(wasm.relations.map((r) => [r.relation, r.arcs]), cli.relations.map((r) => [r.relation, r.arcs]));
  // The native and wasm attention differ by float rounding (1e-6, tests/e2e/analyses.test.mjs): a word whose two most
  // attended words tie that closely may pick the other. On the built-in model 3 of the 95,808 head × arc × direction
  // choices of "all" differed ("6 arcs differ", counting each in its relation too): allow 1 in 1,000, and 1 arc per
  // head and relation.
  let flips = 0;
  for (const [k, r] of wasm.relations.entries()) {
    for (const d of ['dependent_to_head', 'head_to_dependent']) {
      r[d].accuracy.forEach((acc, h) => {
        const arcs = Math.round(Math.abs(acc - cli.relations[k][d].accuracy[h]) * r.arcs);
        assert.ok(arcs <= 1, `${r.relation} ${d} head ${h}: ${arcs} arcs differ`);
        if (r.relation === 'all') flips += arcs;
      });
      assert.deepEqual(r[d].baseline, cli.relations[k][d].baseline);
    }
  }
  const choices = wasm.arcs * wasm.layers * wasm.heads_per_layer * 2;
  assert.ok(flips <= choices / 1000, `${flips} of ${choices} choices differ`);
});

test('one sentence\'s choices: every head picks, for each word with tokens, a word of the sentence', () => {
  const tb = loadTreebank(engine, readFileSync(TREEBANK));
  const s = tb.sentence(1);
  const r = engine.run(model, s.text, null, { keep: true, fields: [] });
  const c = syntaxChoices(engine, tb, 1, r.handle);
  const { layers: L, heads_per_layer: A } = r;
  assert.equal(c.words, s.words.length);
  assert.equal(c.token_word.length, r.n);
  assert.equal(c.choices.length, L * A * s.words.length);
  assert.ok(c.choices.every((w) => w >= 0 && w < s.words.length));
  assert.throws(() => syntaxChoices(engine, tb, 0, r.handle), /not a run of treebank sentence 0/);
  engine.freeResult(r.handle);
  tb.free();
});

test('rollout equals the product of the layers\' residual-aware mean attention, written out in JS (1e-6)', () => {
  const r = engine.run(model, 'Rollout multiplies the layers.', 'It keeps rows summing to one.', { keep: true });
  const { n, layers: L, heads_per_layer: A } = r;
  let roll = null;
  for (let l = 0; l < L; l++) {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      let total = 0;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let h = 0; h < A; h++) s += r.attention[((l * A + h) * n + i) * n + j];
        a[i * n + j] = s / A + (i === j ? 1 : 0);
        total += a[i * n + j];
      }
      for (let j = 0; j < n; j++) a[i * n + j] /= total;
    }
    if (!roll) roll = a;
    else {
      const next = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) next[i * n + j] += a[i * n + k] * roll[k * n + j];
      roll = next;
    }
    const got = resultCombined(engine, r.handle, 'rollout', l + 1);
    let worst = 0;
    for (let k = 0; k < n * n; k++) worst = Math.max(worst, Math.abs(got[k] - roll[k]));
    assert.ok(worst <= 1e-6, `layer ${l + 1}: ${worst}`);
  }
  const flow = resultCombined(engine, r.handle, 'flow', L);
  assert.equal(flow.length, n * n);
  assert.throws(() => resultCombined(engine, r.handle, 'mean', 1), /unknown combination "mean"/);
  engine.freeResult(r.handle);
});

test('a run with norms hands over the value norms; the norm weighting has its own statistics', () => {
  const plain = engine.run(model, 'The cat sat on the mat.', null, { keep: true });
  assert.equal(plain.value_norms, undefined);
  assert.throws(() => engine.resultStats(plain.handle, 'norm'), /HL_OUTPUT_VALUE_NORMS/);
  assert.throws(() => engine.resultStats(plain.handle, 'size'), /unknown weighting "size"/);
  const r = engine.run(model, 'The cat sat on the mat.', null, { keep: true, norms: true, stats: true });
  const { n, layers: L, heads_per_layer: A } = r;
  assert.equal(r.value_norms.length, L * A * n);
  assert.equal(r.norm_summed.length, L * n * n);
  assert.deepEqual(r.attention, plain.attention);
  for (let row = 0; row < L * A * n; row++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += r.norm_attention[row * n + j];
    assert.ok(Math.abs(s - 1) < 1e-5, `row ${row} sums to ${s}`);
  }
  const byNorm = engine.resultStats(r.handle, 'norm');
  assert.equal(byNorm.per_head.length, L * A);
  assert.notDeepEqual(byNorm, r.stats);
  for (const h of [plain.handle, r.handle]) engine.freeResult(h);
});

test('a run with layerStates hands over every layer\'s output [L+1][n][H], the last its hidden state; stepped the same', async () => {
  const text = 'Probes read every layer.';
  const plain = engine.run(model, text);
  assert.equal(plain.layer_states, undefined);
  const r = engine.run(model, text, null, { layerStates: true });
  const { n, layers: L, hidden_size: H } = r;
  assert.equal(r.layer_states.length, (L + 1) * n * H);
  assert.deepEqual(r.layer_states.subarray(L * n * H), r.hidden);
  assert.deepEqual(r.hidden, plain.hidden);
  assert.equal(r.value_norms, undefined);
  const stepped = await engine.runStepped(model, text, null, null, { layerStates: true });
  assert.deepEqual(stepped.layer_states, r.layer_states);
  const both = engine.run(model, text, null, { layerStates: true, norms: true, fields: ['layer_states', 'value_norms'] });
  assert.deepEqual(Object.keys(both).filter((k) => ArrayBuffer.isView(both[k])).sort(), ['layer_states', 'value_norms']);
  assert.deepEqual(both.layer_states, r.layer_states);
});
