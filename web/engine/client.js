// The page's handle on the engine Worker: promises over tagged messages, typed errors, newer runs superseding older ones.
import { errorFromJSON } from './errors.js';

export class EngineClient {
  /** workerUrl: engine/worker.js (given by bundles, whose import.meta.url is the bundle's, not this file's). */
  constructor(workerUrl = new URL('./worker.js', import.meta.url)) {
    this.worker = startWorker(workerUrl);
    this.pending = new Map();
    this.nextId = 1;
    this.latestRun = new Map();  // channel → ticket of its newest run
    this.worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      if (data.type === 'progress') { p.onProgress?.(data.stage, data.fraction); return; }
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

  init(threads = navigator.hardwareConcurrency || 1) { return this.call({ type: 'init', threads }); }
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

  /** Clark et al.'s head map over texts [[a, b|null]]: {distance, points, stress, ...}; onProgress(stage, fraction). */
  async headmap(texts, onProgress = null, key = undefined) { return (await this.call({ type: 'headmap', texts, key }, [], onProgress)).map; }

  // Resolves to null when a newer run() on the same channel started before this one finished (its result is stale).
  // options: {topK, maxTokens, stats, key (model slot), channel (one per element sharing this client)}.
  async run(a, b = null, { channel = 'main', ...options } = {}) {
    const ticket = (this.latestRun.get(channel) ?? 0) + 1;
    this.latestRun.set(channel, ticket);
    const { result } = await this.call({ type: 'run', a, b, channel, ...options });
    result.channel = channel;
    return ticket === this.latestRun.get(channel) ? result : null;
  }

  /** The per-head statistics of a result run() returned, from the result the Worker keeps (the text is not run again);
   *  rejects with an InvalidArgumentError when a newer run on its channel has replaced it. */
  async stats(result) {
    return (await this.call({ type: 'stats', handle: result.handle, channel: result.channel })).stats;
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
