// <headlight-attention>: a live attention diagram (or a saved snapshot) for any HTML page: one script tag, Shadow DOM,
// one engine Worker and one model download shared by every element, each starting when scrolled into view.
import { engine, loadModel, ROOT } from './pool.js';
import { EngineCrashedError } from '../engine/errors.js';
import { makeSnapshot, readSnapshot, snapshotText } from '../page/snapshot.js';
import { CORE_VIEWS, mountViews } from '../views/mount.js';
import { listMove } from '../views/keys.js';

/* global __HL_CSS__ */
const VIEW_CSS = typeof __HL_CSS__ !== 'undefined' ? __HL_CSS__ : null;  // the bundle inlines views/views.css
// The frame resets every inherited property (all: initial), so the host page's fonts and colours stay outside too.
const FRAME_CSS = `
:host { display: block !important; }
:host([hidden]) { display: none !important; }
.hl-frame { all: initial; display: flex; flex-direction: column; height: 100%; font: 13px/1.4 system-ui, sans-serif; color: #222;
  background: #fff; --muted: #5a5a5a; --line: #d8d8d8; --accent: #0072B2; }
.hl-status { margin: 0 0 4.8px; color: var(--muted); font-size: 12px; min-height: 1.2em; }
.hl-status.hl-error { color: #b00020; white-space: pre-wrap; }
.hl-body { flex: 1 1 auto; min-height: 0; overflow: auto; position: relative; }
.hl-picker { font-size: 12px; }
.hl-note { background: #fff4d6; padding: 4.8px 8px; border-radius: 4px; margin: 4.8px 0; font-size: 12px; }
.hl-tabs { display: flex; flex-wrap: wrap; gap: 3px; margin: 0 0 4.8px; border-bottom: 1px solid var(--line); }
.hl-tabs[hidden] { display: none; }
.hl-tab { font: inherit; font-size: 12px; color: var(--muted); padding: 2.4px 9.6px; margin: 0 0 -1px; border: 1px solid var(--line);
  border-bottom: none; border-radius: 4px 4px 0 0; background: #f5f5f5; cursor: pointer; }
.hl-tab[aria-selected=true] { background: #fff; border-color: var(--accent); color: var(--accent); font-weight: 600; }
.hl-tab:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }`;

let sheet = null;  // one constructed sheet, shared by every element's shadow root
function shadowSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(FRAME_CSS + (VIEW_CSS ?? ''));
  }
  return sheet;
}

const VIEWS = Object.keys(CORE_VIEWS);  // head, model, neuron, matrix
const TAB_NAMES = { head: 'Head view', model: 'Model view', neuron: 'Neuron view', matrix: 'Matrix' };
const ATTRS = ['sentence-a', 'sentence-b', 'model', 'view', 'layer', 'heads', 'token', 'height', 'snapshot', 'tabs'];
const DEFAULTS = { view: 'head', layer: 0, selectedHeads: null, head: 0, filter: 'all', locked: null, token: 1, wordLevel: false, hideSpecial: false };
let channels = 0;

const int = (s) => (/^\s*\d{1,4}\s*$/.test(s ?? '') ? Number(s) : undefined);

export class HeadlightAttention extends HTMLElement {
  static get observedAttributes() { return ATTRS; }

  #frame; #status; #tabs; #tabNote; #body;
  #observer = null;
  #started = false;
  #gen = 0;                 // bumped by each (re)load: a slower older load must not draw over a newer one
  #channel = `el${++channels}`;
  #source = null;           // {kind: 'snapshot', snap} | {kind: 'live', model: {key, info, name}}
  #result = null;           // what is drawn before the word/special toggles: a snapshot's data or the engine's result
  #state = { ...DEFAULTS };
  #views;                   // the views, each built once in the body (views/mount.js)
  #phase = 'idle';          // idle → loading → ready | error
  #watched = null;          // the shared client while this element listens for its 'restart' (#restarted)
  #restartNote = '';        // what the status adds after the engine Worker was restarted

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    // An adopted stylesheet, not a <style> element: a host's Content-Security-Policy without 'unsafe-inline' in
    // style-src refuses <style> in a shadow root but does not govern constructed sheets (docs/embedding.md#headers).
    root.adoptedStyleSheets = [shadowSheet()];
    if (!VIEW_CSS) {  // unbundled (development): the views' stylesheet from the page's folder
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = new URL('views/views.css', ROOT).href;
      root.append(link);
    }
    this.#frame = document.createElement('div');
    this.#frame.className = 'hl-frame';
    this.#status = document.createElement('p');
    this.#status.className = 'hl-status';
    this.#status.setAttribute('role', 'status');
    this.#tabs = document.createElement('div');  // the view tabs, with the tabs attribute (#syncTabs)
    this.#tabs.className = 'hl-tabs';
    this.#tabs.setAttribute('role', 'tablist');
    this.#tabs.setAttribute('aria-label', 'views');
    this.#tabs.hidden = true;
    this.#tabs.addEventListener('keydown', (e) => this.#tabKeys(e));
    this.#tabNote = document.createElement('p');  // what the tabs attribute names that is not a view
    this.#tabNote.className = 'hl-note';
    this.#tabNote.hidden = true;
    this.#body = document.createElement('div');
    this.#body.className = 'hl-body';
    this.#frame.append(this.#status, this.#tabs, this.#tabNote, this.#body);
    root.append(this.#frame);
    this.#views = mountViews(this.#body, { specials: () => { const m = this.#names(); return [m.cls, m.sep]; }, noteClass: 'hl-note',
      fetch: async (r, want) => (await engine()).fetch(r, want) });  // more of a live result the Worker keeps
  }

  /** 'idle' (waiting to be scrolled into view), 'loading', 'ready' or 'error'. */
  get status() { return this.#phase; }
  /** The drawn data ({n, layers, heads_per_layer, tokens, attention}: a snapshot's whole arrays, or, live, Layers of what
   *  the engine Worker handed over: data/attention_data.js) and the view's handle (tests, scripts). */
  get data() { return this.#result; }
  get view() { return this.#views.view; }
  get state() { return structuredClone(this.#state); }

  /** The current drawing as a snapshot file's text (see page/snapshot.js): a live one's attention, as the page's
   *  Snapshot button saves it; a snapshot's with its queries and keys where it has them. */
  async exportSnapshot() {
    if (!this.#result) throw new Error('nothing is drawn yet');
    const live = this.#source?.kind === 'live';
    const whole = live ? await (await engine()).whole(this.#result) : this.#result;
    // A snapshot's own text: its element has no sentence attributes, and the text would be lost on the way round.
    const text = live ? this.#text() : this.#source.snap.text;
    return snapshotText(await makeSnapshot(whole, { model: this.#names(), text, view: this.#state, qk: !live }));
  }

  connectedCallback() {
    this.#applyHeight();
    if (this.#started && this.#source?.kind === 'live') engine().then((c) => this.#watch(c), (e) => this.#fail(e, this.#gen));
    if (this.#started || this.#observer) return;
    if (!('IntersectionObserver' in window)) { this.#start(); return; }
    this.#setStatus('Headlight starts when it is scrolled into view.');
    this.#observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      this.#observer.disconnect();
      this.#observer = null;
      this.#start();
    }, { rootMargin: '200px' });
    this.#observer.observe(this);
  }

  disconnectedCallback() {
    this.#observer?.disconnect();
    this.#observer = null;
    this.#watched?.removeEventListener('restart', this.#restarted);  // a removed element keeps no listener
    this.#watched = null;
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === 'height') { this.#applyHeight(); return; }
    if (name === 'tabs') this.#syncTabs();
    if (!this.#started) return;
    if (name === 'snapshot' || name === 'model') { this.#restartNote = ''; this.#load(); }
    else if (name === 'sentence-a' || name === 'sentence-b') { if (this.#source?.kind === 'live') this.#run(this.#gen); }
    else if (name !== 'tabs') { this.#state = this.#fromAttributes(this.#state); this.#draw(); }
  }

  #start() {
    this.#started = true;
    this.#load();
  }

  #setStatus(text, error = false) {
    this.#status.textContent = text;  // text, never HTML
    this.#status.classList.toggle('hl-error', error);
  }

  #fail(e, gen) {
    if (gen !== this.#gen || e instanceof EngineCrashedError) return;  // a crash: #restarted follows
    this.#phase = 'error';
    this.#setStatus(`Headlight: ${e.message}${e.hint ? `\n${e.hint}` : ''}`, true);
    this.dispatchEvent(new CustomEvent('headlight-error', { detail: { message: e.message } }));
  }

  #applyHeight() {
    const h = this.getAttribute('height');
    this.#frame.style.height = h === null ? '' : /^\d+(\.\d+)?$/.test(h.trim()) ? `${h.trim()}px` : h;
  }

  #text() { return { a: this.getAttribute('sentence-a') ?? '', b: this.getAttribute('sentence-b') ?? '' }; }

  // The model's name and special tokens: a snapshot's, or the loaded model's.
  #names() {
    if (this.#source?.kind === 'snapshot') return this.#source.snap.model;
    const t = this.#source?.model?.info?.tokenizer ?? {};
    return { name: this.#source?.model?.name ?? 'model', cls: t.cls ?? '[CLS]', sep: t.sep ?? '[SEP]' };
  }

  // The drawing state from the attributes, over `base` (defaults, or what a snapshot was saved with).
  #fromAttributes(base) {
    const s = { ...base };
    const view = this.getAttribute('view');
    if (VIEWS.includes(view)) s.view = view;
    if (int(this.getAttribute('layer')) !== undefined) s.layer = int(this.getAttribute('layer'));
    const heads = this.getAttribute('heads');
    if (heads === 'all') s.selectedHeads = null;
    else if (heads !== null) {
      const hs = heads.split(',').map(int);
      if (hs.every((h) => h !== undefined)) { s.selectedHeads = [...new Set(hs)].sort((x, y) => x - y); s.head = s.selectedHeads[0] ?? 0; }
    }
    const token = int(this.getAttribute('token'));
    if (token !== undefined) { s.token = token; s.locked = { side: 'left', index: token }; }
    return s;
  }

  async #load() {
    const gen = ++this.#gen;
    this.#phase = 'loading';
    const inline = this.querySelector(':scope > script[type="application/json"]');
    const url = this.getAttribute('snapshot');
    try {
      if (inline || url) {
        this.#setStatus('Reading the snapshot…');
        let text = inline?.textContent;
        if (!inline) {
          const res = await fetch(new URL(url, document.baseURI));
          if (!res.ok) throw new Error(`could not read the snapshot ${url}: HTTP ${res.status}`);
          text = await res.text();
        }
        const snap = await readSnapshot(text);
        if (gen !== this.#gen) return;
        this.#source = { kind: 'snapshot', snap };
        this.#result = snap.data;
        this.#state = this.#fromAttributes({ ...DEFAULTS, ...snap.view });
        this.#draw();
        this.#ready(`${snap.model.name} · ${snap.data.n} tokens · snapshot (attention to 8 bits; no model loaded)`);
      } else {
        this.#setStatus('Loading the engine…');
        this.#watch(await engine());
        const model = await loadModel(this.getAttribute('model') ?? '',
          (f) => { if (gen === this.#gen) this.#setStatus(f < 1 ? `Downloading the model… ${Math.round(100 * f)}%` : 'Preparing the model…'); },
          this.hasAttribute('hub-endpoint') ? { hubEndpoint: this.getAttribute('hub-endpoint') } : {});
        if (gen !== this.#gen) return;
        this.#source = { kind: 'live', model };
        this.#state = this.#fromAttributes(DEFAULTS);
        await this.#run(gen);
      }
    } catch (e) {
      this.#fail(e, gen);
    }
  }

  async #run(gen) {
    const { a, b } = this.#text();
    const { model } = this.#source;
    try {
      if (!a.trim()) throw new Error('the sentence-a attribute is empty: give the element a sentence to show');
      const c = await engine();
      const r = await c.run(a, b.trim() ? b : null, { key: model.key, channel: this.#channel,
        want: this.#views.want(this.#state, model.info.config.num_layers) });
      if (!r || gen !== this.#gen) return;  // superseded by a newer text or model
      if (this.#result && (r.n !== this.#result.n)) this.#state.locked = this.#fromAttributes(DEFAULTS).locked;
      this.#result = r;
      this.#draw();
      const cut = r.truncation.a_dropped + r.truncation.b_dropped;
      this.#ready(`${model.name} · ${r.n} tokens · ${r.timings_ms.total.toFixed(0)} ms in your browser` +
        (cut ? ` · ${cut} word pieces past the model's ${model.info.config.max_position_embeddings - (model.info.config.position_offset ?? 0)} positions cut` : ''));
    } catch (e) {
      this.#fail(e, gen);
    }
  }

  // The shared engine Worker died and a new one was started (engine/client.js): this element's model comes back from the
  // pool (loaded again by the client, or downloaded again) and its text runs again.
  #restarted = ({ detail: { reason, error } }) => {
    if (!this.#started || this.#source?.kind === 'snapshot') return;
    if (error) { this.#fail(error, this.#gen); return; }
    this.#restartNote = `the engine stopped (${reason}) and was restarted`;
    this.#load();
  };

  #watch(client) {
    if (this.#watched === client) return;
    this.#watched = client;
    client.addEventListener('restart', this.#restarted);
  }

  #ready(text) {
    this.#phase = 'ready';
    if (this.#restartNote) text += ` · ${this.#restartNote} with ${this.#names().name}`;
    this.#setStatus(text);
    this.dispatchEvent(new CustomEvent('headlight-ready'));
  }

  #draw() {
    this.#views.render(this.#result, this.#state);
    this.#syncTabs();
  }

  // What the tabs attribute asks for ('head,matrix' or 'all'): {views: those to show, in its order, less the neuron view
  // where the data has no queries and keys (a snapshot without them; a live model always has them), unknown: the names
  // that are no view}. null without the attribute, or with an empty one.
  #tabList() {
    const attr = this.getAttribute('tabs')?.trim();
    if (!attr) return null;
    const asked = attr === 'all' ? VIEWS : [...new Set(attr.split(',').map((t) => t.trim()).filter(Boolean))];
    const qk = this.#source?.kind === 'live' || Boolean(this.#result?.queries && this.#result?.keys);
    return { views: asked.filter((v) => VIEWS.includes(v) && (v !== 'neuron' || qk)), unknown: asked.filter((v) => !VIEWS.includes(v)) };
  }

  // The tab row (WAI-ARIA tabs: one Tab stop, the selected tab): rebuilt when its views change, else only reselected.
  // The selected tab is the view drawn: the head view where the neuron view cannot be (views/mount.js says why).
  #syncTabs() {
    const list = this.#tabList();
    const unknown = list?.unknown ?? [];
    this.#tabNote.textContent = unknown.length  // text, never HTML
      ? `tabs: ${unknown.map((v) => `“${v}”`).join(', ')} ${unknown.length > 1 ? 'are not views' : 'is not a view'}: use ${VIEWS.join(', ')} or all.` : '';
    this.#tabNote.hidden = !unknown.length;
    this.#tabs.hidden = !list?.views.length;
    if (this.#tabs.hidden) {
      this.#body.removeAttribute('role');
      this.#body.removeAttribute('aria-labelledby');
      return;
    }
    if (list.views.join() !== [...this.#tabs.children].map((b) => b.dataset.view).join()) {
      this.#tabs.replaceChildren(...list.views.map((v) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'hl-tab';
        b.id = `hl-tab-${v}`;
        b.dataset.view = v;
        b.setAttribute('role', 'tab');
        b.setAttribute('aria-controls', 'hl-body');
        b.textContent = TAB_NAMES[v];  // text, never HTML
        b.addEventListener('click', () => this.#selectView(v));
        return b;
      }));
    }
    const r = this.#result;
    const shown = this.#state.view === 'neuron' && r && !(r.queries && r.keys) ? 'head' : this.#state.view;
    const tabs = [...this.#tabs.children];
    const stop = tabs.find((b) => b.dataset.view === shown) ?? tabs[0];
    for (const b of tabs) {
      b.setAttribute('aria-selected', String(b.dataset.view === shown));
      b.tabIndex = b === stop ? 0 : -1;
    }
    this.#body.id = 'hl-body';
    this.#body.setAttribute('role', 'tabpanel');
    if (stop.dataset.view === shown) this.#body.setAttribute('aria-labelledby', stop.id);
    else this.#body.removeAttribute('aria-labelledby');
  }

  #selectView(view) {
    this.#state.view = view;
    if (this.#result) this.#draw();
    else this.#syncTabs();
  }

  // ←/→ (around the ends), Home and End move to a tab and select it.
  #tabKeys(e) {
    const tabs = [...this.#tabs.children], i = tabs.indexOf(e.target);
    const j = listMove(e.key, i, tabs.length, { axis: 'horizontal', wrap: true });
    if (i < 0 || j < 0) return;
    e.preventDefault();
    this.#selectView(tabs[j].dataset.view);
    tabs[j].focus();
  }
}

if (!customElements.get('headlight-attention')) customElements.define('headlight-attention', HeadlightAttention);
