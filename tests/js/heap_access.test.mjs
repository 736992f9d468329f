// Only web/engine/ touches the wasm heap: no other tracked JS file reads the heap views, allocates in the module or
// calls its functions; they go through web/engine/headlight.js (Engine) instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { root } from './fixtures.mjs';

const OWNER = 'web/engine/';
// The module's heap views, its malloc and free, and its exported C functions (properties named after them with a
// leading underscore); the words are split so that this file does not match itself.
const HEAP = new RegExp(['\\bHE' + 'AP(?:U?8|U?16|U?32|F32|F64|64|U64)\\b', '\\b_mal' + 'loc\\b', '\\b_fr' + 'ee\\b',
  '\\.\\s*_h' + 'l_\\w', '\\[\\s*[\'"`]_h' + 'l_\\w'].join('|'));

function trackedScripts() {
  const out = execFileSync('git', ['ls-files', '-z', '--', '*.js', '*.mjs', '*.cjs'], { cwd: root, encoding: 'utf8' });
  return out.split('\0').filter(Boolean);
}

function offendingLines(text) {
  return text.split('\n').flatMap((line, i) => (HEAP.test(line) ? [`${i + 1}: ${line.trim().slice(0, 140)}`] : []));
}

test('no tracked JS file outside web/engine/ touches the wasm heap', () => {
  const scripts = trackedScripts();
  assert.ok(scripts.includes('web/engine/headlight.js') && scripts.includes('tools/onnx/check_onnx.mjs'), 'git ls-files');
  const found = scripts.filter((rel) => !rel.startsWith(OWNER))
    .flatMap((rel) => offendingLines(readFileSync(path.join(root, rel), 'utf8')).map((l) => `${rel}:${l}`));
  assert.deepEqual(found, [], 'use web/engine/headlight.js (Engine) instead, or add the missing wrapper there');
});

test('the check itself catches each kind of heap access, and not the engine API', () => {
  for (const line of ['m.HE' + 'AP32[out >> 2]', 'engine.m.HE' + 'APF32.subarray(0, 4)', 'const p = m._mal' + 'loc(4 * n);',
    'm._fr' + 'ee(p);', 'engine.check(m._h' + 'l_run_ids(model.handle, p, q, n, 5, out));', "module['_h" + "l_run'](1)"])
    assert.equal(offendingLines(line).length, 1, line);
  for (const line of ['const hl = engine.runIds(model, ids, types, { topK: 5 });', 'e.freeModel(model); // the wasm heap',
    'hl_result_free(handle)', 'const r = engine.run(model, a, b);'])
    assert.deepEqual(offendingLines(line), [], line);
  assert.ok(offendingLines(readFileSync(path.join(root, OWNER, 'headlight.js'), 'utf8')).length > 10, 'the engine module');
});
