// The page's handle on the engine Worker: promises over tagged messages, typed errors, newer runs superseding older ones,
// and a new Worker with the same models when one dies.
import { ENGINE_CRASHED_HINT, EngineCrashedError, errorFromJSON, HeadlightError } from './errors.js';
import { Layers } from '../data/attention_data.js';

// After the frame that shows what was just drawn: its animation frame, then a task (the frame is painted between them).
const afterNextFrame = (fn) => (globalThis.requestAnimationFrame ? requestAnimationFrame(() => setTimeout(fn, 0)) : setTimeout(fn, 0));

// A Worker that dies is replaced at most MAX_RESTARTS times in RESTART_WINDOW_MS: a model or text that stops the engine
// at once would otherwise restart it forever.
const MAX_RESTARTS = 3, RESTART_WINDOW_MS = 60000;

// Events: 'restart' (a CustomEvent) after a Worker died and a new one was started: detail {reason, models: [{key, name,
// info} or {key, name, error} for a model that could not be loaded again]}, or {reason, models: [], error} when no new
// Worker could be started (every call fails from then on).
export class EngineClient extends EventTarget {
  /** workerUrl: engine/worker.js (given by bundles, whose import.meta.url is the bundle's, not this file's). Options:
   *  testHooks (the Worker honours crashForTest: tests only; main.js enables it on 127.0.0.1 with ?test-crash),
   *  createWorker(url) (a Worker-like object: tests under Node). */
  constructor(workerUrl = new URL('./worker.js', import.meta.url), { testHooks = false, createWorker = startWorker } = {}) {
    super();
    this.workerUrl = workerUrl;
    this.createWorker = createWorker;
    this.testHooks = testHooks;
    this.pending = new Map();
    this.nextId = 1;
    this.latestRun = new Map();  // channel → ticket of its newest run
    this.engineRuns = 0;         // runs of the model the Workers have started (as of the last answer)
    this.runsBefore = 0;         // those of Workers that died
    this.initMsg = null;         // the init message, sent again to a new Worker
    this.started = false;        // a Worker answered init: a Worker dying from then on is replaced
    this.slots = new Map();      // model slot key → {name, reload: () => Promise<info> in a new Worker, or null}
    this.gate = null;            // while a new Worker starts: calls wait for it
    this.crashes = [];           // Date.now() of each Worker that died (MAX_RESTARTS)
    this.dead = null;            // the error every call fails with once no Worker can be started
    this.restarts = 0;
    this.attach(createWorker(workerUrl));
  }

  // Answers, and the ways a Worker dies: its 'error' event (an exception in its global scope, a script that did not
  // load), 'messageerror', or its own {type:'crashed'} after a wasm trap.
  attach(worker) {
    this.worker = worker;
    this.lost = null;  // the EngineCrashedError of this Worker, once it died
    worker.onmessage = ({ data }) => {
      if (worker !== this.worker) return;  // a replaced Worker's last messages
      if (data.type === 'crashed') { this.died(worker, data.reason); return; }
      const p = this.pending.get(data.id);
      if (!p) return;
      if (data.type === 'progress') { p.onProgress?.(data.stage, data.fraction); return; }
      if (data.type === 'partial') { p.onProgress?.(data.partial, data.id); return; }
      this.pending.delete(data.id);
      if (data.type === 'error') p.reject(errorFromJSON(data.error));
      else p.resolve(data);
    };
    worker.onerror = (e) => {
      e.preventDefault?.();  // reported here, and as the restart's reason
      this.died(worker, e.message || 'the engine Worker failed');
    };
    worker.onmessageerror = () => this.died(worker, 'a message from the engine Worker could not be read');
  }

  call(msg, transfer = [], onProgress = null) {
    if (this.dead) return Promise.reject(this.dead);
    if (this.gate) return this.gate.then(() => this.call(msg, transfer, onProgress));  // after the restart, in order
    return this.post(msg, transfer, onProgress);
  }

  // Sends to the current Worker, past the gate (the restart's own init and loads).
  post(msg, transfer = [], onProgress = null) {
    if (this.lost) return Promise.reject(this.lost);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /** build: a wasm build to use and nothing else ('st', 'mt', 'st-relaxed', 'mt-relaxed'; default: the best this browser
   *  runs); int8Gemm: 'auto' | 'headlight' | 'xnnpack' (Engine.setInt8Gemm). Both are for benchmarks and bug reports. */
  async init(threads = navigator.hardwareConcurrency || 1, { build, int8Gemm } = {}) {
    const msg = { type: 'init', threads, build, int8Gemm, testHooks: this.testHooks };
    const ready = await this.call(msg);
    this.initMsg = msg;
    this.started = true;
    return ready;
  }
  /** key: the Worker's model slot (one per model when several elements share this client). reload: () → Promise<the
   *  model file's bytes again> (a cached download, the caller's own copy), called if the Worker dies (else such a
   *  model is not loaded again, and the 'restart' event says so); name: the model's name in that event. */
  async load(bytes, key = undefined, { reload = null, name = null } = {}) {
    const { info } = await this.call({ type: 'load', bytes, key }, [bytes.buffer]);
    this.remember(key, name ?? info.meta?.name, reload && (async () => {
      const again = await reload();
      return (await this.post({ type: 'load', bytes: again, key }, [again.buffer])).info;
    }));
    return info;
  }
  /** A converted model kept in the offline cache (model_cache.js, under cacheKey) → loaded into slot `key`; its info. */
  async loadCached(cacheKey, key = undefined, { name = null } = {}) {
    const { info } = await this.call({ type: 'load-cached', cacheKey, key });
    this.remember(key, name ?? (info.meta?.name || cacheKey), this.cachedReload(cacheKey, key));
    return info;
  }

  cachedReload(cacheKey, key) { return async () => (await this.post({ type: 'load-cached', cacheKey, key })).info; }
  remember(key = 'main', name, reload) { this.slots.set(key, { name: name || key, reload }); }

  /** Tests only (the client made with testHooks): the Worker traps in the engine ('trap') or throws in its global scope
   *  ('throw'); the client then starts a new one. Resolves once the crash was asked for. */
  async crashForTest(how = 'trap') {
    if (!this.testHooks) throw new Error('crashForTest: this EngineClient was not made with testHooks');
    this.worker.postMessage({ type: 'crash-for-test', id: this.nextId++, how });
  }

  /** The engine's memory and live handles ({handles: {models, results, steps, distances, syntax, treebanks, conversions,
   *  total}, wasm_bytes, js_heap_bytes (null where the Worker has no performance.memory), kept, models}). */
  async memory() { const { type, id, ...m } = await this.call({ type: 'memory' }); return m; }

  // The Worker `worker` died: every call under way fails with an EngineCrashedError (run() resolves a superseded run to
  // null instead), then a new Worker gets the same init and models, and 'restart' says how that went.
  async died(worker, reason) {
    if (worker !== this.worker || this.lost || this.dead) return;
    worker.terminate();
    const error = this.lost = new EngineCrashedError(`the engine stopped: ${reason}`, ENGINE_CRASHED_HINT);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.runsBefore = this.engineRuns;
    if (this.gate) return;  // a new Worker that died while starting: the restart under way fails (below)
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (!this.started || this.crashes.length > MAX_RESTARTS) {
      this.dead = new HeadlightError(this.started ? `the engine stopped ${this.crashes.length} times within a minute (last: ${reason})`
        : `the engine Worker failed to start: ${reason}`, 'Reload the page; if it happens again, please report it with the message.');
      if (this.started) this.dispatchEvent(new CustomEvent('restart', { detail: { reason, models: [], error: this.dead } }));
      return;
    }
    let open;
    this.gate = new Promise((resolve) => { open = resolve; });
    try {
      this.dispatchEvent(new CustomEvent('restart', { detail: await this.restart(reason) }));
    } finally {
      this.gate = null;
      open();
    }
  }

  // A new Worker with the last init and every model slot loaded again: 'restart''s detail.
  async restart(reason) {
    this.restarts += 1;
    const failed = (e) => {
      this.dead = new HeadlightError(`the engine stopped (${reason}) and a new one did not start: ${e.message}`,
        'Reload the page; if it happens again, please report it with the message.');
      this.worker?.terminate();
      return { reason, models: [], error: this.dead };
    };
    try {
      this.attach(this.createWorker(this.workerUrl));
      await this.post(this.initMsg);
    } catch (e) {
      return failed(e);
    }
    const models = [];
    for (const [key, { name, reload }] of this.slots) {
      if (!reload) {
        this.slots.delete(key);
        models.push({ key, name, error: 'nothing can load it again (bytes with no reload, or converted and not cached): open it again' });
        continue;
      }
      try {
        models.push({ key, name, info: await reload() });
      } catch (e) {
        this.slots.delete(key);
        models.push({ key, name, error: e.message });
      }
    }
    if (this.lost) return failed(this.lost);  // the new Worker died too, while loading a model
    return { reason, models };
  }

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
  async convertFinish(conversion, { key = undefined, cache = null, name = null } = {}) {
    const { info, cached, cacheError } = await this.call({ type: 'convert-finish', conversion, key, cache });
    // a new Worker loads it from the cache; one that was not cached cannot be loaded again (the restart says so)
    this.remember(key, name ?? (info.meta?.name || cache?.meta?.name), cached ? this.cachedReload(cache.key, key) : null);
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
        partial = resultOf({ ...p, mlm: [], partial: true }, channel, ticket);
        partial.attention.put(p.layer, p.attention);
        onPartial?.(partial);
      }
      // The Worker holds the later layers until the early one is on screen (worker.js, DRAWN_WAIT_MAX_MS): the next frame.
      afterNextFrame(() => this.worker.postMessage({ type: 'drawn', run: id }));
    };
    let reply;
    try {
      reply = await this.call({ type: 'run', a, b, channel, ...options }, [], early);
    } catch (e) {
      if (e instanceof EngineCrashedError && ticket !== this.latestRun.get(channel)) return null;  // superseded anyway
      throw e;
    }
    const runs = reply.engine_runs ?? reply.result?.engine_runs;
    if (runs !== undefined) this.engineRuns = this.runsBefore + runs;
    if (reply.type === 'unchanged') return ticket === this.latestRun.get(channel) ? { unchanged: true, truncation: reply.truncation } : null;
    if (reply.type !== 'result') return null;
    // The partial result, completed (the same object: what it drew stays drawn), or a new one.
    const r = partial ? Object.assign(partial, reply.result, { partial: false }) : resultOf(reply.result, channel, ticket);
    r.text = { a, b };  // what it ran: the token spans index these
    adopt(r, reply.parts);
    r.newest = ticket === this.latestRun.get(channel);
    return r;
  }

  /** The result with every tensor whole (fetched from the Worker's kept copy unless it already is): snapshots, exports. */
  async whole(result) { return result.attention instanceof Layers ? this.fetch(result, { whole: true }) : result; }

  /** More of a result run() returned, from the Worker's kept copy (want as for run); rejects with an
   *  InvalidArgumentError (marked superseded) when a newer run on its channel has replaced it. */
  async fetch(result, want) {
    const { parts } = await this.onKept(result, { type: 'fetch', handle: result.handle, channel: result.channel, want });
    adopt(result, parts);
    return result;
  }

  /** The per-head statistics of a result run() returned, from the result the Worker keeps (the text is not run again);
   *  rejects with an InvalidArgumentError (marked superseded) when a newer run on its channel has replaced it. */
  async stats(result) {
    return (await this.onKept(result, { type: 'stats', handle: result.handle, channel: result.channel })).stats;
  }

  // A call on the result a run returned, kept in the Worker. When a newer run on its channel was sent meanwhile, the
  // Worker may have replaced that result already: the error is then marked `superseded` (the newer run's result is on
  // its way), and the page and the element do not show it.
  async onKept(result, msg) {
    try {
      return await this.call(msg);
    } catch (e) {
      if (result.ticket !== undefined && result.ticket !== this.latestRun.get(result.channel)) e.superseded = true;
      throw e;
    }
  }

  /** Attention rollout or flow ('rollout' | 'flow') of a result run() returned, up to the output of layer `layer`
   *  (0-based): Float32Array [n][n]. Flow refuses texts of more than 48 tokens (an InvalidArgumentError says why). */
  async combined(result, method, layer) {
    return (await this.onKept(result, { type: 'combined', handle: result.handle, channel: result.channel, method, layer })).matrix;
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
    const msg = { type: 'syntax-sentence', sentence: k, handle: result?.handle ?? null, channel: result?.channel };
    const { sentence, choices } = await (result ? this.onKept(result, msg) : this.call(msg));
    return { sentence, choices };
  }
}

// A result as the page holds it: the Worker's summary, with Layers for the tensors it hands over by layer; ticket: its
// run's place among its channel's runs.
function resultOf(summary, channel, ticket) {
  const { layers: L, heads_per_layer: A, n, head_size: D } = summary;
  return { ...summary, channel, ticket, attention: new Layers(L, A * n * n), queries: new Layers(L, A * n * D), keys: new Layers(L, A * n * D),
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
