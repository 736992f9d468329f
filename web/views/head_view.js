// Vig's head view: tokens in two columns, a line from each left token to each right token per selected head,
// one colour per head, opacity and width by weight; layer select, head squares, pair filter, hover and lock.
import * as d3 from '../vendor/d3.js';
import { headColour, inkOn } from './palette.js';
import { hasLayer, headRows, pairFilter } from '../data/attention_data.js';
import { measureText } from './labels.js';

const ROW = 22;               // px per token row
const PAD = 12;               // px between a token column and the line area
const SVG_MAX_LINES = 2000;   // above this many lines, draw them on a canvas
const MAX_LINES = 4000;       // the automatic threshold rises until at most this many lines remain (~6 µs each to raster)
const THRESHOLDS = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5];
const FILTERS = [['all', 'All'], ['AA', 'A→A'], ['AB', 'A→B'], ['BA', 'B→A'], ['BB', 'B→B']];

/**
 * container: a DOM element; data: {n, layers, heads_per_layer, tokens:[{text, segment}], attention [L][A][n][n] (a Float32Array
 * or Layers: data/attention_data.js)};
 * options: {layer, selectedHeads: number[], filter, threshold (minimum weight drawn), locked: {side, index} | null,
 * onChange(state)}. Returns {update(options, data?), destroy(), state(), drawn()}; update() with new data (another
 * text or model) redraws the same elements.
 */
export function headView(container, data, options = {}) {
  let n = 0, L = 0, A = 0, tokens = [];
  const opt = { layer: 0, selectedHeads: d3.range(data.heads_per_layer), filter: 'all', threshold: 0, locked: null, onChange: () => {}, ...options };
  let hover = null;   // {side: 'left' | 'right', index}
  let touchAt = null;  // where the current touch started
  let at = () => '';  // token k's position, for tooltips, where its text occurs more than once
  let drawn = { lines: 0, mode: 'svg', threshold: 0 };

  const root = d3.select(container).append('div').attr('class', 'hl-head');
  const bar = root.append('div').attr('class', 'hl-head-controls');
  const layerLabel = bar.append('label').text('Layer ');
  const layerSelect = layerLabel.append('select').attr('aria-label', 'layer')
    .on('change', (e) => { opt.layer = Number(e.target.value); changed(); });
  const squares = bar.append('div').attr('class', 'hl-head-squares').attr('role', 'group').attr('aria-label', 'heads');
  bar.append('button').attr('class', 'hl-head-all').text('all').on('click', () => { opt.selectedHeads = d3.range(A); changed(); });
  bar.append('button').attr('class', 'hl-head-none').text('none').on('click', () => { opt.selectedHeads = []; changed(); });
  const filterGroup = bar.append('div').attr('class', 'hl-head-filter').attr('role', 'group').attr('aria-label', 'sentence filter');
  filterGroup.selectAll('button').data(FILTERS).join('button').attr('data-filter', (d) => d[0]).text((d) => d[1])
    .on('click', (e, d) => { opt.filter = d[0]; changed(); });
  const info = bar.append('span').attr('class', 'hl-head-info');
  // What can be done, where a person looks first (touch screens cannot hover).
  const touch = typeof matchMedia === 'function' && matchMedia('(hover: none)').matches;
  root.append('p').attr('class', 'hl-head-hint').text(touch
    ? 'Tap a token: only its lines, locked (tap again to unlock). Head squares: tap to show or hide a head.'
    : 'Hover a token: only its lines. Click locks it (again, or Escape, unlocks); ↑/↓ move the lock, ←/→ switch side, ' +
      'Enter locks. Head squares: click shows or hides a head, double-click shows only it.');

  const stage = root.append('div').attr('class', 'hl-head-stage');
  const canvas = stage.append('canvas').attr('class', 'hl-head-canvas');
  const svg = stage.append('svg').attr('class', 'hl-head-svg').attr('tabindex', 0)
    .attr('aria-label', 'head view: arrow keys move the locked token, Enter locks or unlocks, Escape unlocks');
  const linesG = svg.append('g').attr('class', 'hl-head-lines');
  const marksG = svg.append('g').attr('class', 'hl-head-marks');
  const leftG = svg.append('g').attr('class', 'hl-head-left');
  const rightG = svg.append('g').attr('class', 'hl-head-right');
  const tip = root.append('div').attr('class', 'hl-tooltip').style('display', 'none');

  let colW = 40;
  const y = (i) => 14 + i * ROW;
  let width = 0, x0 = 0, x1 = 0;

  // One row per token in each column, bound to {index, text, segment}; the handlers read the bound index.
  const tokenRows = (g, side) => g.selectAll('g.hl-token').data(tokens.map((t, index) => ({ index, text: t.text, segment: t.segment })))
    .join((enter) => enter.append('g')
      .on('mouseenter', (e, t) => { hover = { side, index: t.index }; render(); })
      .on('mouseleave', () => { hover = null; render(); })
      .on('click', (e, t) => toggleLock(side, t.index))
      // A tap locks at once: the browser's emulated mouse events came late and after focusing the (tall) drawing, which
      // scrolled the page, so the click landed on another token or outside. A touch that moved is a scroll, not a tap.
      .on('touchstart', (e) => { const p = e.changedTouches[0]; touchAt = { x: p.clientX, y: p.clientY }; })
      .on('touchend', (e, t) => {
        const p = e.changedTouches[0];
        if (!touchAt || Math.hypot(p.clientX - touchAt.x, p.clientY - touchAt.y) > 10) return;
        e.preventDefault();  // no emulated mousedown, focus or click
        hover = null;
        toggleLock(side, t.index);
      })
      .call((row) => { row.append('rect').attr('class', 'hl-token-bg'); row.append('text'); }))
    .attr('class', (t) => `hl-token hl-token-${side}${t.segment === 1 ? ' hl-seg-b' : ''}`)
    .call((row) => row.select('text').text((t) => t.text));

  // The parts that follow the data: the layer select, one square per head, the pair filter (with a sentence B only),
  // the token columns and their width (from the longest token, measured with the page's font).
  function setData(d) {
    data = d;
    ({ n, layers: L, heads_per_layer: A, tokens } = d);
    hover = null;
    if (opt.locked && opt.locked.index >= n) opt.locked = null;
    opt.layer = Math.min(opt.layer, L - 1);
    opt.selectedHeads = opt.selectedHeads.filter((h) => h < A);
    layerSelect.selectAll('option').data(d3.range(L)).join('option').attr('value', (l) => l).text((l) => l);
    squares.selectAll('button').data(d3.range(A)).join((enter) => enter.append('button').attr('class', 'hl-head-square')
      .on('click', (e, h) => { opt.selectedHeads = opt.selectedHeads.includes(h) ? opt.selectedHeads.filter((x) => x !== h) : [...opt.selectedHeads, h].sort((a, b) => a - b); changed(); })
      .on('dblclick', (e, h) => { opt.selectedHeads = [h]; changed(); }))
      .attr('title', (h) => `head ${h}: click toggles, double-click shows only this head`)
      .attr('aria-label', (h) => `head ${h}`).style('--c', (h) => headColour(h)).style('--ink-on', (h) => inkOn(headColour(h)))
      .text((h) => h);
    filterGroup.style('display', tokens.some((t) => t.segment === 1) ? null : 'none');
    tokenRows(leftG, 'left');
    tokenRows(rightG, 'right');
    const seen = d3.rollup(tokens, (v) => v.length, (t) => t.text);
    at = (k) => (seen.get(tokens[k].text) > 1 ? ` #${k}` : '');  // a position where the text repeats ("[SEP] #18")
    colW = Math.min(220, Math.max(40, d3.max(tokens, (t) => measureText(t.text, '13px system-ui, sans-serif')) ?? 40) + 10);
  }

  function layout() {
    width = Math.max(2 * colW + 160, Math.min(container.clientWidth || 600, 2 * colW + 640));
    x0 = colW + PAD; x1 = width - colW - PAD;
    const height = y(n - 1) + ROW;
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const dpr = window.devicePixelRatio || 1;
    canvas.attr('width', Math.round(width * dpr)).attr('height', Math.round(height * dpr))
      .style('width', `${width}px`).style('height', `${height}px`);
    leftG.selectAll('g').attr('transform', (t, i) => `translate(0,${y(i)})`)
      .call((g) => g.select('rect').attr('x', 0).attr('y', -ROW / 2 + 1).attr('width', colW).attr('height', ROW - 2))
      .call((g) => g.select('text').attr('x', colW - 4).attr('dy', '0.35em').attr('text-anchor', 'end'));
    rightG.selectAll('g').attr('transform', (t, i) => `translate(${width - colW},${y(i)})`)
      .call((g) => g.select('rect').attr('x', 0).attr('y', -ROW / 2 + 1).attr('width', colW).attr('height', ROW - 2))
      .call((g) => g.select('text').attr('x', 4).attr('dy', '0.35em').attr('text-anchor', 'start'));
  }

  // The lines to draw: {h, i, j, w} for the selected heads, the pair filter, the focused token and a threshold
  // that rises (THRESHOLDS) until at most MAX_LINES remain. Two passes, so 512 tokens allocate only what is drawn.
  function links() {
    const focus = hover ?? opt.locked;
    const keep = pairFilter(tokens, opt.filter);
    const rows = opt.selectedHeads.map((h) => headRows(data, opt.layer, h));  // rows[k][i][j]: head opt.selectedHeads[k], from i to j
    const each = (fn) => {
      opt.selectedHeads.forEach((h, k) => {
        for (let i = 0; i < n; ++i) {
          if (focus && focus.side === 'left' && focus.index !== i) continue;
          const row = rows[k][i];
          for (let j = 0; j < n; ++j) {
            if (focus && focus.side === 'right' && focus.index !== j) continue;
            const w = row[j];
            if (w > 0 && w >= opt.threshold && keep(i, j)) fn(h, i, j, w);
          }
        }
      });
    };
    const above = new Array(THRESHOLDS.length).fill(0);  // above[k]: lines with w ≥ THRESHOLDS[k]
    each((h, i, j, w) => { for (let k = 0; k < THRESHOLDS.length && w >= THRESHOLDS[k]; ++k) above[k] += 1; });
    let threshold = opt.threshold;
    const k = above.findIndex((count, t) => count <= MAX_LINES && THRESHOLDS[t] >= opt.threshold);
    if (above[0] > MAX_LINES) threshold = Math.max(opt.threshold, THRESHOLDS[k === -1 ? THRESHOLDS.length - 1 : k]);
    const out = [];
    each((h, i, j, w) => { if (w >= threshold) out.push({ h, i, j, w }); });
    return { lines: out, threshold };
  }

  function render() {
    if (!hasLayer(data, opt.layer)) return;  // not fetched yet (a result the engine Worker keeps): update() brings it
    const focus = hover ?? opt.locked;
    const { lines, threshold } = links();
    const mode = lines.length > SVG_MAX_LINES ? 'canvas' : 'svg';
    drawn = { lines: lines.length, mode, threshold };
    const path = (l) => `M${x0},${y(l.i)}L${x1},${y(l.j)}`;  // straight, as Vig's: cheaper to raster than curves
    linesG.selectAll('path').data(mode === 'svg' ? lines : []).join('path').attr('class', 'hl-head-line')
      .attr('d', path).attr('stroke', (l) => headColour(l.h)).attr('stroke-opacity', (l) => Math.min(1, 0.15 + l.w))
      .attr('stroke-width', (l) => 0.5 + 3 * l.w);
    const c = canvas.node().getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, width, y(n - 1) + ROW);
    if (mode === 'canvas') {
      // One path per (head, weight twentieth) instead of a stroke() per line. The weight is the line's opacity alone (as
      // in Vig's head view): 1-pixel lines raster on Skia's fast hairline path, and on bert-base at 126 tokens (about
      // 2,600 lines) the early layer 0 reached the screen in 72–120 ms from the keystroke instead of 93–148 ms with
      // widths 0.5 + 2·weight (tools/bench/layer0_trace.mjs). The SVG mode (≤ SVG_MAX_LINES lines) keeps its widths.
      const groups = d3.group(lines, (l) => l.h, (l) => Math.round(l.w * 20));
      for (const [h, byBucket] of groups) {
        c.strokeStyle = headColour(h);
        for (const [bucket, ls] of byBucket) {
          const w = bucket / 20;
          c.globalAlpha = Math.min(1, 0.1 + w);
          c.lineWidth = 1;
          c.beginPath();
          for (const l of ls) {
            c.moveTo(x0, y(l.i));
            c.lineTo(x1, y(l.j));
          }
          c.stroke();
        }
      }
      c.globalAlpha = 1;
    }
    // With a focused token, the tokens on the other side are shaded per head by their weight (Vig's blocks):
    // the row is split into one slice per selected head.
    const marks = focus ? lines.map((l) => ({ ...l, k: focus.side === 'left' ? l.j : l.i })) : [];
    const sliceH = (ROW - 2) / Math.max(1, opt.selectedHeads.length);
    marksG.selectAll('rect').data(marks).join('rect').attr('class', 'hl-head-mark')
      .attr('x', focus?.side === 'left' ? width - colW : 0).attr('width', colW)
      .attr('y', (l) => y(l.k) - ROW / 2 + 1 + opt.selectedHeads.indexOf(l.h) * sliceH).attr('height', sliceH)
      .attr('fill', (l) => headColour(l.h)).attr('fill-opacity', (l) => Math.min(0.85, l.w));
    leftG.selectAll('g').classed('hl-focus', (t, i) => focus?.side === 'left' && focus.index === i)
      .classed('hl-locked', (t, i) => opt.locked?.side === 'left' && opt.locked.index === i);
    rightG.selectAll('g').classed('hl-focus', (t, i) => focus?.side === 'right' && focus.index === i)
      .classed('hl-locked', (t, i) => opt.locked?.side === 'right' && opt.locked.index === i);
    layerSelect.property('value', opt.layer);
    squares.selectAll('button').classed('hl-off', (h) => !opt.selectedHeads.includes(h)).attr('aria-pressed', (h) => opt.selectedHeads.includes(h));
    filterGroup.selectAll('button').attr('aria-pressed', (d) => d[0] === opt.filter).classed('hl-on', (d) => d[0] === opt.filter);
    info.text(threshold > 0 ? `lines below ${threshold} not drawn` : '');
    tooltip(focus, lines);
  }

  function tooltip(focus, lines) {
    if (!focus) { tip.style('display', 'none'); return; }
    const t = tokens[focus.index];
    const other = (l) => (focus.side === 'left' ? l.j : l.i);
    const byToken = d3.rollups(lines, (ls) => ls, other).map(([k, ls]) => ({ k, ls, max: d3.max(ls, (l) => l.w) }))
      .sort((a, b) => b.max - a.max).slice(0, 8);
    tip.selectAll('*').remove();
    tip.append('div').attr('class', 'hl-tooltip-title').text(`${focus.side === 'left' ? 'from' : 'to'} “${t.text}”${at(focus.index)} (layer ${opt.layer})`);
    const rows = tip.append('table').selectAll('tr').data(byToken).join('tr');
    rows.append('td').text((d) => `${focus.side === 'left' ? '→ ' : '← '}${tokens[d.k].text}${at(d.k)}`);
    // A swatch in the head's colour, the text in ink: several head colours are too light to read as text on white.
    rows.append('td').selectAll('span').data((d) => d.ls).join('span').attr('class', 'hl-tip-w')
      .call((w) => w.append('span').attr('class', 'hl-tip-swatch').attr('aria-hidden', 'true').style('background', (l) => headColour(l.h)))
      .call((w) => w.append('span').text((l) => `H${l.h} ${l.w.toFixed(3)}`));
    // Beside the drawing where the page leaves room (it covers no lines there), else a sheet fixed to the half of the
    // window the token is not in: inside the drawing it covered the lines it explains, and below the page's end it grew
    // the page, which scrolled a phone's view away from the tapped token.
    const beside = (container.clientWidth || 0) - width >= 280;
    const rowY = svg.node().getBoundingClientRect().top + y(focus.index);
    tip.style('display', null).classed('hl-beside', beside).classed('hl-sheet', !beside)
      .classed('hl-sheet-top', !beside && rowY > (window.innerHeight || 0) / 2)
      .style('top', beside ? `${Math.max(0, y(focus.index) - 10) + stage.node().offsetTop}px` : null)
      .style('left', beside ? `${width + 16}px` : null);
  }

  // Keyboard: arrow up/down move the locked token, left/right switch column, Enter locks or unlocks the token last
  // locked (the first one at first), Escape unlocks.
  let lastLocked = { side: 'left', index: 0 };
  svg.on('keydown', (e) => {
    const cur = opt.locked ?? { side: 'left', index: -1 };
    let next = null;
    if (e.key === 'ArrowDown') next = { side: cur.side, index: Math.min(n - 1, cur.index + 1) };
    else if (e.key === 'ArrowUp') next = { side: cur.side, index: Math.max(0, cur.index - 1) };
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') next = { side: e.key === 'ArrowLeft' ? 'left' : 'right', index: Math.max(0, cur.index) };
    else if (e.key === 'Enter') next = opt.locked ? 'unlock' : { side: lastLocked.side, index: Math.min(n - 1, lastLocked.index) };
    else if (e.key === 'Escape') next = 'unlock';
    if (!next) return;
    e.preventDefault();
    if (opt.locked) lastLocked = opt.locked;
    opt.locked = next === 'unlock' ? null : next;
    changed();
  });

  function toggleLock(side, index) {
    opt.locked = opt.locked && opt.locked.side === side && opt.locked.index === index ? null : { side, index };
    changed();
  }

  function changed() {
    render();
    opt.onChange(state());
  }
  const state = () => ({ layer: opt.layer, selectedHeads: [...opt.selectedHeads], filter: opt.filter, locked: opt.locked });

  setData(data);
  layout();
  render();
  const onResize = () => { layout(); render(); };
  window.addEventListener('resize', onResize);
  return {
    update(next = {}, newData = data) {
      Object.assign(opt, next);
      if (newData !== data) setData(newData);
      layout();  // also after the view was detached: the container's width may have changed meanwhile
      render();
    },
    destroy() { window.removeEventListener('resize', onResize); root.remove(); },
    state,
    drawn: () => ({ ...drawn }),
  };
}
