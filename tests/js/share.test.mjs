// web/page/share.js: the page's state survives a round trip through a URL; bad values are dropped, not trusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fromQuery, toQuery } from '../../web/page/share.js';

const state = { view: 'matrix', layer: 2, selectedHeads: [1, 3], head: 3, filter: 'AB', locked: { side: 'right', index: 7 }, token: 4,
  wordLevel: true, hideSpecial: false };

test('a full state round-trips (text with tabs, quotes, <html>, emoji and & = ? characters)', () => {
  const a = 'I went to the <b>store</b> & paid 5 = "five"?\tyes 🍓', b = 'At the store, I bought fresh strawberries.';
  const back = fromQuery(`?${toQuery({ a, b, model: 'headlight-mini', state })}`);
  assert.equal(back.a, a);
  assert.equal(back.b, b);
  assert.equal(back.model, 'headlight-mini');
  assert.deepEqual(back.state, { view: 'matrix', layer: 2, selectedHeads: [1, 3], head: 3, filter: 'AB', locked: { side: 'right', index: 7 }, wordLevel: true });
});

test('defaults are left out; the neuron view keeps its token; no heads selected round-trips as []', () => {
  const q = toQuery({ a: 'x', b: '', model: null, state: { ...state, view: 'neuron', filter: 'all', locked: null, selectedHeads: [], wordLevel: false } });
  assert.ok(!q.includes('filter') && !q.includes('lock') && !q.includes('words') && !q.includes('model') && !q.includes('b='), q);
  assert.deepEqual(fromQuery(q).state, { view: 'neuron', layer: 2, selectedHeads: [], head: 3, token: 4 });
});

test('values that do not parse are dropped', () => {
  const back = fromQuery('?a=hi&view=evil&layer=-1&head=1e9&heads=1,x&filter=AC&lock=up:3&token=%3Cscript%3E&words=yes');
  assert.deepEqual(back.state, {});
  assert.equal(back.a, 'hi');
  assert.equal(back.b, null);
});
