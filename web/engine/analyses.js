// The engine's analyses beyond one run's statistics: rollout and flow of a kept result, treebanks and Clark et al.'s
// syntactic-head table (the C API's hl_result_combined, hl_treebank_*, hl_syntax_*; see wasm/include/headlight.h).
import { InvalidArgumentError, errorOfClass } from './errors.js';
import { COMBINE } from './headlight.js';

/** Attention rollout or flow ('rollout' | 'flow') of a kept result up to the output of layer `layers` (1..L):
 *  Float32Array [n][n], row i = token i there, column j = input token j. Flow refuses texts over 48 tokens. */
export function resultCombined(engine, handle, method, layers) {
  const m = COMBINE[String(method).toUpperCase()];
  if (m === undefined) throw errorOfClass(InvalidArgumentError, `unknown combination "${method}": rollout or flow`);
  return engine.withScratch(8, (out) => {
    engine.check(engine.m._hl_result_combined(handle, m, layers, out, out + 4));
    const p = engine.m.HEAP32[out >> 2] >>> 0, bytes = engine.m.HEAP32[(out + 4) >> 2] >>> 0;
    return new Float32Array(engine.m.HEAPU8.slice(p, p + bytes).buffer);
  });
}

/** A CoNLL-U treebank (string or Uint8Array), parsed by the engine: {handle, sentences, words, sentence(k) → {id, text,
 *  words: [{form, upos, deprel, head, begin, end}]}, free()}. */
export function loadTreebank(engine, conllu) {
  const bytes = typeof conllu === 'string' ? engine.encoder.encode(conllu) : conllu;
  const handle = engine.withScratch(4, (out) => engine.withCopies([bytes], (p) => {
    engine.check(engine.m._hl_treebank_load(p, bytes.length, out));
    return engine.m.HEAP32[out >> 2];
  }));
  const info = engine.json((out) => engine.m._hl_treebank_json(handle, -1, out, out + 4));
  return {
    handle,
    ...info,
    sentence: (k) => engine.json((out) => engine.m._hl_treebank_json(handle, k, out, out + 4)),
    free: () => engine.check(engine.m._hl_treebank_free(handle)),
  };
}

/** Clark et al.'s syntactic-head table of `model` over sentences of `treebank` (from loadTreebank): add(k) runs
 *  sentence k's text and adds it; json() → the table (hl_syntax_json); free(). */
export function syntaxTable(engine, model, treebank, { maxTokens = 0 } = {}) {
  const handle = engine.withScratch(4, (out) => {
    engine.check(engine.m._hl_syntax_new(model.handle, treebank.handle, out));
    return engine.m.HEAP32[out >> 2];
  });
  return {
    handle,
    add: (k, text) => engine.withResult(engine.startText(model, text, null, 1, maxTokens),
      (result) => engine.check(engine.m._hl_syntax_add(handle, k, result))),
    json: () => engine.json((out) => engine.m._hl_syntax_json(handle, out, out + 4)),
    free: () => engine.check(engine.m._hl_syntax_free(handle)),
  };
}

/** One kept result of treebank sentence k read as the table reads it: {words, token_word [n], choices [L·A][W]}. */
export function syntaxChoices(engine, treebank, k, handle) {
  return engine.json((out) => engine.m._hl_syntax_choices(treebank.handle, k, handle, out, out + 4));
}
