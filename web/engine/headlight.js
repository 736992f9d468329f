// The only code that touches the wasm heap: wraps the engine's extern "C" API with typed errors and copies results out.
import { errorForStatus } from './errors.js';

const FIELD = { summary: 0, ids: 1, attention: 2, queries: 3, keys: 4, hidden: 5 };

// UTF-16 index of every UTF-8 byte offset of `text` (length = byte length + 1), to turn engine spans into JS spans.
function utf8ToUtf16Offsets(text) {
  const map = [];
  let u16 = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let i = 0; i < bytes; i++) map.push(u16);
    u16 += ch.length;
  }
  map.push(u16);
  return map;
}

export class Engine {
  /** @param {object} module an instantiated Emscripten module (headlight-st/mt, web or node flavour) */
  constructor(module) {
    this.m = module;
    this.encoder = new TextEncoder();
    this.decoder = new TextDecoder();
  }

  check(status) {
    if (status !== 0) throw errorForStatus(status, this.m.UTF8ToString(this.m._hl_last_error()));
  }

  // Copies bytes into the heap (64-byte aligned); the caller frees or hands ownership over.
  put(bytes) {
    const p = this.m._hl_alloc(bytes.length);
    if (!p) throw errorForStatus(3, `could not allocate ${bytes.length} bytes in the engine`);
    this.m.HEAPU8.set(bytes, p);
    return p;
  }

  withScratch(n, fn) {
    const p = this.m._malloc(n);
    try { return fn(p); } finally { this.m._free(p); }
  }

  /** Loads a Headlight model file (Uint8Array). Returns {handle, info}. */
  loadModel(bytes, { threads = 1 } = {}) {
    const data = this.put(bytes);  // hl_model_load owns it from here, success or not
    return this.withScratch(16, (out) => {
      this.check(this.m._hl_model_load(data, bytes.length, threads, out));
      const handle = this.m.HEAP32[out >> 2];
      this.check(this.m._hl_model_info(handle, out, out + 4));
      const info = JSON.parse(this.m.UTF8ToString(this.m.HEAP32[out >> 2], this.m.HEAP32[(out + 4) >> 2]));
      return { handle, info };
    });
  }

  freeModel(model) { this.check(this.m._hl_model_free(model.handle)); }

  /** Runs text A (and B if given). Returns tokens (with UTF-16 spans), attention [L][A][n][n], q/k, hidden, MLM, timings;
   *  with { stats: true } also `stats`, the per-head statistics of hl_result_stats (parsed JSON). */
  run(model, a, b = null, { topK = 5, maxTokens = 0, stats = false } = {}) {
    return this.withResult(model, a, b, topK, maxTokens, (handle) => {
      const r = this.readResult(handle, a, b);
      if (stats) r.stats = this.json((out) => this.m._hl_result_stats(handle, out, out + 4));
      return r;
    });
  }

  /** Like run(), with each layer's attention computed by `attend(qkv, n, heads, headSize)` → Promise<{probs [A][n][n],
   *  context [n][H]}> (the WebGPU path), or by the engine where attend returns null. qkv [n][3H] is a view of the
   *  engine's memory: read it before the first await. */
  async runStepped(model, a, b, attend, { topK = 5, maxTokens = 0, stats = false } = {}) {
    const { num_heads: A, hidden_size: H } = model.info.config;
    const ea = this.encoder.encode(a), eb = b === null ? new Uint8Array(0) : this.encoder.encode(b);
    let step = this.withScratch(4, (out) => this.withText(ea, eb, (pa, pb) => {
      this.check(this.m._hl_step_begin(model.handle, pa, ea.length, pb, eb.length, b === null ? 0 : 1, topK, maxTokens, out));
      return this.m.HEAP32[out >> 2];
    }));
    try {
      for (;;) {
        const [, n, qkv, probsAt, contextAt] = this.withScratch(20, (out) => {
          this.check(this.m._hl_step_buffers(step, out, out + 4, out + 8, out + 12, out + 16));
          return Array.from(this.m.HEAP32.subarray(out >> 2, (out >> 2) + 5), (v) => v >>> 0);
        });
        const got = await attend(this.m.HEAPF32.subarray(qkv >> 2, (qkv >> 2) + 3 * n * H), n, A, H / A);
        if (got) {
          if (got.probs.length !== A * n * n || got.context.length !== n * H)
            throw new Error(`the attention path returned ${got.probs.length} probabilities and ${got.context.length} context values for n = ${n}`);
          this.m.HEAPF32.set(got.probs, probsAt >> 2);  // fresh views: the heap may have grown meanwhile
          this.m.HEAPF32.set(got.context, contextAt >> 2);
        }
        const result = this.withScratch(4, (out) => { this.check(this.m._hl_step_next(step, got ? 0 : 1, out)); return this.m.HEAP32[out >> 2]; });
        if (!result) continue;
        step = 0;  // hl_step_next ended it
        try {
          const r = this.readResult(result, a, b);
          if (stats) r.stats = this.json((out) => this.m._hl_result_stats(result, out, out + 4));
          return r;
        } finally {
          this.m._hl_result_free(result);
        }
      }
    } finally {
      if (step) this.m._hl_step_free(step);  // a failed attention or step leaves the model free for other runs
    }
  }

  // Copies A and B (UTF-8) into the heap for fn(pa, pb); freed afterwards.
  withText(ea, eb, fn) {
    const pa = this.m._malloc(ea.length + 1), pb = this.m._malloc(eb.length + 1);
    try {
      this.m.HEAPU8.set(ea, pa);
      this.m.HEAPU8.set(eb, pb);
      return fn(pa, pb);
    } finally {
      this.m._free(pa);
      this.m._free(pb);
    }
  }

  // Runs A (and B) with hl_run and calls fn(result handle); the result is freed afterwards.
  withResult(model, a, b, topK, maxTokens, fn) {
    const ea = this.encoder.encode(a), eb = b === null ? new Uint8Array(0) : this.encoder.encode(b);
    const handle = this.withScratch(4, (out) => this.withText(ea, eb, (pa, pb) => {
      this.check(this.m._hl_run(model.handle, pa, ea.length, pb, eb.length, b === null ? 0 : 1, topK, maxTokens, out));
      return this.m.HEAP32[out >> 2];
    }));
    try {
      return fn(handle);
    } finally {
      this.m._hl_result_free(handle);
    }
  }

  // Calls an API function that points (out) at UTF-8 JSON and its length (out + 4); returns it parsed.
  json(call) {
    return this.withScratch(8, (out) => {
      this.check(call(out));
      const p = this.m.HEAP32[out >> 2] >>> 0, n = this.m.HEAP32[(out + 4) >> 2] >>> 0;
      return JSON.parse(this.decoder.decode(this.m.HEAPU8.slice(p, p + n)));  // a copy: decode() refuses shared memory
    });
  }

  /** Head distances over texts of one model (Clark et al.'s head map): add(a, b) runs a text (pair) and adds it;
   *  mds() returns {texts, rows, heads, layers, heads_per_layer, distance [H*H], points [[x, y]] (H), stress,
   *  iterations}; free() releases it. */
  distances(model, { maxTokens = 0 } = {}) {
    const handle = this.withScratch(4, (out) => {
      this.check(this.m._hl_distances_new(model.handle, out));
      return this.m.HEAP32[out >> 2];
    });
    return {
      handle,
      add: (a, b = null) => {
        this.withResult(model, a, b, 1, maxTokens, (result) => this.check(this.m._hl_distances_add(handle, result)));
      },
      mds: () => this.json((out) => this.m._hl_distances_mds(handle, out, out + 4)),
      free: () => this.check(this.m._hl_distances_free(handle)),
    };
  }

  // Copies one result field out of the heap (the heap may grow and move on the next call).
  field(handle, name) {
    return this.withScratch(8, (out) => {
      this.check(this.m._hl_result_get(handle, FIELD[name], out, out + 4));
      const ptr = this.m.HEAP32[out >> 2] >>> 0, bytes = this.m.HEAP32[(out + 4) >> 2] >>> 0;
      return this.m.HEAPU8.slice(ptr, ptr + bytes);
    });
  }

  readResult(handle, a, b) {
    const summary = JSON.parse(this.decoder.decode(this.field(handle, 'summary')));
    const maps = [utf8ToUtf16Offsets(a), b === null ? null : utf8ToUtf16Offsets(b)];
    for (const t of summary.tokens) {
      if (t.begin >= 0 && maps[t.segment]) { t.start = maps[t.segment][t.begin]; t.stop = maps[t.segment][t.end]; }
      else { t.start = -1; t.stop = -1; }
    }
    const f32 = (name) => new Float32Array(this.field(handle, name).buffer);
    return { ...summary, attention: f32('attention'), queries: f32('queries'), keys: f32('keys'), hidden: f32('hidden') };
  }

  /** Converts a Hugging Face folder's files (Uint8Arrays / strings) to a Headlight model (Uint8Array). */
  convert({ config, vocab, tokenizerConfig = null, tokenizerJson = null, safetensors }, { int8 = true } = {}) {
    const enc = (x) => (x === null ? null : typeof x === 'string' ? this.encoder.encode(x) : x);
    const parts = [enc(config), enc(vocab), enc(tokenizerConfig), enc(tokenizerJson), safetensors];
    const ptrs = parts.map((p) => (p === null ? 0 : this.put(p)));
    try {
      return this.withScratch(8, (out) => {
        const len = (i) => (parts[i] === null ? 0 : parts[i].length);
        this.check(this.m._hl_convert(ptrs[0], len(0), ptrs[1], len(1), ptrs[2], len(2), ptrs[3], len(3), ptrs[4], len(4),
          int8 ? 1 : 0, out, out + 4));
        const p = this.m.HEAP32[out >> 2] >>> 0, n = this.m.HEAP32[(out + 4) >> 2] >>> 0;
        const bytes = this.m.HEAPU8.slice(p, p + n);
        this.m._hl_free(p);
        return bytes;
      });
    } finally {
      for (const p of ptrs) if (p) this.m._hl_free(p);
    }
  }
}
