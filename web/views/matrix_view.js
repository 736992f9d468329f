// Matrix view: one head's attention as a heatmap (rows = from, columns = to) on a canvas, token labels around it, hover/keyboard tooltip.
import * as d3 from '../vendor/d3.js';
import { measureText, placeTip, truncateLabel } from './labels.js';
import { headMatrix, valueCount } from '../data/attention_data.js';

// Labels are SVG text in this font; the same string measures them (canvas measureText) so the margins fit.
const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const LABEL_PX = 12;        // a label needs this many px of row/column: with smaller cells only every k-th label is written
const LABEL_CHARS = 16;     // longer tokens are cut with an ellipsis (the full text is in the tooltip)
const PLOT_PX = 600;        // default plot side: cell = clamp(floor(600 / n), 1, 26) px, so n = 512 still fits
const HIGHLIGHT = '#e8590c';
const NAN_COLOR = [221, 221, 221];  // cells that are not finite (e.g. filtered out upstream)

/**
 * matrixView(container, data, options) → { update(newOptions, newData?), valueAt(i, j), cellAt(clientX, clientY), cellCenter(i, j), destroy() }
 *   data: the engine's result { n, layers, heads_per_layer, tokens: [{ text, segment }], attention: Float32Array [L][A][n][n] }.
 *   options: { layer, head, onHover?(i, j, w) — called when the highlighted cell changes, (null, null, null) when it goes,
 *              matrix?: Float32Array m·m — drawn instead of the attention slice (word-level, filtered...),
 *              tokens?: [{ text, segment }] — the labels of matrix (default data.tokens; m = tokens.length),
 *              vmax?: number — top of the colour scale (default: the largest value drawn),
 *              cellSize?: px per cell (default from n), title?: the legend's name of the values (default 'attention') }.
 */
export function matrixView(container, data, options = {}) {
  let opts = checkOptions({ layer: 0, head: 0, ...options }, data);
  let destroyed = false;
  // What is drawn, set by draw(): tokens, n, values (Float32Array n·n, row i = from i), vmax, cell (px), plot offsets.
  let cur = null;
  let active = null;  // the highlighted cell { i, j } (pointer or keyboard), or null

  const root = d3.select(container).append('div').attr('class', 'hl-matrix');
  const frame = root.append('div').attr('class', 'hl-matrix-frame').style('position', 'relative');
  const svg = frame.append('svg').attr('class', 'hl-matrix-labels').style('position', 'absolute').style('left', 0).style('top', 0)
    .style('font', FONT).style('pointer-events', 'none');
  const heat = frame.append('canvas').attr('class', 'hl-matrix-heat').attr('tabindex', 0).attr('role', 'img')
    .style('position', 'absolute');
  const overlay = frame.append('canvas').attr('class', 'hl-matrix-overlay').style('position', 'absolute').style('pointer-events', 'none');
  const legendDiv = root.append('div').attr('class', 'hl-matrix-legend');
  const legendTitle = legendDiv.append('span').attr('class', 'hl-matrix-legend-title');
  const legendLo = legendDiv.append('span');
  const legendCanvas = legendDiv.append('canvas').attr('width', 120).attr('height', 1);
  const legendHi = legendDiv.append('span');
  legendDiv.append('span').attr('class', 'hl-matrix-legend-note').text('rows: from · columns: to');
  const tip = root.append('div').attr('class', 'hl-matrix-tip').attr('role', 'tooltip')
    .style('position', 'fixed').style('pointer-events', 'none').property('hidden', true);

  const values = () => opts.matrix ?? headMatrix(data, opts.layer, opts.head);

  function draw() {
    legendTitle.text(opts.title ?? 'attention');
    const tokens = opts.tokens ?? data.tokens;
    const n = tokens.length;
    const vals = values();
    let max = 0;
    for (let k = 0; k < vals.length; k++) if (vals[k] > max) max = vals[k];
    const vmax = opts.vmax ?? (max > 0 ? max : 1);
    const cell = opts.cellSize ?? Math.max(1, Math.min(26, Math.floor(PLOT_PX / n)));
    const side = n * cell;
    // Labels: every step-th token, so that they never overlap; font shrinks a little for small cells.
    const step = Math.max(1, Math.ceil(LABEL_PX / cell));
    const labels = tokens.map((t) => truncateLabel(t.text, LABEL_CHARS));
    const shown = d3.range(0, n, step);
    const labelW = Math.ceil(Math.max(24, ...shown.map((k) => measureText(labels[k], FONT)))) + 10;
    const left = labelW, top = labelW;   // top labels are the same strings, rotated
    cur = { tokens, n, values: vals, vmax, cell, left, top, labels, step };

    frame.style('width', `${left + side + 8}px`).style('height', `${top + side + 4}px`);
    svg.attr('width', left + side + 8).attr('height', top + side + 4);
    for (const c of [heat, overlay]) c.style('left', `${left}px`).style('top', `${top}px`).style('width', `${side}px`).style('height', `${side}px`);
    heat.attr('aria-label', `attention matrix, ${n} × ${n}${opts.matrix ? '' : `, layer ${opts.layer} head ${opts.head}`}: arrow keys move between cells`);

    // Labels (text only: token text goes in through .text()).
    const seg = (k) => `hl-matrix-seg${tokens[k].segment ? 'B' : 'A'}`;
    svg.selectAll('text.hl-matrix-rowlabel').data(shown, (k) => k).join('text')
      .attr('class', (k) => `hl-matrix-rowlabel ${seg(k)}`)
      .attr('x', left - 5).attr('y', (k) => top + (k + 0.5) * cell)
      .attr('text-anchor', 'end').attr('dominant-baseline', 'central').text((k) => labels[k]);
    svg.selectAll('text.hl-matrix-collabel').data(shown, (k) => k).join('text')
      .attr('class', (k) => `hl-matrix-collabel ${seg(k)}`)
      .attr('transform', (k) => `translate(${left + (k + 0.5) * cell},${top - 5}) rotate(-90)`)
      .attr('dominant-baseline', 'central').text((k) => labels[k]);
    // The highlighted row's and column's labels, drawn over the others (they may be among the skipped ones).
    svg.selectAll('g.hl-matrix-active').data([0]).join((e) => {
      const g = e.append('g').attr('class', 'hl-matrix-active').attr('display', 'none');
      for (const cls of ['row', 'col']) {
        const gg = g.append('g').attr('class', `hl-matrix-active-${cls}`);
        gg.append('rect');
        gg.append('text').attr('dominant-baseline', 'central');
      }
      return g;
    }).raise();

    paintHeat();
    paintLegend();
    paintOverlay();
  }

  // The heatmap: one pixel per cell into an n×n image (colour from a 256-entry table), scaled up without smoothing.
  function paintHeat() {
    const { n, values: vals, vmax, cell } = cur;
    const dpr = window.devicePixelRatio || 1;
    const px = Math.round(n * cell * dpr);
    for (const c of [heat, overlay]) c.attr('width', px).attr('height', px);
    const lut = colorTable();
    const small = document.createElement('canvas');
    small.width = n; small.height = n;
    const sctx = small.getContext('2d');
    const img = sctx.createImageData(n, n);
    const out = img.data;
    for (let k = 0; k < n * n; k++) {
      const v = vals[k];
      let r, g, b;
      if (Number.isFinite(v)) {
        const t = Math.max(0, Math.min(255, Math.round((v / vmax) * 255)));
        r = lut[3 * t]; g = lut[3 * t + 1]; b = lut[3 * t + 2];
      } else [r, g, b] = NAN_COLOR;
      out[4 * k] = r; out[4 * k + 1] = g; out[4 * k + 2] = b; out[4 * k + 3] = 255;
    }
    sctx.putImageData(img, 0, 0);
    const ctx = heat.node().getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, px, px);
    ctx.drawImage(small, 0, 0, px, px);
    // Thin white gaps between cells when cells are big enough to read them one by one.
    if (cell >= 10) {
      ctx.fillStyle = 'rgba(255,255,255,0.9)';
      const w = Math.max(1, Math.round(dpr));
      for (let k = 1; k < n; k++) {
        const p = Math.round(k * cell * dpr);
        ctx.fillRect(p - w / 2, 0, w, px);
        ctx.fillRect(0, p - w / 2, px, w);
      }
    }
  }

  function colorTable() {
    const lut = new Uint8ClampedArray(256 * 3);
    for (let t = 0; t < 256; t++) {
      const c = d3.rgb(d3.interpolateBlues(t / 255));
      lut[3 * t] = c.r; lut[3 * t + 1] = c.g; lut[3 * t + 2] = c.b;
    }
    return lut;
  }

  function paintLegend() {
    const c = legendCanvas.node(), ctx = c.getContext('2d');
    for (let x = 0; x < c.width; x++) {
      ctx.fillStyle = d3.interpolateBlues(x / (c.width - 1));
      ctx.fillRect(x, 0, 1, 1);
    }
    legendLo.text('0');
    legendHi.text(fmt(cur.vmax, cur.vmax >= 0.995 ? 0 : 2));
  }

  // Hover layer: row and column bands plus the cell's outline, on the overlay canvas (the heatmap is not redrawn).
  function paintOverlay() {
    const { n, cell } = cur;
    const o = overlay.node(), ctx = o.getContext('2d');
    const dpr = o.width / (n * cell);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, o.width, o.height);
    const act = svg.select('g.hl-matrix-active');
    if (!active || active.i >= n || active.j >= n) { act.attr('display', 'none'); return; }
    const { i, j } = active;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    // Outlines only (a tint would muddy the blues): the row, the column, then the cell, thicker.
    ctx.strokeStyle = 'rgba(232, 89, 12, 0.75)';
    ctx.lineWidth = Math.min(1.5, Math.max(1, cell / 8));
    ctx.strokeRect(0, i * cell, n * cell, cell);
    ctx.strokeRect(j * cell, 0, cell, n * cell);
    ctx.strokeStyle = HIGHLIGHT;
    ctx.lineWidth = Math.max(1.5, Math.min(3, cell / 6));
    const pad = ctx.lineWidth / 2;
    ctx.strokeRect(j * cell - pad, i * cell - pad, cell + 2 * pad, cell + 2 * pad);
    // The two labels, bold on a white ground.
    act.attr('display', null);
    const { left, top, labels } = cur;
    const row = act.select('.hl-matrix-active-row'), col = act.select('.hl-matrix-active-col');
    row.select('text').attr('x', left - 5).attr('y', top + (i + 0.5) * cell).attr('text-anchor', 'end').text(labels[i]);
    col.select('text').attr('x', 0).attr('y', 0).attr('text-anchor', 'start').text(labels[j])
      .attr('transform', `translate(${left + (j + 0.5) * cell},${top - 5}) rotate(-90)`);
    for (const g of [row, col]) {
      const t = g.select('text'), b = t.node().getBBox();
      g.select('rect').attr('x', b.x - 2).attr('y', b.y - 1).attr('width', b.width + 4).attr('height', b.height + 2)
        .attr('transform', t.attr('transform'));
    }
  }

  function setActive(cellIJ, cx, cy) {
    const same = active === cellIJ || (active && cellIJ && active.i === cellIJ.i && active.j === cellIJ.j);
    active = cellIJ;
    paintOverlay();
    if (!cellIJ) {
      tip.property('hidden', true);
      if (!same) opts.onHover?.(null, null, null);
      return;
    }
    const { i, j } = cellIJ, w = cur.values[i * cur.n + j];
    tip.text(`${cur.tokens[i].text} → ${cur.tokens[j].text}: ${fmt(w, 3)}`);
    tip.property('hidden', false);
    placeTip(tip.node(), cx, cy);
    if (!same) opts.onHover?.(i, j, w);
  }

  // Client coordinates → cell, from the heatmap canvas's box (cells are cur.cell CSS px square).
  function cellAt(clientX, clientY) {
    if (!cur) return null;
    const r = heat.node().getBoundingClientRect();
    const j = Math.floor((clientX - r.left) / cur.cell), i = Math.floor((clientY - r.top) / cur.cell);
    return i >= 0 && j >= 0 && i < cur.n && j < cur.n ? { i, j } : null;
  }
  function cellCenter(i, j) {
    const r = heat.node().getBoundingClientRect();
    return { x: r.left + (j + 0.5) * cur.cell, y: r.top + (i + 0.5) * cur.cell };
  }

  heat.on('pointermove', (ev) => {
    const c = cellAt(ev.clientX, ev.clientY);
    setActive(c, ev.clientX, ev.clientY);
  }).on('pointerleave', () => setActive(null));
  heat.on('keydown', (ev) => {
    const { n } = cur;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    let next;
    if (ev.key in moves) {
      const [di, dj] = moves[ev.key], a = active ?? { i: 0, j: 0 };
      next = active ? { i: clamp(a.i + di, n), j: clamp(a.j + dj, n) } : a;
    } else if (ev.key === 'Home') next = { i: active?.i ?? 0, j: 0 };
    else if (ev.key === 'End') next = { i: active?.i ?? 0, j: n - 1 };
    else if (ev.key === 'Escape') next = null;
    else return;
    ev.preventDefault();
    if (!next) { setActive(null); return; }
    const c = cellCenter(next.i, next.j);
    setActive(next, c.x + cur.cell / 2, c.y + cur.cell / 2);
  }).on('blur', () => setActive(null));

  draw();

  const view = {
    /**
     * Redraws with these options merged over the current ones (pass matrix: null / tokens: null to go back to the
     * attention slice), and with newData (another text or model) when given.
     */
    update(newOptions = {}, newData = data) {
      if (destroyed) throw new Error('matrixView: update() after destroy()');
      opts = checkOptions({ ...opts, ...newOptions }, newData);
      data = newData;
      active = null;
      tip.property('hidden', true);
      draw();
      return view;
    },
    /** The number drawn at row i (from), column j (to). */
    valueAt(i, j) {
      if (destroyed) throw new Error('matrixView: valueAt() after destroy()');
      if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < cur.n && j < cur.n))
        throw new RangeError(`matrixView: cell (${i}, ${j}) is outside ${cur.n} × ${cur.n}`);
      return cur.values[i * cur.n + j];
    },
    /** The cell under client coordinates, { i, j }, or null. */
    cellAt,
    /** The centre of cell (i, j) in client coordinates, { x, y }. */
    cellCenter,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      root.remove();
      cur = null;
      active = null;
    },
  };
  return view;
}

function checkOptions(o, data) {
  const limits = { layer: data.layers, head: data.heads_per_layer };
  for (const [key, max] of Object.entries(limits))
    if (!Number.isInteger(o[key]) || o[key] < 0 || o[key] >= max) throw new RangeError(`matrixView: options.${key} = ${o[key]} is not an integer in [0, ${max})`);
  const m = (o.tokens ?? data.tokens)?.length;
  if (!Number.isInteger(m) || m <= 0) throw new TypeError('matrixView: no tokens (data.tokens or options.tokens)');
  if (o.matrix) {
    if (o.matrix.length !== m * m) throw new TypeError(`matrixView: options.matrix has ${o.matrix.length} values, its ${m} tokens need ${m * m}`);
  } else {
    if (m !== data.n) throw new TypeError(`matrixView: options.tokens has ${m} tokens but no options.matrix (the attention is ${data.n} × ${data.n})`);
    if (valueCount(data.attention) !== data.layers * data.heads_per_layer * data.n * data.n) throw new TypeError('matrixView: data.attention must have L·A·n·n values');
  }
  if (o.vmax != null && !(o.vmax > 0)) throw new RangeError(`matrixView: options.vmax = ${o.vmax} must be > 0`);
  if (o.cellSize != null && !(o.cellSize > 0)) throw new RangeError(`matrixView: options.cellSize = ${o.cellSize} must be > 0`);
  return o;
}



function clamp(k, n) { return Math.max(0, Math.min(n - 1, k)); }
function fmt(v, digits) { return Number(v).toFixed(digits); }

