// The engine Worker's analyses beyond one run: Clark et al.'s syntactic-head table over the treebank (computed a few
// sentences at a time between the Worker's other messages, kept per model), and a treebank sentence's head choices.
import { loadTreebank, syntaxChoices, syntaxTable } from './analyses.js';
import { UnsupportedError } from './errors.js';

/** The treebank the page analyses: Universal Dependencies English-EWT's dev set (web/data/ud-english-ewt/). */
export const TREEBANK_URL = new URL('../data/ud-english-ewt/en_ewt-ud-dev.conllu', import.meta.url);
const CHUNK = 16;  // sentences per turn: the Worker answers runs between turns

let treebank = null;  // Promise<loadTreebank's object>, fetched on first need
const tables = new Map();  // the caller's name of a model (else the model object) → its table (hl_syntax_json)

/** The treebank, fetched and parsed once. */
export function treebankOf(engine) {
  treebank ??= (async () => {
    const res = await fetch(TREEBANK_URL);
    if (!res.ok) {
      throw new UnsupportedError(`the treebank (${TREEBANK_URL.pathname}) did not load: HTTP ${res.status}`,
        'Serve the page with its data/ folder (npm start does; dist/ has it).');
    }
    return loadTreebank(engine, new Uint8Array(await res.arrayBuffer()));
  })();
  treebank.catch(() => { treebank = null; });  // a failed fetch is tried again next time
  return treebank;
}

/**
 * The syntactic-head table of `model` over the first `sentences` (default all) of the treebank: a cached one at once
 * (by cacheKey, the caller's name for the model, so that a model loaded again finds it; else by the model), else
 * computed CHUNK sentences per turn. turn(fn) runs fn after the messages already waiting (the Worker's queue);
 * progress(text, fraction) after each turn. Resolves to the table.
 */
export async function syntaxOf(engine, model, { sentences = Infinity, cacheKey = null, turn, progress }) {
  const key = cacheKey ?? model;
  const cached = tables.get(key);
  if (cached && cached.sentences >= Math.min(sentences, cached.treebank_sentences)) return cached;
  const tb = await treebankOf(engine);
  const total = Math.min(sentences, tb.sentences);
  const acc = syntaxTable(engine, model, tb);
  const t0 = performance.now();
  try {
    for (let k = 0; k < total;) {
      await turn(() => {
        for (const end = Math.min(total, k + CHUNK); k < end; k++) acc.add(k, tb.sentence(k).text);
      });
      progress(`syntactic heads: sentence ${k} of ${total}`, k / total);
    }
    const table = { ...acc.json(), treebank_sentences: tb.sentences, ms: performance.now() - t0 };
    tables.set(key, table);
    return table;
  } finally {
    acc.free();
  }
}

/** Treebank sentence k ({index, id, text, words}) and, for a kept result of its text, each head's choices
 *  (syntaxChoices); k = {relation, after}: the first sentence after index `after` with an arc of that relation ('all':
 *  any), wrapping around. */
export async function sentenceChoices(engine, k, handle) {
  const tb = await treebankOf(engine);
  const index = typeof k === 'number' ? k : sentenceWith(tb, k.relation, k.after ?? -1);
  const sentence = { index, ...tb.sentence(index) };
  return { sentence, choices: handle === null ? null : syntaxChoices(engine, tb, index, handle) };
}

function sentenceWith(tb, relation, after) {
  for (let step = 1; step <= tb.sentences; step++) {
    const k = (after + step) % tb.sentences;
    if (tb.sentence(k).words.some((w) => w.head > 0 && (relation === 'all' || w.deprel === relation))) return k;
  }
  throw new Error(`no sentence of the treebank has a ${relation} arc`);
}
