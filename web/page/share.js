// The page's state as a URL query and back, so that a link restores exactly what was on screen (text, model, view,
// layer, heads, filter, locked token, toggles, weighting, the Syntax tab's relation, the Rollout tab's method). Pure
// functions: no DOM.

const VIEWS = ['head', 'model', 'neuron', 'matrix', 'patterns', 'layers', 'headmap', 'syntax', 'rollout'];
const METHODS = ['rollout', 'flow'];
const FILTERS = ['all', 'AA', 'AB', 'BA', 'BB'];

/** {a, b, model (a built-in id or URL), hub (a hub id), state} → query string (without "?"); defaults are left out. */
export function toQuery({ a, b, model = null, hub = null, state }) {
  const q = new URLSearchParams();
  q.set('a', a);
  if (b) q.set('b', b);
  if (model) q.set('model', model);
  if (hub) q.set('hub', hub);
  if (state.view !== 'head') q.set('view', state.view);
  q.set('layer', String(state.layer));
  if (state.selectedHeads) q.set('heads', state.selectedHeads.join(','));
  q.set('head', String(state.head));
  if (state.filter !== 'all') q.set('filter', state.filter);
  if (state.locked) q.set('lock', `${state.locked.side}:${state.locked.index}`);
  if (state.view === 'neuron') q.set('token', String(state.token));
  if (state.wordLevel) q.set('words', '1');
  if (state.hideSpecial) q.set('hide', '1');
  if (state.weighting === 'norm') q.set('weighting', 'norm');
  if (state.view === 'syntax' && state.relation && state.relation !== 'all') q.set('relation', state.relation);
  if (state.view === 'rollout' && state.method === 'flow') q.set('method', 'flow');
  return q.toString();
}

const count = (s) => (/^\d{1,4}$/.test(s ?? '') ? Number(s) : undefined);

/**
 * query string → {a, b, model, state: a partial state with only what the link sets}; values that do not parse are
 * dropped (the page then keeps its defaults; indices past the model's size are clamped when drawn).
 */
export function fromQuery(search) {
  const q = new URLSearchParams(search);
  const state = {};
  if (VIEWS.includes(q.get('view'))) state.view = q.get('view');
  for (const key of ['layer', 'head', 'token']) if (count(q.get(key)) !== undefined) state[key] = count(q.get(key));
  if (q.has('heads')) {
    const heads = q.get('heads') === '' ? [] : q.get('heads').split(',').map(count);
    if (heads.every((h) => h !== undefined)) state.selectedHeads = [...new Set(heads)].sort((x, y) => x - y);
  }
  if (FILTERS.includes(q.get('filter'))) state.filter = q.get('filter');
  const lock = /^(left|right):(\d{1,4})$/.exec(q.get('lock') ?? '');
  if (lock) state.locked = { side: lock[1], index: Number(lock[2]) };
  if (q.get('words') === '1') state.wordLevel = true;
  if (q.get('hide') === '1') state.hideSpecial = true;
  if (q.get('weighting') === 'norm') state.weighting = 'norm';
  if (/^[a-z]{1,20}(:[a-z]{1,20})?$/.test(q.get('relation') ?? '')) state.relation = q.get('relation');
  if (METHODS.includes(q.get('method'))) state.method = q.get('method');
  return { a: q.get('a'), b: q.get('b'), model: q.get('model'), hub: q.get('hub'), state };
}
