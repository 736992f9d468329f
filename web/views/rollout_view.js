// Attention rollout and attention flow (Abnar & Zuidema 2020): how much each token at a layer's output draws on each
// input token, through all the layers below, as lines (head-view style) and as a matrix.
import * as d3 from '../vendor/d3.js';
import { helpBox } from './help.js';
import { matrixView } from './matrix_view.js';

const ROW_PX = 18, COL_W = 150, GAP = 220;
const METHODS = [['rollout', 'Rollout'], ['flow', 'Flow']];

/**
 * container; data: {tokens: [{text}], matrix: Float32Array [n][n] (row i = token i at the layer's output, column j =
 * input token j), method, layer, layers}; options: {onMethod(method), onLayer(layer), message (instead of a drawing:
 * why there is none)}. Returns {update(options, data?), destroy()}.
 */
export function rolloutView(container, data, options = {}) {
  const opt = { onMethod: () => {}, onLayer: () => {}, message: null, ...options };
  const root = d3.select(container).append('div').attr('class', 'hl-rollout');
  root.node().append(helpBox('What am I looking at?', HELP));
  const bar = root.append('div').attr('class', 'hl-rollout-controls');
  const methods = bar.append('div').attr('role', 'group').attr('aria-label', 'method');
  methods.selectAll('button').data(METHODS).join('button').attr('data-method', (d) => d[0]).text((d) => d[1])
    .on('click', (e, d) => opt.onMethod(d[0]));
  const layerLabel = bar.append('label').text(' up to layer ');
  const layerSelect = layerLabel.append('select').attr('aria-label', 'layer').on('change', (e) => opt.onLayer(Number(e.target.value)));
  const note = root.append('p').attr('class', 'hl-rollout-note');
  const lines = root.append('svg').attr('class', 'hl-rollout-lines');
  const matrixBox = root.append('div').attr('class', 'hl-rollout-matrix');
  let matrix = null;
  draw();
  return {
    update(next = {}, newData = data) { Object.assign(opt, next); data = newData; draw(); },
    destroy() { root.remove(); },
  };

  function draw() {
    methods.selectAll('button').attr('aria-pressed', (d) => String(d[0] === data.method));
    layerSelect.selectAll('option').data(d3.range(data.layers)).join('option').attr('value', (l) => l).text((l) => l);
    layerSelect.property('value', data.layer);
    note.text(opt.message ?? `${data.method === 'flow' ? 'Attention flow' : 'Attention rollout'} from the input tokens (right) ` +
      `to the output of layer ${data.layer} (left): each line's strength is the share of a token's attention that comes ` +
      'from that input token, through every path of the layers below. Rollout\'s rows sum to 1; each flow is a maximum ' +
      'flow of its own, at most 1, so a row of flows can sum to more. Drawn over tokens, [CLS] and [SEP] included, from ' +
      'the attention weights (the words, hide and weighting switches do not apply here).');
    const drawing = !opt.message && data.matrix;
    lines.style('display', drawing ? null : 'none');
    matrixBox.style('display', drawing ? null : 'none');
    if (!drawing) return;
    drawLines();
    const m = { matrix: data.matrix, tokens: data.tokens, layer: 0, head: 0, title: data.method };
    const shape = { n: data.tokens.length, layers: 1, heads_per_layer: 1, tokens: data.tokens, attention: data.matrix };
    if (matrix) matrix.update(m, shape);
    else matrix = matrixView(matrixBox.node(), shape, m);
  }

  function drawLines() {
    const n = data.tokens.length, height = n * ROW_PX + 10, width = 2 * COL_W + GAP;
    lines.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const y = (i) => 10 + i * ROW_PX;
    const links = [];
    let max = 0;
    for (let k = 0; k < n * n; k++) max = Math.max(max, data.matrix[k]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const w = data.matrix[i * n + j];
        if (w >= 0.02 * max) links.push({ i, j, w });
      }
    }
    lines.selectAll('line').data(links).join('line').attr('x1', COL_W).attr('x2', COL_W + GAP)
      .attr('y1', (l) => y(l.i)).attr('y2', (l) => y(l.j)).attr('stroke', '#7048e8')
      .attr('stroke-opacity', (l) => l.w / max).attr('stroke-width', 1.5);
    const sides = [['left', COL_W - 6, 'end'], ['right', COL_W + GAP + 6, 'start']];
    lines.selectAll('g.hl-rollout-col').data(sides).join('g').attr('class', (s) => `hl-rollout-col hl-rollout-${s[0]}`)
      .selectAll('text').data((s) => data.tokens.map((t, i) => ({ t, i, s }))).join('text')
      .attr('x', (d) => d.s[1]).attr('y', (d) => y(d.i) + 4).attr('text-anchor', (d) => d.s[2]).text((d) => d.t.text);
  }
}

const HELP = [
  'One head\'s attention says where a token looks within one layer. But a token at a high layer is already a mix of ' +
  'many input tokens, so Abnar and Zuidema (“Quantifying Attention Flow in Transformers”, 2020) combine the layers.',
  'Rollout: each layer\'s attention, averaged over its heads, plus the residual connection (the identity), rows ' +
  'normalised; then multiplied layer by layer from the input up. Flow: the same graph of layers, read as pipes whose ' +
  'widths are those weights, and the most that can flow from an input token to a token at the chosen layer (a ' +
  'maximum flow). Flow solves one maximum-flow problem per pair of tokens, so it is computed for texts of at most 48 ' +
  'tokens; rollout for any length.',
];
