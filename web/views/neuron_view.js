// Neuron view (after BertViz): for one layer, head and query token i, the vectors behind row i of the attention: q_i, every k_j, q_i∘k_j, q_i·k_j and softmax.
import * as d3 from '../vendor/d3.js';
import { measureText, placeTip, truncateLabel } from './labels.js';
import { headRows, headVectors, valueCount } from '../data/attention_data.js';
import { listMove } from './keys.js';

// Labels are SVG text in this font; the same string measures them (canvas measureText), so the column fits its longest label.
const FONT_PX = 12;
const FONT = `${FONT_PX}px system-ui, -apple-system, "Segoe UI", sans-serif`;
const LABEL_CHARS = 18;   // longer tokens are cut with an ellipsis (the full text is in the tooltip)
const ROW_H = 18;         // one row per key token j
const GAP = 22;           // between the column blocks

/**
 * neuronView(container, data, options) → { update(newOptions, newData?), values(), destroy() }
 *   data: the engine's result { n, layers, heads_per_layer, head_size, tokens: [{ text, segment }], attention, queries, keys }
 *         attention: Float32Array [L][A][n][n] (row i = from token i); queries, keys: Float32Array [L][A][n][D].
 *   options: { layer, head, token (the query token i), onSelectToken?(j) } (ints, 0-based).
 * update() with new data (another text or model) re-lays out the same elements for the new n and D.
 */
export function neuronView(container, data, options = {}) {
  checkData(data);
  let opts = checkOptions({ layer: 0, head: 0, token: 0, ...options }, data);
  let destroyed = false;
  let cur = null;              // what is drawn: compute()'s values for (data, opts)
  let focusRow = opts.token;   // the label that holds the tab stop (roving tabindex; arrow keys move it)
  const parts = skeleton(container);
  const { headSvg, bodySvg, tip, headHover, bodyHover } = parts;
  let rows = null;             // layoutRows()'s geometry and row selections for the current data

  // Pointer: one listener per SVG; the hovered element's datum ({ kind, j, d }) says what to explain.
  for (const svg of [headSvg, bodySvg]) {
    svg.on('pointermove', (ev) => showTip(ev.target.__data__, ev.clientX, ev.clientY))
      .on('pointerleave', () => showTip(null));
  }
  bodySvg.on('keydown', (ev) => {
    const d = ev.target.__data__;
    if (!d || d.kind !== 'label') return;
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(d.j); return; }
    const to = listMove(ev.key, d.j, data.n, { axis: 'vertical' });
    if (to < 0) return;
    ev.preventDefault();
    setFocusRow(to);
    rows.labelG.filter((e) => e.j === to).node().focus();
  });

  function select(j) {
    setFocusRow(j);
    if (typeof opts.onSelectToken === 'function') opts.onSelectToken(j);
  }
  function setFocusRow(j) {
    focusRow = j;
    rows.labelG.attr('tabindex', (d) => (d.j === focusRow ? 0 : -1));
  }

  function draw() {
    cur = compute(data, opts);
    const i = opts.token;
    // Diverging scales, symmetric around 0: one for q and k (same units), one for their products.
    const cQK = d3.scaleDiverging([-cur.qkMax, 0, cur.qkMax], d3.interpolateRdBu).clamp(true);
    const cP = d3.scaleDiverging([-cur.pMax, 0, cur.pMax], d3.interpolateRdBu).clamp(true);
    const cSm = d3.scaleSequential([0, 1], (t) => d3.interpolatePurples(0.3 + 0.7 * t));
    rows.qCells.attr('fill', (c) => cQK(cur.q[c.d]));
    rows.kCells.attr('fill', (c) => cQK(cur.k[c.j][c.d]));
    rows.pCells.attr('fill', (c) => cP(cur.prod[c.j][c.d]));
    rows.dotText.text((c) => cur.dots[c.j].toFixed(3));
    rows.smBar.attr('width', (c) => Math.max(0.5, cur.softmax[c.j] * BAR_W)).attr('fill', (c) => cSm(cur.softmax[c.j]));
    rows.smText.text((c) => cur.softmax[c.j].toFixed(3));
    parts.qToken.text(rows.labels[i]);
    parts.current.attr('y', i * ROW_H + 2);
    rows.labelG.classed('hl-neuron-selected', (d) => d.j === i);
    parts.legends.qk.draw(cQK, cur.qkMax, true);
    parts.legends.p.draw(cP, cur.pMax, true);
    parts.legends.sm.draw(cSm, 1, false);
    setFocusRow(i);
  }

  // The tooltip: plain text lines (token text goes in through textContent, never as HTML), and the hover outlines.
  function showTip(d, cx, cy) {
    headHover.attr('display', 'none');
    bodyHover.attr('display', 'none');
    const lines = d?.kind && cur ? tipLines(d, cur, data, opts.token) : null;
    if (!lines) { tip.property('hidden', true); return; }
    if (d.kind === 'q' || d.kind === 'k' || d.kind === 'p') {
      headHover.attr('display', null).attr('x', rows.x.k + d.d * rows.cellW - 1).attr('y', Q_Y);
      if (d.kind !== 'q') bodyHover.attr('display', null).attr('transform', `translate(${d.d * rows.cellW},${d.j * ROW_H + 2})`);
    }
    tip.selectAll('div').data(lines).join('div').text((t) => t);
    tip.property('hidden', false);
    placeTip(tip.node(), cx, cy);
  }

  rows = layoutRows(parts, data, select);
  draw();

  const view = {
    /** Redraws with these options merged over the current ones ({ layer, head, token, onSelectToken }), on newData when given. */
    update(newOptions = {}, newData = data) {
      if (destroyed) throw new Error('neuronView: update() after destroy()');
      if (newData !== data) checkData(newData);
      opts = checkOptions({ ...opts, ...newOptions }, newData);
      if (newData !== data) {
        data = newData;
        showTip(null);
        rows = layoutRows(parts, data, select);
      }
      draw();
      return view;
    },
    /** Copies of what is drawn: q_i (D), k (n·D, row j = k_j), dots q_i·k_j (n), softmax(q·k/√D) (n). */
    values() {
      if (destroyed) throw new Error('neuronView: values() after destroy()');
      const D = data.head_size, k = new Float32Array(data.n * D);
      cur.k.forEach((row, j) => k.set(row, j * D));
      return { q: Float32Array.from(cur.q), k, dots: Float64Array.from(cur.dots), softmax: Float64Array.from(cur.softmax) };
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      parts.root.remove();
      cur = null;
    },
  };
  return view;
}

const DOT_W = 58, BAR_W = 110;   // px: the q·k column, the softmax bar
const HEAD_H = 72;               // px: titles, legends, then the q row
const Q_Y = HEAD_H - ROW_H - 4;

// The elements that do not depend on the data. DOM: a scroll box holding a sticky header (titles, legends, q_i) above
// the body (the query token's band, one row per token j, the hover outlines).
function skeleton(container) {
  const root = d3.select(container).append('div').attr('class', 'hl-neuron');
  const scroll = root.append('div').attr('class', 'hl-neuron-scroll');
  const headSvg = scroll.append('div').attr('class', 'hl-neuron-head').append('svg').attr('height', HEAD_H).style('font', FONT);
  const bodySvg = scroll.append('svg').attr('class', 'hl-neuron-body').style('font', FONT);
  const tip = root.append('div').attr('class', 'hl-neuron-tip').attr('role', 'tooltip')
    .style('position', 'fixed').style('pointer-events', 'none').property('hidden', true);
  const titles = headSvg.append('g').attr('class', 'hl-neuron-titles');
  const title = (text, anchor = 'start') => titles.append('text').attr('y', 14).attr('text-anchor', anchor).text(text);
  const titleOf = { label: title('token j', 'end'), k: title('key kⱼ'), p: title('qᵢ ∘ kⱼ (element-wise)'), dot: title('qᵢ · kⱼ', 'end'),
    sm: title('softmax(q·k/√D)') };
  const legends = { qk: legend(headSvg, 22), p: legend(headSvg, 22), sm: legend(headSvg, 22) };
  // The q row, above the k column so that q_i[d] sits over every k_j[d].
  const qRow = headSvg.append('g').attr('class', 'hl-neuron-q').attr('transform', `translate(0,${Q_Y})`);
  const qLabel = qRow.append('text').attr('class', 'hl-neuron-qlabel').attr('y', ROW_H / 2)
    .attr('text-anchor', 'end').attr('dominant-baseline', 'central');
  qLabel.append('tspan').attr('class', 'hl-neuron-qname').text('query  ');
  const qToken = qLabel.append('tspan').attr('class', 'hl-neuron-qtoken');
  const qCellsG = qRow.append('g');
  const headHover = headSvg.append('rect').attr('class', 'hl-neuron-hover').attr('height', ROW_H - 1).attr('display', 'none');
  const current = bodySvg.append('rect').attr('class', 'hl-neuron-current').attr('x', 0).attr('height', ROW_H);
  const rowsG = bodySvg.append('g');
  // The same dimension d outlined in k_j and in q_i∘k_j (and in q_i, above), so a product's factors are easy to find.
  const bodyHover = bodySvg.append('g').attr('display', 'none');
  const bodyHoverRects = [0, 1].map(() => bodyHover.append('rect').attr('class', 'hl-neuron-hover').attr('height', ROW_H - 1));
  return { root, headSvg, bodySvg, tip, titleOf, legends, qLabel, qToken, qCellsG, headHover, current, rowsG, bodyHover, bodyHoverRects };
}

// One body row's elements (a new token row); its parts get their datum and place in layoutRows().
const newRow = (onLabelClick) => (enter) => enter.append('g').attr('class', 'hl-neuron-row').call((row) => {
  row.append('g').attr('role', 'button').on('click', (ev, d) => onLabelClick(d.j))
    .call((g) => { g.append('rect').attr('class', 'hl-neuron-labelhit').attr('x', 0).attr('height', ROW_H); g.append('text'); });
  row.append('g').attr('class', 'hl-neuron-k');
  row.append('g').attr('class', 'hl-neuron-p');
  row.append('text').attr('class', 'hl-neuron-dot').attr('y', ROW_H / 2).attr('text-anchor', 'end').attr('dominant-baseline', 'central');
  row.append('g').attr('class', 'hl-neuron-sm').call((g) => {
    g.append('rect').attr('class', 'hl-neuron-track').attr('y', 3).attr('height', ROW_H - 7);
    g.append('rect').attr('class', 'hl-neuron-bar').attr('y', 3).attr('height', ROW_H - 7);
    g.append('text').attr('class', 'hl-neuron-smval').attr('y', ROW_H / 2).attr('dominant-baseline', 'central');
  });
});

// Geometry and rows for the data's n and D (x in px: label column | k cells | q∘k cells | q·k | softmax bar + value;
// cells shrink as D grows, D = 64 → 4 px). Each element's datum ({ kind, j, d }) says what the tooltip explains.
function layoutRows(parts, data, onLabelClick) {
  const { n, head_size: D, tokens } = data;
  const labels = tokens.map((t) => truncateLabel(t.text, LABEL_CHARS));
  const cellW = Math.max(4, Math.min(18, Math.floor(288 / D)));
  const cellGap = cellW >= 8 ? 1 : 0;
  const labelW = Math.ceil(Math.max(60, ...labels.map((t) => measureText(t, FONT)))) + 14;
  const blockW = D * cellW;
  const x = { k: labelW + 12 };
  x.p = x.k + blockW + GAP;
  x.dot = x.p + blockW + GAP;            // q·k column: text right-aligned at x.dot + DOT_W
  x.sm = x.dot + DOT_W + GAP;            // softmax bar, then its value
  const width = x.sm + BAR_W + 50;
  parts.headSvg.attr('width', width);
  parts.bodySvg.attr('width', width).attr('height', n * ROW_H + 4);
  const { titleOf, legends } = parts;
  titleOf.label.attr('x', labelW - 6);
  titleOf.k.attr('x', x.k);
  titleOf.p.attr('x', x.p);
  titleOf.dot.attr('x', x.dot + DOT_W);
  titleOf.sm.attr('x', x.sm);
  legends.qk.place(x.k, blockW);
  legends.p.place(x.p, blockW);
  legends.sm.place(x.sm, BAR_W);
  parts.qLabel.attr('x', labelW - 6);
  parts.headHover.attr('width', cellW + 1);
  parts.current.attr('width', width);
  [x.k, x.p].forEach((x0, k) => parts.bodyHoverRects[k].attr('x', x0 - 1).attr('width', cellW + 1));
  const cells = (sel, x0) => sel.join('rect').attr('x', (c) => x0 + c.d * cellW).attr('y', 1)
    .attr('width', cellW - cellGap).attr('height', ROW_H - 3);
  const qCells = cells(parts.qCellsG.selectAll('rect').data(d3.range(D).map((d) => ({ kind: 'q', d }))), x.k);
  const rows = parts.rowsG.selectAll('g.hl-neuron-row').data(d3.range(n)).join(newRow(onLabelClick))
    .attr('transform', (j) => `translate(0,${j * ROW_H + 2})`);
  const labelG = rows.select('g[role=button]').datum((j) => ({ kind: 'label', j }))
    .attr('class', (d) => `hl-neuron-label hl-neuron-seg${tokens[d.j].segment ? 'B' : 'A'}`)
    .attr('aria-label', (d) => `query token ${d.j}: ${tokens[d.j].text}`);
  labelG.select('rect').attr('width', labelW);
  labelG.select('text').attr('x', labelW - 6).attr('y', ROW_H / 2).attr('text-anchor', 'end').attr('dominant-baseline', 'central')
    .text((d) => labels[d.j]);
  const rowCells = (cls, kind) => cells(rows.select(`g.${cls}`).selectAll('rect').data((j) => d3.range(D).map((d) => ({ kind, j, d }))), x[kind]);
  const smG = rows.select('g.hl-neuron-sm').datum((j) => ({ kind: 'sm', j }));
  smG.select('rect.hl-neuron-track').attr('x', x.sm).attr('width', BAR_W);
  return {
    x, cellW, labels, qCells, labelG, kCells: rowCells('hl-neuron-k', 'k'), pCells: rowCells('hl-neuron-p', 'p'),
    dotText: rows.select('text.hl-neuron-dot').datum((j) => ({ kind: 'dot', j })).attr('x', x.dot + DOT_W),
    smBar: smG.select('rect.hl-neuron-bar').attr('x', x.sm),
    smText: smG.select('text.hl-neuron-smval').attr('x', x.sm + BAR_W + 6),
  };
}

// What row i of one head's attention is made of: q (D), k (n rows of D), prod (n rows of D, q_i[d]·k_j[d]), dots (n),
// softmax(q·k/√D) (n, in double, max subtracted first), engine (n: the engine's attention row i), and the scales' maxima.
function compute(data, { layer, head, token: i }) {
  const { n, head_size: D } = data;
  const q = headVectors(data, 'queries', layer, head)[i];
  const k = headVectors(data, 'keys', layer, head);
  const prod = k.map(() => new Float64Array(D)), dots = new Float64Array(n), softmax = new Float64Array(n);
  let qkMax = 0, pMax = 0;
  for (let d = 0; d < D; d++) qkMax = Math.max(qkMax, Math.abs(q[d]));
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let d = 0; d < D; d++) {
      const kv = k[j][d], p = q[d] * kv;
      prod[j][d] = p;
      s += p;
      qkMax = Math.max(qkMax, Math.abs(kv));
      pMax = Math.max(pMax, Math.abs(p));
    }
    dots[j] = s;
  }
  const scale = 1 / Math.sqrt(D);
  let m = -Infinity, sum = 0;
  for (let j = 0; j < n; j++) m = Math.max(m, dots[j] * scale);
  for (let j = 0; j < n; j++) sum += (softmax[j] = Math.exp(dots[j] * scale - m));
  for (let j = 0; j < n; j++) softmax[j] /= sum;
  const engine = headRows(data, layer, head)[i];
  return { q, k, prod, dots, softmax, engine, qkMax: qkMax || 1, pMax: pMax || 1 };
}

// The tooltip's lines for the hovered element's datum d (query token i), or null when it explains nothing.
function tipLines(d, cur, data, i) {
  const { tokens, head_size: D } = data;
  const tok = (j) => `“${tokens[j].text}”`;
  if (d.kind === 'q') return [`q${sub(i)}[${d.d}] = ${fmt(cur.q[d.d])}`, `query token ${i}: ${tok(i)}`];
  if (d.kind === 'k') return [`k${sub(d.j)}[${d.d}] = ${fmt(cur.k[d.j][d.d])}`, `key token ${d.j}: ${tok(d.j)}`];
  if (d.kind === 'p') return [`q${sub(i)}[${d.d}] × k${sub(d.j)}[${d.d}] = ${fmt(cur.q[d.d])} × ${fmt(cur.k[d.j][d.d])} = ${fmt(cur.prod[d.j][d.d])}`,
    `${tok(i)} → ${tok(d.j)}`];
  if (d.kind === 'dot') return [`q${sub(i)} · k${sub(d.j)} = ${fmt(cur.dots[d.j])}`, `/ √${D} = ${fmt(cur.dots[d.j] / Math.sqrt(D))}`, `${tok(i)} → ${tok(d.j)}`];
  if (d.kind === 'sm') {
    const s = cur.softmax[d.j], e = cur.engine[d.j];
    return [`softmax = ${s.toFixed(5)}`, `engine's attention = ${e.toFixed(5)} (Δ ${Math.abs(s - e).toExponential(1)})`, `${tok(i)} → ${tok(d.j)}`];
  }
  if (d.kind === 'label') return [`token ${d.j}: ${tok(d.j)} (segment ${tokens[d.j].segment ? 'B' : 'A'})`, 'click: make it the query'];
  return null;
}

// A colour-scale strip (32 steps) with its range written under it; place(x0, w) puts it, draw(scale, max, diverging) fills it.
function legend(svg, y0) {
  const g = svg.append('g').attr('class', 'hl-neuron-legend');
  const steps = 32;
  const rects = g.selectAll('rect').data(d3.range(steps)).join('rect').attr('y', 0).attr('height', 6);
  const lo = g.append('text').attr('x', 0).attr('y', 17);
  const mid = g.append('text').attr('y', 17).attr('text-anchor', 'middle');
  const hi = g.append('text').attr('y', 17).attr('text-anchor', 'end');
  return {
    place(x0, w) {
      g.attr('transform', `translate(${x0},${y0})`);
      rects.attr('x', (s) => (s * w) / steps).attr('width', w / steps + 0.5);
      mid.attr('x', w / 2);
      hi.attr('x', w);
    },
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
  const need = ['n', 'layers', 'heads_per_layer', 'head_size'];
  for (const key of need) if (!Number.isInteger(data?.[key]) || data[key] <= 0) throw new TypeError(`neuronView: data.${key} must be a positive integer`);
  const { n, layers: L, heads_per_layer: A, head_size: D } = data;
  if (!Array.isArray(data.tokens) || data.tokens.length !== n) throw new TypeError(`neuronView: data.tokens must hold n = ${n} tokens`);
  if (valueCount(data.attention) !== L * A * n * n) throw new TypeError(`neuronView: data.attention must have L·A·n·n = ${L * A * n * n} values`);
  for (const key of ['queries', 'keys'])
    if (valueCount(data[key]) !== L * A * n * D) throw new TypeError(`neuronView: data.${key} must have L·A·n·D = ${L * A * n * D} values`);
}

function checkOptions(o, data) {
  const limits = { layer: data.layers, head: data.heads_per_layer, token: data.n };
  for (const [key, max] of Object.entries(limits))
    if (!Number.isInteger(o[key]) || o[key] < 0 || o[key] >= max) throw new RangeError(`neuronView: options.${key} = ${o[key]} is not an integer in [0, ${max})`);
  return o;
}



const SUB = '₀₁₂₃₄₅₆₇₈₉';
function sub(k) { return String(k).replace(/\d/g, (c) => SUB[c]); }
function fmt(v, digits = 3) { return Number(v).toFixed(digits); }

