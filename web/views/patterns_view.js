// The pattern panel: for each of Vig's six patterns, the heads that show it most on the typed text; a click opens the
// head in the head view with the token that shows the pattern best locked.
import { PATTERNS, exampleToken, topHeads } from '../data/patterns.js';
import { helpBox } from './help.js';

/**
 * container: a DOM element; data: the engine result with .stats (per-head statistics); options: {onOpen(layer, head,
 * locked), k (heads per pattern)}. Returns {update(options, data?), destroy()}: update()
 * refills the cards for another text or model; the help box stays as it is (open or closed).
 */
export function patternsView(container, data, options = {}) {
  const opt = { onOpen: () => {}, k: 3, ...options };
  const root = document.createElement('div');
  root.className = 'hl-patterns';
  root.append(helpBox('What am I looking at?', [
    'Jesse Vig (“Deconstructing BERT”, 2019) found heads that attend in recognisable ways: to the next word, to the ' +
    'previous word, to other copies of the same word, to the same word in the other sentence, to the other pieces of ' +
    'a split word, and to the delimiters [CLS] and [SEP].',
    'Each card scores every head of this model on the text you typed: the mean attention that goes where the pattern ' +
    'says (for example, from each token to the token after it). 1.0 would mean the head does nothing else. Click a ' +
    'head to open it in the head view with the token that shows the pattern best selected.',
    'Clark, Khandelwal, Levy and Manning (“What Does BERT Look At?”, 2019) measured the positional and delimiter ' +
    'patterns over a whole corpus: see the Layer charts and Head map tabs.',
  ]));
  const grid = document.createElement('div');
  grid.className = 'hl-patterns-grid';
  root.append(grid);
  container.append(root);
  fill();
  return {
    update(next = {}, newData = data) { Object.assign(opt, next); data = newData; fill(); },
    destroy() { root.remove(); },
  };

  // One card per pattern with its top heads on `data`.
  function fill() {
    grid.replaceChildren(...PATTERNS.map(patternCard));
  }
  function patternCard(p) {
    const card = document.createElement('section');
    card.className = 'hl-pattern';
    card.dataset.pattern = p.key;
    const h = document.createElement('h3');
    h.textContent = p.name;
    const why = document.createElement('p');
    why.textContent = p.explain;
    card.append(h, why);
    const top = topHeads(data.stats, p.key, opt.k);
    if (!top.length) {
      const none = document.createElement('p');
      none.className = 'hl-pattern-none';
      none.textContent = 'Does not occur in this text (no token to which it applies).';
      card.append(none);
    }
    for (const t of top) {
      const b = document.createElement('button');
      b.className = 'hl-pattern-head';
      b.dataset.layer = t.layer;
      b.dataset.head = t.head;
      const ex = exampleToken(data.stats, t.layer, t.head, p.key);
      b.textContent = `layer ${t.layer}, head ${t.head}: ${t.value.toFixed(2)}` + (ex ? ` (e.g. “${data.tokens[ex.index].text}”)` : '');
      b.title = 'open this head in the head view';
      b.addEventListener('click', () => opt.onOpen(t.layer, t.head, ex ? { side: 'left', index: ex.index } : null));
      card.append(b);
    }
    return card;
  }
}
