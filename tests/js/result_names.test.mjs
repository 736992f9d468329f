// Result objects name their keys one way: snake_case, as the engine's JSON does, and never plain "heads" (which could be
// the heads per layer, all L·A heads, a list of per-head records or the selected heads: those are heads_per_layer,
// total_heads, per_head and the page state's selectedHeads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { toggled } from '../../web/data/attention_data.js';
import { makeSnapshot, readSnapshot, snapshotText } from '../../web/page/snapshot.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Every key of a JSON-like value (typed arrays are leaves), as "path: key".
function keys(value, at = '') {
  if (Array.isArray(value)) return value.flatMap((v, i) => keys(v, `${at}[${i}]`));
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [{ at, key: k }, ...keys(v, `${at}.${k}`)]);
}

function checkNames(what, value) {
  const bad = keys(value).filter(({ key }) => !/^[a-z][a-z0-9_]*$/.test(key) || key === 'heads');
  assert.deepEqual(bad.map(({ at, key }) => `${at}.${key}`), [], `${what}: keys that are not snake_case, or "heads"`);
}

test('the check finds camelCase keys and "heads"', () => {
  assert.throws(() => checkNames('x', { a: { attentionPath: 1 } }), /attentionPath/);
  assert.throws(() => checkNames('x', { per_head: [{ heads: 2 }] }), /heads/);
  checkNames('x', { per_head: [{ heads_per_layer: 2 }], attention: new Float32Array(2) });
});

test('the engine\'s run, statistics and head map, the toggled data and a read snapshot', async () => {
  const engine = await nodeEngine('st');
  const model = engine.loadModel(new Uint8Array(readFileSync(path.join(root, 'models/headlight-mini/headlight-mini.hlm'))));
  try {
    const r = engine.run(model, 'The strawberries were fresh.', 'They were [MASK].', { stats: true, keep: true });
    checkNames('run', r);
    checkNames('resultStats', engine.resultStats(r.handle));
    engine.freeResult(r.handle);
    checkNames('model info', model.info);
    const specials = ['[CLS]', '[SEP]'];
    checkNames('word level, specials hidden', toggled(r, { wordLevel: true, hideSpecial: true }, specials));
    checkNames('snapshot', await readSnapshot(snapshotText(await makeSnapshot(r, { view: { selectedHeads: [1] } }))).then((s) => s.data));
    const acc = engine.distances(model);
    try {
      acc.add('One text.', 'And another.');
      checkNames('head map', acc.mds());
    } finally {
      acc.free();
    }
  } finally {
    engine.freeModel(model);
  }
});
