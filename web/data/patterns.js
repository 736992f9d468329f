// Vig's six patterns and Clark et al.'s layer profiles read from the engine's per-head statistics (result.stats, defined
// in wasm/src/analysis/head_stats.h): names and plain words for each pattern, top heads, layer profiles. Pure functions.

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
  return stats.per_head.filter((h) => h[key] !== null && h[key] !== undefined && Number.isFinite(h[key]))
    .map((h) => ({ layer: h.layer, head: h.head, value: h[key] }))
    .sort((a, b) => b.value - a.value || a.layer - b.layer || a.head - b.head)
    .slice(0, k);
}

/** Per layer: the heads' values of `key` and their mean — [{layer, values: [per head], mean}]. */
export function layerProfile(stats, key) {
  const layers = new Map();
  for (const h of stats.per_head) {
    if (!layers.has(h.layer)) layers.set(h.layer, []);
    layers.get(h.layer)[h.head] = h[key];
  }
  return [...layers.entries()].sort((a, b) => a[0] - b[0]).map(([layer, values]) => {
    const ok = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
    return { layer, values, mean: ok.length ? ok.reduce((s, v) => s + v, 0) / ok.length : null };
  });
}

/**
 * The token that shows head (layer, head)'s pattern `key` most in this text, as the engine found it: {index, score}, or
 * null when the pattern applies to no token. stats: result.stats (one text's).
 */
export function exampleToken(stats, layer, head, key) {
  if (!PATTERNS.some((p) => p.key === key)) throw new RangeError(`unknown pattern ${key}`);
  const h = stats.per_head.find((x) => x.layer === layer && x.head === head);
  if (!h) throw new RangeError(`no statistics for layer ${layer}, head ${head}`);
  const ex = h.examples?.[key];
  return ex ? { index: ex.token, score: ex.score } : null;
}
