// Clark et al.'s figures on the typed text: per layer, the attention each head gives to [CLS], [SEP], punctuation, the
// previous, next and same token (heads as dots, the layer mean as a line), and each head's entropy with its baselines.
import * as d3 from '../vendor/d3.js';
import { layerProfile } from '../analyses/patterns.js';
import { headColour } from './palette.js';
import { helpBox } from './help.js';

const CHARTS = [['cls', 'to [CLS]'], ['sep', 'to [SEP]'], ['punct', 'to . and ,'], ['previous', 'to the previous token'],
  ['next', 'to the next token'], ['self', 'to itself']];
const W = 250, H = 170, M = { top: 22, right: 10, bottom: 28, left: 36 };

/** container; data: engine result with .stats; options: {onOpen(layer, head)}. Returns {destroy()}. */
export function layerCharts(container, data, options = {}) {
  const opt = { onOpen: () => {}, ...options };
  const { stats } = data;
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
  const layers = d3.range(d3.max(stats.heads, (h) => h.layer) + 1);
  const x = d3.scalePoint(layers, [M.left + 12, W - M.right - 12]);
  // Heads of a layer side by side within 70% of the layer spacing (at most 8 px apart), so dots rarely overlap.
  const A = d3.max(stats.heads, (s) => s.head) + 1;
  const spread = Math.min(8, (0.7 * (layers.length > 1 ? x.step() : 60)) / A);
  const jitter = (h) => (h.head - (A - 1) / 2) * spread;

  const chart = (title, yMax, yLabel) => {
    const svg = grid.append('svg').attr('class', 'hl-layers-chart').attr('width', W).attr('height', H)
      .attr('viewBox', `0 0 ${W} ${H}`);
    const y = d3.scaleLinear([0, yMax], [H - M.bottom, M.top]).nice();
    svg.append('text').attr('class', 'hl-layers-title').attr('x', M.left).attr('y', 14).text(title);
    svg.append('g').attr('transform', `translate(0,${H - M.bottom})`).call(d3.axisBottom(x).tickFormat((l) => `L${l}`));
    svg.append('g').attr('transform', `translate(${M.left},0)`).call(d3.axisLeft(y).ticks(4));
    svg.append('text').attr('class', 'hl-layers-axis').attr('x', W - M.right).attr('y', H - 2).attr('text-anchor', 'end').text(yLabel);
    return { svg, y };
  };
  const dots = (svg, y, key, hollow = false) => svg.append('g').selectAll('circle')
    .data(stats.heads.filter((h) => Number.isFinite(h[key]))).join('circle')
    .attr('class', `hl-layers-dot${hollow ? ' hl-hollow' : ''}`)
    .attr('data-layer', (h) => h.layer).attr('data-head', (h) => h.head)
    .attr('cx', (h) => x(h.layer) + jitter(h)).attr('cy', (h) => y(h[key])).attr('r', 3.5)
    .attr('fill', (h) => (hollow ? 'white' : headColour(h.head))).attr('stroke', (h) => headColour(h.head))
    .on('click', (e, h) => opt.onOpen(h.layer, h.head))
    .append('title').text((h) => `layer ${h.layer}, head ${h.head}: ${h[key].toFixed(3)} (click to open)`);

  for (const [key, title] of CHARTS) {
    const { svg, y } = chart(title, 1, 'avg. attention');
    const mean = layerProfile(stats, key).filter((p) => p.mean !== null);
    svg.append('path').attr('class', 'hl-layers-mean').datum(mean)
      .attr('d', d3.line((p) => x(p.layer), (p) => y(p.mean)));
    dots(svg, y, key);
  }
  const top = Math.max(stats.uniform_entropy, d3.max(stats.heads, (h) => h.entropy), d3.max(stats.heads, (h) => h.cls_entropy));
  const { svg, y } = chart('entropy (nats)', top * 1.05, 'per head');
  svg.append('line').attr('class', 'hl-layers-uniform').attr('x1', M.left).attr('x2', W - M.right)
    .attr('y1', y(stats.uniform_entropy)).attr('y2', y(stats.uniform_entropy))
    .append('title').text(`uniform attention: ln ${stats.n} = ${stats.uniform_entropy.toFixed(2)}`);
  dots(svg, y, 'cls_entropy', true);
  dots(svg, y, 'entropy');
  return { destroy() { root.remove(); } };
}
