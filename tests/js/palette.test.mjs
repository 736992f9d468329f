// The head palette: 16 distinct colours, and the ink on each that WCAG asks for (4.5:1 for the numbers in the squares).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { HEAD_COLOURS, headColour, inkOn } from '../../web/views/palette.js';

// WCAG 2 contrast ratio of two hex colours, written out independently of inkOn.
function contrast(a, b) {
  const L = (c) => {
    const ch = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const [x, y] = [L(a), L(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
const full = (c) => (c.length === 4 ? `#${[...c.slice(1)].map((d) => d + d).join('')}` : c);

test('16 distinct head colours; heads past 16 reuse them', () => {
  assert.equal(new Set(HEAD_COLOURS).size, 16);
  assert.equal(headColour(16), headColour(0));
});

test('the number on each head colour is black or white, whichever contrasts more, and at least 4.5:1', () => {
  for (const c of HEAD_COLOURS) {
    const ink = full(inkOn(c));
    const other = ink === '#000000' ? '#ffffff' : '#000000';
    assert.ok(contrast(c, ink) >= contrast(c, other), `${c}: ${ink}`);
    assert.ok(contrast(c, ink) >= 4.5, `${c} with ${ink}: ${contrast(c, ink).toFixed(2)}`);
  }
  assert.equal(inkOn('#ffffff'), '#000');
  assert.equal(inkOn('#000000'), '#fff');
});
