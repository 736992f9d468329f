// Chooses the view the drawing state asks for and builds each view once, for the page (main.js) and <headlight-attention>:
// a new text or model, another layer, head, token, toggle or tab calls the view's update(); a tab switch detaches the
// previous view's element and re-attaches the kept one.
import { Layers, hasLayer, toggled } from '../data/attention_data.js';
import { fitState, picker } from './picker.js';
import { headView } from './head_view.js';
import { modelView } from './model_view.js';
import { neuronView } from './neuron_view.js';
import { matrixView } from './matrix_view.js';
import { patternsView } from './patterns_view.js';
import { layerCharts } from './layer_charts.js';
import { headMap } from './head_map.js';
import { syntaxView } from './syntax_view.js';
import { rolloutView } from './rollout_view.js';

// A kind of view: build(box, ctx) draws it into `box` (a div kept for it) and returns {handle (what the view function
// returned), update(ctx)}; ctx = {result (the engine's), shown (after the word/special toggles), state, specials, act, host}.
// needsStats: it draws result.stats (the per-head statistics, computed only when asked for). draws: what it reads of a
// result the engine Worker keeps ('layer': state.layer's attention, 'layer+qk': and its queries and keys, 'thumbnails':
// every head pooled for the model view); the rest stays in the Worker.

/** The model view's thumbnails are pooled to at most this many cells a side (it draws them 36 to 120 px wide). */
export const THUMBNAIL_SIDE = 128;

const NEURON_VALUE = (s) => ({ layer: s.layer, head: s.head, token: s.token });
const HEAD_VALUE = (s) => ({ layer: s.layer, head: s.head });

/** The views every host offers: head, model, neuron and matrix. */
export const CORE_VIEWS = {
  head: {
    draws: 'layer',
    build(box, ctx) {
      const value = (s) => ({ layer: s.layer, selectedHeads: s.selectedHeads, filter: s.filter, locked: s.locked });
      const view = headView(box, ctx.shown, { ...value(ctx.state), onChange: ctx.act.headChanged });
      return { handle: view, update: (c) => view.update(value(c.state), c.shown) };
    },
  },
  model: {
    draws: 'thumbnails',
    build(box, ctx) {
      const value = (s) => ({ selected: { layer: s.layer, head: s.head } });
      const view = modelView(box, ctx.shown, { ...value(ctx.state), onSelect: ctx.act.select });
      return { handle: view, update: (c) => view.update(value(c.state), c.shown) };
    },
  },
  // q and k belong to tokens: the neuron view always draws the engine's result, whatever the toggles.
  neuron: {
    draws: 'layer+qk',
    build(box, ctx) {
      const bar = picker(box, ctx.result, { ...NEURON_VALUE(ctx.state), onPick: ctx.act.pick });
      const view = neuronView(box, ctx.result, { ...NEURON_VALUE(ctx.state), onSelectToken: (j) => ctx.act.set({ token: j }) });
      return {
        handle: view,
        update(c) { bar.update(NEURON_VALUE(c.state), c.result); view.update(NEURON_VALUE(c.state), c.result); },
      };
    },
  },
  matrix: {
    draws: 'layer',
    build(box, ctx) {
      const bar = picker(box, ctx.shown, { ...HEAD_VALUE(ctx.state), onPick: ctx.act.pick });
      const view = matrixView(box, ctx.shown, HEAD_VALUE(ctx.state));
      return { handle: view, update(c) { bar.update(HEAD_VALUE(c.state), c.shown); view.update(HEAD_VALUE(c.state), c.shown); } };
    },
  },
};

/**
 * The page's analysis views: patterns and layer charts (from result.stats); the head map, which needs host.headMap =
 * {key() (the text and model it would be computed for), compute(progress(text, fraction)) → Promise<map>}; the
 * syntactic heads, which need host.syntax = {key() (the model), compute(progress) → Promise<table>, open(relation,
 * direction, layer, head)}; rollout and flow, which need host.combined(result, method, layer) → Promise<[n][n]>.
 */
export const ANALYSIS_VIEWS = {
  patterns: {
    needsStats: true,
    build(box, ctx) {
      const view = patternsView(box, ctx.result, { onOpen: ctx.act.open });
      return { handle: view, update: (c) => view.update({}, c.result) };
    },
  },
  layers: {
    needsStats: true,
    build(box, ctx) {
      const view = layerCharts(box, ctx.result, { onOpen: (l, h) => ctx.act.open(l, h, null) });
      return { handle: view, update: (c) => view.update({}, c.result) };
    },
  },
  headmap: { build: headMapSlot },
  syntax: { build: syntaxSlot },
  rollout: { build: rolloutSlot },
};

// A computation shown in a slot: a note and a progress bar while it runs, then draw(value, ctx) (value null: the same
// value again, for a new ctx). Computed once per key, one at a time; a key that changes meanwhile is computed when the
// running one ends (or fails), and `newer` says so meanwhile. Returns update(ctx).
function computedSlot(box, { key, compute, draw, failed, starting, newer }) {
  const note = box.appendChild(document.createElement('p'));
  const bar = box.appendChild(document.createElement('progress'));
  bar.max = 1;
  note.hidden = bar.hidden = true;
  let drawnKey = null, computing = null, latest = null;  // computing: the key of the computation under way
  const progress = (text, fraction) => { note.textContent = text; bar.value = fraction ?? 0; };
  return async function update(c) {
    latest = c;
    const k = key(c);
    if (k === drawnKey || k === computing) { if (k === drawnKey) draw(null, c); return; }
    if (computing !== null) { progress(newer, 0); return; }
    computing = k;
    note.hidden = bar.hidden = false;
    progress(starting, 0);
    let value;
    try {
      value = await compute(c, progress);
    } catch (e) {
      computing = null;
      note.textContent = failed(e);
      bar.hidden = true;
      if (key(latest) !== k && box.isConnected) update(latest);  // e.g. the model changed under it: the new one's
      return;
    }
    computing = null;
    note.hidden = bar.hidden = true;
    drawnKey = k;
    draw(value, c);
    if (key(latest) !== k && box.isConnected) update(latest);  // the key changed while it computed
  };
}

// The syntactic-head table of the model, computed in the Worker over the treebank (kept per model there).
function syntaxSlot(box, ctx) {
  let view = null, table = null;
  const update = computedSlot(box, {
    key: (c) => c.host.syntax.key(),
    compute: (c, progress) => c.host.syntax.compute(progress),
    failed: (e) => `The syntactic heads could not be computed: ${e.message}`,
    starting: 'Starting…',
    newer: 'Computing the table for the new model next…',
    draw(value, c) {
      if (value) table = value;
      const options = { relation: c.state.relation ?? 'all', onPick: (relation) => c.act.set({ relation }),
        onOpen: (...args) => c.host.syntax.open(...args) };
      if (view) view.update(options, table);
      else view = syntaxView(plot, table, options);
    },
  });
  const plot = box.appendChild(document.createElement('div'));
  update(ctx);
  return { get handle() { return view; }, update };
}

// Rollout or flow of the shown result up to state.layer, fetched from the Worker's kept result.
function rolloutSlot(box, ctx) {
  const plot = box.appendChild(document.createElement('div'));
  let view = null;
  const method = (c) => c.state.method ?? 'rollout';
  const key = (c) => [c.result.handle, method(c), c.state.layer];
  let shownKey = null;
  async function update(c) {
    if (c.result.partial || c.result.handle === undefined) return;  // its kept result comes with the run's end
    const k = JSON.stringify(key(c));
    if (k === shownKey) return;
    shownKey = k;
    let matrix = null, message = null;
    try {
      matrix = await c.host.combined(c.result, method(c), c.state.layer);
    } catch (e) {
      if (e.superseded) return;  // a newer run on its channel replaced the Worker's copy: its result is drawn next
      message = e.message;
    }
    if (shownKey !== k) return;  // a newer text, layer or method came meanwhile
    const data = { tokens: c.result.tokens, matrix, method: method(c), layer: c.state.layer, layers: c.result.layers };
    const options = { message, onMethod: (m) => c.act.set({ method: m }), onLayer: (layer) => c.act.set({ layer }) };
    if (view) view.update(options, data);
    else view = rolloutView(plot, data, options);
  }
  update(ctx);
  return { get handle() { return view; }, update };
}

// The head map over the host's sample and text, computed once per key, drawn into one headMap view.
function headMapSlot(box, ctx) {
  let view = null;
  const update = computedSlot(box, {
    key: (c) => c.host.headMap.key(),
    compute: (c, progress) => c.host.headMap.compute(progress),
    failed: (e) => `The head map could not be computed: ${e.message}`,
    starting: 'Reading the built-in sample…',
    newer: 'Updating the head map for the new text…',
    draw(map, c) {
      if (!map) return;  // the map drawn is this key's
      const options = { labels: map.aggregate.per_head.map((h) => h.dominant), onOpen: (l, h) => c.act.open(l, h, null) };
      if (view) view.update(options, map);
      else view = headMap(plot, map, options);
    },
  });
  const plot = box.appendChild(document.createElement('div'));
  update(ctx);
  return { get handle() { return view; }, update };
}

/**
 * container: the element the views go in; host: {specials() → [CLS text, SEP text] (null for a token the model does not
 * have), noteClass (the class of the notices above a view), onChange() (after a view's own control changed the state),
 * needStats() (a statistics view is asked for and the result has none: the host fetches them), fetch(result, want) →
 * Promise (more of a result the engine Worker keeps: engine/client.js's fetch), kinds (more views by name, e.g.
 * ANALYSIS_VIEWS), headMap (see ANALYSIS_VIEWS)}.
 * Returns {render(result, state), want(state, layers) (what a run should hand over for the view the state shows), view
 * (the shown view's handle, or null), shown (result after the toggles)}; render() keeps state's indices inside the data
 * (fitState) and the views' controls change `state` in place.
 */
export function mountViews(container, host) {
  const kinds = { ...CORE_VIEWS, ...host.kinds };
  const note = container.appendChild(document.createElement('p'));
  note.className = host.noteClass ?? 'hl-note';
  note.hidden = true;
  const wait = container.appendChild(document.createElement('p'));
  wait.hidden = true;
  const slots = new Map();  // view name → {box, handle, update(ctx)}, each built on its first showing
  let result = null, state = null, current = null;
  let memo = null;          // {key, shown}: toggled() of the last result and toggles
  let last = null;          // {name, shown, state}: what the shown view last drew

  const act = {
    set(patch) { Object.assign(state, patch); render(result, state); host.onChange?.(); },
    pick: (key, v) => act.set(key === 'head' ? { head: v, selectedHeads: [v] } : { [key]: v }),
    // the head view redrew itself (or, for a layer not fetched yet, waits for render() to bring it): the state follows it
    headChanged(next) {
      Object.assign(state, next);
      if (next.selectedHeads.length === 1) state.head = next.selectedHeads[0];
      if (!hasLayer(transformed(host.specials()), state.layer)) render(result, state);
      host.onChange?.();
    },
    select: (layer, head) => act.set({ view: 'head', layer, head, selectedHeads: [head], locked: null }),
    // from an analysis: one head, every pair, the token that shows it best locked when the drawing is token-level
    open: (layer, head, locked) => act.set({ view: 'head', layer, head, selectedHeads: [head], filter: 'all',
      locked: state.wordLevel || state.hideSpecial ? null : locked }),
  };

  // A version-1 snapshot's tokens have no word index: its drawing stays at word pieces.
  const hasWords = () => result.tokens.every((t) => Number.isInteger(t.word));
  const toggles = (s, specials) => ({ wordLevel: s.wordLevel && (!result || hasWords()), hideSpecial: s.hideSpecial, specials });
  const togglesKey = (t) => [t.wordLevel, t.hideSpecial, ...t.specials].join('\u0000');
  const thumbnailsKey = (t) => `${togglesKey(t)}\u0000${THUMBNAIL_SIDE}`;
  // What a view that `draws` reads (see CORE_VIEWS) asks the Worker for (engine/client.js's `want`), for toggles t.
  const wantFor = (draws, t, layer) => (draws === 'thumbnails'
    ? { thumbnails: { key: thumbnailsKey(t), maxSide: THUMBNAIL_SIDE, ...t } } : { layers: [layer], qk: draws === 'layer+qk' });
  // The toggled data, with the model view's pooled thumbnails for these toggles where the Worker handed them over.
  function transformed(specials) {
    const t = toggles(state, specials), key = togglesKey(t);
    const pooled = result.pooled?.get(thumbnailsKey(t));
    if (memo?.result !== result || memo.key !== key || memo.pooled !== pooled) {
      const shown = memo?.result === result && memo.key === key ? memo.plain : toggled(result, t, specials);
      memo = { result, key, pooled, plain: shown, shown: pooled ? { ...shown, thumbnails: pooled } : shown };
    }
    return memo.shown;
  }

  // What view `name` draws that this result does not hold yet (a `want` for host.fetch: see engine/client.js), or null.
  function missing(name, specials) {
    const draws = kinds[name].draws;
    if (!draws || !(result.attention instanceof Layers)) return null;  // whole data (a snapshot) holds everything
    const t = toggles(state, specials);
    const has = draws === 'thumbnails' ? result.pooled?.has(thumbnailsKey(t)) : hasLayer(result, state.layer, { qk: draws === 'layer+qk' });
    return has ? null : wantFor(draws, t, state.layer);
  }

  // Fetches what is missing, then renders again (unless a newer result came meanwhile); one fetch per result and want.
  let fetching = null;
  function fetchMissing(want) {
    const key = JSON.stringify(want);
    if (fetching?.result === result && fetching.key === key) return;
    const r = result;
    fetching = { result: r, key };
    host.fetch(r, want).then(() => {
      if (fetching?.result === r && fetching.key === key) fetching = null;
      if (result === r) render(result, state);
    }, (e) => {
      // superseded: a newer run on its channel replaced the Worker's copy; that run's result is on its way
      if (result === r && !e.superseded) notice(note, `This part of the result could not be fetched: ${e.message}`);
    });
  }

  function show(slot) {
    if (current === slot) return;
    current?.box.remove();
    current = slot;
    if (slot) container.append(slot.box);
  }

  function notice(el, text) {
    el.textContent = text ?? '';
    el.hidden = !text;
  }

  function render(r, s) {
    result = r;
    state = s;
    if (!result) return;
    const specials = host.specials();
    const shown = transformed(specials);
    fitState(state, shown, result);
    let name = state.view, text = null;
    if (!kinds[name]) [name, text] = ['head', `The ${name} view is not available here: this is the head view.`];
    else if (name === 'neuron' && !(result.queries && result.keys)) {
      [name, text] = ['head', 'The neuron view needs the queries and keys, which this snapshot does not hold: this is the head view.'];
    } else if (name === 'neuron' && (state.wordLevel || state.hideSpecial)) {
      const named = specials.filter((t) => typeof t === 'string');  // a model without special tokens names none (null)
      text = `The neuron view always shows word pieces${named.length ? ` and ${named.join('/')}` : ''}: q and k belong to tokens.`;
    } else if (state.wordLevel && !hasWords()) {
      text = 'This snapshot was made before words were recorded (version 1): it shows word pieces.';
    }
    notice(note, text);
    const kind = kinds[name];
    if (kind.needsStats && !result.stats) {
      show(null);
      notice(wait, 'Computing the statistics…');  // runs without them are faster: fetched on first need
      host.needStats();
      return;
    }
    const want = missing(name, specials);
    if (want) {  // the view keeps its drawing until the part arrives (a few ms: it is copied out of the Worker's result)
      if (!slots.has(name)) { show(null); notice(wait, 'Fetching the attention from the engine…'); }
      if (!result.partial) fetchMissing(want);  // a run still going: its result brings what it was asked for
      return;
    }
    notice(wait, null);
    const ctx = { result, shown, state, specials, act, host };
    const slot = slots.get(name);
    // A view of one layer already showing this data and state is not drawn again (a run's result completing the
    // partial one it drew first: engine/client.js).
    const drawn = { name, shown, state: JSON.stringify(state) };
    const same = kinds[name].draws?.startsWith('layer') && last?.name === name && last.shown === shown && last.state === drawn.state;
    last = drawn;
    if (slot && same && current === slot) return;
    if (slot) {
      show(slot);  // attached first: the views measure their container
      slot.update(ctx);
    } else {
      const box = document.createElement('div');
      show({ box });
      current = Object.assign(kind.build(box, ctx), { box });
      slots.set(name, current);
    }
  }

  // What a run should hand over at once for the view the state shows (engine/client.js's `want`): that view's layer
  // (sent early, as soon as the engine has computed it) or the model view's thumbnails; `layers`: the model's count.
  function want(s, layers) {
    const name = kinds[s.view] ? s.view : 'head';
    const draws = kinds[name].draws;
    if (!draws) return {};
    const w = wantFor(draws, toggles(s, host.specials()), Math.min(s.layer, layers - 1));
    return w.layers ? { ...w, early: true } : w;
  }

  return {
    render,
    want,
    get view() { return current?.handle ?? null; },
    get shown() { return result ? memo?.shown ?? null : null; },
  };
}
