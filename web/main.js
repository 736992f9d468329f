// The page's controller: state in one object, the engine in a Worker, a run per keystroke, the views
// (views/mount.js) updated with each run and each change of the state.
import { EngineClient } from './engine/client.js';
import { EngineCrashedError } from './engine/errors.js';
import { builtinModels, convertChosen, fetchModel, readChosenFiles } from './page/models.js';
import { HUB_ENDPOINT, hubIdText, parseHubId } from './page/hub.js';
import { loadHubModel } from './page/hub_load.js';
import { hubCatalog } from './page/catalog.js';
import { renderCached } from './page/cached_list.js';
import { registerServiceWorker } from './page/offline.js';
import { EXAMPLES } from './page/examples.js';
import { fromQuery, toQuery } from './page/share.js';
import { download, svgToPng, viewToSvg } from './page/export.js';
import { makeSnapshot, snapshotText } from './page/snapshot.js';
import { standaloneHtml } from './page/standalone.js';
import { listMove } from './views/keys.js';
import { headColour } from './views/palette.js';
import { ANALYSIS_VIEWS, mountViews } from './views/mount.js';
import { syntaxPage } from './page/syntax_page.js';

const $ = (id) => document.getElementById(id);
// ?test-crash on 127.0.0.1 (the tests' server) lets window.headlight.crashEngine() stop the engine Worker on purpose
// (tests/e2e/restart.test.mjs); nowhere else, and no text, link state or model reaches it.
const TEST_HOOKS = location.hostname === '127.0.0.1' && new URLSearchParams(location.search).has('test-crash');
const client = new EngineClient(undefined, { testHooks: TEST_HOOKS });

// Everything the drawing depends on (besides the engine's result) lives here.
const state = { view: 'head', layer: 0, selectedHeads: null, head: 0, filter: 'all', locked: null, token: 1, wordLevel: false, hideSpecial: false,
  weighting: 'attention', relation: 'all', method: 'rollout' };
let result = null;        // the engine's last result for the current text
let modelInfo = null;
// The loaded model's name as the picker shows it (the file, folder or built-in entry); a converted checkpoint's own
// meta.name is empty, so the status line, exports and snapshots fall back to this one.
let modelName = '';
let modelChoice = null;   // the picker entry of the loaded model: the picker returns to it when a new one fails
const modelTitle = () => modelInfo?.meta?.name || modelName || 'model';
let keyAt = 0;            // performance.now() of the keystroke the next drawing answers
// modelNote: where the current model's bytes came from, when there is something to say (models.js's onNote)
const debug = { state, latencyMs: [], drawMs: 0, get result() { return result; }, get shown() { return views.shown; }, get view() { return views.view; },
  runs: 0, partials: 0, unchanged: 0, engineRuns: 0, statsFetches: 0, modelNote: null, restarts: 0 };
window.headlight = debug;
// A run outside the page's own (tests compare attention paths with it): {gpu: 'on' | 'off' | 'auto', ...}.
// The drawn result with every tensor whole (fetched from the Worker's kept copy), for tests that read all of it.
debug.full = () => client.whole(result);
// The analyses of the drawn model and result, as the tabs get them (tests compare them with tools/analyze).
debug.syntax = () => client.syntax(null, { cacheKey: modelChoice });
debug.combined = (method, layer) => client.combined(result, method, layer);
// The engine Worker's memory and live handles (the soak test), and a crash on purpose (only with TEST_HOOKS).
debug.memory = () => client.memory();
debug.crashEngine = (how) => client.crashForTest(how);
debug.run = async (a, b = null, options = {}) => {
  const r = await client.run(a, b, { ...options, channel: 'debug' });
  debug.engineRuns = client.engineRuns;
  return r;
};

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}
// Not shown: an EngineCrashedError (the client's 'restart' event says what happened, below), and an error of a call on a
// result that a newer run replaced (superseded: engine/client.js; the newer run's result is on its way).
const showError = (e) => {
  if (!(e instanceof EngineCrashedError) && !e.superseded) setStatus(`${e.message}${e.hint ? `\n${e.hint}` : ''}`, true);
};

// A new engine Worker after one died (engine/client.js): the status says so, and the current text runs again; a model
// the client could not load again is loaded the way it was picked, if the page knows one (a folder converted again).
let restartNote = null;  // shown after each run's status until another model is picked
let firstLoadLost = null;  // the picker entry of a first model lost with the Worker that died: picked again after it
let firstLoadNote = null;  // the restart's note for that model, shown once it is loaded
client.addEventListener('restart', ({ detail: { reason, models, error } }) => {
  debug.restarts += 1;
  if (error) { setStatus(`The engine stopped (${reason}) and could not be started again: ${error.message}\n${error.hint}`, true); return; }
  if (!modelInfo) {  // the first model: loaded by a call that waited for the new Worker, or lost with the old one
    firstLoadNote = `The engine stopped (${reason}) while loading the model and was restarted`;
    if (firstLoadLost) { $('model').value = firstLoadLost; firstLoadLost = null; $('model').dispatchEvent(new Event('change')); }
    return;
  }
  const main = models.find((m) => m.key === 'main');
  const again = main?.info ? null : opened.get(modelChoice);
  if (!main?.info && !again) {
    setStatus(`The engine stopped (${reason}) and was restarted, but ${modelTitle()} could not be loaded again `
      + `(${main?.error ?? 'it was not loaded'}): pick or open a model.`, true);
    return;
  }
  const note = `The engine stopped (${reason}) and was restarted with ${modelTitle()}`;
  if (!again) {
    restartNote = note;
    setStatus(`${note}; running the text again…`);
    schedule(false);
    return;
  }
  useModel(modelChoice, again.name, again.load).then(() => { restartNote = note; }, showError);
});

function specials() {
  const t = modelInfo?.tokenizer ?? {};
  return [t.cls ?? '[CLS]', t.sep ?? '[SEP]'];
}

// The Syntax tab's table and the treebank sentence a head was opened on (drawn above the head view).
const syntax = syntaxPage({
  client,
  panel: $('syntax-sentence'),
  modelKey: () => modelChoice,
  show(sentence, patch) {
    $('a').value = sentence.text;
    $('b').value = '';
    Object.assign(state, patch);
    syncTabs();
    syncExample();
    schedule(false);
  },
});

// The views, each built once in #view and updated by draw(); their own controls change `state` in place.
const views = mountViews($('view'), {
  specials,
  noteClass: 'notice',
  onChange: () => { syncTabs(); syncUrl(); },
  needStats: () => fetchStats(),  // runs without the statistics are faster: fetched on first need, without a re-run
  fetch: (r, want) => client.fetch(r, want),  // more of a result the Worker keeps: another layer, view or toggle
  kinds: ANALYSIS_VIEWS,
  syntax: syntax.host,
  combined: (r, method, layer) => client.combined(r, method, layer),
  headMap: {
    // The head map runs every sample pair through the model: computed in the Worker once per (model, text).
    key: () => `${modelChoice}\u0000${$('a').value}\u0000${$('b').value}\u0000${state.weighting}`,
    async compute(progress) {
      const b = $('b').value.trim() === '' ? null : $('b').value;
      const pairs = [...await samplePairs(), [$('a').value, b]];
      progress(`Running the ${pairs.length - 1} built-in sentence pairs and your text through the model…`, 0);
      return client.headmap(pairs, progress, undefined, state.weighting);
    },
  },
});

function draw() {
  if (!result) return;
  const t0 = performance.now();
  views.render(result, state);
  syntax.render(result, state);
  $('special-note').hidden = !state.hideSpecial;
  $('weighting-note').hidden = state.weighting !== 'norm';
  syncUrl();
  debug.drawMs = performance.now() - t0;
  if (keyAt && result.newest !== false) {  // keystroke → drawn (its layer, or the whole run), up to the next frame
    const t0 = keyAt;
    keyAt = 0;
    requestAnimationFrame(() => debug.latencyMs.push(performance.now() - t0));
  }
}

// The built-in sample (data/sample_pairs.tsv, also readable by tools/analyze): [[a, b|null]].
let sampleCache = null;
async function samplePairs() {
  if (!sampleCache) {
    const res = await fetch('data/sample_pairs.tsv');
    if (!res.ok) throw new Error(`could not read data/sample_pairs.tsv: HTTP ${res.status}`);
    sampleCache = (await res.text()).split('\n').filter((l) => l.trim()).map((l) => { const [a, b] = l.split('\t'); return [a, b || null]; });
  }
  return sampleCache;
}

// The address bar always holds a link that restores what is on screen: modelLink is {model: a built-in id or URL},
// {hub: a hub id} or null (models opened from disk cannot be linked).
let modelLink = null;
function syncUrl() {
  const query = toQuery({ a: $('a').value, b: $('b').value, ...modelLink, state });
  history.replaceState(null, '', `${location.pathname}?${query}`);
}

// The Examples picker names the example on screen, or "your own text" once the text differs from every example (so
// picking the same example again restores it).
function syncExample() {
  const i = EXAMPLES.findIndex((ex) => ex.a === $('a').value && ex.b === $('b').value);
  $('examples').value = i < 0 ? '' : String(i);
}

// The view tabs follow the WAI-ARIA tabs pattern: one Tab stop (the selected tab), arrow keys, Home and End move and select.
function syncTabs() {
  for (const b of document.querySelectorAll('nav.views [role=tab]')) {
    b.setAttribute('aria-selected', String(b.dataset.view === state.view));
    b.tabIndex = b.dataset.view === state.view ? 0 : -1;
  }
  $('view').setAttribute('aria-labelledby', `tab-${state.view}`);
}

function tabKeys(e) {
  const tabs = [...document.querySelectorAll('nav.views [role=tab]')], i = tabs.indexOf(e.target);
  const j = listMove(e.key, i, tabs.length, { axis: 'horizontal', wrap: true });
  if (i < 0 || j < 0) return;
  e.preventDefault();
  selectView(tabs[j].dataset.view);
  tabs[j].focus();
}

function selectView(name) {
  state.view = name;
  syncTabs();
  draw();
}

function showMasks(r) {
  $('mlm').replaceChildren(...r.mlm.map((m) => {
    const p = document.createElement('p');
    p.className = 'mlm-row';
    p.append(`[MASK] (token ${m.position}): `);
    for (const x of m.predictions) {
      const s = document.createElement('span');
      s.className = 'mlm-pred';
      s.textContent = `${x.token} ${(100 * x.prob).toFixed(1)}%`;  // text, never HTML
      p.append(s);
    }
    return p;
  }));
}

function showTruncation(r) {
  const tr = r.truncation;
  const cut = tr.a_dropped || tr.b_dropped;
  $('notice').hidden = !cut;
  if (!cut) return;
  const last = (seg) => [...r.tokens].reverse().find((t) => t.segment === seg && t.start >= 0);
  const where = [[0, 'A', tr.a_dropped], [1, 'B', tr.b_dropped]].filter(([, , k]) => k > 0)
    .map(([seg, name, k]) => `sentence ${name} after “${last(seg)?.text ?? ''}” (character ${last(seg)?.stop ?? 0}; ${k} word pieces dropped)`);
  $('notice').textContent = `The text is longer than the model's ${modelInfo.config.max_position_embeddings - (modelInfo.config.position_offset ?? 0)} positions: cut in ${where.join(' and ')}.`;
}

// Where attention heads run: ?gpu=on (WebGPU, also on a software adapter), off (wasm), or auto (WebGPU for long inputs on
// a real GPU); see engine/worker.js.
const GPU_MODE = ['on', 'off', 'auto'].find((m) => m === new URLSearchParams(location.search).get('gpu')) ?? 'auto';

// The engine, for benchmarks and bug reports: ?engine=st|mt|st-relaxed|mt-relaxed (that build, no other), &threads=N,
// &int8_gemm=auto|headlight|xnnpack (headlight: the kernels a CPU without AVX-VNNI runs). Default: the best this browser runs.
const ENGINE = (() => {
  const q = new URLSearchParams(location.search);
  // threads from a link: a whole number from 1 to this machine's cores (more only queues threads behind each other).
  const cores = navigator.hardwareConcurrency || 1, asked = Number(q.get('threads'));
  return { build: q.get('engine'), int8Gemm: q.get('int8_gemm'),
    threads: Number.isInteger(asked) && asked >= 1 ? Math.min(asked, cores) : cores };
})();

// A run per keystroke, sent at once: the timeout only joins the input events of one task (a paste); the Worker keeps
// the newest of the runs that queue up (engine/worker.js), so typing needs no debounce here.
let timer = 0;
function schedule(fromKey = true) {
  if (fromKey && !keyAt) keyAt = performance.now();
  clearTimeout(timer);
  timer = setTimeout(async () => {
    try {
      const b = $('b').value.trim() === '' ? null : $('b').value;
      const r = await client.run($('a').value, b, { stats: Boolean(ANALYSIS_VIEWS[state.view]?.needsStats), gpu: GPU_MODE,
        norms: state.weighting === 'norm',
        ifChanged: result !== null, want: views.want(state, modelInfo.config.num_layers), onPartial: drawPartial });
      debug.engineRuns = client.engineRuns;
      if (!r) return;  // superseded by a newer keystroke
      if (r.unchanged) {  // the edit is past the cut (or only spacing): the drawing holds, the notice counts the new cut
        keyAt = 0;
        debug.unchanged += 1;
        result.truncation = r.truncation;
        showTruncation(result);
        syncUrl();
        return;
      }
      debug.runs += 1;
      adoptResult(r);
      const empty = r.tokens.every((t) => t.start < 0);  // nothing but [CLS]/[SEP]: the text had no word
      setStatus(`${modelTitle()}: ${r.n} tokens, ${r.layers} layers × ${r.heads_per_layer} heads, ` +
        `${r.timings_ms.total.toFixed(1)} ms (${engineNote}; attention: ${r.attention_path})` + (debug.modelNote ? `. ${debug.modelNote}` : '') +
        (restartNote ? `. ${restartNote}` : '') +
        (empty ? '. The text is empty: type a sentence to see what each head attends to.' : ''));
      showMasks(r);
      showTruncation(r);
      draw();
    } catch (e) {
      showError(e);
    }
  }, 0);
}

// A new result (or the viewed layer of a run still going: partial) becomes the one drawn; a locked token that may now be
// another one is unlocked.
function adoptResult(r) {
  if (result && (r.n !== result.n || r.tokens.some((t, i) => t.text !== result.tokens[i].text))) state.locked = null;
  result = r;
}

// The viewed layer, sent by the Worker as soon as the engine has computed it: drawn before the run ends.
function drawPartial(p) {
  if (p.layers !== modelInfo?.config.num_layers) return;  // a run of the model before this one
  adoptResult(p);
  debug.partials += 1;
  setStatus(`${modelTitle()}: ${p.n} tokens, layer ${p.layer} of ${p.layers} drawn; the later layers are running…`);
  showTruncation(p);
  draw();
}

// The shown result's statistics from the result the Worker kept: the text is not run again. When a newer run replaced it
// meanwhile, that run (made while a statistics view is open) brings its own.
let statsAskedFor = null;
async function fetchStats() {
  const r = result;
  if (!r || r.partial || statsAskedFor === r) return;  // a partial run: its final result asks again
  statsAskedFor = r;
  try {
    r.stats = await client.stats(r);
    debug.statsFetches += 1;
  } catch (e) {
    if (result === r) showError(e);
    return;
  }
  if (result === r) draw();
}

let engineNote = '';
// Loads a model with load() (→ its info) as picker entry `choice`; on failure the Worker and the picker stay on the model
// they had.
async function useModel(choice, name, load, note = null) {
  setStatus(`Preparing ${name}…`);
  const switching = modelInfo !== null;  // the first model keeps the state a shared link asked for
  try {
    modelInfo = await load();
  } catch (e) {
    $('model').value = modelChoice ?? '';
    if (!modelInfo && e instanceof EngineCrashedError) firstLoadLost = choice;
    throw e;
  }
  debug.modelNote = note;  // shown in the status line after each run
  restartNote = firstLoadNote;
  firstLoadNote = null;
  const [cls, sep] = specials();  // the toggles name this model's own special tokens and pieces
  $('special-names').textContent = `${cls}/${sep}`;
  $('special-hidden').textContent = `${cls} and ${sep}`;
  $('word-pieces').textContent = modelInfo.tokenizer?.kind === 'bpe' ? 'merge word pieces' : 'merge ## pieces';
  modelName = name;
  modelChoice = choice;
  $('model').value = choice;
  result = null;
  if (switching) Object.assign(state, { selectedHeads: null, locked: null });
  schedule(false);
}
// reload: () → the bytes again, for a new engine Worker if this one dies (engine/client.js)
const loadBytes = (bytes, name, choice, note = null, reload = null) =>
  useModel(choice, name, () => client.load(bytes, undefined, { reload, name }), note);

async function main() {
  try {
    registerServiceWorker();  // not awaited: the app's files are cached in the background, for offline use
    const ready = await client.init(ENGINE.threads, ENGINE);
    engineNote = (ready.variant.startsWith('mt') ? `${ready.threads} threads` : 'single thread') + (ready.relaxed_simd ? ', relaxed SIMD' : '')
      + (ENGINE.int8Gemm ? `, int8 GEMM: ${ENGINE.int8Gemm}` : '') + (ready.note ? `; ${ready.note}` : '');
    const { models, defaultId } = await builtinModels();
    siteCopies = models;
    const link = fromQuery(location.search);  // a shared link: text, model, view and drawing state
    const param = link.model;
    const builtin = models.some((m) => m.id === param);
    if (param && !builtin) models.unshift({ id: 'url', name: param, url: param });
    for (const m of models) $('model').append(new Option(m.name, m.id));
    const catalog = await hubCatalog().catch((e) => { console.warn(`headlight: no hub catalog (${e.message})`); return []; });
    const group = document.createElement('optgroup');
    group.label = 'From the Hugging Face hub (downloaded once, kept offline)';
    for (const m of catalog) group.append(Object.assign(new Option(m.label, `hub:${m.hubId}`), { title: m.description }));
    if (catalog.length) $('model').append(group);
    listCached();
    $('model').value = param ? (builtin ? param : 'url') : defaultId;
    if (link.a !== null) { $('a').value = link.a; $('b').value = link.b ?? ''; }
    Object.assign(state, link.state);
    $('word-level').checked = state.wordLevel;
    $('hide-special').checked = state.hideSpecial;
    syncTabs();
    const open = async (m) => {
      $('progress').hidden = false;
      setStatus(`Downloading ${m.name} (engine: ${engineNote})…`);
      let note = null;  // from the offline cache, or a corrupt cached copy downloaded again
      try {
        const bytes = await fetchModel(m, (f) => { $('progress').value = f; }, (text) => { note = text; });
        await loadBytes(bytes, m.name, m.id, note, () => fetchModel(m, () => {}));
      } catch (e) {
        $('model').value = modelChoice ?? '';  // a failed download: the picker shows the model in use
        throw e;
      } finally {
        $('progress').hidden = true;
      }
      modelLink = { model: m.id === 'url' ? m.url : m.id };
    };
    openSiteCopy = open;
    $('model').addEventListener('change', () => {
      const id = $('model').value;
      const o = opened.get(id);
      const hub = !o && id.startsWith('hub:') ? catalog.find((m) => `hub:${m.hubId}` === id) : null;
      const load = o ? useModel(id, o.name, o.load).then(() => { modelLink = o.link; })
        : hub ? openHub(hub.hubId, { expected: hub.expected })
          : open(models.find((m) => m.id === id));
      load.catch(showError);
    });
    for (const id of ['open-files', 'open-folder']) $(id).addEventListener('change', (e) => openFiles(e.target.files).catch(showError));
    $('hub-form').addEventListener('submit', (e) => { e.preventDefault(); openHub($('hub-id').value).catch(showError); });
    $('hub-cancel').addEventListener('click', () => hubDownload?.abort());
    $('examples').append(new Option('your own text', ''), ...EXAMPLES.map((ex, i) => new Option(ex.name, String(i))));
    syncExample();
    $('examples').addEventListener('change', () => {
      const ex = EXAMPLES[Number($('examples').value)];
      if (!ex) return;
      $('a').value = ex.a; $('b').value = ex.b;
      schedule();
    });
    for (const id of ['a', 'b']) $(id).addEventListener('input', () => { syncExample(); schedule(); });
    $('export-svg').addEventListener('click', () => {
      try { download(new Blob([exportView().svg], { type: 'image/svg+xml' }), exportName('svg')); } catch (e) { showError(e); }
    });
    $('export-png').addEventListener('click', () => svgToPng(exportView()).then((b) => download(b, exportName('png'))).catch(showError));
    $('export-snapshot').addEventListener('click', () => snapshot()
      .then((text) => download(new Blob([text], { type: 'application/json' }), exportName('json'))).catch(showError));
    $('export-html').addEventListener('click', () => standalone().then((html) => download(new Blob([html], { type: 'text/html' }), exportName('html')))
      .catch(showError));
    for (const b of document.querySelectorAll('nav.views [role=tab]')) {
      b.addEventListener('click', () => selectView(b.dataset.view));
      b.addEventListener('keydown', tabKeys);
    }
    $('word-level').addEventListener('change', (e) => { state.wordLevel = e.target.checked; state.locked = null; draw(); });
    $('hide-special').addEventListener('change', (e) => { state.hideSpecial = e.target.checked; state.locked = null; draw(); });
    $('weighting').value = state.weighting;
    $('weighting').addEventListener('change', (e) => { state.weighting = e.target.value; schedule(false); });  // runs again
    await open(models.find((m) => m.id === $('model').value));
    if (link.hub) {  // a shared hub link: the built-in model runs until the hub's one is converted (or if it fails)
      $('hub-id').value = link.hub;
      const linked = { ...link.state };
      await openHub(link.hub);
      Object.assign(state, linked);  // loading a second model resets the heads and the locked token: the link's win
    }
  } catch (e) {
    $('progress').hidden = true;
    showError(e);
  }
}

// The drawing as SVG/PNG, with a legend saying what it shows (model, view, layer, heads, text).
const VIEW_NAMES = { head: 'head view', model: 'model view', neuron: 'neuron view', matrix: 'attention matrix', patterns: 'patterns',
  layers: 'layer charts', headmap: 'head map', syntax: 'syntactic heads', rollout: 'attention rollout' };
function exportView() {
  if (!result) throw new Error('nothing drawn yet');
  const shownHeads = state.view === 'head' ? state.selectedHeads : ['neuron', 'matrix'].includes(state.view) ? [state.head]
    : state.view === 'model' ? Array.from({ length: result.heads_per_layer }, (_, h) => h) : [];
  const layer = ['head', 'neuron', 'matrix'].includes(state.view) ? ` · layer ${state.layer}` : '';
  const text = [$('a').value, $('b').value].filter((t) => t.trim()).map((t) => `“${t.length > 60 ? `${t.slice(0, 59)}…` : t}”`).join(' / ');
  return viewToSvg($('view'), {
    title: `${modelTitle()} · ${VIEW_NAMES[state.view]}${layer} · ${text}`,
    entries: shownHeads.map((h) => ({ label: `head ${h}`, colour: headColour(h) })),
  });
}
// Snapshot: the current text's tokens and attention (8 bits) with the drawing state; the component draws it model-free.
// No queries and keys (qk: false): for the neuron view alone they made Vig's pair on the built-in model 18 times larger
// (102 KB instead of 5.8 KB).
async function snapshot() {
  if (!result) throw new Error('nothing drawn yet');
  const [cls, sep] = specials();
  const view = { ...state, view: ['head', 'model', 'matrix'].includes(state.view) ? state.view : 'head' };  // the views it can draw
  return snapshotText(await makeSnapshot(await client.whole(result), { model: { name: modelTitle(), cls, sep },
    text: { a: $('a').value, b: $('b').value }, view, qk: false }));
}

// One HTML file: the component's bundle (built next to this page) and the snapshot, for opening from disk.
async function standalone() {
  const res = await fetch('headlight-attention.js');
  if (!res.ok) throw new Error(`could not read headlight-attention.js: HTTP ${res.status} (run \`npm run build\` or \`npm start\`)`);
  const text = [$('a').value, $('b').value].filter((t) => t.trim()).join(' / ');
  return standaloneHtml({ bundle: await res.text(), snapshot: await snapshot(),
    title: `${modelTitle()}: “${text.length > 80 ? `${text.slice(0, 79)}…` : text}”` });
}

const exportName = (ext) => `headlight-${state.view}${['head', 'neuron', 'matrix'].includes(state.view) ? `-L${state.layer}` : ''}.${ext}`;

// Models opened from disk or the hub: picker entry ('file:NAME', 'hub:ID') → {name, link, load: () => Promise<info>} (how
// to load it again when it is picked again: the kept bytes, the chosen files, or the hub model's cached copy).
const opened = new Map();

// Loads a model with load() as a new picker entry; the entry stays only if the model loads.
async function addModel(id, name, link, load, note = null) {
  const listed = $('model').querySelector(`option[value="${CSS.escape(id)}"]`);  // opened before, or in the catalog
  if (!listed) $('model').append(new Option(name, id));  // for useModel to select; removed if it fails
  try {
    await useModel(id, name, load, note);
  } catch (e) {
    if (!listed) $('model').querySelector(`option[value="${CSS.escape(id)}"]`)?.remove();
    throw e;
  }
  opened.set(id, { name, link, load });
  modelLink = link;
}

async function openFiles(files) {
  if (!files.length) return;
  const chosen = await readChosenFiles(files);
  if (chosen.kind === 'hlm') {
    const reload = async () => chosen.bytes.slice();  // the page keeps the file's bytes anyway (picked again)
    await addModel(`file:${chosen.name}`, chosen.name, null, () => client.load(chosen.bytes.slice(), undefined, { reload, name: chosen.name }));
    return;
  }
  const convert = () => withProgress(() => convertChosen(client, chosen, { onProgress: downloadProgress(chosen.name, 'Converting') }));
  await addModel(`file:${chosen.name}`, chosen.name, null, convert);
}

// A model by its hub id: from the offline cache, or its files from the hub (or ?hub_endpoint=, a mirror of it) converted in
// the Worker as they arrive. Cancel stops the download and leaves the model in use.
const HUB = new URLSearchParams(location.search).get('hub_endpoint') || HUB_ENDPOINT;
let hubDownload = null;  // the AbortController of the download under way
let siteCopies = [];     // the built-in models: a site built with `npm run build -- --model ID` lists its copy of ID
let openSiteCopy = null;  // main()'s loader of a built-in model
async function openHub(text, { expected = null } = {}) {
  const ref = parseHubId(text);
  const name = hubIdText(ref);
  const copy = siteCopies.find((m) => m.id === name);
  if (copy) return openSiteCopy(copy);  // this site's own converted copy: no hub needed
  hubDownload?.abort();
  const abort = hubDownload = new AbortController();
  $('hub-cancel').hidden = false;
  let note = null;
  const load = () => withProgress(async () => {
    const r = await loadHubModel(client, ref, { endpoint: HUB, expected, signal: abort.signal, onStage: (t) => setStatus(t),
      onProgress: downloadProgress(name, 'Downloading') });
    note = r.note;
    return r.info;
  });
  try {
    await addModel(`hub:${name}`, name, { hub: name }, load, null);
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
    setStatus(`Stopped downloading ${name}; the page goes on with ${modelTitle()}.`);
    return;
  } finally {
    $('hub-cancel').hidden = true;
    if (hubDownload === abort) hubDownload = null;
  }
  debug.modelNote = note;
  opened.get(`hub:${name}`).load = () => withProgress(async () => (await loadHubModel(client, ref, { endpoint: HUB })).info);
  listCached();
}

// The offline copies of hub models, with Delete buttons (a deleted model stays loaded until another is chosen).
function listCached() {
  renderCached($('cached')).catch((e) => console.warn(`headlight: could not list the cached models (${e.message})`));
}

// fn() with the progress bar shown (hidden again after).
async function withProgress(fn) {
  $('progress').hidden = false;
  $('progress').value = 0;
  try {
    return await fn();
  } finally {
    $('progress').hidden = true;
  }
}

// onProgress for a download (or a local conversion): the bar, and the bytes, speed and time left in the status line.
function downloadProgress(name, verb) {
  const t0 = performance.now();
  const mb = (n) => (n / 1e6).toFixed(1);
  return ({ file, loaded, total }) => {
    const s = (performance.now() - t0) / 1000, rate = s > 0 ? loaded / s : 0;
    if (total) $('progress').value = loaded / total;
    const left = total && rate > 0 ? `, ${Math.ceil((total - loaded) / rate)} s left` : '';
    setStatus(`${verb} ${name}: ${file} ${mb(loaded)}${total ? ` of ${mb(total)}` : ''} MB, ${mb(rate)} MB/s${left}`);
  };
}

main();
