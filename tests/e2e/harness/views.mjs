// Harness script: seeded synthetic engine data (consistent attention = softmax(q·k/√D)), both views rendered, window.__views for tests.
import { neuronView } from '/web/views/neuron_view.js';
import { matrixView } from '/web/views/matrix_view.js';

const params = new URLSearchParams(location.search);
const int = (key, def) => Number.parseInt(params.get(key) ?? '', 10) || def;

// mulberry32: a small seeded PRNG, uniform in [0, 1).
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['[CLS]', 'the', 'cat', '<b>bold</b>', 'sat', 'on', 'the', 'mat', '[SEP]', 'it', 'purred', '[SEP]'];
const EXTRA = ['a', 'dog', 'ran', 'to', 'store', '##s', 'and', 'then', 'quickly', 'home', ',', '.', 'fresh', 'straw', '##berries', '🍓'];

/**
 * makeData({ seed, n, layers, headsPerLayer, d }) → the engine's result shape:
 *   { n, layers, heads_per_layer, head_size, tokens: [{ text, segment }], attention [L][A][n][n], queries, keys [L][A][n][D] } (Float32Array).
 * q and k: N(0, 1.3²) (Box–Muller), rounded to float32 first; attention computed from those float32 values in double, then stored as float32.
 */
export function makeData({ seed = 1, n = 12, layers = 2, headsPerLayer = 3, d = 8 } = {}) {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const texts = n <= WORDS.length ? WORDS.slice(0, n) : [...WORDS.slice(0, -1), ...Array.from({ length: n - WORDS.length }, (_, k) => EXTRA[k % EXTRA.length]), '[SEP]'];
  if (n > 3 && !texts.includes('<b>bold</b>')) texts[3] = '<b>bold</b>';
  const firstSep = texts.indexOf('[SEP]');
  const tokens = texts.map((text, k) => ({ text, segment: firstSep >= 0 && k > firstSep ? 1 : 0 }));
  const L = layers, A = headsPerLayer, D = d;
  const queries = new Float32Array(L * A * n * D), keys = new Float32Array(L * A * n * D);
  for (let k = 0; k < queries.length; k++) queries[k] = 1.3 * normal();
  for (let k = 0; k < keys.length; k++) keys[k] = 1.3 * normal();
  const attention = new Float32Array(L * A * n * n);
  const row = new Float64Array(n);
  for (let lh = 0; lh < L * A; lh++) {
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let e = 0; e < D; e++) s += queries[(lh * n + i) * D + e] * keys[(lh * n + j) * D + e];
        row[j] = s / Math.sqrt(D);
        m = Math.max(m, row[j]);
      }
      let sum = 0;
      for (let j = 0; j < n; j++) sum += (row[j] = Math.exp(row[j] - m));
      for (let j = 0; j < n; j++) attention[(lh * n + i) * n + j] = row[j] / sum;
    }
  }
  return { n, layers: L, heads_per_layer: A, head_size: D, tokens, attention, queries, keys };
}

try {
  const data = makeData({ seed: int('seed', 1), n: int('n', 12), layers: int('layers', 2), headsPerLayer: int('heads_per_layer', 3), d: int('d', 8) });
  const $ = (id) => document.getElementById(id);
  const state = { layer: Math.min(1, data.layers - 1), head: Math.min(2, data.heads_per_layer - 1), token: Math.min(5, data.n - 1) };
  const hovers = [];   // every onHover call, for tests

  for (const [id, count] of [['layer', data.layers], ['head', data.heads_per_layer]]) {
    for (let k = 0; k < count; k++) $(id).append(new Option(String(k), String(k)));
    $(id).value = String(state[id]);
    $(id).addEventListener('change', () => {
      state[id] = Number($(id).value);
      neuron.update({ layer: state.layer, head: state.head });
      matrix.update({ layer: state.layer, head: state.head });
    });
  }
  const neuron = neuronView($('neuron'), data, {
    ...state,
    onSelectToken: (j) => { state.token = j; neuron.update({ token: j }); },
  });
  const matrix = matrixView($('matrix'), data, {
    layer: state.layer, head: state.head,
    onHover: (i, j, w) => {
      hovers.push([i, j, w]);
      $('hover').textContent = i === null ? '' : `hover: ${i} → ${j} (${w.toFixed(3)})`;
    },
  });
  window.__views = { neuron, matrix, data, state, hovers, makeData };
  window.__ready = true;
} catch (err) {
  document.getElementById('error').textContent = `harness failed: ${err.stack ?? err}`;
  window.__error = String(err.stack ?? err);
  throw err;
}
