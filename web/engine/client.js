// The page's handle on the engine Worker: promises over tagged messages, typed errors, newer runs superseding older ones.
import { errorFromJSON } from './errors.js';

export class EngineClient {
  constructor() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.pending = new Map();
    this.nextId = 1;
    this.latestRun = 0;
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
  async load(bytes) { return (await this.call({ type: 'load', bytes }, [bytes.buffer])).info; }
  /** A Hugging Face folder's files → Headlight model bytes; onProgress(stage text) while the Worker works. */
  async convert(files, { int8 = true } = {}, onProgress = null) {
    const transfer = files.safetensors ? [files.safetensors.buffer] : [];
    return (await this.call({ type: 'convert', files, int8 }, transfer, onProgress)).bytes;
  }

  /** Clark et al.'s head map over texts [[a, b|null]]: {distance, points, stress, ...}; onProgress(stage, fraction). */
  async headmap(texts, onProgress = null) { return (await this.call({ type: 'headmap', texts }, [], onProgress)).map; }

  // Resolves to null when a newer run() started before this one finished (its result is stale).
  async run(a, b = null, options = {}) {
    const ticket = ++this.latestRun;
    const { result } = await this.call({ type: 'run', a, b, ...options });
    return ticket === this.latestRun ? result : null;
  }
}
