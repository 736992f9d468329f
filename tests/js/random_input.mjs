// Seeded random inputs for the property tests of the parsers of untrusted input (untrusted_input.test.mjs): JSON of any
// shape, hostile strings and numbers, bytes, URL queries, and mutations of valid texts and values. No dependencies.

/** mulberry32: a small, fast 32-bit generator; the same seed gives the same numbers in [0, 1) on every machine. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A 32-bit hash of a string (FNV-1a), to give each parser and case a seed of its own from one seed. */
export function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; ++i) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Text written into JSON as is (numbers JSON.stringify cannot write, nesting too deep to build as a value). */
export class Raw {
  constructor(text) { this.text = text; }
}

/** `depth` nested arrays as JSON text: V8's JSON.parse takes them, but recursive code over the value overflows the stack. */
export const deepArrays = (depth) => new Raw(`${'['.repeat(depth)}${']'.repeat(depth)}`);
export const deepObjects = (depth) => new Raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

// Keys that pollute a prototype when code copies them with [[Set]] or walks a path through them.
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];

const HOSTILE = [
  '', ' ', 'NaN', 'Infinity', '-Infinity', '-0', '1e309', '0x10', ' 7 ', '1e9', '4097', '-1', '2.5', 'null', 'undefined',
  'true', '[]', '{}', '<script>alert(1)</script>', '</script><script>alert(1)</script>', '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>', '\u0000', '\n', '\r\n', '\t', '\u2028', '\ufeff', '\ud800', '\udc00', 'a\ud83d', '\ud83d\ude00',
  'é', 'e\u0301', '\u202e', 'שלום', '猫', '../etc/passwd', '..', '.', '/', 'a/b', 'a/b@c', '%', '%zz', '%E0%A4%A', '&', '=',
  '#', '?', '+', 'javascript:alert(1)', 'https://evil.example/x', 'model.safetensors', 'x.safetensors', '.safetensors',
  '[CLS]', '[SEP]', '<s>', 'bert', 'gzip+base64', 'f16', 'headlight-snapshot', 'H4sIAAAAAAAAA2NgAAAAAP//', '====', ...PROTO_KEYS,
];
const NUMBERS = [0, -0, 1, -1, 2, 3, 0.5, 2.5, -0.5, 255, 256, 257, 4096, 4097, 65504, 65536, 2 ** 31, 2 ** 32, 1e6, 1e9, -1e9,
  1e15, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 1e-7];
// Number texts that JSON allows but JSON.stringify never writes: they parse to Infinity, -0 or a rounded value.
const NUMBER_TEXTS = ['1e999', '-1e999', '-0', '0.0000000001', '1E400', '9007199254740993', '4096.0', '1e2', '00', '-0.0'];

/** Random values and texts, all drawn from one seeded generator. */
export class Random {
  constructor(seed) { this.next = mulberry32(seed); }

  float() { return this.next(); }
  int(n) { return Math.floor(this.next() * n); }            // 0 … n-1
  range(lo, hi) { return lo + this.int(hi - lo + 1); }      // lo … hi
  chance(p) { return this.next() < p; }
  pick(list) { return list[this.int(list.length)]; }

  /** A code unit string of `n` characters from a mixed alphabet: ASCII, accents, CJK, emoji halves, controls. */
  chars(n) {
    let s = '';
    for (let i = 0; i < n; ++i) {
      const kind = this.int(10);
      const code = kind < 6 ? this.range(0x20, 0x7e) : kind === 6 ? this.range(0, 0x1f) : kind === 7 ? this.range(0xa0, 0x2fff)
        : kind === 8 ? this.range(0xd800, 0xdfff) : this.range(0x3000, 0xffff);
      s += String.fromCharCode(code);
    }
    return s;
  }

  /** A hostile or ordinary string: NaN-like, HTML, lone surrogates, prototype keys, very long (up to 200,000 characters). */
  string() {
    const kind = this.int(8);
    if (kind < 3) return this.pick(HOSTILE);
    if (kind < 6) return this.chars(this.int(24));
    if (kind === 6) return this.pick(HOSTILE) + this.chars(this.int(8)) + this.pick(HOSTILE);
    return this.chars(this.range(1, 8)).repeat(this.range(1000, 25000));
  }

  /** A number: small integers, the limits parsers check, huge, negative, fractional, tiny. */
  number() {
    const kind = this.int(4);
    if (kind === 0) return this.int(10);
    if (kind === 1) return (this.chance(0.5) ? -1 : 1) * this.float() * 10 ** this.range(-10, 20);
    return this.pick(NUMBERS);
  }

  /** A JSON value of random shape and type; containers nest up to `depth` more levels. Sometimes a Raw text. */
  value(depth = 3, keys = []) {
    const kind = this.int(depth > 0 ? 9 : 6);
    switch (kind) {
      case 0: return null;
      case 1: return this.chance(0.5);
      case 2: return this.number();
      case 3: case 4: return this.string();
      case 5: {
        if (this.chance(0.7)) return new Raw(this.pick(NUMBER_TEXTS));
        return this.chance(0.5) ? deepArrays(this.range(1000, 12000)) : deepObjects(this.range(1000, 5000));
      }
      case 6: return Array.from({ length: this.int(6) }, () => this.value(depth - 1, keys));
      default: {
        const o = {};
        for (let i = this.int(6); i > 0; --i) o[this.key(keys)] = this.value(depth - 1, keys);
        return o;
      }
    }
  }

  /** A small scalar of any JSON type: null, a boolean, a number, a string of at most 40 characters. */
  scalar() { return this.pick([null, this.chance(0.5), this.number(), this.string().slice(0, 40)]); }

  /** An object key: one the parser knows (`keys`), a prototype key, or any string. */
  key(keys = []) {
    const kind = this.int(4);
    if (kind < 2 && keys.length) return this.pick(keys);
    return kind === 2 ? this.pick(PROTO_KEYS) : this.string().slice(0, 40);
  }

  /** `n` random bytes. */
  bytes(n) { return Uint8Array.from({ length: n }, () => this.int(256)); }

  /** Random bytes as text, as File.text() and Response.text() read them (UTF-8, bad sequences replaced). */
  byteText(n) { return new TextDecoder().decode(this.bytes(n)); }

  /**
   * A URL query or fragment: pairs whose names are `keys` or random, values random strings or numbers, encoded or
   * not (raw &, =, %, # and broken escapes), with or without a leading ? or #, names repeated.
   */
  query(keys = []) {
    const parts = [];
    for (let i = this.int(10); i > 0; --i) {
      const name = this.chance(0.8) && keys.length ? this.pick(keys) : this.string().slice(0, 20);
      const value = this.chance(0.5) ? this.string().slice(0, this.chance(0.9) ? 40 : 100000) : String(this.number());
      const enc = this.int(3);
      const text = enc === 0 ? encodeURIComponent(value.toWellFormed()) : enc === 1 || value.length > 1000 ? value
        : value.replace(/./g, (c) => (this.chance(0.3) ? `%${c.charCodeAt(0).toString(16)}` : c));  // escapes, some broken
      parts.push(this.chance(0.9) ? `${encodeURIComponent(name.toWellFormed())}=${text}` : name);
    }
    return this.pick(['?', '', '#', '?&', '??']) + parts.join(this.pick(['&', '&', '&&', ';']));
  }
}

/**
 * A value as JSON text, with what JSON.stringify never writes: Raw texts as they are, and now and then a key written
 * twice (a random value first, the real one last, as JSON.parse keeps the last; or the other way round).
 */
export function jsonText(r, v) {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map((x) => jsonText(r, x)).join(',')}]`;
  if (v && typeof v === 'object') {
    const members = [];
    for (const [k, x] of Object.entries(v)) {
      const dup = r?.chance(0.02) ? `${JSON.stringify(k)}:${jsonText(r, r.scalar())}` : null;
      const own = `${JSON.stringify(k)}:${jsonText(r, x)}`;
      members.push(...(dup ? (r.chance(0.5) ? [dup, own] : [own, dup]) : [own]));
    }
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

// Every [container, key] in a value (breadth first, at most 400), for picking where to mutate.
function places(root) {
  const out = [], queue = [root];
  while (queue.length && out.length < 400) {
    const c = queue.shift();
    for (const k of Object.keys(c)) {
      out.push([c, k]);
      if (c[k] && typeof c[k] === 'object' && !(c[k] instanceof Raw)) queue.push(c[k]);
    }
  }
  return out;
}

/**
 * A copy of a JSON value with 1 to 3 mutations at random places: a value replaced by one of another type, by a huge or
 * odd number, by deep nesting; a field deleted; a field added (a prototype key or one of `keys`); a string cut or
 * changed; an array emptied or its items repeated. Write it with jsonText to also get duplicate keys.
 */
export function mutateValue(r, value, keys = []) {
  const root = { v: structuredClone(value) };
  for (let m = r.range(1, 3); m > 0; --m) {
    const all = places(root);
    const [c, k] = r.chance(0.15) ? [root, 'v'] : r.pick(all);
    const x = c[k];
    switch (r.int(9)) {
      case 0: c[k] = r.value(2, keys); break;
      case 1: c[k] = r.pick([1e9, -1, 0, 1e6, 2 ** 32, 4096, 4097, 256, 257, 0.5, -1e9, 1e308]); break;
      case 2: c[k] = r.chance(0.5) ? deepArrays(10000) : new Raw(r.pick(NUMBER_TEXTS)); break;
      case 3: if (Array.isArray(c)) c.splice(Number(k), 1); else if (c !== root) delete c[k]; break;
      case 4: if (x && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Raw)) x[r.key(keys)] = r.value(2, keys); break;
      case 5: if (typeof x === 'string') c[k] = r.chance(0.5) ? x.slice(0, r.int(x.length + 1)) : mutateText(r, x); break;
      case 6: if (Array.isArray(x)) c[k] = r.chance(0.5) ? [] : x.concat(x.slice(0, r.range(1, 3))); break;
      case 7: if (typeof x === 'number') c[k] = r.pick([x + 1, x - 1, -x, x * 1e6, x + 0.5, String(x)]); break;
      default: c[k] = r.string(); break;
    }
  }
  return root.v;
}

/** A text with 1 to 4 edits: characters changed, deleted or inserted, cut short, a slice repeated, deep nesting put in. */
export function mutateText(r, text) {
  let s = text;
  for (let m = r.range(1, 4); m > 0; --m) {
    const at = r.int(s.length + 1);
    switch (r.int(7)) {
      case 0: s = s.slice(0, at) + r.chars(1) + s.slice(at + 1); break;
      case 1: s = s.slice(0, at) + s.slice(at + r.range(1, 16)); break;
      case 2: s = s.slice(0, at) + r.pick([r.chars(r.range(1, 4)), r.pick(HOSTILE), '"', ',', ':', '{', '}', '[', ']', '\\']) + s.slice(at); break;
      case 3: s = s.slice(0, at); break;
      case 4: s = s.slice(0, at) + s.slice(at, at + r.range(1, 64)).repeat(r.range(2, 5)) + s.slice(at); break;
      case 5: s = s.slice(0, at) + deepArrays(r.range(100, 12000)).text + s.slice(at); break;
      default: { const i = r.int(s.length); s = s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << r.int(8))) + s.slice(i + 1); }
    }
  }
  return s;
}
