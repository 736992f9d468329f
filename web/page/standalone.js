// "Download as HTML": one self-contained file, the <headlight-attention> bundle and a snapshot inlined, that opens
// from disk (file://) with no server and makes no network request. A pure string function.

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const escapeText = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);  // between tags

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
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.1rem; margin: 0 0 .8rem; } footer { margin-top: 1rem; color: #777; font-size: .8rem; }</style>
</head>
<body>
${heading === null ? '' : `<h1>${escapeHtml(heading)}</h1>\n`}<headlight-attention${attrText}><script type="application/json">${json}</script></headlight-attention>
<footer>${escapeText(footer)}</footer>
<script type="module">
${bundle}
</script>
</body>
</html>
`;
}
