// The page's side of the Syntax tab: the table per model (computed in the engine Worker), a head opened on a treebank
// sentence, and that sentence's gold arcs and the head's choices drawn above the head view while it is the text.
import { syntaxArcs } from '../views/syntax_arcs.js';

/**
 * client: engine/client.js; panel: the element the arcs go in; modelKey() → the loaded model's key; show(sentence,
 * patch): makes the sentence the text (A alone) and the state patch the drawing state, and runs it.
 * Returns {host (mount.js's host.syntax), render(result, state)}: render() after each drawing.
 */
export function syntaxPage({ client, panel, modelKey, show }) {
  let opened = null;  // {sentence: {index, id, text, words}, relation, direction, choices: {result, data} | null}
  let arcs = null;
  const host = {
    key: modelKey,
    compute: (progress) => client.syntax((stage, fraction) => progress(`Running the treebank through the model: ${stage}…`, fraction),
      { cacheKey: modelKey() }),
    async open(relation, direction, layer, head, after = -1) {
      const { sentence } = await client.syntaxSentence({ relation, after });
      opened = { sentence, relation, direction, choices: null };
      show(sentence, { view: 'head', layer, head, selectedHeads: [head], filter: 'all', locked: null });
    },
  };

  async function render(result, state) {
    const on = opened && state.view === 'head' && result && !result.partial && result.handle !== undefined &&
      state.selectedHeads?.length === 1 && textOf(result) === opened.sentence.text;
    panel.hidden = !on;
    if (!on) return;
    const o = opened;
    if (o.choices?.result !== result) {
      const { choices } = await client.syntaxSentence(o.sentence.index, result);
      o.choices = { result, data: choices };
      if (opened !== o) return;
    }
    const W = o.sentence.words.length, h = state.layer * result.heads_per_layer + state.selectedHeads[0];
    const data = { sentence: o.sentence, choices: o.choices.data.choices.slice(h * W, (h + 1) * W), layer: state.layer,
      head: state.selectedHeads[0], relation: o.relation, direction: o.direction };
    if (!arcs) {
      arcs = syntaxArcs(panel, data);
      const next = panel.appendChild(document.createElement('button'));
      next.className = 'hl-syntax-next';
      next.textContent = 'Another sentence with this relation';
      next.addEventListener('click', () => host.open(opened.relation, opened.direction, state.layer, state.selectedHeads[0],
        opened.sentence.index));
    } else {
      arcs.update(data);
    }
  }
  return { host, render: (result, state) => render(result, state).catch((e) => console.warn(`headlight: ${e.message}`)) };
}

// The text A of a run of A alone (client.js records what each run was of), else null.
const textOf = (result) => (result.text && result.text.b === null ? result.text.a : null);
