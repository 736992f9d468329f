// The engine's Web Worker: loads the wasm build the page can run (threads if cross-origin isolated; relaxed SIMD where the
// browser has it), answers tagged messages.
// In:  {type:'init', id, threads} | {type:'load', id, bytes, key?}
//      | {type:'run', id, a, b, topK, maxTokens, stats, key?, channel?, ifChanged?, drawEveryMs?, want?} → 'result'
//        {result (the summary: tokens, MLM, timings, handle), parts (what `want` asks for: handOver below)} | 'superseded'
//        (a newer run on its channel came first: it never ran, or it stopped at a layer boundary) | 'unchanged'
//        {truncation} (ifChanged, and the tokens that reach the model are those of the channel's kept result: nothing ran;
//        truncation counts what the new text has past the cut); before the
//        answer, with want.early, 'partial' {partial: the summary's tokens and shape, layer, attention [A][n][n]}
//      | {type:'drawn', run}: the page shows run's early layer (no answer; see DRAWN_WAIT_MAX_MS)
//      | {type:'fetch', id, handle, channel?, want} → 'parts' {parts}: more of the channel's kept result
//      | {type:'stats', id, handle, channel?} | {type:'headmap', id, texts: [[a, b|null]], key?, weighting?}
//      | {type:'combined', id, handle, channel?, method: 'rollout'|'flow', layer} → 'combined' {matrix [n][n]}
//      | {type:'syntax', id, key?, sentences?, cacheKey?} → 'progress'…, 'syntax' {table}: the syntactic-head table
//        over the treebank, computed between other messages, kept under cacheKey (worker_analyses.js)
//      | {type:'syntax-sentence', id, sentence, handle?, channel?} → 'syntax-sentence' {sentence, choices}: a treebank
//        sentence and the kept result's choices
//      | {type:'load-cached', id, cacheKey, key?}: a converted model from the offline cache (model_cache.js), into the engine
//      | {type:'convert-begin', id, texts, int8} → 'convert-begun' {conversion}; {type:'convert-feed', id, conversion,
//        bytes, end} → 'fed' {sha256: the file's, at its end}; {type:'convert-finish', id, conversion, key?, cache?: {key, meta}} → 'loaded' {info,
//        cached, cacheError?}: the model goes straight from the converter into its slot (and into the cache first);
//        {type:'convert-free', id, conversion}. Feeds are queued like every message, so runs go on between them.
//      | {type:'memory', id} → 'memory' {handles (Engine.liveHandles), wasm_bytes, js_heap_bytes (null where the Worker has
//        no performance.memory), kept (results kept, one per channel), models (slots loaded)}: the soak tests' samples
//      | {type:'crash-for-test', id, how: 'trap' | 'throw'}: honoured only after an init with testHooks (EngineClient's
//        option): a real wasm trap in the engine, or an exception thrown in the Worker's global scope
// `key` names a model slot (default 'main'): several <headlight-attention> elements with different models share one Worker.
// `channel` (default 'main') names a caller: the engine keeps the newest result of each channel (result.handle) until its
// next run, so that 'stats' and 'fetch' answer from it without running the text again: a run hands over only what its
// caller draws (one layer, or the model view's pooled thumbnails), not the whole [L][A][n][n].
// `gpu` ('auto' | 'on' | 'off', default 'auto') picks where a run's attention heads are computed: WebGPU or the engine.
// Messages are handled one at a time, in order: a run awaits between layers (to see newer runs) and a WebGPU run awaits
// the GPU, and nothing may use its model meanwhile.
// Out: {type:'ready'|'loaded'|'result'|'superseded'|'unchanged'|'stats'|'headmap'|..., id, ...} | {type:'error', id, error:{name,message,hint}}
//      | {type:'progress', id, stage, fraction?}
//      | {type:'crashed', reason}: the engine trapped or aborted (its memory cannot be trusted): every message from then on
//        is answered with an EngineCrashedError, and the client replaces this Worker (client.js)
import { Engine, TENSORS } from './headlight.js';
import { resultCombined } from './analyses.js';
import { sentenceChoices, syntaxOf } from './worker_analyses.js';
import { Layers, poolThumbnails, toggled } from '../data/attention_data.js';
import { ENGINE_CRASHED_HINT, EngineCrashedError, errorOfClass, errorToJSON, InvalidArgumentError, UnsupportedError } from './errors.js';
import { MAX_TOKENS, openGpu } from './gpu/attention.js';
import { hasRelaxedSimd } from './simd_probe.js';
import { putModel, readModel } from './model_cache.js';

let engine = null;
const models = new Map();  // key → loaded model
const kept = new Map();    // channel → handle of its newest result, kept in the engine for 'stats'
const conversions = new Map();  // id → a conversion under way (Engine.convertStream)
let nextConversion = 1;
let threads = 1;
let testHooks = false;  // init's testHooks: 'crash-for-test' is honoured (EngineClient's option, for tests)
let crashed = null;     // an EngineCrashedError once the engine trapped: nothing may call it again

// A wasm trap ("unreachable", "memory access out of bounds"), an Emscripten abort (a RuntimeError "Aborted(...)") or a C++
// exception that left the engine (WebAssembly.Exception): the engine's memory may be half-written, so the Worker stops
// using it and says so ({type:'crashed'}); the client starts a new Worker.
const isTrap = (e) => e instanceof WebAssembly.RuntimeError
  || (typeof WebAssembly.Exception === 'function' && e instanceof WebAssembly.Exception);
function crash(e) {
  if (!crashed) {
    const reason = String(e?.message || e?.name || 'a wasm trap');
    crashed = new EngineCrashedError(`the engine stopped: ${reason}`, ENGINE_CRASHED_HINT);
    self.postMessage({ type: 'crashed', reason });
  }
  return crashed;
}
// The error a failed message is answered with: an EngineCrashedError for a trap.
const failure = (e) => errorToJSON(crashed || isTrap(e) ? crash(e) : e);

// The builds this server has (engine/wasm/builds.json: tools/serve.mjs lists only current ones, dist/ only complete ones),
// as {variant: entry}; variant is 'st' | 'mt', + '-relaxed' for the relaxed-SIMD builds (headlight-mt-relaxed.mjs, ...).
async function availableBuilds() {
  const url = new URL('./wasm/builds.json', import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new UnsupportedError(`the list of engine builds (${url.pathname}) did not load: HTTP ${res.status}`,
    'Build the engine (npm start or npm run build) and serve the page with it.');
  return (await res.json()).builds ?? {};
}

// Threads if cross-origin isolated, relaxed SIMD where the browser has it; a preferred build that is not built yet (npm
// start builds the others after it starts serving) or fails to load falls back to the plain one, and `note` says so.
// `build` asks for one build and no other; `int8Gemm` for an int8 GEMM (Engine.setInt8Gemm).
async function init(wantThreads, { build = null, int8Gemm = null } = {}) {
  const builds = await availableBuilds();
  const load = async (variant) => {
    const { default: create } = await import(`./wasm/headlight-${variant}.mjs`);
    const e = new Engine(await create({ locateFile: (f) => new URL(`./wasm/${f}`, import.meta.url).href }));
    if (int8Gemm) e.setInt8Gemm(int8Gemm);
    return e;
  };
  if (build) return initBuild(build, wantThreads, builds, load);
  const threaded = self.crossOriginIsolated && wantThreads > 1;
  const base = threaded ? 'mt' : 'st';
  let variant = hasRelaxedSimd() ? `${base}-relaxed` : base, note = null;
  if (!builds[base] && !builds[variant]) {
    throw new UnsupportedError(`no engine build for this page: it needs "${base}"${variant !== base ? ` or "${variant}"` : ''}; ` +
      `the server has ${Object.keys(builds).join(', ') || 'none'}`, 'Build it (bash tools/build.sh wasm-' + base + ') or wait for npm start to finish building it, then reload.');
  }
  if (!builds[variant]) {
    note = 'the relaxed-SIMD build is not built yet: plain SIMD';
    variant = base;
  }
  try {
    engine = await load(variant);
  } catch (e) {
    if (variant === base || !builds[base]) throw e;
    console.warn(`headlight: the relaxed-SIMD engine did not load (${e?.message ?? e}); using plain SIMD`);
    note = 'the relaxed-SIMD build did not load: plain SIMD';
    variant = base;
    engine = await load(variant);
  }
  threads = threaded ? wantThreads : 1;
  return readyInfo(variant, note);
}

// The 'ready' answer: the build loaded, its threads, and why it is not the preferred one (note), if it is not.
const readyInfo = (variant, note) =>
  ({ variant, relaxed_simd: variant.endsWith('-relaxed'), threads, cross_origin_isolated: self.crossOriginIsolated, note });

async function initBuild(variant, wantThreads, builds, load) {
  if (!builds[variant]) {
    throw new UnsupportedError(`the engine build "${variant}" was asked for; the server has ${Object.keys(builds).join(', ') || 'none'}`,
      `Build it (bash tools/build.sh wasm-${variant}), or leave the engine to the page.`);
  }
  if (variant.startsWith('mt') && !self.crossOriginIsolated) {
    throw new UnsupportedError(`the threaded build "${variant}" was asked for, but the page is not cross-origin isolated`,
      'Serve the page with COOP/COEP headers (npm start does), or ask for a single-thread build.');
  }
  engine = await load(variant);
  threads = variant.startsWith('mt') ? Math.max(1, wantThreads) : 1;
  return readyInfo(variant, null);
}

// WebGPU for the attention heads. 'auto' uses it for inputs of GPU_MIN_TOKENS or more on a real (not fallback/software)
// adapter; the threshold is a guess, not a measurement: no GPU was at hand to measure where it starts to win.
const GPU_MIN_TOKENS = 256;
let gpu = null;  // Promise<the GPU or null>, opened on the first run that may use it
async function attentionPath(mode) {
  if (mode === 'off') return null;
  gpu ??= openGpu().catch((e) => { console.warn(`headlight: WebGPU is not usable (${e.message}): attention runs in wasm`); return null; });
  const g = await gpu;
  if (!g && mode === 'on') throw new Error('WebGPU was asked for (gpu=on) but this browser gives no usable adapter');
  if (!g || (mode === 'auto' && g.info.fallback)) return null;
  return g;
}

// A channel's run: null when a newer run on its channel superseded it (it stops at the next layer boundary), {unchanged:
// true} when msg.ifChanged and the tokens that reach the model (after the cut) and the options are those of the channel's
// kept result (nothing runs), else the result: its summary (tokens, MLM, timings, ...) and, in `parts`, what msg.want asks
// for (handOver). With want.early, layer want.layers[0] is sent as soon as it is computed: partial(layer, read).
async function run(msg, partial) {
  const model = modelFor(msg);
  const channel = msg.channel ?? 'main';
  const options = { topK: msg.topK ?? 5, maxTokens: msg.maxTokens ?? 0, stats: msg.stats ?? false, norms: msg.norms ?? false };
  const tokens = engine.tokenize(model, msg.a, msg.b ?? null, options);
  const key = JSON.stringify([model.handle, options, tokens.tokens]);  // what the model sees (not how much was cut)
  if (msg.ifChanged && kept.get(channel)?.key === key) return { unchanged: true, truncation: tokens.truncation, engine_runs: engineRuns };
  if (kept.has(channel)) engine.freeResult(kept.get(channel).handle);  // before the run: its memory is free for this one
  kept.delete(channel);
  engineRuns += 1;
  const t0 = performance.now();
  let lastYield = t0, held = null;
  const beforeLayer = async () => {
    if (held) {  // its early layer is being drawn
      await held;
      held = null;
    } else if (performance.now() - lastYield < YIELD_EVERY_MS) {
      return;  // a short run is not worth stopping
    }
    await nextTask();  // newer messages arrive meanwhile
    if (crashed) throw crashed;  // a trap meanwhile ('crash-for-test'): the engine must not be called again
    lastYield = performance.now();
    const undrawnMs = lastYield - (undrawnSince.get(channel) ?? Infinity);
    if (newest.get(channel) !== msg.id && undrawnMs < (msg.drawEveryMs ?? DRAW_EVERY_MS)) throw SUPERSEDED;
  };
  const want = msg.want ?? { whole: true };
  const early = want.early ? want.layers?.[0] : undefined;
  const L = model.info.config.num_layers;
  const afterLayer = (layer, read) => {
    const left = ((performance.now() - t0) / (layer + 1)) * (L - layer - 1);  // ms the later layers will take, about
    if (layer === early && left >= EARLY_MIN_MS) {
      partial({ ...tokens, ...shapeOf(model), layer, attention: read() });
      held = holdUntilDrawn(msg.id);
    }
  };
  let r;
  try {
    r = await runOnPath(model, msg, { ...options, stats: options.stats && !options.norms, keep: true, beforeLayer, afterLayer,
      fields: [] });
  } catch (e) {
    if (e === SUPERSEDED) return null;
    throw e;
  }
  if (options.stats && options.norms) r.stats = engine.resultStats(r.handle, 'norm');  // the statistics of what is drawn
  kept.set(channel, { handle: r.handle, key, summary: r, norms: options.norms });
  r.engine_runs = engineRuns;
  return { result: r, ...handOver(r.handle, r, { ...want, norms: options.norms }) };
}

const shapeOf = (model) => {
  const c = model.info.config;
  return { layers: c.num_layers, heads_per_layer: c.num_heads, head_size: c.hidden_size / c.num_heads, hidden_size: c.hidden_size };
};

// The parts of a kept result the page asked for, each copied out of the heap once into its own buffer (transferred):
// want = {layers: [l, ...] (their attention), qk (their queries and keys too), thumbnails: {key, maxSide, wordLevel,
// hideSpecial, specials} (every head's attention after those toggles, max-pooled to at most maxSide a side: the model
// view), whole (every tensor, whole: snapshots, tests), norms (a run with norms: its norm-weighted attention, rows
// renormalised, in place of the attention)}. Returns {parts, transfer}.
function handOver(handle, summary, want) {
  const L = summary.layers, parts = {}, transfer = [];
  const own = (x) => { transfer.push(x.buffer); return x; };
  const attention = want.norms ? 'norm_attention' : 'attention';
  if (want.whole) {
    parts.whole = {};
    for (const name of TENSORS) parts.whole[name] = own(engine.viewResult(handle, name === 'attention' ? attention : name, (v) => v.slice()));
  }
  for (const l of want.layers ?? []) {
    parts.layers ??= {};
    const part = parts.layers[l] = { attention: own(engine.resultLayer(handle, attention, l, L)) };
    if (want.qk) for (const name of ['queries', 'keys']) part[name] = own(engine.resultLayer(handle, name, l, L));
  }
  if (want.thumbnails) {
    parts.thumbnails = thumbnailsOf(handle, summary, want.thumbnails, attention);
    own(parts.thumbnails.data);
  }
  return { parts, transfer };
}

// Every layer's heads after the toggles, pooled (attention_data.js's toggled and poolThumbnails), read layer by layer
// from the engine's memory: [L][A][side][side].
function thumbnailsOf(handle, summary, { key, maxSide, wordLevel = false, hideSpecial = false, specials }, attention) {
  const { layers: L, heads_per_layer: A } = summary;
  return engine.viewResult(handle, attention, (all) => {
    const layers = Layers.whole(all, L);  // views of the engine's memory
    let data = null, side = 0;
    for (let l = 0; l < L; l++) {
      const one = toggled({ ...summary, layers: 1, attention: layers.get(l) }, { wordLevel, hideSpecial }, specials);
      const pooled = poolThumbnails(one.attention, A, one.n, maxSide);
      if (!data) { side = Math.min(one.n, maxSide); data = new Float32Array(L * pooled.length); }
      data.set(pooled, l * pooled.length);
    }
    return { key, side, data };
  });
}

// More of a channel's kept result (msg.want, as for a run): the page draws another layer, view or toggle.
function fetchParts(msg) {
  const k = kept.get(msg.channel ?? 'main');
  if (!k || k.handle !== msg.handle) {
    throw errorOfClass(InvalidArgumentError, 'this result is no longer kept: a newer run on its channel replaced it');
  }
  return handOver(k.handle, k.summary, { ...msg.want, norms: k.norms });
}

// A channel's kept result, the one run() returned last on that channel (msg.handle).
function keptOf(msg, what = '') {
  const k = kept.get(msg.channel ?? 'main');
  if (!k || k.handle !== msg.handle) {
    throw errorOfClass(InvalidArgumentError, `this result is no longer kept: a newer run on its channel replaced it${what}`);
  }
  return k;
}

// The statistics of a channel's kept result, of the weighting it was run with.
function stats(msg) {
  const k = keptOf(msg, ' (that run has its own statistics)');
  return engine.resultStats(k.handle, k.norms ? 'norm' : 'attention');
}

// The syntactic-head table of a model: its turns go on the queue behind the messages waiting, so that runs are answered
// while it computes; the answer comes when the last turn is done.
function startSyntax(msg, reply) {
  // Each turn waits for a new task first: chained on the queue alone, the turns would all run as microtasks and the
  // messages that arrive meanwhile (a typed text's run) would wait for the whole table.
  const turn = (fn) => nextTask().then(() => new Promise((resolve, reject) => {
    queue = queue.then(() => { try { fn(); resolve(); } catch (e) { reject(e); } });
  }));
  const progress = (stage, fraction) => reply('progress', { stage, fraction });
  syntaxOf(engine, modelFor(msg), { sentences: msg.sentences ?? Infinity, cacheKey: msg.cacheKey ?? null, turn, progress })
    .then((table) => reply('syntax', { table }), (e) => reply('error', { error: failure(e) }));
}

// One run, always stepped (options.beforeLayer and afterLayer between layers), its attention heads in wasm or on the
// GPU (attention_path says which).
async function runOnPath(model, msg, options) {
  const g = await attentionPath(msg.gpu ?? 'auto');
  if (!g) return { ...await engine.runStepped(model, msg.a, msg.b ?? null, null, options), attention_path: 'wasm' };
  let used = 0, layers = 0;
  const min = msg.gpu === 'on' ? 1 : GPU_MIN_TOKENS;
  const r = await engine.runStepped(model, msg.a, msg.b ?? null, (qkv, n, headsPerLayer, headSize) => {
    layers += 1;
    if (n < min || n > MAX_TOKENS) return null;  // the engine's own heads
    used += 1;
    return g.attention(qkv, n, headsPerLayer, headSize);
  }, options);
  const where = `WebGPU${g.info.fallback ? ' (software adapter)' : g.info.vendor ? ` (${g.info.vendor})` : ''}`;
  return { ...r, attention_path: used === layers ? where : used ? `${where} in ${used} of ${layers} layers` : 'wasm' };
}

// A loaded model into its slot (default 'main'), replacing the one there; a model that failed to load never gets here,
// so the old one stays in use.
function place(key = 'main', model) {
  if (models.has(key)) engine.freeModel(models.get(key));
  models.set(key, model);
  return model.info;
}

function conversionOf(msg) {
  const c = conversions.get(msg.conversion);
  if (!c) throw errorOfClass(InvalidArgumentError, 'this conversion has ended (it failed or was cancelled): start again');
  return c;
}

// The converted model: into the offline cache first when asked (a failure there, e.g. a full disk, is reported, not fatal),
// then loaded from where the converter left it.
async function finishConversion(msg) {
  const conversion = conversionOf(msg);
  conversions.delete(msg.conversion);
  const file = conversion.finish();
  let cacheError = null;
  try {
    if (msg.cache) {
      try {
        await putModel(msg.cache.key, msg.cache.meta, file.size, (at, n) => file.read(at, n));
      } catch (e) {
        cacheError = e.message;
      }
    }
    return { info: place(msg.key, file.load({ threads })), cached: !!msg.cache && !cacheError, cacheError };
  } finally {
    file.free();  // after load() it owns nothing
  }
}

function modelFor(msg) {
  const model = models.get(msg.key ?? 'main');
  if (!model) throw new Error(`no model is loaded${msg.key ? ` under "${msg.key}"` : ''}: load one before running`);
  return model;
}

// Runs: the newest of each channel wins. Each run message is noted at once as its channel's newest; one that was
// superseded while waiting in the queue is answered without running, one under way stops at its next layer boundary,
// unless its channel has waited drawEveryMs for anything to draw (a result, or the early layer of one): then it finishes
// (and the newest runs next), so that a channel that keeps sending texts (continuous typing) still gets a drawing every
// drawEveryMs + one run.
const newest = new Map();        // channel → id of its newest run message
const undrawnSince = new Map();  // channel → performance.now() when its oldest run message still without an answer came
const DRAW_EVERY_MS = 150;
// A run yields to newer messages at a layer boundary only when YIELD_EVERY_MS have passed since it last did (each yield
// costs the engine's threads a wake-up); its viewed layer is sent early only when the later layers will take at least
// EARLY_MIN_MS more (else the whole result comes about as soon, and the page draws once).
const YIELD_EVERY_MS = 8, EARLY_MIN_MS = 40;
const SUPERSEDED = Symbol('superseded');
let engineRuns = 0;        // runs of the model started (the page's tests count them)

// Resolves in a new task (a MessageChannel message: no timer clamping), after the messages that arrived before it.
const ticks = new MessageChannel();
const waiting = [];
ticks.port1.onmessage = () => waiting.shift()?.();
const nextTask = () => new Promise((resolve) => { waiting.push(resolve); ticks.port2.postMessage(null); });

// A run whose early layer was sent holds its later layers until the page says that layer is on screen ({type:'drawn',
// run}, sent by the client after the next frame), a newer run arrives, or DRAWN_WAIT_MAX_MS pass (a hidden page draws no
// frames). Without the hold, the engine's threads took the cores the page needs to draw: on bert-base at 126 tokens the
// early layer was posted 25–37 ms after the keystroke and drawn at 119–175 ms (tools/bench/layer0_trace.mjs).
const DRAWN_WAIT_MAX_MS = 100;
const drawWaits = new Map();  // run id → resolve its hold
function holdUntilDrawn(id) {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); drawWaits.delete(id); resolve(); };
    const timer = setTimeout(done, DRAWN_WAIT_MAX_MS);
    drawWaits.set(id, done);
  });
}

let queue = Promise.resolve();
self.onmessage = ({ data: msg }) => {
  if (msg.type === 'drawn') { drawWaits.get(msg.run)?.(); return; }  // not queued: the run it releases holds the queue
  if (msg.type === 'crash-for-test') { crashForTest(msg); return; }  // not queued: it may stop a run under way
  if (msg.type === 'run') {
    const channel = msg.channel ?? 'main';
    newest.set(channel, msg.id);
    if (!undrawnSince.has(channel)) undrawnSince.set(channel, performance.now());
    for (const release of [...drawWaits.values()]) release();  // the held run stops or goes on at once
  }
  queue = queue.then(() => handle(msg));
};

async function handle(msg) {
  const reply = (type, body = {}, transfer = []) => self.postMessage({ type, id: msg.id, ...body }, transfer);
  try {
    if (crashed) throw crashed;
    switch (msg.type) {
      case 'init':
        testHooks = msg.testHooks === true;
        reply('ready', await init(msg.threads ?? 1, msg));
        break;
      case 'load':
        reply('loaded', { info: place(msg.key, engine.loadModel(new Uint8Array(msg.bytes), { threads })) });
        break;
      case 'load-cached': {
        const file = await readModel(msg.cacheKey, (size) => engine.heapFile(engine.alloc(size), size));
        reply('loaded', { info: place(msg.key, file.load({ threads })) });
        break;
      }
      case 'convert-begin': {
        const id = nextConversion++;
        conversions.set(id, engine.convertStream(msg.texts, { int8: msg.int8 ?? true }));
        reply('convert-begun', { conversion: id });
        break;
      }
      case 'convert-feed': {
        let sha256;
        try {
          sha256 = conversionOf(msg).feed(new Uint8Array(msg.bytes), msg.end ?? false);
        } catch (e) {
          conversions.delete(msg.conversion);  // a failed feed has ended it
          throw e;
        }
        reply('fed', { sha256 });
        break;
      }
      case 'convert-finish':
        reply('loaded', await finishConversion(msg));
        break;
      case 'convert-free':
        conversions.get(msg.conversion)?.free();
        conversions.delete(msg.conversion);
        reply('freed');
        break;
      case 'run': {
        const channel = msg.channel ?? 'main';
        const partial = (p) => { answered(channel, msg.id); reply('partial', { partial: p }, [p.attention.buffer]); };
        const r = newest.get(channel) === msg.id ? await run(msg, partial) : null;
        if (r) answered(channel, msg.id);
        if (!r) reply('superseded', { engine_runs: engineRuns });
        else if (r.unchanged) reply('unchanged', r);
        else reply('result', { result: r.result, parts: r.parts }, r.transfer);
        break;
      }
      case 'fetch': {
        const { parts, transfer } = fetchParts(msg);
        reply('parts', { parts }, transfer);
        break;
      }
      case 'stats':
        reply('stats', { stats: stats(msg) });
        break;
      case 'combined': {
        const matrix = resultCombined(engine, keptOf(msg).handle, msg.method, msg.layer + 1);
        reply('combined', { matrix }, [matrix.buffer]);
        break;
      }
      case 'syntax':
        startSyntax(msg, reply);  // answers later: its turns queue up behind other messages
        break;
      case 'syntax-sentence':
        reply('syntax-sentence', await sentenceChoices(engine, msg.sentence, msg.handle == null ? null : keptOf(msg).handle));
        break;
      case 'headmap': {  // head distances over the texts, then MDS (Clark et al.'s head map)
        const acc = engine.distances(modelFor(msg), { weighting: msg.weighting ?? 'attention' });
        try {
          msg.texts.forEach(([a, b], k) => {
            acc.add(a, b ?? null);
            if (k % 4 === 3 || k === msg.texts.length - 1)
              reply('progress', { stage: `head map: text ${k + 1} of ${msg.texts.length}`, fraction: (k + 1) / msg.texts.length });
          });
          reply('headmap', { map: acc.mds() });
        } finally {
          acc.free();
        }
        break;
      }
      case 'memory':
        reply('memory', { handles: engine.liveHandles(), wasm_bytes: engine.memoryBytes(),
          js_heap_bytes: self.performance?.memory?.usedJSHeapSize ?? null, kept: kept.size, models: models.size });
        break;
      default:
        throw new Error(`unknown message type ${msg.type}`);
    }
  } catch (e) {
    if (msg.type === 'run') answered(msg.channel ?? 'main', msg.id);
    reply('error', { error: failure(e) });
  }
}

// The test-only crashes (init's testHooks): 'trap' traps in the engine now, between a run's layers if one is under way (it
// then fails with the EngineCrashedError); 'throw' throws in the Worker's global scope (the Worker's 'error' event).
function crashForTest(msg) {
  const reply = (type, body = {}) => self.postMessage({ type, id: msg.id, ...body });
  if (!testHooks) {
    reply('error', { error: errorToJSON(new Error('crash-for-test is for tests: the client was not made with testHooks')) });
  } else if (msg.how === 'throw') {
    setTimeout(() => { throw new Error('crash-for-test: thrown in the engine Worker'); });
  } else {
    try {
      engine.trapForTest();
    } catch (e) {
      reply('error', { error: failure(e) });
    }
  }
}

// A run of the channel was answered (a result, its early layer, unchanged, an error): the channel has something to
// draw, and the wait starts again with the next newer run message, if there is one already.
function answered(channel, id) {
  if (newest.get(channel) === id) undrawnSince.delete(channel);
  else undrawnSince.set(channel, performance.now());
}
