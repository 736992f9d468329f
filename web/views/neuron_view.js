// Neuron view (after BertViz): for one layer, head and query token i, the vectors behind row i of the attention: q_i, every k_j, q_i∘k_j, q_i·k_j and softmax.
import * as d3 from '../vendor/d3.js';
import { measureText, placeTip, truncateLabel } from './labels.js';

// Labels are SVG text in this font; the same string measures them (canvas measureText), so the column fits its longest label.
const FONT_PX = 12;
const FONT = `${FONT_PX}px system-ui, -apple-system, "Segoe UI", sans-serif`;
const LABEL_CHARS = 18;   // longer tokens are cut with an ellipsis (the full text is in the tooltip)
const ROW_H = 18;         // one row per key token j
const GAP = 22;           // between the column blocks

/**
 * neuronView(container, data, options) → { update(newOptions), values(), destroy() }
 *   data: the engine's result { n, layers, heads, head_size, tokens: [{ text, segment }], attention, queries, keys }
 *         attention: Float32Array [L][A][n][n] (row i = from token i); queries, keys: Float32Array [L][A][n][D].
 *   options: { layer, head, token (the query token i), onSelectToken?(j) } (ints, 0-based).
 * Data is fixed for the life of a view: for a new sentence, destroy() it and make a new one.
 */
export function neuronView(container, data, options = {}) {
  checkData(data);
  const { n, layers: L, heads: A, head_size: D, tokens } = data;
  let opts = checkOptions({ layer: 0, head: 0, token: 0, ...options }, data);
  let destroyed = false;
  // What is drawn, recomputed by draw(): q (D), k (n·D), prod (n·D, q_i[d]·k_j[d]), dots (n), softmax (n), engine (n: attention row i).
  let cur = null;
  let focusRow = opts.token;   // the label that holds the tab stop (roving tabindex; arrow keys move it)

  // Geometry (x in px): label column | k cells | q∘k cells | q·k | softmax bar + value. Cells shrink as D grows (D = 64 → 4 px).
  const cellW = Math.max(4, Math.min(18, Math.floor(288 / D)));
  const cellGap = cellW >= 8 ? 1 : 0;
  const labels = tokens.map((t) => truncateLabel(t.text, LABEL_CHARS));
  const labelW = Math.ceil(Math.max(60, ...labels.map((t) => measureText(t, FONT)))) + 14;
  const blockW = D * cellW;
  const x = {};
  x.k = labelW + 12;
  x.p = x.k + blockW + GAP;
  x.dot = x.p + blockW + GAP;            // q·k column: text right-aligned at x.dot + dotW
  const dotW = 58;
  x.sm = x.dot + dotW + GAP;             // softmax bar, then its value
  const barW = 110;
  const width = x.sm + barW + 50;
  const headH = 72;                      // titles, legends, then the q row
  const qY = headH - ROW_H - 4;

  // DOM: a scroll box holding a sticky header (titles, legends, q_i) above the body (one row per token j).
  const root = d3.select(container).append('div').attr('class', 'hl-neuron');
  const scroll = root.append('div').attr('class', 'hl-neuron-scroll');
  const headSvg = scroll.append('div').attr('class', 'hl-neuron-head')
    .append('svg').attr('width', width).attr('height', headH).style('font', FONT);
  const bodySvg = scroll.append('svg').attr('class', 'hl-neuron-body')
    .attr('width', width).attr('height', n * ROW_H + 4).style('font', FONT);
  const tip = root.append('div').attr('class', 'hl-neuron-tip').attr('role', 'tooltip')
    .style('position', 'fixed').style('pointer-events', 'none').property('hidden', true);

  // Header: column titles.
  const titles = headSvg.append('g').attr('class', 'hl-neuron-titles');
  const title = (tx, text, anchor = 'start') => titles.append('text').attr('x', tx).attr('y', 14).attr('text-anchor', anchor).text(text);
  title(labelW - 6, 'token j', 'end');
  title(x.k, 'key kⱼ');
  title(x.p, 'qᵢ ∘ kⱼ (element-wise)');
  title(x.dot + dotW, 'qᵢ · kⱼ', 'end');
  title(x.sm, 'softmax(q·k/√D)');
  // Legends: a strip of the colour scale under each block, with its range (filled by draw()).
  const legendQK = legend(headSvg, x.k, 22, blockW);
  const legendP = legend(headSvg, x.p, 22, blockW);
  const legendSm = legend(headSvg, x.sm, 22, barW);
  // The q row, above the k column so that q_i[d] sits over every k_j[d].
  const qRow = headSvg.append('g').attr('class', 'hl-neuron-q').attr('transform', `translate(0,${qY})`);
  const qLabel = qRow.append('text').attr('class', 'hl-neuron-qlabel').attr('x', labelW - 6).attr('y', ROW_H / 2)
    .attr('text-anchor', 'end').attr('dominant-baseline', 'central');
  qLabel.append('tspan').attr('class', 'hl-neuron-qname').text('query  ');
  const qToken = qLabel.append('tspan').attr('class', 'hl-neuron-qtoken');
  const qCells = qRow.append('g').selectAll('rect').data(d3.range(D)).join('rect')
    .attr('x', (d) => x.k + d * cellW).attr('y', 1).attr('width', cellW - cellGap).attr('height', ROW_H - 3)
    .datum((d) => ({ kind: 'q', d }));
  const headHover = headSvg.append('rect').attr('class', 'hl-neuron-hover').attr('height', ROW_H - 1).attr('width', cellW + 1).attr('display', 'none');

  // Body: built once (n and D are fixed), recoloured by draw().
  const current = bodySvg.append('rect').attr('class', 'hl-neuron-current').attr('x', 0).attr('width', width).attr('height', ROW_H);
  const rows = bodySvg.append('g').selectAll('g').data(d3.range(n)).join('g')
    .attr('class', 'hl-neuron-row').attr('transform', (j) => `translate(0,${j * ROW_H + 2})`);
  const labelG = rows.append('g').attr('class', (j) => `hl-neuron-label hl-neuron-seg${tokens[j].segment ? 'B' : 'A'}`)
    .attr('role', 'button').datum((j) => ({ kind: 'label', j }));
  labelG.append('rect').attr('class', 'hl-neuron-labelhit').attr('x', 0).attr('width', labelW).attr('height', ROW_H);
  labelG.append('text').attr('x', labelW - 6).attr('y', ROW_H / 2).attr('text-anchor', 'end').attr('dominant-baseline', 'central')
    .text((d) => labels[d.j]);
  labelG.attr('aria-label', (d) => `query token ${d.j}: ${tokens[d.j].text}`);
  const cells = (cls, x0, kind) => rows.append('g').attr('class', cls).selectAll('rect')
    .data((j) => d3.range(D).map((d) => ({ kind, j, d }))).join('rect')
    .attr('x', (c) => x0 + c.d * cellW).attr('y', 1).attr('width', cellW - cellGap).attr('height', ROW_H - 3);
  const kCells = cells('hl-neuron-k', x.k, 'k');
  const pCells = cells('hl-neuron-p', x.p, 'p');
  const dotText = rows.append('text').attr('class', 'hl-neuron-dot').attr('x', x.dot + dotW).attr('y', ROW_H / 2)
    .attr('text-anchor', 'end').attr('dominant-baseline', 'central').datum((j) => ({ kind: 'dot', j }));
  const smG = rows.append('g').attr('class', 'hl-neuron-sm').datum((j) => ({ kind: 'sm', j }));
  smG.append('rect').attr('class', 'hl-neuron-track').attr('x', x.sm).attr('y', 3).attr('width', barW).attr('height', ROW_H - 7);
  const smBar = smG.append('rect').attr('class', 'hl-neuron-bar').attr('x', x.sm).attr('y', 3).attr('height', ROW_H - 7);
  const smText = smG.append('text').attr('class', 'hl-neuron-smval').attr('x', x.sm + barW + 6).attr('y', ROW_H / 2)
    .attr('dominant-baseline', 'central');
  // Hover outlines: the same dimension d in k_j and in q_i∘k_j (and in q_i, above), so a product's factors are easy to find.
  const bodyHover = bodySvg.append('g').attr('display', 'none');
  for (const x0 of [x.k, x.p]) bodyHover.append('rect').attr('class', 'hl-neuron-hover').attr('x', x0 - 1).attr('height', ROW_H - 1).attr('width', cellW + 1);

  // Pointer: one listener per SVG; the hovered element's datum ({ kind, j, d }) says what to explain.
  for (const svg of [headSvg, bodySvg]) {
    svg.on('pointermove', (ev) => showTip(ev.target.__data__, ev.clientX, ev.clientY))
      .on('pointerleave', () => showTip(null));
  }
  labelG.on('click', (ev, d) => select(d.j));
  bodySvg.on('keydown', (ev) => {
    const d = ev.target.__data__;
    if (!d || d.kind !== 'label') return;
    let to = null;
    if (ev.key === 'ArrowDown') to = Math.min(n - 1, d.j + 1);
    else if (ev.key === 'ArrowUp') to = Math.max(0, d.j - 1);
    else if (ev.key === 'Home') to = 0;
    else if (ev.key === 'End') to = n - 1;
    else if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(d.j); return; }
    if (to === null) return;
    ev.preventDefault();
    setFocusRow(to);
    labelG.filter((e) => e.j === to).node().focus();
  });

  function select(j) {
    setFocusRow(j);
    if (typeof opts.onSelectToken === 'function') opts.onSelectToken(j);
  }
  function setFocusRow(j) {
    focusRow = j;
    labelG.attr('tabindex', (d) => (d.j === focusRow ? 0 : -1));
  }

  function compute() {
    const { layer, head, token: i } = opts;
    const base = (layer * A + head) * n;            // first row of this head in [L][A][n][·]
    const q = data.queries.subarray((base + i) * D, (base + i + 1) * D);
    const k = data.keys.subarray(base * D, (base + n) * D);
    const prod = new Float64Array(n * D), dots = new Float64Array(n), softmax = new Float64Array(n);
    let qkMax = 0, pMax = 0;
    for (let d = 0; d < D; d++) qkMax = Math.max(qkMax, Math.abs(q[d]));
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) {
        const kv = k[j * D + d], p = q[d] * kv;
        prod[j * D + d] = p;
        s += p;
        qkMax = Math.max(qkMax, Math.abs(kv));
        pMax = Math.max(pMax, Math.abs(p));
      }
      dots[j] = s;
    }
    // softmax(q·k/√D), in double, max subtracted first.
    const scale = 1 / Math.sqrt(D);
    let m = -Infinity, sum = 0;
    for (let j = 0; j < n; j++) m = Math.max(m, dots[j] * scale);
    for (let j = 0; j < n; j++) sum += (softmax[j] = Math.exp(dots[j] * scale - m));
    for (let j = 0; j < n; j++) softmax[j] /= sum;
    const engine = data.attention.subarray(base * n + i * n, base * n + (i + 1) * n);
    return { q, k, prod, dots, softmax, engine, qkMax: qkMax || 1, pMax: pMax || 1 };
  }

  function draw() {
    cur = compute();
    const i = opts.token;
    // Diverging scales, symmetric around 0: one for q and k (same units), one for their products.
    const cQK = d3.scaleDiverging([-cur.qkMax, 0, cur.qkMax], d3.interpolateRdBu).clamp(true);
    const cP = d3.scaleDiverging([-cur.pMax, 0, cur.pMax], d3.interpolateRdBu).clamp(true);
    const cSm = d3.scaleSequential([0, 1], (t) => d3.interpolatePurples(0.3 + 0.7 * t));
    qCells.attr('fill', (c) => cQK(cur.q[c.d]));
    kCells.attr('fill', (c) => cQK(cur.k[c.j * D + c.d]));
    pCells.attr('fill', (c) => cP(cur.prod[c.j * D + c.d]));
    dotText.text((c) => cur.dots[c.j].toFixed(3));
    smBar.attr('width', (c) => Math.max(0.5, cur.softmax[c.j] * barW)).attr('fill', (c) => cSm(cur.softmax[c.j]));
    smText.text((c) => cur.softmax[c.j].toFixed(3));
    qToken.text(labels[i]);
    current.attr('y', i * ROW_H + 2);
    labelG.classed('hl-neuron-selected', (d) => d.j === i);
    legendQK.draw(cQK, cur.qkMax, true);
    legendP.draw(cP, cur.pMax, true);
    legendSm.draw(cSm, 1, false);
    setFocusRow(i);
  }

  // The tooltip: plain text lines (token text goes in through textContent, never as HTML).
  function showTip(d, cx, cy) {
    headHover.attr('display', 'none');
    bodyHover.attr('display', 'none');
    if (!d || !d.kind || !cur) { tip.property('hidden', true); return; }
    const i = opts.token, tok = (j) => `“${tokens[j].text}”`;
    let lines;
    if (d.kind === 'q') lines = [`q${sub(i)}[${d.d}] = ${fmt(cur.q[d.d])}`, `query token ${i}: ${tok(i)}`];
    else if (d.kind === 'k') lines = [`k${sub(d.j)}[${d.d}] = ${fmt(cur.k[d.j * D + d.d])}`, `key token ${d.j}: ${tok(d.j)}`];
    else if (d.kind === 'p') lines = [`q${sub(i)}[${d.d}] × k${sub(d.j)}[${d.d}] = ${fmt(cur.q[d.d])} × ${fmt(cur.k[d.j * D + d.d])} = ${fmt(cur.prod[d.j * D + d.d])}`,
      `${tok(i)} → ${tok(d.j)}`];
    else if (d.kind === 'dot') lines = [`q${sub(i)} · k${sub(d.j)} = ${fmt(cur.dots[d.j])}`, `/ √${D} = ${fmt(cur.dots[d.j] / Math.sqrt(D))}`, `${tok(i)} → ${tok(d.j)}`];
    else if (d.kind === 'sm') {
      const s = cur.softmax[d.j], e = cur.engine[d.j];
      lines = [`softmax = ${s.toFixed(5)}`, `engine's attention = ${e.toFixed(5)} (Δ ${Math.abs(s - e).toExponential(1)})`, `${tok(i)} → ${tok(d.j)}`];
    } else if (d.kind === 'label') lines = [`token ${d.j}: ${tok(d.j)} (segment ${tokens[d.j].segment ? 'B' : 'A'})`, 'click: make it the query'];
    else { tip.property('hidden', true); return; }
    if (d.kind === 'q' || d.kind === 'k' || d.kind === 'p') {
      headHover.attr('display', null).attr('x', x.k + d.d * cellW - 1).attr('y', qY);
      if (d.kind !== 'q') bodyHover.attr('display', null).attr('transform', `translate(${d.d * cellW},${d.j * ROW_H + 2})`);
    }
    tip.selectAll('div').data(lines).join('div').text((t) => t);
    tip.property('hidden', false);
    placeTip(tip.node(), cx, cy);
  }

  draw();

  const view = {
    /** Redraws with these options merged over the current ones ({ layer, head, token, onSelectToken }). */
    update(newOptions = {}) {
      if (destroyed) throw new Error('neuronView: update() after destroy()');
      opts = checkOptions({ ...opts, ...newOptions }, data);
      draw();
      return view;
    },
    /** Copies of what is drawn: q_i (D), k (n·D, row j = k_j), dots q_i·k_j (n), softmax(q·k/√D) (n). */
    values() {
      if (destroyed) throw new Error('neuronView: values() after destroy()');
      return { q: Float32Array.from(cur.q), k: Float32Array.from(cur.k), dots: Float64Array.from(cur.dots), softmax: Float64Array.from(cur.softmax) };
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      root.remove();
      cur = null;
    },
  };
  return view;
}

// A colour-scale strip (32 steps) with its range written under it; draw(scale, max, diverging) fills it.
function legend(svg, x0, y0, w) {
  const g = svg.append('g').attr('class', 'hl-neuron-legend').attr('transform', `translate(${x0},${y0})`);
  const steps = 32;
  const rects = g.selectAll('rect').data(d3.range(steps)).join('rect')
    .attr('x', (s) => (s * w) / steps).attr('width', w / steps + 0.5).attr('y', 0).attr('height', 6);
  const lo = g.append('text').attr('x', 0).attr('y', 17);
  const mid = g.append('text').attr('x', w / 2).attr('y', 17).attr('text-anchor', 'middle');
  const hi = g.append('text').attr('x', w).attr('y', 17).attr('text-anchor', 'end');
  return {
    draw(scale, max, diverging) {
      const lo0 = diverging ? -max : 0;
      rects.attr('fill', (s) => scale(lo0 + ((s + 0.5) / steps) * (max - lo0)));
      lo.text(diverging ? fmt(-max, 2) : '0');
      mid.text(diverging ? '0' : fmt(max / 2, 2));
      hi.text(fmt(max, 2));
    },
  };
}

function checkData(data) {
  const need = ['n', 'layers', 'heads', 'head_size'];
  for (const key of need) if (!Number.isInteger(data?.[key]) || data[key] <= 0) throw new TypeError(`neuronView: data.${key} must be a positive integer`);
  const { n, layers: L, heads: A, head_size: D } = data;
  if (!Array.isArray(data.tokens) || data.tokens.length !== n) throw new TypeError(`neuronView: data.tokens must hold n = ${n} tokens`);
  if (data.attention?.length !== L * A * n * n) throw new TypeError(`neuronView: data.attention must have L·A·n·n = ${L * A * n * n} values`);
  for (const key of ['queries', 'keys'])
    if (data[key]?.length !== L * A * n * D) throw new TypeError(`neuronView: data.${key} must have L·A·n·D = ${L * A * n * D} values`);
}

function checkOptions(o, data) {
  const limits = { layer: data.layers, head: data.heads, token: data.n };
  for (const [key, max] of Object.entries(limits))
    if (!Number.isInteger(o[key]) || o[key] < 0 || o[key] >= max) throw new RangeError(`neuronView: options.${key} = ${o[key]} is not an integer in [0, ${max})`);
  return o;
}



const SUB = '₀₁₂₃₄₅₆₇₈₉';
function sub(k) { return String(k).replace(/\d/g, (c) => SUB[c]); }
function fmt(v, digits = 3) { return Number(v).toFixed(digits); }

