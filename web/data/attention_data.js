// Turns an engine result into the attention data the views draw: one head's matrix, word level, specials hidden, links.

const DEFAULT_SPECIALS = ['[CLS]', '[SEP]'];
const CONTINUATION = '##';

const isContinuation = (text) => text.startsWith(CONTINUATION);

function checkIndex(name, value, count) {
  if (!Number.isInteger(value) || value < 0 || value >= count) {
    throw new RangeError(`${name} ${value} is out of range: this model has ${count} (0..${count - 1})`);
  }
}

/**
 * A tensor [L][...] held by layer: what the page has of a result the engine Worker keeps (it asks for the layers it
 * draws), or a derived one (word level, specials hidden) computed layer by layer when asked. `size` values per layer.
 * source: {has(l), get(l)} (a derived tensor's), or null: the layers are those put() stored.
 */
export class Layers {
  constructor(count, size, source = null) {
    Object.assign(this, { count, size, source, parts: new Map() });
  }

  /** A whole [L][...] array (a snapshot's, Node's), as layers: views, no copy. */
  static whole(array, count) {
    const size = array.length / count;
    const t = new Layers(count, size);
    for (let l = 0; l < count; l++) t.parts.set(l, array.subarray(l * size, (l + 1) * size));
    return t;
  }

  put(layer, array) {
    checkIndex('layer', layer, this.count);
    if (array.length !== this.size) throw new RangeError(`layer ${layer} has ${array.length} values, not ${this.size}`);
    this.parts.set(layer, array);
  }

  has(layer) { return this.parts.has(layer) || Boolean(this.source?.has(layer)); }

  get(layer) {
    checkIndex('layer', layer, this.count);
    let part = this.parts.get(layer);
    if (!part && this.source?.has(layer)) this.parts.set(layer, part = this.source.get(layer));
    if (!part) throw new RangeError(`layer ${layer} of this result has not been fetched from the engine`);
    return part;
  }

  /** Layers of `size` values each, layer l = fn(this layer l), computed on first use. */
  map(size, fn) { return new Layers(this.count, size, { has: (l) => this.has(l), get: (l) => fn(this.get(l)) }); }
}

// Layer `layer` of a [L][...] tensor: a Layers' part, or a view of a whole Float32Array.
function layerOf(array, layer, size) {
  return array instanceof Layers ? array.get(layer) : array.subarray(layer * size, (layer + 1) * size);
}

/** How many values a [L][...] tensor holds (a Float32Array's length; Layers: all of its layers'); undefined for none. */
export function valueCount(x) {
  return x instanceof Layers ? x.count * x.size : x?.length;
}

/** Whether layer `layer` of data.attention (and of queries / keys when qk) can be drawn now: a whole array has every
 *  layer; a result the engine Worker keeps has those the page fetched. */
export function hasLayer(data, layer, { qk = false } = {}) {
  const has = (x) => !(x instanceof Layers) || x.has(layer);
  return has(data.attention) && (!qk || ((!data.queries || has(data.queries)) && (!data.keys || has(data.keys))));
}

// The one place that knows the engine's layout: data.attention is [L][A][n][n], data.queries / data.keys are [L][A][n][D]
// (row-major; a Float32Array, or Layers of [A][n][n] / [A][n][D]). Block (layer, head) of `array` as `rows` views of
// `cols` values each (no copy).
function headBlock(data, array, layer, head, cols) {
  checkIndex('layer', layer, data.layers);
  checkIndex('head', head, data.heads_per_layer);
  const size = data.n * cols;
  const offset = head * size;
  return layerOf(array, layer, data.heads_per_layer * size).subarray(offset, offset + size);
}

const splitRows = (block, n, cols) => Array.from({ length: n }, (_, i) => block.subarray(i * cols, (i + 1) * cols));

/** The [n][n] attention of one head: a view into data.attention (no copy); row i = from token i. */
export function headMatrix(data, layer, head) {
  return headBlock(data, data.attention, layer, head, data.n);
}

/**
 * One head's attention as a thumbnail of `side` × `side` cells: data.thumbnails' when the data has them ({side, layers:
 * Layers of [A][side][side]}: pooled in the engine Worker by poolThumbnails()), else the whole [n][n] matrix.
 * Returns {side, values}.
 */
export function headThumbnail(data, layer, head) {
  const t = data.thumbnails;
  if (!t) return { side: data.n, values: headMatrix(data, layer, head) };
  checkIndex('layer', layer, data.layers);
  checkIndex('head', head, data.heads_per_layer);
  const size = t.side * t.side;
  return { side: t.side, values: layerOf(t.layers, layer, data.heads_per_layer * size).subarray(head * size, (head + 1) * size) };
}

/** The thumbnails of one layer [A][n][n] → [A][side][side] (side = min(n, maxSide)): each cell the largest weight of the
 *  tokens it covers, so that a one-token column (every token → [SEP]) stays as strong as it is. */
export function poolThumbnails(layer, A, n, maxSide) {
  const side = Math.min(n, maxSide);
  const out = new Float32Array(A * side * side);
  const cell = Int32Array.from({ length: n }, (_, i) => Math.floor((i * side) / n));  // token → cell
  for (let h = 0; h < A; h++) {
    const src = h * n * n, dst = h * side * side;
    for (let i = 0; i < n; i++) {
      const row = dst + cell[i] * side;
      for (let j = 0; j < n; j++) {
        const w = layer[src + i * n + j];
        if (w > out[row + cell[j]]) out[row + cell[j]] = w;
      }
    }
  }
  return out;
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
  const A = data.heads_per_layer, w = groups.length;
  return {
    ...data,
    n: w,
    tokens: groups.map((g) => wordToken(data.tokens, g)),
    attention: perLayer(data.attention, data.layers, A * w * w, (x, blocks) => mergeAttention(x, blocks, data.n, groups), A),
    queries: null,
    keys: null,
    level: 'word',
  };
}

// fn(array, blocks) over a whole [L][A]... array (blocks = L·A), or layer by layer over Layers (blocks = A), on first use.
function perLayer(array, layers, size, fn, A) {
  if (!array) return array;
  return array instanceof Layers ? array.map(size, (x) => fn(x, A)) : fn(array, layers * A);
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
  const L = data.layers, A = data.heads_per_layer, k = kept.length, D = data.head_size;
  return {
    ...data,
    n: k,
    tokens: kept.map((i) => ({ ...data.tokens[i], index: i })),
    attention: perLayer(data.attention, L, A * k * k, (x, blocks) => keepAttention(x, blocks, data.n, kept), A),
    queries: perLayer(data.queries, L, A * k * D, (x, blocks) => keepRows(x, blocks, data.n, D, kept), A),
    keys: perLayer(data.keys, L, A * k * D, (x, blocks) => keepRows(x, blocks, data.n, D, kept), A),
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
