// Vig's six patterns and Clark et al.'s layer profiles from the engine's per-head statistics (result.stats), plus the
// token that shows a head's pattern best, so the page can open the head with that token locked. Pure functions.
import { headRows, wordGroups } from './attention_data.js';

/** Vig's six patterns: the statistic that scores each, and what it means in plain words. */
export const PATTERNS = [
  { key: 'next', name: 'Next word', explain: 'Each word attends to the word after it.' },
  { key: 'previous', name: 'Previous word', explain: 'Each word attends to the word before it.' },
  { key: 'identical', name: 'Identical words', explain: 'A word attends to other occurrences of the same word in its sentence.' },
  { key: 'other_sentence', name: 'Same word, other sentence', explain: 'A word attends to the same word in the other sentence.' },
  { key: 'subword', name: 'Pieces of the same word', explain: 'A word piece attends to the other pieces of its word, as “straw” ↔ “##berries”.' },
  { key: 'delimiter', name: 'Delimiters', explain: 'Attention goes to [CLS] and [SEP], which BERT uses as a place to park attention.' },
];

/** The k heads scoring highest on `key` ({layer, head, value}), skipping heads where it does not apply (null). */
export function topHeads(stats, key, k = 3) {
  return stats.heads.filter((h) => h[key] !== null && h[key] !== undefined && Number.isFinite(h[key]))
    .map((h) => ({ layer: h.layer, head: h.head, value: h[key] }))
    .sort((a, b) => b.value - a.value || a.layer - b.layer || a.head - b.head)
    .slice(0, k);
}

/** Per layer: the heads' values of `key` and their mean — [{layer, values: [per head], mean}]. */
export function layerProfile(stats, key) {
  const layers = new Map();
  for (const h of stats.heads) {
    if (!layers.has(h.layer)) layers.set(h.layer, []);
    layers.get(h.layer)[h.head] = h[key];
  }
  return [...layers.entries()].sort((a, b) => a[0] - b[0]).map(([layer, values]) => {
    const ok = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
    return { layer, values, mean: ok.length ? ok.reduce((s, v) => s + v, 0) / ok.length : null };
  });
}

// Word index of each token (attention_data's grouping); specials are -1.
function wordsOf(tokens, specials) {
  const special = new Set(specials);
  const word = new Array(tokens.length);
  wordGroups(tokens, special).forEach((group, w) => { for (const i of group) word[i] = special.has(tokens[i].text) ? -1 : w; });
  return word;
}

/**
 * The row (token) where head (layer, head) shows `key` most: {index, score}, or null when the pattern applies nowhere.
 * data: {n, heads, tokens:[{text, segment}], attention: Float32Array [L][A][n][n]}; specials: [CLS text, SEP text].
 */
export function exampleToken(data, layer, head, key, specials = ['[CLS]', '[SEP]']) {
  const { n, tokens } = data;
  const rows = headRows(data, layer, head);
  const at = (i, j) => rows[i][j];
  const word = wordsOf(tokens, specials);
  const special = (j) => specials.includes(tokens[j].text);
  const score = {
    next: (i) => (i + 1 < n ? at(i, i + 1) : null),
    previous: (i) => (i > 0 ? at(i, i - 1) : null),
    delimiter: (i) => sumOver(n, (j) => special(j), (j) => at(i, j)),
    identical: (i) => (special(i) ? null : sumOrNull(n, (j) => j !== i && tokens[j].text === tokens[i].text && tokens[j].segment === tokens[i].segment, (j) => at(i, j))),
    other_sentence: (i) => (special(i) ? null : sumOrNull(n, (j) => tokens[j].text === tokens[i].text && tokens[j].segment !== tokens[i].segment, (j) => at(i, j))),
    subword: (i) => (word[i] < 0 ? null : sumOrNull(n, (j) => j !== i && word[j] === word[i], (j) => at(i, j))),
  }[key];
  if (!score) throw new RangeError(`unknown pattern ${key}`);
  let best = null;
  for (let i = 0; i < n; ++i) {
    const s = score(i);
    if (s !== null && (best === null || s > best.score)) best = { index: i, score: s };
  }
  return best;
}

function sumOver(n, keep, value) {
  let s = 0;
  for (let j = 0; j < n; ++j) if (keep(j)) s += value(j);
  return s;
}
// The sum over the j that `keep`, or null when no j qualifies (the pattern does not apply to this token).
function sumOrNull(n, keep, value) {
  let s = 0, any = false;
  for (let j = 0; j < n; ++j) if (keep(j)) { s += value(j); any = true; }
  return any ? s : null;
}
