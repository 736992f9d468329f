// The engine builds' list (tools/engine_builds.mjs) and the server's use of it: a build is served only while it is listed,
// complete and built from the sources as they are; serve.mjs's command line says what it takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { currentBuilds, record, sourcesFingerprint } from '../../tools/engine_builds.mjs';
import { parseArgs } from '../../tools/serve.mjs';

// A repository-shaped folder: engine sources, and a build folder holding one build's page files.
function sandbox() {
  const root = mkdtempSync(path.join(tmpdir(), 'hl-builds-'));
  mkdirSync(path.join(root, 'wasm/src'), { recursive: true });
  writeFileSync(path.join(root, 'wasm/src/bert.cpp'), 'int forward();\n');
  writeFileSync(path.join(root, 'CMakeLists.txt'), 'project(x)\n');
  const out = path.join(root, 'build/wasm-mt');
  mkdirSync(out, { recursive: true });
  for (const f of ['headlight-mt.mjs', 'headlight-mt.wasm', 'headlight-mt.worker.js']) writeFileSync(path.join(out, f), `${f} bytes`);
  return { root, out, wasmDir: path.join(root, 'web/engine/wasm'), done: () => rmSync(root, { recursive: true, force: true }) };
}

test('a recorded build is current until its sources or files change', () => {
  const s = sandbox();
  try {
    assert.deepEqual(Object.keys(currentBuilds(s.wasmDir, s.root).builds), []);
    record(s.root, s.wasmDir, 'mt', s.out);
    let { builds, problems } = currentBuilds(s.wasmDir, s.root);
    assert.deepEqual(Object.keys(builds), ['mt']);
    assert.match(problems.join('\n'), /^st: not built/m);

    writeFileSync(path.join(s.root, 'wasm/src/bert.cpp'), 'int forward(); // changed\n');
    ({ builds, problems } = currentBuilds(s.wasmDir, s.root));
    assert.deepEqual(builds, {});
    assert.match(problems.join('\n'), /^mt: stale, the engine's sources changed/m);
    assert.deepEqual(Object.keys(currentBuilds(s.wasmDir).builds), ['mt'], 'a deployed copy (no sources) is not compared');

    record(s.root, s.wasmDir, 'mt', s.out);
    writeFileSync(path.join(s.wasmDir, 'headlight-mt.wasm'), 'half a file');
    ({ builds, problems } = currentBuilds(s.wasmDir, s.root));
    assert.deepEqual(builds, {});
    assert.match(problems.join('\n'), /^mt: headlight-mt\.wasm missing or changed/m);
  } finally {
    s.done();
  }
});

test('recording refuses a build that lacks a file, and the fingerprint covers every engine source', () => {
  const s = sandbox();
  try {
    rmSync(path.join(s.out, 'headlight-mt.worker.js'));
    assert.throws(() => record(s.root, s.wasmDir, 'mt', s.out), /headlight-mt\.worker\.js is missing/);
    assert.throws(() => record(s.root, s.wasmDir, 'gpu', s.out), /unknown engine build gpu/);
    const before = sourcesFingerprint(s.root);
    writeFileSync(path.join(s.root, 'wasm/src/new_op.cpp'), '\n');
    assert.notEqual(sourcesFingerprint(s.root), before, 'a new source file changes the fingerprint');
  } finally {
    s.done();
  }
});

test("serve.mjs's options: --help, --port, --no-isolation, and a clear message for anything else", () => {
  assert.deepEqual(parseArgs([]), { port: 8080, isolation: true, help: false });
  assert.equal(parseArgs(['--help']).help, true);
  assert.deepEqual(parseArgs(['--port', '0', '--no-isolation']), { port: 0, isolation: false, help: false });
  assert.match(parseArgs(['--port', 'x']).error, /--port needs a number/);
  assert.match(parseArgs(['--port']).error, /got nothing/);
  assert.match(parseArgs(['--verbose']).error, /unknown option --verbose/);
});

test('a build is listed as made from the sources it started from: an edit during the build leaves it stale', () => {
  const s = sandbox();
  try {
    const atStart = sourcesFingerprint(s.root);
    writeFileSync(path.join(s.root, 'wasm/src/bert.cpp'), 'int forward(); // edited while building\n');
    record(s.root, s.wasmDir, 'mt', s.out, atStart);
    assert.match(currentBuilds(s.wasmDir, s.root).problems.join('\n'), /^mt: stale/m);
  } finally {
    s.done();
  }
});
