// Snapshots: the tokens and attention of one text in a small JSON file (attention quantized to 8 bits, gzipped,
// base64) that <headlight-attention> draws without downloading a model. Pure data functions (Node and browsers).

export const SNAPSHOT_FORMAT = 'headlight-snapshot';
// 2: "heads_per_layer", each token's "word", view.selectedHeads. Version 1 files ("heads", no words, view.heads)
// are still read; their drawings have no word level.
export const SNAPSHOT_VERSION = 2;
const MAX_N = 4096, MAX_LAYERS = 256, MAX_HEADS = 256;
const VIEW_KEYS = ['view', 'layer', 'selectedHeads', 'head', 'filter', 'locked', 'token', 'wordLevel', 'hideSpecial'];

/**
 * result: the engine's {n, layers, heads_per_layer, tokens: [{text, segment, word, start, stop}], attention: Float32Array
 * [L][A][n][n]}; about: {model: {name, cls, sep}, text: {a, b}, view: the drawing state (view, layer, selectedHeads, ...)}.
 * Returns the snapshot object. Weights are stored as round(255·w), within 1/510 of the engine's, except that a weight
 * above 0 stays above 0 (stored as at least 1, within 1/255): the head view draws every non-zero line.
 */
export async function makeSnapshot(result, { model = {}, text = {}, view = {} } = {}) {
  const { n, layers: L, heads_per_layer: A, tokens, attention } = result;
  if (attention.length !== L * A * n * n) throw new Error(`attention has ${attention.length} values, not ${L}·${A}·${n}·${n}`);
  const q = new Uint8Array(attention.length);  // [L][A][n][n]
  for (let k = 0; k < q.length; ++k) q[k] = attention[k] > 0 ? Math.max(1, Math.min(255, Math.round(attention[k] * 255))) : 0;
  const keptView = Object.fromEntries(VIEW_KEYS.filter((k) => view[k] !== undefined).map((k) => [k, view[k]]));
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    model: { name: String(model.name ?? 'model'), cls: model.cls ?? '[CLS]', sep: model.sep ?? '[SEP]' },
    text: { a: text.a ?? '', b: text.b ?? '' },
    view: keptView,
    n, layers: L, heads_per_layer: A,
    tokens: tokens.map((t) => ({ text: t.text, segment: t.segment, word: t.word, start: t.start, stop: t.stop })),
    attention: { quantization: 'u8: w = q / 255', encoding: 'gzip+base64', data: toBase64(await gzip(q)) },
  };
}

/** A snapshot object → its file text (JSON). */
export const snapshotText = (snap) => JSON.stringify(snap);

/**
 * A snapshot (file text or parsed object) → {data: {n, layers, heads_per_layer, tokens, attention: Float32Array}, model, text,
 * view}. Throws an Error saying what is wrong with a file that is not a readable snapshot.
 */
export async function readSnapshot(input) {
  let s = input;
  if (typeof input === 'string') {
    try { s = JSON.parse(input); } catch (e) { throw new Error(`this is not a Headlight snapshot: not JSON (${e.message})`); }
  }
  if (!s || s.format !== SNAPSHOT_FORMAT) throw new Error('this is not a Headlight snapshot (no "format": "headlight-snapshot")');
  if (s.version !== 1 && s.version !== SNAPSHOT_VERSION)
    throw new Error(`this snapshot is version ${s.version}; this Headlight reads versions 1 and ${SNAPSHOT_VERSION}: use the headlight-attention.js it was made with`);
  const v1 = s.version === 1;
  const { n, layers: L } = s, A = v1 ? s.heads : s.heads_per_layer;
  const bad = [['n', n, MAX_N], ['layers', L, MAX_LAYERS], [v1 ? 'heads' : 'heads_per_layer', A, MAX_HEADS]].find(([, v, max]) => !Number.isInteger(v) || v < 1 || v > max);
  if (bad) throw new Error(`snapshot: "${bad[0]}" must be a whole number from 1 to ${bad[2]}, got ${JSON.stringify(bad[1])}`);
  if (!Array.isArray(s.tokens) || s.tokens.length !== n) throw new Error(`snapshot: ${s.tokens?.length ?? 'no'} tokens for n = ${n}`);
  const tokens = s.tokens.map((t, i) => {
    if (typeof t?.text !== 'string' || (t.segment !== 0 && t.segment !== 1)) throw new Error(`snapshot: token ${i} needs a text and a segment 0 or 1`);
    if (!v1 && !(Number.isInteger(t.word) && t.word >= -1 && t.word < n)) throw new Error(`snapshot: token ${i} needs a word index (-1 for [CLS]/[SEP])`);
    const span = { start: Number.isInteger(t.start) ? t.start : -1, stop: Number.isInteger(t.stop) ? t.stop : -1 };
    return v1 ? { text: t.text, segment: t.segment, ...span } : { text: t.text, segment: t.segment, word: t.word, ...span };
  });
  if (s.attention?.encoding !== 'gzip+base64' || typeof s.attention.data !== 'string')
    throw new Error('snapshot: attention must be {"encoding": "gzip+base64", "data": "..."}');
  let q;
  try { q = await gunzip(fromBase64(s.attention.data)); } catch (e) { throw new Error(`snapshot: the attention data is damaged (${e.message})`); }
  if (q.length !== L * A * n * n) throw new Error(`snapshot: attention has ${q.length} values, not ${L}·${A}·${n}·${n}: the file is damaged`);
  const attention = new Float32Array(q.length);
  for (let k = 0; k < q.length; ++k) attention[k] = q[k] / 255;
  const saved = s.view && typeof s.view === 'object' ? { ...s.view } : {};
  if (v1 && 'heads' in saved) saved.selectedHeads = saved.heads;
  const view = Object.fromEntries(VIEW_KEYS.filter((k) => k in saved).map((k) => [k, saved[k]]));
  return {
    data: { n, layers: L, heads_per_layer: A, tokens, attention },
    model: { name: String(s.model?.name ?? 'model'), cls: String(s.model?.cls ?? '[CLS]'), sep: String(s.model?.sep ?? '[SEP]') },
    text: { a: String(s.text?.a ?? ''), b: String(s.text?.b ?? '') },
    view,
  };
}

const pipe = async (bytes, stream) => new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
const gzip = (bytes) => pipe(bytes, new CompressionStream('gzip'));
const gunzip = (bytes) => pipe(bytes, new DecompressionStream('gzip'));

function toBase64(bytes) {
  let s = '';
  for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; ++k) out[k] = s.charCodeAt(k);
  return out;
}
