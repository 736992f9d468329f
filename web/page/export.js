// Exports the drawn view as one standalone SVG (its SVGs and canvases composed in place, the views' CSS inlined, a
// legend on top) or as a PNG rendered from that SVG.

import { measureText } from '../views/labels.js';

const NS = 'http://www.w3.org/2000/svg';
const LEGEND_H = 44;
const CSS_MARK = 'hl-css';
const XML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

// The stylesheet rules the views' drawings use (class names starting hl-), so the SVG looks the same outside the page.
function viewCss() {
  const out = [];
  for (const sheet of document.styleSheets) {
    let rules;
    try { rules = sheet.cssRules; } catch { continue; }  // a cross-origin sheet: none of ours
    for (const r of rules) if (r.selectorText?.includes('.hl-')) out.push(r.cssText);
  }
  return out.join('\n');
}

/**
 * root: the view's element; legend: {title, entries: [{label, colour}]}. Returns {svg: string, width, height}.
 * Every <svg> and <canvas> under root is placed where it is on screen (canvases as PNG images).
 */
export function viewToSvg(root, legend) {
  const box = root.getBoundingClientRect();
  const parts = [...root.querySelectorAll('svg, canvas')].filter((el) => !el.closest('svg svg') && el.getBoundingClientRect().width > 0);
  const titleW = measureText(legend.title, '600 13px system-ui, sans-serif') + 12;
  const width = Math.ceil(Math.max(320, titleW, ...parts.map((el) => el.getBoundingClientRect().right - box.left)));
  const height = Math.ceil(Math.max(0, ...parts.map((el) => el.getBoundingClientRect().bottom - box.top))) + LEGEND_H;
  const doc = document.implementation.createDocument(NS, 'svg', null);
  const svg = doc.documentElement;
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('font-family', 'system-ui, sans-serif');
  // The CSS goes in as text once serialized: a <style> element inserted into this document (made from the page's)
  // is inline style to the page's Content-Security-Policy, which refuses and reports it (docs/embedding.md#headers).
  svg.append(doc.createComment(CSS_MARK));
  const bg = doc.createElementNS(NS, 'rect');
  Object.entries({ width, height, fill: 'white' }).forEach(([k, v]) => bg.setAttribute(k, v));
  svg.append(bg);
  svg.append(legendGroup(doc, legend));
  for (const el of parts) {
    const r = el.getBoundingClientRect();
    const x = r.left - box.left, y = r.top - box.top + LEGEND_H;
    if (el.tagName.toLowerCase() === 'canvas') {
      const img = doc.createElementNS(NS, 'image');
      Object.entries({ x, y, width: r.width, height: r.height, href: el.toDataURL('image/png') }).forEach(([k, v]) => img.setAttribute(k, v));
      svg.append(img);
    } else {
      const copy = doc.importNode(el, true);
      copy.setAttribute('x', x);
      copy.setAttribute('y', y);
      copy.setAttribute('width', r.width);
      copy.setAttribute('height', r.height);
      // keep the drawing's own styles (fonts), drop its placement in the page: through the CSSOM, as the page's
      // Content-Security-Policy refuses a style attribute set as text
      for (const prop of ['position', 'left', 'top', 'right', 'bottom']) copy.style.removeProperty(prop);
      if (!copy.style.length) copy.removeAttribute('style');
      svg.append(copy);
    }
  }
  // The mark is the root's first child, so its first occurrence is it (text and attributes escape "<").
  const text = new XMLSerializer().serializeToString(doc)
    .replace(`<!--${CSS_MARK}-->`, () => `<style>${viewCss().replace(/[&<>]/g, (c) => XML_ESCAPES[c])}</style>`);
  return { svg: xmlSafeText(text), width, height };
}

/**
 * `text` with each character that XML 1.0 cannot hold replaced by U+FFFD: C0 controls other than tab, LF and CR (a NUL
 * typed in the text or a snapshot's token), U+FFFE, U+FFFF, and lone surrogates (which UTF-8 cannot encode). The
 * serializer writes them as they are, which leaves an SVG that no XML parser (nor the PNG's renderer) reads.
 */
export const xmlSafeText = (text) =>
  text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

function legendGroup(doc, { title, entries }) {
  const g = doc.createElementNS(NS, 'g');
  const text = (x, y, s, size, weight = 'normal') => {
    const t = doc.createElementNS(NS, 'text');
    Object.entries({ x, y, 'font-size': size, 'font-weight': weight, fill: '#222' }).forEach(([k, v]) => t.setAttribute(k, v));
    t.textContent = s;  // text, never markup
    g.append(t);
  };
  text(4, 16, title, 13, '600');
  let x = 4;
  for (const h of entries) {
    const sq = doc.createElementNS(NS, 'rect');
    Object.entries({ x, y: 25, width: 11, height: 11, fill: h.colour }).forEach(([k, v]) => sq.setAttribute(k, v));
    g.append(sq);
    text(x + 15, 35, h.label, 11);
    x += 22 + 7 * h.label.length;
  }
  return g;
}

/** Renders the SVG to a PNG Blob at `scale` × its size. */
export async function svgToPng({ svg, width, height }, scale = 2) {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const c = canvas.getContext('2d');
    c.scale(scale, scale);
    c.drawImage(img, 0, 0, width, height);
    return await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves a Blob under `name` through a temporary link. */
export function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
