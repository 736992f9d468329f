// The committed built-in model (models/builtin.json) in the wasm engine: intact, the right shape, learned attention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { readPairs } from '../../tools/eval/fidelity.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'models', 'builtin.json'), 'utf8'));
const entry = manifest.models.find((m) => m.id === manifest.default);
const bytes = new Uint8Array(readFileSync(path.join(root, 'models', entry.file)));
const engine = await nodeEngine('st');
const model = engine.loadModel(bytes);
// Measured on the shipped int8 model: 262 of 807 hidden words (32.5%); the f32 weights get 41% of all MLM targets (card).
const MLM_WORD_TOP1_MIN = 0.28;

// Issue #3's attention figures: per head, the mean over query rows of attention to the next (previous) token,
// and the share of attention to the [SEP]s against the uniform share 2/n.
function headStats(r) {
  const { n, layers: L, heads_per_layer: A, attention: P } = r;
  const seps = r.tokens.flatMap((t, i) => (t.text === '[SEP]' ? [i] : []));
  const out = [];
  for (let l = 0; l < L; ++l) for (let h = 0; h < A; ++h) {
    const at = (i, j) => P[((l * A + h) * n + i) * n + j];
    let next = 0, prev = 0, sep = 0;
    for (let i = 0; i + 1 < n; ++i) { next += at(i, i + 1); prev += at(i + 1, i); }
    for (let i = 0; i < n; ++i) for (const j of seps) sep += at(i, j);
    out.push({ layer: l, head: h, next: next / (n - 1), prev: prev / (n - 1), sep: sep / n });
  }
  return { heads: out, uniformSep: seps.length / n };
}

test('models/builtin.json matches the committed file (size, sha256) and the file is at most 10 MB', () => {
  assert.equal(bytes.length, entry.bytes);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256);
  assert.ok(bytes.length <= 10_000_000, `${bytes.length} bytes`);
  assert.equal(model.info.int8, true);
  assert.equal(model.info.has_mlm_head, true);
  assert.deepEqual([model.info.config.num_layers, model.info.config.hidden_size, model.info.config.num_heads],
    [4, 256, 4]);
});

test("Vig's pair on the int8 built-in model: a next-token head, a previous-token head, [SEP] above uniform", () => {
  const r = engine.run(model, 'I went to the store.', 'At the store, I bought fresh strawberries.');
  assert.deepEqual(r.tokens.map((t) => t.text).slice(0, 8), ['[CLS]', 'i', 'went', 'to', 'the', 'store', '.', '[SEP]']);
  const { heads, uniformSep } = headStats(r);
  const best = (k) => heads.reduce((a, b) => (b[k] > a[k] ? b : a));
  assert.ok(best('next').next >= 0.5, JSON.stringify(best('next')));
  assert.ok(best('prev').prev >= 0.5, JSON.stringify(best('prev')));
  const middle = heads.filter((x) => x.layer >= 1 && x.layer <= 2);
  const sepMiddle = middle.reduce((s, x) => s + x.sep, 0) / middle.length;
  assert.ok(sepMiddle > 1.2 * uniformSep, `[SEP] share ${sepMiddle} vs uniform ${uniformSep}`);
});

test('masked-LM top-1 of the int8 built-in model on the 200 held-out pairs', () => {
  // heldout-pairs.tsv hides whole words (third column); a hidden word counts as right when the top-1 piece is the
  // word itself, lower-cased (words of several pieces can never count, so this is below the card's accuracy).
  const pairs = readPairs(path.join(root, 'models', path.dirname(entry.file), 'heldout-pairs.tsv'));
  let masks = 0, right = 0;
  for (const [a, b, hidden] of pairs) {
    const mlm = engine.run(model, a, b, { topK: 1 }).mlm;
    assert.equal(mlm.length, hidden.length, a);
    mlm.forEach((m, i) => { masks += 1; right += m.predictions[0].token === hidden[i].toLowerCase(); });
  }
  assert.ok(masks >= 500, `${masks} masks`);
  assert.ok(right / masks >= MLM_WORD_TOP1_MIN, `top-1 ${right}/${masks}`);
});
