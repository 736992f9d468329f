// The syntactic heads of Clark et al.: per dependency relation of the treebank, the head that finds it best in each
// direction beside the fixed-offset baseline; a relation picked lists its best heads, and a head opens an example.
import { helpBox } from './help.js';

const DIRECTIONS = [
  { key: 'dependent_to_head', name: 'dependent → head', short: 'dep → head' },
  { key: 'head_to_dependent', name: 'head → dependent', short: 'head → dep' },
];
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const offset = (k) => `${k > 0 ? '+' : ''}${k}`;

/** Relations named as the page shows them: UD's name, and Clark et al.'s where it maps ("obj (dobj)"). */
export function relationLabel(r) {
  if (r.relation === 'all') return 'all relations';
  return r.clark && r.clark !== r.relation ? `${r.relation} (${r.clark}${r.clark_reversed ? ', reversed' : ''})` : r.relation;
}

/** The `k` heads with the highest accuracy on relation r in direction d: [{layer, head, accuracy}]. */
export function bestHeads(r, d, A, k = 5) {
  return r[d].accuracy.map((accuracy, i) => ({ layer: Math.floor(i / A), head: i % A, accuracy }))
    .sort((x, y) => y.accuracy - x.accuracy || x.layer - y.layer || x.head - y.head).slice(0, k);
}

/**
 * container; table: hl_syntax_json's {sentences, words, arcs, layers, heads_per_layer, relations: [...]}, with ms;
 * options: {relation (the picked one's name), minArcs (relations with fewer arcs are listed under "rarer"),
 * onPick(relation), onOpen(relation, direction, layer, head)}. Returns {update(options, table?), destroy()}.
 */
export function syntaxView(container, table, options = {}) {
  const opt = { relation: 'all', minArcs: 20, onPick: () => {}, onOpen: () => {}, ...options };
  const root = container.appendChild(document.createElement('div'));
  root.className = 'hl-syntax';
  root.append(helpBox('What am I looking at?', HELP));
  const caption = root.appendChild(document.createElement('p'));
  caption.className = 'hl-syntax-caption';
  const detail = root.appendChild(document.createElement('section'));
  detail.className = 'hl-syntax-detail';
  const wrap = root.appendChild(document.createElement('div'));
  wrap.className = 'hl-syntax-scroll';
  const grid = wrap.appendChild(document.createElement('table'));
  grid.className = 'hl-syntax-table';
  draw();
  return {
    update(next = {}, newTable = table) { Object.assign(opt, next); table = newTable; draw(); },
    destroy() { root.remove(); },
  };

  function draw() {
    caption.textContent = `${table.sentences} sentences of Universal Dependencies English-EWT (${table.arcs} arcs between ` +
      `${table.words} words) through this model's ${table.layers * table.heads_per_layer} heads` +
      (table.ms ? ` in ${(table.ms / 1000).toFixed(1)} s` : '') + '. Each cell: the best head (layer-head), its accuracy, and ' +
      'the best fixed offset\'s. Pick a relation to see its best heads.' +
      (table.unaligned_words ? ` ${table.unaligned_words} words the tokenizer merged into a neighbour's token are left out.` : '');
    drawTable();
    drawDetail();
  }

  function drawTable() {
    const head = document.createElement('tr');
    for (const t of ['relation', 'arcs', ...DIRECTIONS.flatMap((d) => [`${d.short}: best head`, 'accuracy', 'baseline'])]) {
      const th = document.createElement('th');
      th.textContent = t;
      th.scope = 'col';
      head.append(th);
    }
    const rows = table.relations.filter((r) => r.relation === 'all' || r.arcs >= opt.minArcs).map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.relation = r.relation;
      tr.className = r.relation === opt.relation ? 'hl-syntax-picked' : '';
      const name = document.createElement('th');
      name.scope = 'row';
      const pick = name.appendChild(document.createElement('button'));
      pick.textContent = relationLabel(r);
      pick.setAttribute('aria-pressed', String(r.relation === opt.relation));
      pick.addEventListener('click', () => opt.onPick(r.relation));
      tr.append(name, cell(String(r.arcs)));
      for (const d of DIRECTIONS) {
        const x = r[d.key];
        const better = x.best.accuracy > x.baseline.accuracy;
        tr.append(cell(`${x.best.layer}-${x.best.head}`), cell(pct(x.best.accuracy), better ? 'hl-syntax-win' : ''),
          cell(`${pct(x.baseline.accuracy)} (${offset(x.baseline.offset)})`));
      }
      return tr;
    });
    grid.replaceChildren(head, ...rows);
  }

  function drawDetail() {
    const r = table.relations.find((x) => x.relation === opt.relation) ?? table.relations[0];
    const title = document.createElement('h3');
    title.textContent = `${relationLabel(r)}: ${r.arcs} arcs`;
    const cols = DIRECTIONS.map((d) => {
      const col = document.createElement('div');
      col.className = 'hl-syntax-dir';
      col.dataset.direction = d.key;
      const h = col.appendChild(document.createElement('h4'));
      h.textContent = `${d.name} (baseline: offset ${offset(r[d.key].baseline.offset)}, ${pct(r[d.key].baseline.accuracy)})`;
      for (const b of bestHeads(r, d.key, table.heads_per_layer)) {
        const button = col.appendChild(document.createElement('button'));
        button.className = 'hl-syntax-head';
        Object.assign(button.dataset, { layer: b.layer, head: b.head });
        button.textContent = `layer ${b.layer}, head ${b.head}: ${pct(b.accuracy)}`;
        button.title = r.relation === 'all' ? 'open this head on a treebank sentence'
          : `open this head on a treebank sentence with a ${r.relation} arc`;
        button.addEventListener('click', () => opt.onOpen(r.relation, d.key, b.layer, b.head));
      }
      return col;
    });
    detail.replaceChildren(title, ...cols);
  }
}

function cell(text, className = '') {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

const HELP = [
  'Clark, Khandelwal, Levy and Manning (“What Does BERT Look At?”, 2019, §4) read each attention head as a simple ' +
  'dependency parser: for every word, the word it attends to most is its guess. A head that attends from each ' +
  'direct object to its verb, say, gets the obj relation right in the dependent → head direction.',
  'Here the words and their gold arcs come from the Universal Dependencies English Web Treebank (its development set, ' +
  'CC BY-SA 4.0). Attention to a word split into pieces is summed over the pieces, attention from it averaged, and ' +
  '[CLS] and [SEP] are left out, as in the article. Accuracy is the share of a relation\'s arcs the head finds.',
  'The baseline always guesses the word at one fixed distance (the best of −3…+3): many relations are that regular ' +
  '(a determiner is usually right before its noun), so a head only shows syntax where it beats the baseline, shown ' +
  'in bold. Clark et al.\'s names (Stanford Dependencies, on the Penn Treebank) are given where they map: their dobj ' +
  'is UD\'s obj, and their pobj is UD\'s case arc read the other way.',
];
