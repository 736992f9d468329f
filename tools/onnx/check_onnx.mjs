// Runs a Headlight model in Headlight's wasm engine and its ONNX export (tools/onnx/export_onnx.py) in
// onnxruntime-web's wasm backend under Node, on the same token ids, and prints how far apart they are.
//
//   node tools/onnx/check_onnx.mjs MODEL.hlm MODEL.onnx [--pairs pairs.tsv | --inputs inputs.json] [--limit N]
//                                  [--pad P] [--json out.json]
//
// Inputs: sentence pairs ("A<TAB>B" lines, tokenized by Headlight; default: models/headlight-mini/heldout-pairs.tsv)
// or token ids ({input_ids, token_type_ids} objects, e.g. build/fixtures/base-mlm.inputs.json).
// Figures, over every attention row (layer, head, query token) of every input: max |Δ attention|, mean
// Jensen–Shannon divergence (nats) and the share of rows whose most-attended token is the same; final hidden states:
// max |Δ| and cosine (over everything, and the lowest of any one token); masked LM at every [MASK]: top-1 the same
// and max |Δ probability| over Headlight's top 5. With --pad P (default 3) each input is run again in ONNX with
// P [PAD] tokens after it and attention_mask 0 there: its real rows are compared with Headlight's unpadded run
// and the attention that leaks onto the padding is reported (fewer [PAD]s where n + P would pass the model's positions).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';

import * as ort from 'onnxruntime-web';

import { nodeEngine } from '../eval/node_engine.mjs';
import { jensenShannon, readPairs } from '../eval/fidelity.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The JSON header of a .hlm file (for the [PAD] id).
function hlmHeader(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = Number(dv.getBigUint64(16, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + len)));
}

export async function onnxSession(onnxBytes) {
  ort.env.wasm.numThreads = 1;
  return ort.InferenceSession.create(onnxBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

// ONNX on ids/types with attention_mask 1 (0 for the last `pad` tokens). -> {hidden, attention [L][A][n][n], mlm}
export async function runOnnx(session, ids, types, layers, pad = 0, padId = 0) {
  const n = ids.length + pad;
  const t = (a) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [1, n]);
  const padded = (a, v) => [...a, ...new Array(pad).fill(v)];
  const out = await session.run({
    input_ids: t(padded(ids, padId)),
    token_type_ids: t(padded(types, 0)),
    attention_mask: t([...new Array(ids.length).fill(1), ...new Array(pad).fill(0)]),
  });
  const per = out.attention_0.data.length;
  const attention = new Float32Array(layers * per);
  for (let l = 0; l < layers; ++l) attention.set(out[`attention_${l}`].data, l * per);
  return { n, hidden: out.last_hidden_state.data, attention, mlm: out.mlm_logits ?? null };
}

function argmax(row) {
  let best = 0;
  for (let j = 1; j < row.length; ++j) if (row[j] > row[best]) best = j;
  return best;
}

function softmax(logits) {
  let mx = -Infinity;
  for (const v of logits) mx = Math.max(mx, v);
  const e = Float64Array.from(logits, (v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

// Accumulates the figures over inputs.
class Figures {
  constructor() {
    Object.assign(this, { inputs: 0, tokens: 0, rows: 0, js_sum: 0, same_argmax: 0, max_attention_diff: 0,
      max_hidden_diff: 0, dot: 0, na: 0, nb: 0, min_token_cosine: 1, masks: 0, same_top1: 0, max_mlm_prob_diff: 0,
      padded_inputs: 0, padded_max_attention_diff: 0, padded_max_hidden_diff: 0, padded_max_pad_attention: 0 });
    this.layers = [];  // per layer: rows, js_sum, same_argmax, max_attention_diff
  }

  attention(p, q, L, n) {  // p Headlight, q ONNX: [L][A][n][n]
    const per = p.length / L;
    for (let l = 0; l < L; ++l) {
      const y = (this.layers[l] ??= { rows: 0, js_sum: 0, same_argmax: 0, max_attention_diff: 0 });
      for (let off = l * per; off < (l + 1) * per; off += n) {
        const a = p.subarray(off, off + n), b = q.subarray(off, off + n);
        const js = jensenShannon(a, b), same = argmax(a) === argmax(b);
        let mx = 0;
        for (let j = 0; j < n; ++j) mx = Math.max(mx, Math.abs(a[j] - b[j]));
        this.js_sum += js; this.same_argmax += same; this.rows += 1;
        this.max_attention_diff = Math.max(this.max_attention_diff, mx);
        y.js_sum += js; y.same_argmax += same; y.rows += 1;
        y.max_attention_diff = Math.max(y.max_attention_diff, mx);
      }
    }
  }

  hidden(a, b, H) {  // [n][H]
    for (let off = 0; off < a.length; off += H) {
      let dot = 0, na = 0, nb = 0;
      for (let c = off; c < off + H; ++c) {
        dot += a[c] * b[c]; na += a[c] * a[c]; nb += b[c] * b[c];
        this.max_hidden_diff = Math.max(this.max_hidden_diff, Math.abs(a[c] - b[c]));
      }
      this.dot += dot; this.na += na; this.nb += nb;
      this.min_token_cosine = Math.min(this.min_token_cosine, dot / Math.sqrt(na * nb));
    }
  }

  mlm(hl, logits, V) {  // hl: Headlight's [{position, predictions: [{id, prob}]}]; logits [m][V] in the same order
    if (!logits) return;
    if (logits.dims[1] !== hl.length) throw new Error(`[MASK] count differs: Headlight ${hl.length}, ONNX ${logits.dims[1]}`);
    hl.forEach((x, i) => {
      const p = softmax(logits.data.subarray(i * V, (i + 1) * V));
      this.masks += 1;
      this.same_top1 += argmax(p) === x.predictions[0].id;
      for (const { id, prob } of x.predictions) this.max_mlm_prob_diff = Math.max(this.max_mlm_prob_diff, Math.abs(p[id] - prob));
    });
  }

  padded(hl, ox, L, A, n, pad, H) {  // ox: ONNX on n + pad tokens; compare its first n rows/columns with Headlight's
    const N = n + pad;
    this.padded_inputs += 1;
    for (let r = 0; r < L * A; ++r)
      for (let i = 0; i < n; ++i) {
        const row = ox.attention.subarray((r * N + i) * N, (r * N + i + 1) * N);
        const ref = hl.attention.subarray((r * n + i) * n, (r * n + i + 1) * n);
        let diff = 0, leak = 0;
        for (let j = 0; j < N; ++j) {
          if (j < n) diff = Math.max(diff, Math.abs(row[j] - ref[j]));
          else leak += row[j];
        }
        this.padded_max_attention_diff = Math.max(this.padded_max_attention_diff, diff);
        this.padded_max_pad_attention = Math.max(this.padded_max_pad_attention, leak);
      }
    let diff = 0;
    for (let c = 0; c < n * H; ++c) diff = Math.max(diff, Math.abs(ox.hidden[c] - hl.hidden[c]));
    this.padded_max_hidden_diff = Math.max(this.padded_max_hidden_diff, diff);
  }

  summary() {
    const { js_sum, dot, na, nb, layers, ...rest } = this;
    return { ...rest, mean_row_js: js_sum / this.rows, most_attended_same: this.same_argmax / this.rows,
      hidden_cosine: dot / Math.sqrt(na * nb), mlm_top1_same: this.masks ? this.same_top1 / this.masks : null,
      per_layer: layers.map((y) => ({ max_attention_diff: y.max_attention_diff, mean_row_js: y.js_sum / y.rows,
        most_attended_same: y.same_argmax / y.rows })) };
  }
}

/** inputs: [{ids, types}] or [{a, b}] (tokenized by Headlight); engine: a nodeEngine('st') to reuse. Returns the
 *  figures (see the top of this file), with per_layer [{max_attention_diff, mean_row_js, most_attended_same}]. */
export async function checkOnnx({ hlmBytes, onnxBytes, inputs, pad = 3, engine = null }) {
  engine ??= await nodeEngine('st');
  const model = engine.loadModel(hlmBytes);
  const header = hlmHeader(hlmBytes);
  const padId = Math.max(0, header.tokenizer.vocab.indexOf(header.tokenizer.pad_token ?? '[PAD]'));
  const V = header.config.vocab_size;
  const session = await onnxSession(onnxBytes);
  const f = new Figures();
  try {
    for (const input of inputs) {
      let { ids, types } = input;
      if (!ids) {
        const r = engine.run(model, input.a, input.b ?? null, { topK: 1 });
        ids = r.tokens.map((t) => t.id);
        types = r.tokens.map((t) => Math.min(t.segment, header.config.type_vocab_size - 1));
      }
      const hl = engine.runIds(model, ids, types, { topK: 5 });
      const { n, layers: L, heads_per_layer: A, hidden_size: H } = hl;
      const ox = await runOnnx(session, ids, types, L);
      f.inputs += 1;
      f.tokens += n;
      f.attention(hl.attention, ox.attention, L, n);
      f.hidden(hl.hidden, ox.hidden, H);
      f.mlm(hl.mlm, ox.mlm, V);
      const p = Math.min(pad, header.config.max_position_embeddings - n);  // the padded input must fit the positions
      if (p > 0) f.padded(hl, await runOnnx(session, ids, types, L, p, padId), L, A, n, p, H);
    }
  } finally {
    await session.release();
    engine.freeModel(model);
  }
  return f.summary();
}

export function formatFigures(r) {
  const e = (x) => x.toExponential(2);
  return [
    `${r.inputs} inputs, ${r.tokens} tokens, ${r.rows} attention rows`,
    `attention: max |Δ| ${e(r.max_attention_diff)}, mean row Jensen–Shannon ${e(r.mean_row_js)}, ` +
      `most-attended token the same in ${(100 * r.most_attended_same).toFixed(2)}% of rows`,
    `hidden: max |Δ| ${e(r.max_hidden_diff)}, cosine ${r.hidden_cosine.toFixed(7)} (lowest token ${r.min_token_cosine.toFixed(7)})`,
    r.masks ? `masked LM: top-1 the same at ${r.same_top1}/${r.masks} [MASK]s, max |Δ prob| over the top 5 ${e(r.max_mlm_prob_diff)}`
      : 'masked LM: no [MASK] (or no head)',
    r.padded_inputs ? `padded (${r.padded_inputs} inputs, attention_mask 0 on the [PAD]s): max |Δ attention| ` +
      `${e(r.padded_max_attention_diff)}, max |Δ hidden| ${e(r.padded_max_hidden_diff)}, most attention on padding ` +
      `${e(r.padded_max_pad_attention)}` : 'padded: not run',
    'per layer: max |Δ attention| ' + r.per_layer.map((y) => e(y.max_attention_diff)).join(' ') +
      '; mean row JS ' + r.per_layer.map((y) => e(y.mean_row_js)).join(' '),
  ].join('\n');
}

export function readInputs({ pairs, inputs, limit }) {
  let list;
  if (inputs) {
    list = JSON.parse(readFileSync(inputs, 'utf8')).map((x) => ({ ids: x.input_ids, types: x.token_type_ids }));
  } else {
    list = readPairs(pairs ?? path.join(root, 'models/headlight-mini/heldout-pairs.tsv')).map(([a, b]) => ({ a, b }));
  }
  return limit ? list.slice(0, limit) : list;
}

async function main() {
  const { values: o, positionals } = parseArgs({ allowPositionals: true, options: {
    pairs: { type: 'string' }, inputs: { type: 'string' }, limit: { type: 'string' }, pad: { type: 'string', default: '3' },
    json: { type: 'string' } } });
  if (positionals.length !== 2) {
    console.error('usage: node tools/onnx/check_onnx.mjs MODEL.hlm MODEL.onnx [--pairs p.tsv | --inputs i.json] [--limit N]\n' +
      '                                                    [--pad P] [--json out]');
    process.exit(2);
  }
  const [hlm, onnxFile] = positionals;
  const inputs = readInputs({ pairs: o.pairs, inputs: o.inputs, limit: o.limit ? Number(o.limit) : 0 });
  const t0 = performance.now();
  const r = await checkOnnx({ hlmBytes: new Uint8Array(readFileSync(hlm)), onnxBytes: new Uint8Array(readFileSync(onnxFile)),
    inputs, pad: Number(o.pad) });
  console.log(`${path.basename(onnxFile)} against Headlight's ${path.basename(hlm)}: ` + formatFigures(r) +
    `\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  if (o.json) writeFileSync(o.json, JSON.stringify({ model: hlm, onnx: onnxFile, ...r }, null, 2) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
