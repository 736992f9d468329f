// The SVG export's last step (web/page/export.js xmlSafeText): characters XML 1.0 cannot hold become U+FFFD, all else
// stays, on the corpus of hostile strings and on each UTF-16 code unit.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { xmlSafeText } from '../../web/page/export.js';
import { HOSTILE } from '../fixtures/hostile_strings.mjs';

// XML 1.0's Char production, per code point: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF.
const xmlChar = (cp) => cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd)
  || cp >= 0x10000;

// The reference, by code points: a lone surrogate is a code point of its own (0xD800–0xDFFF), so it fails xmlChar.
const reference = (s) => Array.from(s, (c) => (xmlChar(c.codePointAt(0)) ? c : '\uFFFD')).join('');

test('the hostile strings: only what XML cannot hold becomes U+FFFD, in place', () => {
  let replaced = 0;
  for (const [name, text] of HOSTILE) {
    const out = xmlSafeText(text);
    assert.equal(out, reference(text), name);
    assert.equal(out.length, text.length, `${name}: one code unit for one`);
    assert.equal(new TextDecoder().decode(new TextEncoder().encode(out)), out, `${name}: not well-formed UTF-16`);
    if (out !== text) replaced += 1;
  }
  assert.ok(replaced >= 4, `${replaced} strings changed: the corpus has NUL, controls, noncharacters and lone surrogates`);
});

test('every code unit alone and after a high surrogate; pairs and markup stay', () => {
  for (let u = 0; u < 0x10000; ++u) {
    const c = String.fromCharCode(u);
    assert.equal(xmlSafeText(`a${c}b`), reference(`a${c}b`), `U+${u.toString(16)}`);
    assert.equal(xmlSafeText(`\uD83D${c}`), reference(`\uD83D${c}`), `U+D83D U+${u.toString(16)}`);
  }
  const kept = '<text x="1">&lt;\t\n\r\u0085\u007F\uFFFD \u{1F469}\u200D\u{1F469} ]]&gt;</text>';
  assert.equal(xmlSafeText(kept), kept);
  assert.equal(xmlSafeText('\uDE00\uD83D'), '\uFFFD\uFFFD');  // a pair in the wrong order is two lone surrogates
});
