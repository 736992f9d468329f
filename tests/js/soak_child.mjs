// The Node soak of tests/js/soak.test.mjs, in a process of its own (node --expose-gc tests/js/soak_child.mjs): RUNS runs
// of the engine cycling texts, kept and freed results, statistics, norms, rollout and flow, stepped and abandoned runs,
// accumulators, two models reloaded in turn and conversions begun and dropped, sampled every 50 runs. Writes the curve to
// build/soak_node.json and prints it as its last line. Its own process: node:test keeps a record of every async resource
// a test makes (its testResources map grew ~330 bytes a run here), which is the runner's, not the engine's, memory.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { loadTreebank, resultCombined, syntaxTable } from '../../web/engine/analyses.js';
import { checkpoint, root } from './fixtures.mjs';
import { growth } from './soak_growth.mjs';

if (typeof gc !== 'function') throw new Error('run with node --expose-gc: the JS heap is sampled after a full GC');

const RUNS = Number(process.env.HEADLIGHT_SOAK_RUNS ?? 1000);
const EVERY = 50;                          // runs between samples
const TAIL = Math.min(500, RUNS / 2);      // the plateau: the last 500 runs (half of a shorter soak)
if (!(Number.isInteger(RUNS) && RUNS >= 100 && RUNS % 100 === 0)) throw new Error(`HEADLIGHT_SOAK_RUNS=${RUNS}: a multiple of 100`);

const LONG = 'The quick brown fox jumps over the lazy dog while the cat watches from the window. '.repeat(18);
// [A, B, maxTokens]: a word, Vig's pair, a pair with an empty B, Unicode (accents, emoji, CJK, RTL, ZWJ, control
// characters), an empty A, a long pair, a text past the model's 512 positions, one cut at 24 tokens.
const TEXTS = [
  ['Hello.', null, 0],
  ['I went to the store.', 'At the store, I bought fresh strawberries.', 0],
  ['The [MASK] sat on the mat.', '', 0],
  ['Ünïcödé café 🍓 — 東京 עברית', 'a family 👩‍👩‍👧, tabs\tand\nnew lines', 0],
  ['', null, 0],
  [LONG.slice(0, 600), 'And a second sentence after it.', 0],
  [LONG.repeat(2), null, 0],
  [LONG, 'cut here', 24],
];

// The first sentences of the page's treebank (UD English-EWT dev), for the syntactic-head table.
function smallTreebank(sentences = 3) {
  const text = readFileSync(path.join(root, 'web/data/ud-english-ewt/en_ewt-ud-dev.conllu'), 'utf8');
  return `${text.split(/\n\s*\n/).slice(0, sentences).join('\n\n')}\n\n`;
}

// One soak run: run k of the engine on model `model`, in one of five ways; kept results go into `kept` (at most 3: the
// oldest is freed, as the Worker frees a channel's result on its next run).
async function soakRun(engine, model, k, kept) {
  const [a, b, maxTokens] = TEXTS[k % TEXTS.length];
  const keep = (r) => { kept.push(r.handle); if (kept.length > 3) engine.freeResult(kept.shift()); };
  switch (k % 5) {
    case 0:
      engine.run(model, a, b, { maxTokens, stats: true, norms: k % 2 === 0 });
      break;
    case 1: {
      const norms = k % 3 === 0;
      const r = engine.run(model, a, b, { maxTokens, keep: true, norms, fields: [] });
      keep(r);
      engine.resultStats(r.handle, norms ? 'norm' : 'attention');
      engine.resultLayer(r.handle, norms ? 'norm_attention' : 'attention', r.layers - 1, r.layers);
      resultCombined(engine, r.handle, 'rollout', r.layers);
      if (r.n <= 48) resultCombined(engine, r.handle, 'flow', r.layers);
      break;
    }
    case 2: {
      engine.tokenize(model, a, b, { maxTokens });
      const r = await engine.runStepped(model, a, b, null, { maxTokens, keep: true, fields: [], beforeLayer: async () => {},
        afterLayer: (layer, read) => { if (layer === 0) read(); } });
      keep(r);
      break;
    }
    case 3: {  // a run abandoned at layer 1 (a newer text): its step is freed
      const stop = new Error('superseded');
      await assert.rejects(engine.runStepped(model, a, b, null, { maxTokens, beforeLayer: async (l) => { if (l === 1) throw stop; } }),
        (e) => e === stop);
      break;
    }
    default: {
      const t = engine.tokenize(model, a, b, { maxTokens });
      engine.runIds(model, t.tokens.map((x) => x.id), t.tokens.map((x) => x.segment), { topK: 3 });
    }
  }
}

// The engine's memory, the JS heap after a full GC and the live handles.
function sample(engine, run) {
  gc();
  return { run, wasm_bytes: engine.memoryBytes(), js_heap_bytes: process.memoryUsage().heapUsed, handles: engine.liveHandles() };
}


async function soak() {
  const engine = await nodeEngine('st');
  const t0 = performance.now();
  const files = [readFileSync(path.join(root, 'models/headlight-mini/headlight-mini.hlm')), engine.convert(checkpoint('tiny-mlm'))];
  const models = files.map((f) => engine.loadModel(f));
  const treebank = loadTreebank(engine, smallTreebank());
  const sums = checkpoint('tiny-mlm');
  const kept = [];
  const samples = [sample(engine, 0)];
  const unexpected = [];  // samples whose live handles are not what this loop holds
  for (let k = 1; k <= RUNS; k++) {
    await soakRun(engine, models[k % 2], k, kept);
    if (k % 10 === 0) {  // the head map's accumulator over two texts
      const acc = engine.distances(models[0], { weighting: k % 20 ? 'attention' : 'norm' });
      acc.add(...TEXTS[1].slice(0, 2));
      acc.add(TEXTS[3][0], null);
      acc.mds();
      acc.free();
    }
    if (k % 25 === 0) {  // the syntactic-head table over the treebank's sentences
      const table = syntaxTable(engine, models[0], treebank);
      for (let s = 0; s < treebank.sentences; s++) table.add(s, treebank.sentence(s).text);
      table.json();
      table.free();
    }
    if (k % 50 === 25) {  // a conversion begun, fed part of its weights, and dropped (a cancelled download)
      const conversion = engine.convertStream(sums);
      conversion.feed(sums.safetensors.subarray(0, 4096));
      conversion.free();
    }
    if (k % 100 === 0) {  // one of the two models freed and loaded again, in turn
      const m = (k / 100) % 2;
      engine.freeModel(models[m]);
      models[m] = engine.loadModel(files[m]);
    }
    if (k % EVERY === 0) {
      const s = sample(engine, k);
      samples.push(s);
      const want = { models: 2, results: kept.length, steps: 0, distances: 0, syntax: 0, treebanks: 1, conversions: 0, total: 3 + kept.length };
      if (JSON.stringify(s.handles) !== JSON.stringify(Object.fromEntries(Object.keys(s.handles).map((key) => [key, want[key]]))))
        unexpected.push({ run: k, handles: s.handles, want });
    }
  }
  const ms = performance.now() - t0;
  for (const h of kept.splice(0)) engine.freeResult(h);
  for (const m of models) engine.freeModel(m);
  treebank.free();
  return { runs: RUNS, every: EVERY, tail: TAIL, ms: Math.round(ms), samples, unexpected, end_handles: engine.liveHandles(),
    growth_tail: { wasm: growth(samples, 'wasm_bytes', RUNS, TAIL), js_heap: growth(samples, 'js_heap_bytes', RUNS, TAIL),
      wasm_last_first: samples.at(-1).wasm_bytes / samples.find((s) => s.run === RUNS - TAIL).wasm_bytes - 1 } };
}

const report = await soak();
mkdirSync(path.join(root, 'build'), { recursive: true });
writeFileSync(path.join(root, 'build/soak_node.json'), `${JSON.stringify(report, null, 1)}\n`);
console.log(JSON.stringify(report));
