// A treebank sentence under one head: its gold dependency arcs above the words, the head's own choices (each word's
// most-attended word) below, the choices the picked relation is scored on marked right or wrong.
import * as d3 from '../vendor/d3.js';

const CHAR_PX = 7.2, PAD = 22, MIN_WORD_PX = 26, TOP = 80, BOTTOM = 80, BELOW = 36;  // BELOW: words and marks

/** The choices of one head scored on one relation and direction: [{from, to, gold, right}] for the arcs it is scored
 *  on (relation 'all': every arc), and the count right. words: [{head (0 root, else 1-based), deprel}]; choice: [W]. */
export function scoreChoices(words, choice, relation, direction) {
  const scored = [];
  words.forEach((w, d) => {
    if (w.head === 0 || (relation !== 'all' && w.deprel !== relation)) return;
    const g = w.head - 1;
    scored.push(direction === 'dependent_to_head' ? { from: d, to: choice[d], gold: g, right: choice[d] === g }
      : { from: g, to: choice[g], gold: d, right: choice[g] === d });
  });
  return { scored, right: scored.filter((s) => s.right).length };
}

/**
 * container; data: {sentence: {id, words: [{form, deprel, head}]}, choices: [W] (this head's), layer, head, relation,
 * direction}. Returns {update(data), destroy()}.
 */
export function syntaxArcs(container, data) {
  const root = d3.select(container).append('div').attr('class', 'hl-syntax-arcs');
  const caption = root.append('p').attr('class', 'hl-syntax-arcs-caption');
  const scroll = root.append('div').attr('class', 'hl-syntax-arcs-scroll');
  const svg = scroll.append('svg');
  draw();
  return { update(next) { data = next; draw(); }, destroy() { root.remove(); } };

  function draw() {
    const { sentence, choices, relation, direction } = data;
    const words = sentence.words;
    const x = [];
    let at = PAD;
    for (const w of words) {
      const width = Math.max(MIN_WORD_PX, w.form.length * CHAR_PX) + PAD;
      x.push(at + width / 2);
      at += width;
    }
    const width = at + PAD, height = TOP + BELOW + BOTTOM;
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const { scored, right } = scoreChoices(words, choices, relation, direction);
    const markedFrom = new Map(scored.map((s) => [s.from, s]));
    const rel = relation === 'all' ? 'arcs' : `${relation} arcs`;
    caption.text(`Sentence ${sentence.id}. Layer ${data.layer}, head ${data.head} finds ${right} of ${scored.length} ${rel} ` +
      `(${direction === 'dependent_to_head' ? 'dependent → head' : 'head → dependent'}). Gold arcs above the words; the ` +
      'head\'s choices below (each word\'s most-attended word): green right, red wrong, grey not scored.');
    const arc = (a, b, up) => {
      const h = Math.min(up ? TOP - 12 : BOTTOM - 12, 14 + 9 * Math.abs(a - b));
      const y = up ? TOP : TOP + BELOW, dir = up ? -1 : 1;
      return `M${x[a]},${y} C${x[a]},${y + dir * h} ${x[b]},${y + dir * h} ${x[b]},${y}`;
    };
    const gold = words.map((w, d) => ({ d, g: w.head - 1, deprel: w.deprel })).filter((a) => a.g >= 0);
    svg.selectAll('path.hl-gold').data(gold).join('path').attr('class', 'hl-gold')
      .classed('hl-gold-picked', (a) => relation === 'all' || a.deprel === relation).attr('d', (a) => arc(a.g, a.d, true))
      .attr('marker-end', null);
    svg.selectAll('text.hl-gold-label').data(gold.filter((a) => relation === 'all' || a.deprel === relation)).join('text')
      .attr('class', 'hl-gold-label').attr('x', (a) => (x[a.g] + x[a.d]) / 2)
      .attr('y', (a) => TOP - Math.min(TOP - 12, 14 + 9 * Math.abs(a.g - a.d)) * 0.75 - 2).text((a) => a.deprel);
    const chosen = choices.map((to, from) => ({ from, to, mark: markedFrom.get(from) })).filter((c) => c.to >= 0 && c.to !== c.from);
    svg.selectAll('path.hl-choice').data(chosen).join('path')
      .attr('class', (c) => `hl-choice ${c.mark ? (c.mark.right ? 'hl-right' : 'hl-wrong') : 'hl-unscored'}`)
      .attr('d', (c) => arc(c.from, c.to, false));
    svg.selectAll('text.hl-word').data(words).join('text').attr('class', 'hl-word')
      .attr('x', (_, i) => x[i]).attr('y', TOP + 14).text((w) => w.form);  // text, never HTML
    svg.selectAll('text.hl-mark').data(scored).join('text')
      .attr('class', (s) => `hl-mark ${s.right ? 'hl-right' : 'hl-wrong'}`).attr('x', (s) => x[s.from])
      .attr('y', TOP + 30).text((s) => (s.right ? '✓' : '✗'));
  }
}
