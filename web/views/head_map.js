// The head map of Clark et al.: every head placed in 2-D by multidimensional scaling of the Jensen–Shannon distances
// between heads' attention, coloured by layer and labelled by its dominant behaviour; click a point to open the head.
import * as d3 from '../vendor/d3.js';
import { helpBox } from './help.js';

const W = 560, H = 440, M = 28;

/**
 * container; map: hl_distances_mds's {layers, heads_per_layer, points: [[x, y]] (index l·A + h), stress, texts}; options: {labels: [string] per
 * point ('' = none), onOpen(layer, head)}. Returns {update(options, map?), destroy(), pointCenter(layer, head)}: update()
 * redraws the same plot for another map (another text or model).
 */
export function headMap(container, map, options = {}) {
  const opt = { labels: [], onOpen: () => {}, ...options };
  const root = d3.select(container).append('div').attr('class', 'hl-headmap');
  const help = helpBox('What am I looking at?', HELP);
  root.node().append(help);
  const sampleNote = help.querySelectorAll('p')[1];  // names the map's sample size and stress: set by draw()
  const caption = root.append('p').attr('class', 'hl-headmap-caption');  // how many heads carry a label, and why
  const svg = root.append('svg').attr('class', 'hl-headmap-svg').attr('width', W).attr('height', H).attr('viewBox', `0 0 ${W} ${H}`);
  const labelsG = svg.append('g');
  const pointsG = svg.append('g');
  const legend = svg.append('g').attr('transform', `translate(${W - 52},${M})`);
  legend.append('text').attr('class', 'hl-headmap-legend').attr('y', -8).text('layer');
  let data = [];  // one {layer, head, x, y, label} per point, index l·A + h
  draw();
  return {
    update(next = {}, newMap = map) { Object.assign(opt, next); map = newMap; draw(); },
    destroy() { root.remove(); },
    pointCenter(layer, head) {
      const r = svg.node().getBoundingClientRect(), d = data.find((p) => p.layer === layer && p.head === head);
      return { x: r.left + (d.x * r.width) / W, y: r.top + (d.y * r.height) / H };
    },
  };

  function draw() {
    const { layers: L, heads_per_layer: A, points } = map;
    sampleNote.textContent = `Here the sample is the ${map.texts - 1} built-in sentence pairs plus the text you typed. Colour is ` +
      'the layer; the label is a head\'s dominant behaviour by Clark\'s thresholds over the sample. ' +
      `Stress ${map.stress.toFixed(3)} says how much the plane distorts the distances (0 = not at all).`;
    const labelled = opt.labels.filter((l) => l).length;
    caption.text(`${labelled} of ${L * A} heads are labelled: a label needs one behaviour above Clark's threshold over the ` +
      'sample (broad: entropy above 3.8 nats; previous or next token: above 0.5 of the attention; [CLS], [SEP] or ' +
      `punctuation: above 0.6). ${labelled < L * A ? 'The others pass none of them.' : ''}`);
    const x = d3.scaleLinear(d3.extent(points, (p) => p[0]), [M, W - M - 60]).nice();
    const y = d3.scaleLinear(d3.extent(points, (p) => p[1]), [H - M, M]).nice();
    const colour = d3.scaleSequential([0, Math.max(1, L - 1)], d3.interpolateViridis);
    data = points.map((p, k) => ({ layer: Math.floor(k / A), head: k % A, x: x(p[0]), y: y(p[1]), label: opt.labels[k] ?? '' }));
    labelsG.selectAll('text').data(data.filter((d) => d.label)).join('text').attr('class', 'hl-headmap-label')
      .attr('x', (d) => d.x + 6).attr('y', (d) => d.y + 3).text((d) => d.label);
    pointsG.selectAll('circle').data(data).join((enter) => enter.append('circle')
      .on('click', (e, d) => opt.onOpen(d.layer, d.head))
      .on('keydown', (e, d) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); opt.onOpen(d.layer, d.head); } })
      .call((c) => c.append('title')))
      .attr('class', 'hl-headmap-point').attr('data-layer', (d) => d.layer).attr('data-head', (d) => d.head)
      .attr('cx', (d) => d.x).attr('cy', (d) => d.y).attr('r', 5).attr('fill', (d) => colour(d.layer)).attr('stroke', '#333')
      .attr('tabindex', 0).attr('role', 'button').attr('aria-label', (d) => `layer ${d.layer}, head ${d.head}${d.label ? `, ${d.label}` : ''}`)
      .call((c) => c.select('title').text((d) => `layer ${d.layer}, head ${d.head}${d.label ? ` — ${d.label}` : ''} (click to open)`));
    legend.selectAll('g').data(d3.range(L)).join((enter) => enter.append('g')
      .call((g) => g.append('circle').attr('r', 5).attr('cx', 6).attr('stroke', '#333'))
      .call((g) => g.append('text').attr('class', 'hl-headmap-legend').attr('x', 16).attr('y', 4)))
      .attr('transform', (l) => `translate(0,${l * 16})`)
      .call((g) => g.select('circle').attr('fill', (l) => colour(l)))
      .call((g) => g.select('text').text((l) => l));
  }
}

// The "what am I looking at?" box's paragraphs; the second (the sample and the stress) is the map's.
const HELP = [
  'Clark et al. (“What Does BERT Look At?”, 2019) compared every pair of heads by how differently they attend: the ' +
  'Jensen–Shannon divergence between the two heads\' attention from the same token, summed over all tokens of a ' +
  'sample of texts. Multidimensional scaling then places the heads on a plane so that these distances are kept as ' +
  'well as possible: heads close together behave alike.',
  '',
  'Heads that Jesse Vig (“Deconstructing BERT”, 2019) would call next-word or previous-word heads sit apart from the ' +
  'broad ones; the Patterns tab lists them by name.',
];
