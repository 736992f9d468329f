// web/page/sha256.js's plain SHA-256 (used where crypto.subtle is missing) against node:crypto, around block sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { sha256Plain } from '../../web/page/sha256.js';

test('sha256Plain equals node:crypto for lengths around the 64-byte block and padding edges', () => {
  let seed = 7;
  const next = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24; };
  for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65536 + 17]) {
    const bytes = Uint8Array.from({ length: n }, next);
    assert.equal(sha256Plain(bytes), createHash('sha256').update(bytes).digest('hex'), `n = ${n}`);
  }
  assert.equal(sha256Plain(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const big = Uint8Array.from({ length: 300000 }, next).subarray(1000, 250000);  // a view with an offset
  assert.equal(sha256Plain(big), createHash('sha256').update(big).digest('hex'));
});
