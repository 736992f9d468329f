// "Download as HTML": one self-contained file, the <headlight-attention> bundle and a snapshot inlined, that opens
// from disk (file://) with no server and makes no network request. A pure string function.

import { sha256Plain } from './sha256.js';

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const escapeText = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);  // between tags

// The file's own stylesheet (the element styles its shadow root with a constructed sheet, which CSP does not govern).
const STYLE = `body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.1rem; margin: 0 0 .8rem; } footer { margin-top: 1rem; color: #777; font-size: .8rem; }`;

// A CSP hash source for an inline element's text: 'sha256-' and the base64 of its UTF-8 bytes' digest.
function hashSource(text) {
  const hex = sha256Plain(new TextEncoder().encode(text));
  return `'sha256-${btoa(String.fromCharCode(...hex.match(/../g).map((h) => parseInt(h, 16))))}'`;
}

/**
 * The file's Content-Security-Policy (a <meta>, as a file opened from disk has no headers): its one inline script and
 * its one inline style by hash, and nothing else: no network (a snapshot needs none), no other script, no eval. The
 * snapshot's <script type="application/json"> is a data block, never run, so script-src does not govern it. img-src
 * data: is for the empty icon. Stricter than the page's policy (tools/csp.mjs): inline script is unavoidable in one
 * file, so it is allowed by hash, and the file needs neither 'self' nor 'wasm-unsafe-eval', Workers or the hub.
 */
export function standalonePolicy(script, style = STYLE) {
  return `default-src 'none'; script-src ${hashSource(script)}; style-src ${hashSource(style)}; img-src data:`;
}

// The line under the drawing in the page's "HTML" download.
export const SAVED_FOOTER = 'Saved from Headlight: attention weights stored to 8 bits (within 1/255 of the model\'s); no model is needed to view this file.';

/**
 * bundle: headlight-attention.js's text; snapshot: a snapshot's JSON text; title: the document's title; heading: the
 * heading above the drawing (default the title; null: none); footer: the line under it; attrs: the element's attributes
 * ({view, height, ...}). Returns the HTML text.
 */
export function standaloneHtml({ bundle, snapshot, title = 'Headlight', heading = title, footer = SAVED_FOOTER, attrs = {} }) {
  // Inside <script>, "</script" or "<!--" would end or confuse the element. JSON may spell "<" as \u003c; the bundle
  // (esbuild escapes "</script" in strings) must simply not contain them.
  if (/<\/script|<!--/i.test(bundle)) throw new Error('the component bundle contains "</script" or "<!--" and cannot be inlined in HTML');
  JSON.parse(snapshot);  // a broken snapshot fails here, not in the reader's browser
  const json = snapshot.replace(/</g, '\\u003c');
  const attrText = Object.entries(attrs).filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`).join('');
  // The script's text as the browser hashes it: the HTML parser turns CR LF and CR into LF.
  const script = `\n${bundle.replace(/\r\n?/g, '\n')}\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${standalonePolicy(script)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${heading === null ? '' : `<h1>${escapeHtml(heading)}</h1>\n`}<headlight-attention${attrText}><script type="application/json">${json}</script></headlight-attention>
<footer>${escapeText(footer)}</footer>
<script type="module">${script}</script>
</body>
</html>
`;
}
