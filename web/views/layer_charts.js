// Clark et al.'s figures on the typed text: per layer, the attention each head gives to [CLS], [SEP], punctuation, the
// previous, next and same token (heads as dots, the layer mean as a line), and each head's entropy with its baselines.
import * as d3 from '../vendor/d3.js';
import { layerProfile } from '../data/patterns.js';
import { headColour } from './palette.js';
import { helpBox } from './help.js';
import { listMove } from './keys.js';

const CHARTS = [['cls', 'to [CLS]'], ['sep', 'to [SEP]'], ['punct', 'to . and ,'], ['previous', 'to the previous token'],
  ['next', 'to the next token'], ['self', 'to itself']];
const W = 250, H = 170, M = { top: 22, right: 10, bottom: 28, left: 36 };

/**
 * container; data: engine result with .stats; options: {onOpen(layer, head)}. Returns {update(options, data?), destroy()}:
 * update() redraws the same seven charts for another text or model.
 */
export function layerCharts(container, data, options = {}) {
  const opt = { onOpen: () => {}, ...options };
  const root = d3.select(container).append('div').attr('class', 'hl-layers');
  root.node().append(helpBox('What am I looking at?', [
    'Clark, Khandelwal, Levy and Manning (“What Does BERT Look At?”, 2019) measured, for every head, how much of its ' +
    'attention goes to [CLS], to [SEP], to punctuation and to the neighbouring tokens, averaged over all tokens. In ' +
    'bert-base they found heads in the middle layers putting most of their attention on [SEP], and early heads ' +
    'attending to the previous or next token.',
    'Each dot is one head of this model on the text you typed; the line joins the layer means. The last chart is each ' +
    'head\'s entropy: low means the head looks at few tokens, high (near the dashed uniform line, ln n) means it spreads ' +
    'its attention evenly; hollow dots are the entropy of [CLS]\'s own row. Click a dot to open that head.',
    'Jesse Vig (“Deconstructing BERT”, 2019) drew the same behaviours head by head: the Patterns tab finds them.',
  ]));
  const grid = root.append('div').attr('class', 'hl-layers-grid');
  // The charts' frames, built once: [key, title, y label]; the entropy chart (key null) last.
  const charts = [...CHARTS.map(([key, title]) => [key, title, 'avg. attention']), [null, 'entropy (nats)', 'per head']].map(([key, title, yLabel]) => {
    const svg = grid.append('svg').attr('class', 'hl-layers-chart').attr('width', W).attr('height', H).attr('viewBox', `0 0 ${W} ${H}`);
    svg.append('text').attr('class', 'hl-layers-title').attr('x', M.left).attr('y', 14).text(title);
    const xAxis = svg.append('g').attr('transform', `translate(0,${H - M.bottom})`);
    const yAxis = svg.append('g').attr('transform', `translate(${M.left},0)`);
    svg.append('text').attr('class', 'hl-layers-axis').attr('x', W - M.right).attr('y', H - 2).attr('text-anchor', 'end').text(yLabel);
    const extra = svg.append('g');  // the layer means' line, or the entropy chart's uniform line
    const dots = [svg.append('g'), svg.append('g')].map(keyboard);  // the entropy chart's hollow [CLS] dots, then the heads' dots
    return { key, svg, xAxis, yAxis, extra, dots };
  });
  draw();
  return {
    update(next = {}, newData = data) { Object.assign(opt, next); data = newData; draw(); },
    destroy() { root.remove(); },
  };

  function draw() {
    const { stats } = data;
    const layers = d3.range(d3.max(stats.per_head, (h) => h.layer) + 1);
    const x = d3.scalePoint(layers, [M.left + 12, W - M.right - 12]);
    // Heads of a layer side by side within 70% of the layer spacing (at most 8 px apart), so dots rarely overlap.
    const A = d3.max(stats.per_head, (s) => s.head) + 1;
    const spread = Math.min(8, (0.7 * (layers.length > 1 ? x.step() : 60)) / A);
    const jitter = (h) => (h.head - (A - 1) / 2) * spread;
    const dots = (g, y, key, hollow) => g.selectAll('circle')
      .data(key ? stats.per_head.filter((h) => Number.isFinite(h[key])) : []).join((enter) => enter.append('circle')
        .attr('role', 'button').attr('tabindex', -1)
        .on('click', (e, h) => opt.onOpen(h.layer, h.head)).call((c) => c.append('title')))
      .attr('aria-label', (h) => `layer ${h.layer}, head ${h.head}: ${h[key].toFixed(3)}${hollow ? ' ([CLS] row)' : ''}`)
      .attr('class', `hl-layers-dot${hollow ? ' hl-hollow' : ''}`)
      .attr('data-layer', (h) => h.layer).attr('data-head', (h) => h.head)
      .attr('cx', (h) => x(h.layer) + jitter(h)).attr('cy', (h) => y(h[key])).attr('r', 3.5)
      .attr('fill', (h) => (hollow ? 'white' : headColour(h.head))).attr('stroke', (h) => headColour(h.head))
      .call((c) => c.select('title').text((h) => `layer ${h.layer}, head ${h.head}: ${h[key].toFixed(3)} (click to open)`))
      .call((c) => rove(c.nodes(), Math.max(0, c.nodes().findIndex((n) => n.getAttribute('tabindex') === '0'))));
    const top = Math.max(stats.uniform_entropy, d3.max(stats.per_head, (h) => h.entropy), d3.max(stats.per_head, (h) => h.cls_entropy));
    for (const c of charts) {
      const y = d3.scaleLinear([0, c.key ? 1 : top * 1.05], [H - M.bottom, M.top]).nice();
      c.xAxis.call(d3.axisBottom(x).tickFormat((l) => `L${l}`));
      c.yAxis.call(d3.axisLeft(y).ticks(4));
      if (c.key) {
        const mean = layerProfile(stats, c.key).filter((p) => p.mean !== null);
        c.extra.selectAll('path').data([mean]).join('path').attr('class', 'hl-layers-mean').attr('d', d3.line((p) => x(p.layer), (p) => y(p.mean)));
      } else {
        c.extra.selectAll('line').data([stats.uniform_entropy]).join((enter) => enter.append('line').call((l) => l.append('title')))
          .attr('class', 'hl-layers-uniform').attr('x1', M.left).attr('x2', W - M.right).attr('y1', (u) => y(u)).attr('y2', (u) => y(u))
          .call((l) => l.select('title').text((u) => `uniform attention: ln ${stats.n} = ${u.toFixed(2)}`));
      }
      dots(c.dots[0], y, c.key ? null : 'cls_entropy', true);
      dots(c.dots[1], y, c.key ?? 'entropy', false);
    }
  }
}

// One Tab stop per group of dots (roving tabindex): the arrow keys, Home and End move between heads in layer order,
// Enter or Space opens the focused one.
function keyboard(g) {
  return g.on('keydown', (e) => {
    const list = g.selectAll('circle').nodes(), i = list.indexOf(e.target);
    if (i < 0) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      e.target.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      return;
    }
    const j = listMove(e.key, i, list.length);
    if (j < 0) return;
    e.preventDefault();
    rove(list, j);
    list[j].focus();
  });
}
function rove(list, j) { list.forEach((c, k) => c.setAttribute('tabindex', k === j ? '0' : '-1')); }
