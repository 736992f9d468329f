// Compares two Headlight models of one checkpoint (e.g. int8 against f32) on sentence pairs, with the wasm engine.
//
//   node tools/eval/fidelity.mjs --reference model.f32.hlm --model model.int8.hlm --pairs pairs.tsv [--json out.json]
//
// pairs.tsv: one "A<TAB>B" per line (B may be empty; a third column is ignored); [MASK]s get MLM predictions.
// Figures (issue #2's definitions): over every attention row (layer, head, query token) of every pair, the mean
// Jensen–Shannon divergence (nats) between the two models' rows, the share of rows whose most-attended token is
// the same, and max |Δ attention|; over every [MASK], the share where the top-1 prediction is the same.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { nodeEngine } from './node_engine.mjs';

// -> [[a, b or null, hidden words (third column, optional)], ...]
export function readPairs(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
    const [a, b = '', hidden = ''] = l.split('\t');
    return [a, b.trim() ? b : null, hidden.split(' ').filter(Boolean)];
  });
}

// Jensen–Shannon divergence (nats) of rows p and q, each of length n.
export function jensenShannon(p, q) {
  let js = 0;
  for (let j = 0; j < p.length; ++j) {
    const m = 0.5 * (p[j] + q[j]);
    if (p[j] > 0) js += 0.5 * p[j] * Math.log(p[j] / m);
    if (q[j] > 0) js += 0.5 * q[j] * Math.log(q[j] / m);
  }
  return js;
}

function argmax(row) {
  let best = 0;
  for (let j = 1; j < row.length; ++j) if (row[j] > row[best]) best = j;
  return best;
}

export function compare(engine, refModel, model, pairs) {
  const f = { pairs: pairs.length, rows: 0, js_sum: 0, same_argmax: 0, max_attention_diff: 0, masks: 0, same_top1: 0 };
  const gaps = [];  // rows whose most-attended token differs: reference weight of its top token minus the other's
  for (const [a, b] of pairs) {
    const r = engine.run(refModel, a, b, { topK: 1 });
    const m = engine.run(model, a, b, { topK: 1 });
    if (r.n !== m.n) throw new Error(`token counts differ (${r.n} vs ${m.n}) on: ${a}`);
    const n = r.n;
    for (let off = 0; off < r.attention.length; off += n) {
      const p = r.attention.subarray(off, off + n), q = m.attention.subarray(off, off + n);
      f.js_sum += jensenShannon(p, q);
      const ip = argmax(p), iq = argmax(q);
      if (ip === iq) f.same_argmax += 1; else gaps.push(p[ip] - p[iq]);
      for (let j = 0; j < n; ++j) f.max_attention_diff = Math.max(f.max_attention_diff, Math.abs(p[j] - q[j]));
      f.rows += 1;
    }
    r.mlm.forEach((x, i) => { f.masks += 1; f.same_top1 += x.predictions[0].id === m.mlm[i].predictions[0].id; });
  }
  gaps.sort((x, y) => x - y);
  return {
    ...f, mean_row_js: f.js_sum / f.rows, most_attended_same: f.same_argmax / f.rows,
    // how close to a tie the changed rows were in the reference
    changed_rows_median_gap: gaps.length ? gaps[gaps.length >> 1] : null,
    changed_rows_gap_below_001: gaps.filter((g) => g < 0.01).length,
    mlm_top1_same: f.masks ? f.same_top1 / f.masks : null,
  };
}

async function main() {
  const { values: o } = parseArgs({ options: { reference: { type: 'string' }, model: { type: 'string' },
    pairs: { type: 'string' }, json: { type: 'string' } } });
  if (!o.reference || !o.model || !o.pairs) {
    console.error('usage: node tools/eval/fidelity.mjs --reference A.hlm --model B.hlm --pairs pairs.tsv [--json out]');
    process.exit(2);
  }
  const engine = await nodeEngine('st');
  const load = (p) => engine.loadModel(new Uint8Array(readFileSync(p)));
  const res = compare(engine, load(o.reference), load(o.model), readPairs(o.pairs));
  const out = { reference: path.basename(o.reference), model: path.basename(o.model), ...res };
  console.log(`${out.model} against ${out.reference} on ${res.pairs} pairs: mean row JS ${res.mean_row_js.toExponential(2)} ` +
    `(${res.rows} rows), most-attended same ${(100 * res.most_attended_same).toFixed(2)}%, ` +
    `max |Δ attention| ${res.max_attention_diff.toExponential(2)}; of the ${res.rows - res.same_argmax} changed rows ` +
    `${res.changed_rows_gap_below_001} were within 0.01 of a tie (median gap ${res.changed_rows_median_gap?.toFixed(4)}); MLM top-1 same ` +
    `${res.same_top1}/${res.masks} (${(100 * res.mlm_top1_same).toFixed(1)}%)`);
  if (o.json) writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
