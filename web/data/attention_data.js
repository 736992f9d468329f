// Turns an engine result into the attention data the views draw: one head's matrix, word level, specials hidden, links.

const DEFAULT_SPECIALS = ['[CLS]', '[SEP]'];
const CONTINUATION = '##';

const isContinuation = (text) => text.startsWith(CONTINUATION);

function checkIndex(name, value, count) {
  if (!Number.isInteger(value) || value < 0 || value >= count) {
    throw new RangeError(`${name} ${value} is out of range: this model has ${count} (0..${count - 1})`);
  }
}

// The one place that knows the engine's layout: data.attention is [L][A][n][n], data.queries / data.keys are [L][A][n][D]
// (row-major, Float32Array). Block (layer, head) of `array` as `rows` views of `cols` values each (no copy).
function headBlock(data, array, layer, head, cols) {
  checkIndex('layer', layer, data.layers);
  checkIndex('head', head, data.heads_per_layer);
  const size = data.n * cols;
  const offset = (layer * data.heads_per_layer + head) * size;
  return array.subarray(offset, offset + size);
}

const splitRows = (block, n, cols) => Array.from({ length: n }, (_, i) => block.subarray(i * cols, (i + 1) * cols));

/** The [n][n] attention of one head: a view into data.attention (no copy); row i = from token i. */
export function headMatrix(data, layer, head) {
  return headBlock(data, data.attention, layer, head, data.n);
}

/** One head's attention as n rows (views, no copy): rows[i][j] = the weight from token i to token j. */
export function headRows(data, layer, head) {
  return splitRows(headMatrix(data, layer, head), data.n, data.n);
}

/** One head's query ('queries') or key ('keys') vectors: n views of head_size values (no copy), [i] = token i's. */
export function headVectors(data, which, layer, head) {
  if (which !== 'queries' && which !== 'keys') throw new RangeError(`headVectors: which is 'queries' or 'keys', not ${JSON.stringify(which)}`);
  if (!data[which]) throw new TypeError(`headVectors: this data has no ${which} (word-level data and snapshots have none)`);
  return splitRows(headBlock(data, data[which], layer, head, data.head_size), data.n, data.head_size);
}

/**
 * Token indices of each word, from the engine's grouping (token.word: the word index, -1 for [CLS]/[SEP]; defined in
 * wasm/src/analysis/head_stats.h): consecutive tokens of one word form a group; a special token stands alone.
 */
export function wordGroups(tokens) {
  const groups = [];
  tokens.forEach((t, i) => {
    if (!Number.isInteger(t.word)) {
      throw new TypeError(`token ${i} ("${t.text}") has no word index: word level needs the engine's tokens (a snapshot made before version 2 has none)`);
    }
    const last = groups[groups.length - 1];
    if (last && t.word >= 0 && tokens[last[last.length - 1]].word === t.word) last.push(i);
    else groups.push([i]);
  });
  return groups;
}

function wordToken(tokens, pieces) {
  const first = tokens[pieces[0]];
  const last = tokens[pieces[pieces.length - 1]];
  const text = pieces.map((p, k) => (k === 0 || !isContinuation(tokens[p].text) ? tokens[p].text : tokens[p].text.slice(CONTINUATION.length))).join('');
  return { text, segment: first.segment, word: first.word, start: first.start, stop: last.stop, pieces };
}

// [L][A][n][n] -> [L][A][w][w]: columns summed over a word's pieces, rows averaged over them.
function mergeAttention(attention, blocks, n, groups) {
  const w = groups.length;
  const wordOf = new Int32Array(n);
  groups.forEach((g, v) => g.forEach((i) => { wordOf[i] = v; }));
  const out = new Float32Array(blocks * w * w);
  const row = new Float64Array(w);
  for (let b = 0; b < blocks; b++) {
    const src = b * n * n;
    for (let v = 0; v < w; v++) {
      row.fill(0);
      for (const i of groups[v]) {
        for (let j = 0; j < n; j++) row[wordOf[j]] += attention[src + i * n + j];
      }
      const dst = (b * w + v) * w;
      for (let u = 0; u < w; u++) out[dst + u] = row[u] / groups[v].length;
    }
  }
  return out;
}

/**
 * Word-level data as in Clark et al. (2019): attention TO a word = sum over its pieces, FROM a word = mean over its
 * pieces, so rows still sum to 1. Tokens become { text, segment, word, start, stop, pieces }; queries/keys become null.
 */
export function mergeWordPieces(data) {
  if (data.level === 'word') throw new Error('mergeWordPieces: data is already at word level');
  const groups = wordGroups(data.tokens);
  return {
    ...data,
    n: groups.length,
    tokens: groups.map((g) => wordToken(data.tokens, g)),
    attention: mergeAttention(data.attention, data.layers * data.heads_per_layer, data.n, groups),
    queries: null,
    keys: null,
    level: 'word',
  };
}

// [L][A][n][n] -> [L][A][k][k] over the kept indices, each row renormalised (an all-zero row stays zero).
function keepAttention(attention, blocks, n, kept) {
  const k = kept.length;
  const out = new Float32Array(blocks * k * k);
  for (let b = 0; b < blocks; b++) {
    for (let r = 0; r < k; r++) {
      const src = (b * n + kept[r]) * n;
      const dst = (b * k + r) * k;
      let sum = 0;
      for (const j of kept) sum += attention[src + j];
      if (sum === 0) continue;
      kept.forEach((j, c) => { out[dst + c] = attention[src + j] / sum; });
    }
  }
  return out;
}

// [L][A][n][D] -> [L][A][k][D] over the kept rows.
function keepRows(vectors, blocks, n, size, kept) {
  if (!vectors) return vectors;
  const out = new Float32Array(blocks * kept.length * size);
  for (let b = 0; b < blocks; b++) {
    kept.forEach((i, r) => {
      const src = (b * n + i) * size;
      out.set(vectors.subarray(src, src + size), (b * kept.length + r) * size);
    });
  }
  return out;
}

/** Data without special tokens' rows and columns, rows renormalised; tokens gain `index` (their index in the input). */
export function hideSpecial(data, { specials = DEFAULT_SPECIALS } = {}) {
  const special = new Set(specials);
  const kept = [];
  data.tokens.forEach((t, i) => { if (!special.has(t.text)) kept.push(i); });
  const blocks = data.layers * data.heads_per_layer;
  return {
    ...data,
    n: kept.length,
    tokens: kept.map((i) => ({ ...data.tokens[i], index: i })),
    attention: keepAttention(data.attention, blocks, data.n, kept),
    queries: keepRows(data.queries, blocks, data.n, data.head_size, kept),
    keys: keepRows(data.keys, blocks, data.n, data.head_size, kept),
    hidden_special: true,
  };
}

const PAIR_FILTERS = {
  all: null,
  AA: [0, 0],
  AB: [0, 1],
  BA: [1, 0],
  BB: [1, 1],
};

/** The data a drawing shows after its toggles: word pieces merged first (wordLevel), then specials hidden (hideSpecial). */
export function toggled(data, { wordLevel = false, hideSpecial: hide = false } = {}, specials = DEFAULT_SPECIALS) {
  let d = data;
  if (wordLevel) d = mergeWordPieces(d);
  if (hide) d = hideSpecial(d, { specials });
  return d;
}

/** (i, j) -> whether the link from token i to token j passes `filter` ('AB' = from sentence A to sentence B). */
export function pairFilter(tokens, filter) {
  if (!Object.hasOwn(PAIR_FILTERS, filter)) {
    throw new RangeError(`unknown pair filter ${JSON.stringify(filter)}: use one of ${Object.keys(PAIR_FILTERS).join(', ')}`);
  }
  const segments = PAIR_FILTERS[filter];
  if (!segments) return () => true;
  const [from, to] = segments;
  return (i, j) => tokens[i].segment === from && tokens[j].segment === to;
}

/** Links { i, j, w } of an [n][n] matrix with w >= threshold and keep(i, j), in row-major order. */
export function strongLinks(matrix, n, { threshold = 0, keep = () => true } = {}) {
  const links = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = matrix[i * n + j];
      if (w >= threshold && keep(i, j)) links.push({ i, j, w });
    }
  }
  return links;
}
