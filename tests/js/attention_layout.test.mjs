// The engine's tensor layout has one home: no file of the page, the component, the views or the analyses computes an
// offset into the flat [L][A][n][n] attention or [L][A][n][D] q/k; they go through web/data/attention_data.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HOME = 'web/data/attention_data.js';
// The engine (web/engine/) writes the tensors; generated files (web/vendor/, the bundle web/headlight-attention.js) are
// not listed here.
const SCANNED = ['web/main.js', 'web/views', 'web/page', 'web/component', 'web/data'];

// The shapes that offset arithmetic into those tensors takes.
const OFFSETS = [
  [/\b(?:attention|queries|keys)\s*\.\s*subarray\s*\(/, 'a slice of a flat tensor'],
  [/\b(?:attention|queries|keys)\s*\[[^\]]*[-+*][^\]]*\]/, 'an element of a flat tensor at a computed offset'],
  [/(?<![\w.])(?:\w+\.)*(?:l|layer)\s*\*\s*[\w.]+\s*\+\s*(?:\w+\.)*(?:h|head)\b/, 'the block index layer·A + head'],
  [/\(\s*[\w.]+\s*\*\s*[\w.]+\s*\+\s*[\w.]+\s*\)\s*\*\s*[\w.]+/, 'a nested offset (x·y + z)·w'],
];

/** [{line, text, why}] for each line of `source` that writes an offset expression. */
export function offsetExpressions(source) {
  const found = [];
  source.split('\n').forEach((text, k) => {
    for (const [re, why] of OFFSETS) if (re.test(text)) found.push({ line: k + 1, text: text.trim(), why });
  });
  return found;
}

function jsFiles(rel) {
  const abs = path.join(root, rel);
  if (statSync(abs).isFile()) return [rel];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const child = path.posix.join(rel, e.name);
    if (e.isDirectory()) return jsFiles(child);
    return /\.m?js$/.test(e.name) ? [child] : [];
  });
}

test('the check finds the offset expressions the views used to write, and passes the accessor calls', () => {
  const before = [
    'const weight = (h, i, j) => attention[((opt.layer * A + h) * n + i) * n + j];',      // head view
    'const base = (l * A + h) * n * n;',                                                   // model view
    'return data.attention.subarray(base, base + n * n);',                                 // matrix view
    'const q = data.queries.subarray((base + i) * D, (base + i + 1) * D);',                // neuron view
    'const k = data.keys.subarray(base * D, (base + n) * D);',
    'const engine = data.attention.subarray(base * n + i * n, base * n + (i + 1) * n);',
    'const at = (i, j) => attention[((layer * A + head) * n + i) * n + j];',               // patterns
    'const offset = s.layer * r.heads_per_layer + s.head;',
    'const w = attention[base + k];',
  ];
  for (const line of before) assert.ok(offsetExpressions(line).length > 0, `not found: ${line}`);
  const after = [
    'const rows = opt.selectedHeads.map((h) => headRows(data, opt.layer, h));',
    'const m = headMatrix(data, l, h);',
    'const q = headVectors(data, \'queries\', layer, head)[i];',
    'cur.k.forEach((row, j) => k.set(row, j * D));',
    'const x = (k + 0.5) * cell;',
    'if (data.attention?.length !== L * A * n * n) throw new TypeError(\'…\');',
  ];
  for (const line of after) assert.deepEqual(offsetExpressions(line), [], line);
});

test(`no file but ${HOME} indexes the flat attention, queries or keys by hand`, () => {
  const files = SCANNED.flatMap(jsFiles).filter((f) => f !== HOME);
  assert.ok(files.includes('web/main.js') && files.includes('web/views/head_view.js') && files.includes('web/component/headlight-attention.js')
    && files.includes('web/page/snapshot.js'), `the scan missed files: ${files.join(' ')}`);
  const found = files.flatMap((f) => offsetExpressions(readFileSync(path.join(root, f), 'utf8')).map((o) => `${f}:${o.line}: ${o.why}: ${o.text}`));
  assert.deepEqual(found, [], `use headMatrix / headRows / headVectors (${HOME}) instead:\n${found.join('\n')}`);
});
