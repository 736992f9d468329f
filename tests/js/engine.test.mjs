// The JS engine module (web/engine/headlight.js) over the real wasm engine under Node: convert, load, run, typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { checkpoint, root } from './fixtures.mjs';
import { BadModelError, InvalidArgumentError } from '../../web/engine/errors.js';



test('convert + load + run a pair: shapes, spans in UTF-16, MLM, rows sum to 1', async () => {
  const e = await nodeEngine('st');
  const bytes = e.convert(checkpoint('tiny-mlm'), { int8: true });
  const model = e.loadModel(bytes);
  assert.equal(model.info.int8, true);
  const a = 'I went to the 🍓 [MASK].', b = 'At the store, I bought fresh strawberries.';
  const r = e.run(model, a, b, { topK: 4 });
  const { layers: L, heads_per_layer: A, n } = r;
  assert.equal(r.attention.length, L * A * n * n);
  assert.equal(r.queries.length, L * A * n * r.head_size);
  for (let row = 0; row < L * A * n; row++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += r.attention[row * n + j];
    assert.ok(Math.abs(s - 1) < 1e-4, `row ${row} sums to ${s}`);
  }
  const went = r.tokens.find((t) => t.text === 'went');
  assert.equal(a.slice(went.start, went.stop), 'went');
  const store = r.tokens.filter((t) => t.text === 'store' && t.segment === 1)[0];
  assert.equal(b.slice(store.start, store.stop), 'store');
  assert.equal(r.mlm.length, 1);
  assert.equal(r.mlm[0].predictions.length, 4);
  e.freeModel(model);
});

// DistilBERT: BERT's WordPiece pair ([CLS] A [SEP] B [SEP]) over a model without token-type embeddings. The tokens'
// segments still say which sentence each is in.
test('DistilBERT: convert + load + run a pair, rows sum to 1, masked LM', async () => {
  const e = await nodeEngine('st');
  const model = e.loadModel(e.convert(checkpoint('tiny-distilbert'), { int8: true }));
  assert.equal(model.info.config.family, 'distilbert');
  assert.equal(model.info.config.type_vocab_size, 0);
  assert.equal(model.info.has_mlm_head, true);
  const a = 'The cat sat on the [MASK].', b = 'It was tired.';
  const r = e.run(model, a, b, { topK: 3 });
  const { layers: L, heads_per_layer: A, n } = r;
  const texts = r.tokens.map((t) => t.text);
  const sep = texts.indexOf('[SEP]');
  assert.equal(texts[0], '[CLS]');
  assert.equal(texts[n - 1], '[SEP]');
  assert.ok(sep > 1 && sep < n - 2, texts.join(' '));
  assert.deepEqual(r.tokens.map((t) => t.segment), texts.map((_, i) => (i <= sep ? 0 : 1)));
  assert.equal(r.attention.length, L * A * n * n);
  for (let row = 0; row < L * A * n; row++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += r.attention[row * n + j];
    assert.ok(Math.abs(s - 1) < 1e-4, `row ${row} sums to ${s}`);
  }
  assert.equal(r.mlm.length, 1);
  assert.equal(texts[r.mlm[0].position], '[MASK]');
  assert.equal(r.mlm[0].predictions.length, 3);
  e.freeModel(model);
});

test('typed errors: malformed model and bad handle', async () => {
  const e = await nodeEngine('st');
  assert.throws(() => e.loadModel(new Uint8Array(1000).fill(3)), (err) => err instanceof BadModelError && /magic/.test(err.message) && !!err.hint);
  assert.throws(() => e.run({ handle: 4242 }, 'x'), InvalidArgumentError);
  const ck = checkpoint('tiny-mlm');
  assert.throws(() => e.convert({ ...ck, safetensors: ck.safetensors.slice(0, 5000) }), BadModelError);
});

test('pthreads build runs with 2 threads and agrees with the single-thread build', () => {
  // In a child process: the pthread workers would keep this test process alive.
  const out = execFileSync(process.execPath, [path.join(root, 'tests/js/mt_child.mjs')], { encoding: 'utf8', timeout: 120000 });
  const r = JSON.parse(out.trim().split('\n').pop());
  assert.equal(r.threads, 2);
  assert.ok(r.n > 5 && r.length > 0);
  assert.ok(r.maxDiff < 1e-5, `max |Δ| ${r.maxDiff}`);
});

// The WebGPU path's contract, with the attention done by plain JS loops: runStepped hands each layer's qkv out and takes
// probs and context back; layers answered with null use the engine's own heads.
function attentionByLoops(qkv, n, A, D) {
  const H = A * D, probs = new Float32Array(A * n * n), context = new Float32Array(n * H);
  for (let h = 0; h < A; ++h) for (let i = 0; i < n; ++i) {
    const row = new Float64Array(n);
    for (let j = 0; j < n; ++j) {
      let s = 0;
      for (let d = 0; d < D; ++d) s += qkv[i * 3 * H + h * D + d] * qkv[j * 3 * H + H + h * D + d];
      row[j] = s / Math.sqrt(D);
    }
    const m = Math.max(...row);
    let z = 0;
    for (let j = 0; j < n; ++j) { row[j] = Math.exp(row[j] - m); z += row[j]; }
    for (let j = 0; j < n; ++j) probs[(h * n + i) * n + j] = row[j] / z;
    for (let d = 0; d < D; ++d) {
      let c = 0;
      for (let j = 0; j < n; ++j) c += probs[(h * n + i) * n + j] * qkv[j * 3 * H + 2 * H + h * D + d];
      context[i * H + h * D + d] = c;
    }
  }
  return { probs, context };
}

test('runStepped with the caller\'s attention equals run; a failing attention leaves the model usable', async () => {
  const e = await nodeEngine('st');
  const model = e.loadModel(e.convert(checkpoint('tiny-mlm'), { int8: true }));
  const a = 'The cat sat on the [MASK].', b = 'It was tired.';
  const want = e.run(model, a, b);
  let calls = 0;
  const got = await e.runStepped(model, a, b, async (qkv, n, A, D) => (calls++ % 2 ? null : attentionByLoops(qkv, n, A, D)));
  assert.equal(calls, model.info.config.num_layers);
  assert.deepEqual(got.tokens, want.tokens);
  assert.deepEqual(got.mlm.map((m) => m.predictions.map((p) => p.token)), want.mlm.map((m) => m.predictions.map((p) => p.token)));
  for (const f of ['attention', 'queries', 'keys', 'hidden']) {
    let worst = 0;
    for (let k = 0; k < want[f].length; ++k) worst = Math.max(worst, Math.abs(got[f][k] - want[f][k]));
    assert.ok(worst < 2e-4, `${f}: worst ${worst}`);  // SIMD f32 against double loops, through int8 layers
  }
  await assert.rejects(e.runStepped(model, a, b, async () => { throw new Error('GPU lost'); }), /GPU lost/);
  await assert.rejects(e.runStepped(model, a, b, async () => ({ probs: new Float32Array(1), context: new Float32Array(1) })),
    /returned 1 probabilities/);
  assert.equal(e.run(model, a, b).n, want.n);  // the abandoned steps freed the model
  e.freeModel(model);
});

test('tokenize gives run\'s tokens (UTF-16 spans) and cut; runStepped on the engine\'s heads is run; beforeLayer can stop it', async () => {
  const e = await nodeEngine('st');
  const model = e.loadModel(e.convert(checkpoint('tiny-mlm'), { int8: true }));
  const a = 'I went to the 🍓 [MASK] café.', b = 'At the store, I bought fresh strawberries.';
  for (const maxTokens of [0, 7]) {
    const want = e.run(model, a, b, { maxTokens });
    const got = e.tokenize(model, a, b, { maxTokens });
    assert.deepEqual(got, { n: want.n, tokens: want.tokens, truncation: want.truncation });
    const layers = [];
    const stepped = await e.runStepped(model, a, b, null, { maxTokens, beforeLayer: async (l) => { layers.push(l); } });
    assert.deepEqual(layers, [...Array(model.info.config.num_layers).keys()]);
    for (const f of ['attention', 'queries', 'keys', 'hidden']) assert.deepEqual(stepped[f], want[f], f);
  }
  const stop = new Error('a newer text');
  await assert.rejects(e.runStepped(model, a, b, null, { beforeLayer: async (l) => { if (l === 1) throw stop; } }), stop);
  assert.equal(e.run(model, a, null).tokens[1].text, 'i');  // the abandoned step freed the model
  assert.throws(() => e.tokenize({ handle: 999 }, a), InvalidArgumentError);
  e.freeModel(model);
});

test('runIds on run\'s token ids and types gives run\'s result, without spans; typed errors as run\'s', async () => {
  const e = await nodeEngine('st');
  const model = e.loadModel(readFileSync(path.join(root, 'models/headlight-mini/headlight-mini.hlm')));
  const want = e.run(model, 'The man went to the [MASK].', 'He bought milk.', { topK: 3, stats: true });
  const got = e.runIds(model, want.tokens.map((t) => t.id), want.tokens.map((t) => t.segment), { topK: 3, stats: true });
  assert.equal(got.n, want.n);
  assert.deepEqual(got.tokens.map((t) => [t.id, t.start, t.stop]), want.tokens.map((t) => [t.id, -1, -1]));
  for (const f of ['attention', 'queries', 'keys', 'hidden']) assert.deepEqual(got[f], want[f], f);
  assert.deepEqual(got.mlm, want.mlm);
  assert.deepEqual(got.stats, want.stats);
  assert.throws(() => e.runIds(model, [101, 102], [0]), InvalidArgumentError);
  assert.throws(() => e.runIds({ handle: 4242 }, [101, 102], [0, 0]), (err) => err instanceof InvalidArgumentError && !!err.hint);
  e.freeModel(model);
});

test('RoBERTa: convert from tokenizer.json (no vocab.txt), <s> A </s></s> B </s>, spans, statistics name <s>/</s>', async () => {
  const e = await nodeEngine('st');
  const dir = path.join(root, 'build', 'fixtures', 'tiny-roberta');
  const read = (f) => readFileSync(path.join(dir, f), 'utf8');
  const bytes = e.convert({ config: read('config.json'), tokenizerJson: read('tokenizer.json'),
    tokenizerConfig: read('tokenizer_config.json'), safetensors: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))) });
  const model = e.loadModel(bytes);
  assert.equal(model.info.tokenizer.kind, 'bpe');
  assert.equal(model.info.tokenizer.cls, '<s>');
  assert.equal(model.info.tokenizer.sep, '</s>');
  assert.equal(model.info.config.family, 'roberta');
  assert.equal(model.info.config.max_position_embeddings - model.info.config.position_offset, 512);
  const a = 'Paris is the <mask> of France 🍓.', b = "It's a city, isn't it?";
  const r = e.run(model, a, b, { stats: true });
  const texts = r.tokens.map((t) => t.text);
  assert.equal(texts[0], '<s>');
  assert.equal(texts.at(-1), '</s>');
  const k = r.tokens.findIndex((t) => t.segment === 1);
  assert.deepEqual(texts.slice(k - 1, k + 1), ['</s>', '</s>'], 'the pair separator is </s></s>');
  // Spans (UTF-16) map back onto the text: a word token's span is its text without the byte-level space "Ġ".
  const france = r.tokens.find((t) => t.text === '\u0120France');
  assert.ok(france, `no ĠFrance in ${texts.join(' ')}`);
  assert.equal(a.slice(france.start, france.stop), 'France');
  const aB = r.tokens.find((t) => t.text === '\u0120a' && t.segment === 1);
  assert.equal(b.slice(aB.start, aB.stop), 'a');
  // The strawberry's 4 bytes land in several tokens: each spans the whole character (2 UTF-16 units).
  const berry = r.tokens.filter((t) => t.segment === 0 && t.start >= 0 && a.slice(t.start, t.stop).includes('🍓'));
  assert.ok(berry.length >= 2, texts.join(' '));
  for (const t of berry) assert.equal(a.slice(t.start, t.stop), '🍓');
  const mask = r.tokens.find((t) => t.text === '<mask>');
  assert.equal(a.slice(mask.start, mask.stop), '<mask>');
  for (const t of r.tokens) {
    if (t.start < 0) continue;
    assert.ok(t.start <= t.stop && t.stop <= (t.segment === 0 ? a : b).length, `span of ${t.text}`);
  }
  assert.equal(r.mlm.length, 1);
  // Clark et al.'s labels use the model's own special tokens.
  const labels = r.stats.per_head.flatMap((h) => h.labels);
  assert.ok(!labels.includes('[CLS]') && !labels.includes('[SEP]'), labels.join(','));
  assert.ok(labels.some((l) => l === '<s>' || l === '</s>'), `no head labelled <s> or </s>: ${labels.join(',')}`);
  e.freeModel(model);
});

test('setInt8Gemm: a model loaded after it runs the GEMM asked for, with the same bits; a converted file stores panels', async () => {
  const e = await nodeEngine('st');
  const dir = path.join(root, 'build', 'fixtures', 'tiny-mlm');
  const bytes = e.convert({ config: readFileSync(path.join(dir, 'config.json'), 'utf8'), vocab: readFileSync(path.join(dir, 'vocab.txt'), 'utf8'),
    safetensors: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))) });
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true), 2);  // format version 2: linear weights in panels
  const results = {};
  for (const gemm of ['xnnpack', 'headlight', 'auto']) {
    e.setInt8Gemm(gemm);
    const model = e.loadModel(bytes);
    assert.equal(model.info.int8_gemm, gemm === 'auto' ? 'headlight' : gemm);  // the plain build's choice is Headlight's
    results[gemm] = e.run(model, 'The man went to the [MASK].', 'He bought milk.', { topK: 3 });
    e.freeModel(model);
  }
  for (const f of ['attention', 'hidden']) assert.deepEqual(results.xnnpack[f], results.headlight[f], f);
  assert.deepEqual(results.xnnpack.mlm, results.headlight.mlm);
  assert.throws(() => e.setInt8Gemm('fastest'), InvalidArgumentError);
});
