// The model view: every layer × head as a thumbnail of its attention matrix, on one canvas; click opens a head.
import { headColour } from './palette.js';
import { headThumbnail } from '../data/attention_data.js';

const LABEL_W = 56, LABEL_H = 20, GAP = 6;

/**
 * container: a DOM element; data: {n, layers, heads_per_layer, attention [L][A][n][n]} or, for a result the engine
 * Worker keeps, {..., thumbnails: {side, layers}} (headThumbnail in data/attention_data.js);
 * options: {selected: {layer, head} | null, onSelect(layer, head), size (px per thumbnail; default fits the width)}.
 * Returns {update(options, data?), destroy(), thumbAt(clientX, clientY), thumbCenter(layer, head), size()}; update() with new
 * data (another text or model) redraws the same canvas.
 */
export function modelView(container, data, options = {}) {
  let L = 0, A = 0;
  const opt = { selected: null, onSelect: () => {}, size: 0, ...options };
  let focus = opt.selected ?? { layer: 0, head: 0 };
  const root = document.createElement('div');
  root.className = 'hl-model';
  const canvas = document.createElement('canvas');
  canvas.className = 'hl-model-canvas';
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'grid');
  root.append(canvas);
  const caption = document.createElement('p');
  caption.className = 'hl-model-caption';
  caption.textContent = 'Each thumbnail is scaled to its own head: white is 0, full colour its strongest 1% of cells ' +
    '(by √weight). Click one, or use the arrow keys and Enter, to open it in the head view.';
  root.append(caption);
  container.append(root);
  let size = 0;

  // One thumbnail: a side×side image (the n×n matrix, or its max-pooled cells), white → the head's colour by
  // √(weight / q), q the thumbnail's 99th-percentile cell: its strongest 1% of cells are full colour. Scaled per head,
  // so that long texts (where every weight is small: at 512 tokens most thumbnails were near white) stay readable, and
  // by a percentile, as one strong cell ([CLS] → [CLS]) would otherwise set the scale; √ keeps weak patterns visible.
  let side = 0;
  function thumbnail(l, h) {
    const { side: s, values: m } = headThumbnail(data, l, h);
    side = s;
    const img = new ImageData(s, s);
    const rgb = hexRgb(headColour(h));
    const scale = 1 / percentile99(m);
    for (let k = 0; k < m.length; ++k) {
      const v = Math.sqrt(Math.max(0, Math.min(1, m[k] * scale)));
      img.data[4 * k] = 255 + (rgb[0] - 255) * v;
      img.data[4 * k + 1] = 255 + (rgb[1] - 255) * v;
      img.data[4 * k + 2] = 255 + (rgb[2] - 255) * v;
      img.data[4 * k + 3] = 255;
    }
    const c = document.createElement('canvas');
    c.width = s; c.height = s;
    c.getContext('2d').putImageData(img, 0, 0);
    return c;
  }
  let thumbs = [];
  function setData(d) {
    data = d;
    ({ layers: L, heads_per_layer: A } = d);
    thumbs = Array.from({ length: L }, (_, l) => Array.from({ length: A }, (_, h) => thumbnail(l, h)));  // [layer][head]
    focus = { layer: clamp(focus.layer, L), head: clamp(focus.head, A) };
    canvas.setAttribute('aria-label', `${L} layers × ${A} heads: arrow keys move, Enter opens the head in the head view`);
  }

  const origin = (l, h) => ({ x: LABEL_W + h * (size + GAP), y: LABEL_H + l * (size + GAP) });

  function draw() {
    const avail = (container.clientWidth || 800) - LABEL_W - 8;
    size = opt.size || Math.max(36, Math.min(120, Math.floor(avail / A) - GAP));
    const w = LABEL_W + A * (size + GAP), hgt = LABEL_H + L * (size + GAP);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(hgt * dpr);
    canvas.style.width = `${w}px`; canvas.style.height = `${hgt}px`;
    const c = canvas.getContext('2d');
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, w, hgt);
    c.font = '12px system-ui, sans-serif';
    c.fillStyle = '#444';
    c.textBaseline = 'middle';
    for (let h = 0; h < A; ++h) { c.textAlign = 'center'; c.fillText(`head ${h}`, origin(0, h).x + size / 2, LABEL_H / 2); }
    c.imageSmoothingEnabled = side > size;  // enlarge crisp, shrink smooth
    for (let l = 0; l < L; ++l) {
      c.textAlign = 'right';
      c.fillStyle = '#444';
      c.fillText(`layer ${l}`, LABEL_W - 6, origin(l, 0).y + size / 2);
      for (let h = 0; h < A; ++h) {
        const o = origin(l, h);
        c.drawImage(thumbs[l][h], o.x, o.y, size, size);
        c.strokeStyle = '#ccc';
        c.lineWidth = 1;
        c.strokeRect(o.x - 0.5, o.y - 0.5, size + 1, size + 1);
      }
    }
    for (const [sel, colour, lw] of [[opt.selected, '#222', 3], [focus, '#e0a000', 2]]) {
      if (!sel) continue;
      const o = origin(sel.layer, sel.head);
      c.strokeStyle = colour;
      c.lineWidth = lw;
      c.strokeRect(o.x - 2, o.y - 2, size + 4, size + 4);
    }
  }

  function thumbAt(clientX, clientY) {
    const r = canvas.getBoundingClientRect();
    const x = clientX - r.left - LABEL_W, y = clientY - r.top - LABEL_H;
    const h = Math.floor(x / (size + GAP)), l = Math.floor(y / (size + GAP));
    if (x < 0 || y < 0 || h >= A || l >= L || x - h * (size + GAP) > size || y - l * (size + GAP) > size) return null;
    return { layer: l, head: h };
  }

  canvas.addEventListener('click', (e) => {
    const t = thumbAt(e.clientX, e.clientY);
    if (t) { focus = t; opt.selected = t; draw(); opt.onSelect(t.layer, t.head); }
  });
  canvas.addEventListener('mousemove', (e) => {
    const t = thumbAt(e.clientX, e.clientY);
    canvas.style.cursor = t ? 'pointer' : 'default';
    canvas.title = t ? `layer ${t.layer}, head ${t.head}: click to open in the head view` : '';
  });
  canvas.addEventListener('keydown', (e) => {
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (moves[e.key]) {
      e.preventDefault();
      focus = { layer: clamp(focus.layer + moves[e.key][0], L), head: clamp(focus.head + moves[e.key][1], A) };
      draw();
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      opt.selected = focus;
      draw();
      opt.onSelect(focus.layer, focus.head);
    }
  });

  setData(data);
  draw();
  const onResize = () => draw();
  window.addEventListener('resize', onResize);
  return {
    update(next = {}, newData = data) {
      Object.assign(opt, next);
      if (next.selected) focus = next.selected;
      if (newData !== data) setData(newData);
      draw();
    },
    destroy() { window.removeEventListener('resize', onResize); root.remove(); },
    thumbAt,
    thumbCenter(l, h) {
      const r = canvas.getBoundingClientRect(), o = origin(l, h);
      return { x: r.left + o.x + size / 2, y: r.top + o.y + size / 2 };
    },
    size: () => size,
  };
}

const clamp = (v, k) => Math.max(0, Math.min(k - 1, v));

// The 99th percentile of the values m (≥ 0), to 1/256 of their largest, from a histogram; 1 for an all-zero m.
function percentile99(m) {
  let top = 0;
  for (let k = 0; k < m.length; ++k) if (m[k] > top) top = m[k];
  if (!(top > 0)) return 1;
  const bins = new Uint32Array(256);
  for (let k = 0; k < m.length; ++k) bins[Math.min(255, Math.floor((Math.max(0, m[k]) / top) * 256))] += 1;
  const rank = Math.ceil(0.99 * m.length);
  let b = 0;
  for (let seen = 0; b < 255 && (seen += bins[b]) < rank; ++b);
  return ((b + 1) / 256) * top;
}
const hexRgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
