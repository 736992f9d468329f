// The only code that touches the wasm heap: wraps the engine's extern "C" API with typed errors and copies results out.
import { InvalidArgumentError, OutOfMemoryError, errorForStatus, errorOfClass } from './errors.js';

// hl_result_get's fields: the HL_FIELD_* of wasm/include/headlight.h (tests/js/contract.test.mjs checks them).
export const FIELD = Object.freeze({ SUMMARY_JSON: 0, TOKEN_IDS: 1, ATTENTION: 2, QUERIES: 3, KEYS: 4, HIDDEN: 5, VALUE_NORMS: 6,
  NORM_SUMMED: 7, NORM_ATTENTION: 8, LAYER_STATES: 9 });
// hl_run's outputs bits (HL_OUTPUT_*), hl_result_stats' weightings (HL_WEIGHTING_*), hl_result_combined's methods
// (HL_COMBINE_*): checked against the header like FIELD.
export const OUTPUT = Object.freeze({ VALUE_NORMS: 1, LAYER_STATES: 2, ALL: 3 });
export const WEIGHTING = Object.freeze({ ATTENTION: 0, NORM: 1 });
export const COMBINE = Object.freeze({ ROLLOUT: 0, FLOW: 1 });
// hl_set_int8_gemm's choices, by the names Engine.setInt8Gemm takes (lower case).
export const INT8_GEMM = Object.freeze({ AUTO: 0, HEADLIGHT: 1, XNNPACK: 2 });
// HL_MAX_TEXT_BYTES: the longest text A or B the engine takes, in bytes of UTF-8 (checked here too, before the copy into
// the engine's memory).
export const MAX_TEXT_BYTES = 1048576;

// A result's tensors by name, each a field of hl_result_get: attention [L][A][n][n], queries and keys [L][A][n][D],
// hidden [n][H].
export const TENSORS = Object.freeze(['attention', 'queries', 'keys', 'hidden']);
// A run with { norms: true } also has Kobayashi et al.'s value norms [L][A][n], their head sum ‖Σ_h αf‖ [L][n][n] and
// the norm-weighted attention [L][A][n][n] (rows renormalised), named by their fields.
export const NORM_TENSORS = Object.freeze(['value_norms', 'norm_summed', 'norm_attention']);
// A run with { layerStates: true } also has every layer's output [L+1][n][H] (the embeddings' first; the probes' input).
export const LAYER_TENSORS = Object.freeze(['layer_states']);
const ALL_TENSORS = [...TENSORS, ...NORM_TENSORS, ...LAYER_TENSORS];

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

// Each token's UTF-16 span in its sentence (start, stop) from the engine's byte span (begin, end); -1 for none.
function addSpans(tokens, a, b) {
  const maps = [utf8ToUtf16Offsets(a), b === null ? null : utf8ToUtf16Offsets(b)];
  for (const t of tokens) {
    if (t.begin >= 0 && maps[t.segment]) { t.start = maps[t.segment][t.begin]; t.stop = maps[t.segment][t.end]; }
    else { t.start = -1; t.stop = -1; }
  }
}

const defaultFields = (norms, layerStates = false) => [...TENSORS, ...(norms ? NORM_TENSORS : []), ...(layerStates ? LAYER_TENSORS : [])];
// hl_run's `outputs` bits for run()'s options.
const outputsOf = (norms, layerStates) => (norms ? OUTPUT.VALUE_NORMS : 0) | (layerStates ? OUTPUT.LAYER_STATES : 0);

// 'attention' | 'norm' → its HL_WEIGHTING_* code.
function weightingCode(name) {
  const w = WEIGHTING[String(name).toUpperCase()];
  if (w === undefined) throw errorOfClass(InvalidArgumentError, `unknown weighting "${name}": attention or norm`);
  return w;
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

  /** The int8 GEMM of the models loaded from now on: 'auto' (the fastest exact one), 'headlight' (forced: what a CPU
   *  without AVX-VNNI runs) or 'xnnpack'; model.info.int8_gemm names the one a model got. */
  setInt8Gemm(name) {
    const id = INT8_GEMM[String(name).toUpperCase()];
    if (id === undefined) throw errorOfClass(InvalidArgumentError, `unknown int8 GEMM "${name}": auto, headlight or xnnpack`);
    this.check(this.m._hl_set_int8_gemm(id));
  }

  // [A, B] as UTF-8 (B empty when null), each refused past MAX_TEXT_BYTES with the engine's own message.
  encodeTexts(a, b) {
    return [['A', a], ['B', b ?? '']].map(([name, text]) => {
      // Each UTF-16 unit is at least one byte: a longer string is refused without encoding it.
      const bytes = text.length > MAX_TEXT_BYTES ? null : this.encoder.encode(text);
      if (!bytes || bytes.length > MAX_TEXT_BYTES) {
        throw errorOfClass(InvalidArgumentError, `text ${name} is ${bytes ? bytes.length : `over ${text.length}`} bytes of UTF-8; `
          + `Headlight reads at most ${MAX_TEXT_BYTES} bytes (1 MiB) per text: shorten it (a model sees at most its maximum `
          + 'number of tokens anyway)');
      }
      return bytes;
    });
  }

  /** The engine's live handles (hl_live_handles): {models, results, steps, distances, syntax, treebanks, conversions,
   *  total}; 0 everywhere once everything made has been freed. */
  liveHandles() { return this.json((out) => this.m._hl_live_handles(out, out + 4)); }

  /** Bytes of the engine's own memory (the wasm heap: it grows and never shrinks, so this is its peak). */
  memoryBytes() { return this.m.HEAPU8.length; }

  /** Tests only (the Worker's 'crash-for-test'): a real wasm trap, by freeing an address past the engine's memory
   *  (RuntimeError "memory access out of bounds"); the module must not be used after it. */
  trapForTest() {
    this.m._hl_free(0xfffffff8);
    throw new Error(`freeing 0xfffffff8 did not trap: the engine's memory is ${this.memoryBytes()} bytes`);
  }

  // n bytes of engine memory (64-byte aligned, at least 1 byte); the caller frees them with hl_free or hands them over.
  alloc(n) {
    const p = this.m._hl_alloc(Math.max(n, 1));
    if (!p) throw errorOfClass(OutOfMemoryError, `could not allocate ${n} bytes in the engine`);
    return p;
  }

  // Copies bytes (Uint8Array) into the heap; the caller frees or hands ownership over.
  put(bytes) {
    const p = this.alloc(bytes.length);
    this.m.HEAPU8.set(bytes, p);
    return p;
  }

  withScratch(n, fn) {
    const p = this.alloc(n);
    try { return fn(p); } finally { this.m._hl_free(p); }
  }

  // Copies each typed array into the heap for fn(...pointers); freed afterwards.
  withCopies(arrays, fn) {
    const ptrs = [];
    try {
      for (const a of arrays) ptrs.push(this.put(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
      return fn(...ptrs);
    } finally {
      for (const p of ptrs) this.m._hl_free(p);
    }
  }

  /** Loads a Headlight model file (Uint8Array). Returns {handle, info}. */
  loadModel(bytes, { threads = 1 } = {}) {
    return this.loadFromHeap(this.put(bytes), bytes.length, threads);
  }

  /** A model file of `size` bytes at `data` in the engine's memory (hl_alloc'd; hl_model_load owns it from here, success or
   *  not) → {handle, info}. */
  loadFromHeap(data, size, threads = 1) {
    return this.withScratch(16, (out) => {
      this.check(this.m._hl_model_load(data, size, threads, out));
      const handle = this.m.HEAP32[out >> 2];
      this.check(this.m._hl_model_info(handle, out, out + 4));
      const info = JSON.parse(this.m.UTF8ToString(this.m.HEAP32[out >> 2], this.m.HEAP32[(out + 4) >> 2]));
      return { handle, info };
    });
  }

  freeModel(model) { this.check(this.m._hl_model_free(model.handle)); }

  /** Runs text A (and B if given). Returns tokens (with UTF-16 spans), attention [L][A][n][n], q/k, hidden (those of
   *  `fields`, default all), MLM, timings;
   *  with { stats: true } also `stats`, the per-head statistics of hl_result_stats (parsed JSON); with { keep: true }
   *  the engine keeps the result as `handle` (resultStats(handle) later; freeResult(handle) when done); with
   *  { norms: true } the value norms too (NORM_TENSORS; `fields` then defaults to those as well), with
   *  { layerStates: true } every layer's output (LAYER_TENSORS, likewise). */
  run(model, a, b = null, { topK = 5, maxTokens = 0, stats = false, keep = false, norms = false, layerStates = false,
    fields = defaultFields(norms, layerStates) } = {}) {
    return this.withResult(this.startText(model, a, b, topK, maxTokens, norms, layerStates),
      (handle) => this.readRun(handle, a, b, stats, fields), keep);
  }

  /** One layer of a kept result's tensor ('attention' [A][n][n], 'queries' or 'keys' [A][n][D]): copied out of the heap
   *  once, into a buffer of its own (transferable). */
  resultLayer(handle, name, layer, layers) {
    return this.withField(handle, name, (ptr, bytes) => {
      const per = bytes / layers;
      if (!(layer >= 0 && layer < layers)) throw errorOfClass(InvalidArgumentError, `layer ${layer} is out of range (0..${layers - 1})`);
      return new Float32Array(this.m.HEAPU8.slice(ptr + layer * per, ptr + (layer + 1) * per).buffer);
    });
  }

  /** fn(view): a kept result's whole tensor as a Float32Array view of the engine's memory (no copy), valid only while fn
   *  runs (fn must not call the engine). */
  viewResult(handle, name, fn) {
    return this.withField(handle, name, (ptr, bytes) => fn(this.m.HEAPF32.subarray(ptr >> 2, (ptr + bytes) >> 2)));
  }

  // fn(pointer, bytes) of a result's field, by tensor name (TENSORS, NORM_TENSORS).
  withField(handle, name, fn) {
    if (!ALL_TENSORS.includes(name)) throw errorOfClass(InvalidArgumentError, `no result tensor "${name}" (one of ${ALL_TENSORS.join(', ')})`);
    return fn(...this.fieldAt(handle, FIELD[name.toUpperCase()]));
  }

  // [pointer, bytes] of a result's field (hl_result_get); valid until the heap grows or the result is freed.
  fieldAt(handle, field) {
    return this.withScratch(8, (out) => {
      this.check(this.m._hl_result_get(handle, field, out, out + 4));
      return [this.m.HEAP32[out >> 2] >>> 0, this.m.HEAP32[(out + 4) >> 2] >>> 0];
    });
  }

  /** The per-head statistics (hl_result_stats, parsed) of a result kept by run(..., { keep: true }): no re-run.
   *  weighting: 'attention' (the softmax weights) or 'norm' (Kobayashi et al.'s, rows renormalised; needs { norms: true }). */
  resultStats(handle, weighting = 'attention') {
    const w = weightingCode(weighting);
    return this.json((out) => this.m._hl_result_stats(handle, w, out, out + 4));
  }

  /** Frees a result kept by run(..., { keep: true }). */
  freeResult(handle) { this.check(this.m._hl_result_free(handle)); }

  /** Runs given token ids and token types (arrays of n integers; hl_run_ids): run()'s result for them, with no
   *  tokens' text or spans (each token's start and stop are -1). */
  runIds(model, ids, types, { topK = 5, stats = false } = {}) {
    if (ids.length !== types.length)
      throw errorOfClass(InvalidArgumentError, `runIds: ${ids.length} token ids but ${types.length} token types`);
    const start = (out) => this.withCopies([Int32Array.from(ids), Int32Array.from(types)],
      (pIds, pTypes) => this.m._hl_run_ids(model.handle, pIds, pTypes, ids.length, topK, out));
    return this.withResult(start, (handle) => this.readRun(handle, '', null, stats));
  }

  /** The tokens run() would run, with the same cut, without running the model: {n, tokens (with UTF-16 spans), truncation}. */
  tokenize(model, a, b = null, { maxTokens = 0 } = {}) {
    const [ea, eb] = this.encodeTexts(a, b);
    const r = this.json((out) => this.withCopies([ea, eb],
      (pa, pb) => this.m._hl_tokenize(model.handle, pa, ea.length, pb, eb.length, b === null ? 0 : 1, maxTokens, out, out + 4)));
    addSpans(r.tokens, a, b);
    return r;
  }

  /** Like run(), one layer at a time: before each layer's heads, `beforeLayer(layer)` is awaited (it may throw to abandon
   *  the run: a newer text superseded it); then the layer's attention is computed by `attend(qkv, n, headsPerLayer,
   *  headSize)` → Promise<{probs [A][n][n], context [n][H]}> (the WebGPU path), or by the engine where attend is null or
   *  returns null. qkv [n][3H] is a view of the engine's memory: read it before the first await. After each layer but the
   *  last, `afterLayer(layer, read)`: read() copies that layer's attention [A][n][n] (to draw it before the run ends).
   *  `fields`: the tensors the result copies out (default: all the run computed, as run(); [] for the summary alone, the
   *  rest from a kept result). */
  async runStepped(model, a, b, attend, { topK = 5, maxTokens = 0, stats = false, keep = false, beforeLayer = null, afterLayer = null,
    norms = false, layerStates = false, fields = defaultFields(norms, layerStates) } = {}) {
    const { num_heads: A, hidden_size: H } = model.info.config;
    const [ea, eb] = this.encodeTexts(a, b);
    let step = this.withScratch(4, (out) => this.withCopies([ea, eb], (pa, pb) => {
      this.check(this.m._hl_step_begin(model.handle, pa, ea.length, pb, eb.length, b === null ? 0 : 1, topK, maxTokens,
        outputsOf(norms, layerStates), out));
      return this.m.HEAP32[out >> 2];
    }));
    try {
      for (;;) {
        const buffers = () => this.withScratch(20, (out) => {
          this.check(this.m._hl_step_buffers(step, out, out + 4, out + 8, out + 12, out + 16));
          return Array.from(this.m.HEAP32.subarray(out >> 2, (out >> 2) + 5), (v) => v >>> 0);
        });
        if (beforeLayer) await beforeLayer(buffers()[0]);
        const [layer, n, qkv, probsAt, contextAt] = buffers();  // after the await: the heap may have grown
        const got = attend ? await attend(this.m.HEAPF32.subarray(qkv >> 2, (qkv >> 2) + 3 * n * H), n, A, H / A) : null;
        if (got) {
          if (got.probs.length !== A * n * n || got.context.length !== n * H)
            throw new Error(`the attention path returned ${got.probs.length} probabilities and ${got.context.length} context values for n = ${n}`);
          this.m.HEAPF32.set(got.probs, probsAt >> 2);  // fresh views: the heap may have grown meanwhile
          this.m.HEAPF32.set(got.context, contextAt >> 2);
        }
        const result = this.withScratch(4, (out) => { this.check(this.m._hl_step_next(step, got ? 0 : 1, out)); return this.m.HEAP32[out >> 2]; });
        if (!result) {
          // the layer's attention stays where hl_step_buffers put it (the result's [L][A][n][n]; heap growth moves no address)
          afterLayer?.(layer, () => new Float32Array(this.m.HEAPU8.slice(probsAt, probsAt + A * n * n * 4).buffer));
          continue;
        }
        step = 0;  // hl_step_next ended it
        return this.holding(result, (handle) => this.readRun(handle, a, b, stats, fields), keep);
      }
    } finally {
      if (step) this.m._hl_step_free(step);  // a failed attention or step leaves the model free for other runs
    }
  }

  // The start of an hl_run of A (and B) for withResult: (out) → status, the result handle written at out.
  startText(model, a, b, topK, maxTokens, norms = false, layerStates = false) {
    const [ea, eb] = this.encodeTexts(a, b);
    return (out) => this.withCopies([ea, eb], (pa, pb) => this.m._hl_run(model.handle, pa, ea.length, pb, eb.length,
      b === null ? 0 : 1, topK, maxTokens, outputsOf(norms, layerStates), out));
  }

  // Calls start(out) (an hl_run or hl_run_ids writing a result handle at out), then holding(that handle, fn, keep).
  withResult(start, fn, keep = false) {
    const handle = this.withScratch(4, (out) => {
      this.check(start(out));
      return this.m.HEAP32[out >> 2];
    });
    return this.holding(handle, fn, keep);
  }

  // fn(result handle) → an object; the result is freed afterwards, unless `keep`: then the object gets it as `handle`.
  holding(handle, fn, keep) {
    let kept = false;
    try {
      const r = fn(handle);
      if (keep) { r.handle = handle; kept = true; }
      return r;
    } finally {
      if (!kept) this.m._hl_result_free(handle);
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

  /** Head distances over texts of one model (Clark et al.'s head map), of the attention or the norm weighting
   *  (weighting 'attention' | 'norm'): add(a, b) runs a text (pair) and adds it; mds() returns {texts, rows, heads,
   *  layers, heads_per_layer, distance [H*H], points [[x, y]] (H), stress, iterations}; free() releases it. */
  distances(model, { maxTokens = 0, weighting = 'attention' } = {}) {
    const w = weightingCode(weighting);
    const handle = this.withScratch(4, (out) => {
      this.check(this.m._hl_distances_new(model.handle, w, out));
      return this.m.HEAP32[out >> 2];
    });
    return {
      handle,
      add: (a, b = null) => {
        const add = (result) => this.check(this.m._hl_distances_add(handle, result));
        this.withResult(this.startText(model, a, b, 1, maxTokens, w === WEIGHTING.NORM), add);
      },
      mds: () => this.json((out) => this.m._hl_distances_mds(handle, out, out + 4)),
      free: () => this.check(this.m._hl_distances_free(handle)),
    };
  }

  // Copies one result field out of the heap (the heap may grow and move on the next call).
  field(handle, field) {
    const [ptr, bytes] = this.fieldAt(handle, field);
    return this.m.HEAPU8.slice(ptr, ptr + bytes);
  }

  // run()'s result object for a result handle of text A (and B; '' and null for a run of ids).
  readRun(handle, a, b, stats, fields = TENSORS) {
    const summary = JSON.parse(this.decoder.decode(this.field(handle, FIELD.SUMMARY_JSON)));
    addSpans(summary.tokens, a, b);
    const f32 = (field) => new Float32Array(this.field(handle, field).buffer);
    const r = { ...summary };
    for (const name of fields) r[name] = f32(FIELD[name.toUpperCase()]);
    if (stats) r.stats = this.resultStats(handle);
    return r;
  }

  /** A Hugging Face checkpoint's files, converted as its safetensors bytes arrive (hl_convert_*): texts {config, vocab,
   *  tokenizerConfig?, tokenizerJson?, index?} (strings or Uint8Arrays or null; vocab (vocab.txt) may be null when
   *  tokenizerJson holds a BPE model (RoBERTa); index: a sharded checkpoint's model.safetensors.index.json). Returns {feed(bytes, endOfFile), finish(), free()}: feed each safetensors file's
   *  bytes in order (endOfFile with a file's last chunk, which may be empty; feed then returns the file's SHA-256 as
   *  hex, else null); finish() → the model file, still in the
   *  engine: {size, read(offset, length) → a copy, load({threads}) → a loaded model (the file is handed over), free()}.
   *  A failed feed ends the conversion; free() abandons one (both are safe to call twice). */
  convertStream({ config, vocab = null, tokenizerConfig = null, tokenizerJson = null, index = null }, { int8 = true } = {}) {
    const enc = (x) => (x === null ? null : typeof x === 'string' ? this.encoder.encode(x) : x);
    const texts = [config, vocab, tokenizerConfig, tokenizerJson, index].map(enc);
    const args = texts.flatMap((t) => (t === null ? [0, 0] : [this.put(t), t.length]));
    let handle;
    try {
      handle = this.withScratch(4, (out) => {
        this.check(this.m._hl_convert_begin(...args, int8 ? 1 : 0, out));
        return this.m.HEAP32[out >> 2];
      });
    } finally {
      for (let i = 0; i < args.length; i += 2) if (args[i]) this.m._hl_free(args[i]);
    }
    const ended = () => { handle = 0; };
    return {
      feed: (bytes, endOfFile = false) => {
        if (!handle) throw errorOfClass(InvalidArgumentError, 'this conversion has ended');
        const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const status = view.length ? this.withCopies([view], (p) => this.m._hl_convert_feed(handle, p, view.length, endOfFile ? 1 : 0))
          : this.m._hl_convert_feed(handle, 0, 0, endOfFile ? 1 : 0);
        if (status !== 0) ended();  // the engine has ended it
        this.check(status);
        if (!endOfFile) return null;
        return this.withScratch(4, (out) => {
          this.check(this.m._hl_convert_file_sha256(handle, out));
          return this.m.UTF8ToString(this.m.HEAP32[out >> 2]);
        });
      },
      finish: () => {
        if (!handle) throw errorOfClass(InvalidArgumentError, 'this conversion has ended');
        const h = handle;
        ended();
        const [ptr, size] = this.withScratch(8, (out) => {
          this.check(this.m._hl_convert_finish(h, out, out + 4));
          return [this.m.HEAP32[out >> 2] >>> 0, this.m.HEAP32[(out + 4) >> 2] >>> 0];
        });
        return this.heapFile(ptr, size);
      },
      free: () => { if (handle) { this.m._hl_convert_free(handle); ended(); } },
    };
  }

  /** Converts a Hugging Face folder's files held in memory ({config, vocab, tokenizerConfig?, tokenizerJson?,
   *  safetensors}: strings or Uint8Arrays) to a Headlight model file (Uint8Array). */
  convert({ safetensors, ...texts }, options = {}) {
    const conversion = this.convertStream(texts, options);
    conversion.feed(safetensors, true);  // a failed feed has ended the conversion
    const file = conversion.finish();
    try { return file.read(0, file.size); } finally { file.free(); }
  }

  // A model file held in the engine (ptr from hl_alloc or hl_convert_finish): read or write it, load it (handing it over),
  // or free it.
  heapFile(ptr, size) {
    let owned = true;
    const mine = () => { if (!owned) throw errorOfClass(InvalidArgumentError, 'this model file has been loaded or freed'); };
    return {
      size,
      read: (offset, length) => { mine(); return this.m.HEAPU8.slice(ptr + offset, ptr + offset + length); },
      write: (offset, bytes) => {
        mine();
        if (offset + bytes.length > size) throw errorOfClass(InvalidArgumentError, 'write past the end of a model file');
        this.m.HEAPU8.set(bytes, ptr + offset);
      },
      load: ({ threads = 1 } = {}) => { mine(); owned = false; return this.loadFromHeap(ptr, size, threads); },
      free: () => { if (owned) { owned = false; this.m._hl_free(ptr); } },
    };
  }
}
