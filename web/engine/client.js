// The page's handle on the engine Worker: promises over tagged messages, typed errors, newer runs superseding older ones.
import { errorFromJSON } from './errors.js';
import { Layers } from '../data/attention_data.js';

// After the frame that shows what was just drawn: its animation frame, then a task (the frame is painted between them).
const afterNextFrame = (fn) => (globalThis.requestAnimationFrame ? requestAnimationFrame(() => setTimeout(fn, 0)) : setTimeout(fn, 0));

export class EngineClient {
  /** workerUrl: engine/worker.js (given by bundles, whose import.meta.url is the bundle's, not this file's). */
  constructor(workerUrl = new URL('./worker.js', import.meta.url)) {
    this.worker = startWorker(workerUrl);
    this.pending = new Map();
    this.nextId = 1;
    this.latestRun = new Map();  // channel → ticket of its newest run
    this.engineRuns = 0;         // runs of the model the Worker has started (as of its last answer)
    this.worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      if (data.type === 'progress') { p.onProgress?.(data.stage, data.fraction); return; }
      if (data.type === 'partial') { p.onProgress?.(data.partial, data.id); return; }
      this.pending.delete(data.id);
      if (data.type === 'error') p.reject(errorFromJSON(data.error));
      else p.resolve(data);
    };
    this.worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new Error(`engine worker failed: ${e.message}`));
      this.pending.clear();
    };
  }

  call(msg, transfer = [], onProgress = null) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /** build: a wasm build to use and nothing else ('st', 'mt', 'st-relaxed', 'mt-relaxed'; default: the best this browser
   *  runs); int8Gemm: 'auto' | 'headlight' | 'xnnpack' (Engine.setInt8Gemm). Both are for benchmarks and bug reports. */
  init(threads = navigator.hardwareConcurrency || 1, { build, int8Gemm } = {}) { return this.call({ type: 'init', threads, build, int8Gemm }); }
  /** key: the Worker's model slot (one per model when several elements share this client). */
  async load(bytes, key = undefined) { return (await this.call({ type: 'load', bytes, key }, [bytes.buffer])).info; }
  /** A converted model kept in the offline cache (model_cache.js, under cacheKey) → loaded into slot `key`; its info. */
  async loadCached(cacheKey, key = undefined) { return (await this.call({ type: 'load-cached', cacheKey, key })).info; }

  /** Starts converting a Hugging Face checkpoint in the Worker (texts: {config, vocab, tokenizerConfig?, tokenizerJson?,
   *  index?}); returns the conversion's id. Fails at once for a config or tokenizer the engine cannot use. */
  async convertBegin(texts, { int8 = true } = {}) { return (await this.call({ type: 'convert-begin', texts, int8 })).conversion; }
  /** Feeds bytes (a Uint8Array, transferred) of the current safetensors file; end: it is the file's last piece, and the
   *  promise then gives the file's SHA-256 (hex; else null). */
  async convertFeed(conversion, bytes, end = false) {
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    return (await this.call({ type: 'convert-feed', conversion, bytes: own, end }, [own.buffer])).sha256 ?? null;
  }
  /** Ends a conversion: the model is loaded into slot `key` (kept first in the offline cache when cache = {key, meta}
   *  is given). Returns {info, cached, cacheError}. */
  async convertFinish(conversion, { key = undefined, cache = null } = {}) {
    const { info, cached, cacheError } = await this.call({ type: 'convert-finish', conversion, key, cache });
    return { info, cached, cacheError };
  }
  /** Abandons a conversion (after a failure or a cancel); harmless if it has ended. */
  async convertFree(conversion) { await this.call({ type: 'convert-free', conversion }); }

  /** Clark et al.'s head map over texts [[a, b|null]]: {distance, points, stress, ...}; onProgress(stage, fraction);
   *  weighting: 'attention' or 'norm'. */
  async headmap(texts, onProgress = null, key = undefined, weighting = 'attention') {
    return (await this.call({ type: 'headmap', texts, key, weighting }, [], onProgress)).map;
  }

  // Resolves to null when a newer run() on the same channel superseded it (the Worker stopped it at a layer boundary, or
  // never started it); to {unchanged: true, truncation} when options.ifChanged and the tokens that reach the model (after
  // the cut) are those of the channel's last result (nothing ran: that result holds; truncation counts the new text's
  // cut); else to its result, which may be older than the
  // newest text when the Worker let it finish because the channel had waited drawEveryMs (continuous typing): the newer
  // run's result follows.
  // The result stays in the Worker; it hands over what `want` asks for ({layers: [l, ...], qk, thumbnails, whole}: see
  // worker.js's handOver; default whole), and fetch() gets more of it later. The result's attention, queries and keys
  // are Layers (data/attention_data.js) holding what was handed over, or whole Float32Arrays (and hidden) when whole.
  // options: {topK, maxTokens, stats, norms (Kobayashi et al.'s weighting: the attention handed over is the norm-weighted
  // one, rows renormalised, and so are the statistics), key (model slot), channel (one per element sharing this client), ifChanged, gpu,
  // drawEveryMs (default 150), want, onPartial(result)}: with want.early, onPartial gets layer want.layers[0] as soon as
  // it is computed (a result with that layer and no MLM, marked partial); the run's result is then that same object,
  // completed.
  async run(a, b = null, { channel = 'main', onPartial = null, ...options } = {}) {
    const ticket = (this.latestRun.get(channel) ?? 0) + 1;
    this.latestRun.set(channel, ticket);
    let partial = null;
    const early = (p, id) => {
      if (ticket === this.latestRun.get(channel)) {
        partial = resultOf({ ...p, mlm: [], partial: true }, channel);
        partial.attention.put(p.layer, p.attention);
        onPartial?.(partial);
      }
      // The Worker holds the later layers until the early one is on screen (worker.js, DRAWN_WAIT_MAX_MS): the next frame.
      afterNextFrame(() => this.worker.postMessage({ type: 'drawn', run: id }));
    };
    const reply = await this.call({ type: 'run', a, b, channel, ...options }, [], early);
    this.engineRuns = reply.engine_runs ?? reply.result?.engine_runs ?? this.engineRuns;
    if (reply.type === 'unchanged') return ticket === this.latestRun.get(channel) ? { unchanged: true, truncation: reply.truncation } : null;
    if (reply.type !== 'result') return null;
    // The partial result, completed (the same object: what it drew stays drawn), or a new one.
    const r = partial ? Object.assign(partial, reply.result, { partial: false }) : resultOf(reply.result, channel);
    r.text = { a, b };  // what it ran: the token spans index these
    adopt(r, reply.parts);
    r.newest = ticket === this.latestRun.get(channel);
    return r;
  }

  /** The result with every tensor whole (fetched from the Worker's kept copy unless it already is): snapshots, exports. */
  async whole(result) { return result.attention instanceof Layers ? this.fetch(result, { whole: true }) : result; }

  /** More of a result run() returned, from the Worker's kept copy (want as for run); rejects with an InvalidArgumentError
   *  when a newer run on its channel has replaced it. */
  async fetch(result, want) {
    const { parts } = await this.call({ type: 'fetch', handle: result.handle, channel: result.channel, want });
    adopt(result, parts);
    return result;
  }

  /** The per-head statistics of a result run() returned, from the result the Worker keeps (the text is not run again);
   *  rejects with an InvalidArgumentError when a newer run on its channel has replaced it. */
  async stats(result) {
    return (await this.call({ type: 'stats', handle: result.handle, channel: result.channel })).stats;
  }

  /** Attention rollout or flow ('rollout' | 'flow') of a result run() returned, up to the output of layer `layer`
   *  (0-based): Float32Array [n][n]. Flow refuses texts of more than 48 tokens (an InvalidArgumentError says why). */
  async combined(result, method, layer) {
    return (await this.call({ type: 'combined', handle: result.handle, channel: result.channel, method, layer })).matrix;
  }

  /** Clark et al.'s syntactic-head table of the model in slot `key` over the treebank's first `sentences` (default all):
   *  computed in the Worker between runs, kept there under `cacheKey` (the caller's name for the model; default: the
   *  loaded model itself); onProgress(stage, fraction). */
  async syntax(onProgress = null, { key = undefined, sentences = undefined, cacheKey = undefined } = {}) {
    return (await this.call({ type: 'syntax', key, sentences, cacheKey }, [], onProgress)).table;
  }

  /** Treebank sentence k ({id, text, words}) and, given a result run() returned of its text, every head's choices
   *  ({words, token_word, choices [L·A][W]}; else null). */
  async syntaxSentence(k, result = null) {
    const { sentence, choices } = await this.call({ type: 'syntax-sentence', sentence: k, handle: result?.handle ?? null,
      channel: result?.channel });
    return { sentence, choices };
  }
}

// A result as the page holds it: the Worker's summary, with Layers for the tensors it hands over by layer.
function resultOf(summary, channel) {
  const { layers: L, heads_per_layer: A, n, head_size: D } = summary;
  return { ...summary, channel, attention: new Layers(L, A * n * n), queries: new Layers(L, A * n * D), keys: new Layers(L, A * n * D),
    hidden: null, pooled: new Map() };
}

// Handed-over parts (worker.js's handOver) into a result.
function adopt(r, parts = {}) {
  if (parts.whole) Object.assign(r, parts.whole);  // whole Float32Arrays: the accessors take both
  for (const [l, part] of Object.entries(parts.layers ?? {})) {
    for (const name of ['attention', 'queries', 'keys']) if (part[name] && r[name] instanceof Layers) r[name].put(Number(l), part[name]);
  }
  if (parts.thumbnails) {
    const { key, side, data } = parts.thumbnails;
    r.pooled.set(key, { side, layers: Layers.whole(data, r.layers) });
  }
}

// A module Worker must come from the page's origin: a script served from elsewhere (a CDN) is started through a
// same-origin blob that imports it (the host must then send CORS headers for the engine's files).
function startWorker(url) {
  const href = new URL(url, location.href);
  if (href.origin === location.origin || href.protocol === 'blob:') return new Worker(href, { type: 'module' });
  const blob = new Blob([`import ${JSON.stringify(href.href)};`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(blob), { type: 'module' });
}
