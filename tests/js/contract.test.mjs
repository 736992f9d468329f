// The C/JS contract has one home, wasm/include/headlight.h: every place that follows it agrees with it (status codes in
// status.h and errors.js, result fields in headlight.js, the functions the wasm module exports).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { BY_STATUS, HeadlightError } from '../../web/engine/errors.js';
import { COMBINE, FIELD, INT8_GEMM, MAX_TEXT_BYTES, OUTPUT, WEIGHTING } from '../../web/engine/headlight.js';
import { root } from './fixtures.mjs';

const read = (rel) => readFileSync(path.join(root, rel), 'utf8');

/** {statuses: [[NAME, value]], fields: [[NAME, value]], functions: [name]} of headlight.h's text, in its order. A
 *  function declaration starts its line with its return type (the rule cmake/targets.cmake reads the exports by). */
function parseHeader(text) {
  const defines = (prefix) => [...text.matchAll(new RegExp(`^#define ${prefix}([A-Z0-9_]+) (\\d+)\\b`, 'gm'))]
    .map((m) => [m[1], Number(m[2])]);
  const functions = [...text.matchAll(/^[a-z][^\n(]*[ *](hl_[a-z0-9_]+)\(/gm)].map((m) => m[1]);
  return { statuses: defines('HL_STATUS_'), fields: defines('HL_FIELD_'), gemms: defines('HL_INT8_GEMM_'),
    outputs: defines('HL_OUTPUT_'), weightings: defines('HL_WEIGHTING_'), combines: defines('HL_COMBINE_'),
    limits: defines('HL_MAX_'), functions };
}

// INVALID_ARGUMENT → InvalidArgument
const pascal = (name) => name.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_, __, c) => c.toUpperCase());

/** Where status.h's enum class Code and the header disagree: [] when it is kName = HL_STATUS_NAME for each code, in
 *  the header's order. */
function statusHDisagreements(statusH, statuses) {
  const body = /enum class Code : int32_t \{([^}]*)\}/.exec(statusH);
  if (!body) return ['status.h: no `enum class Code : int32_t { ... }`'];
  const entries = [...body[1].matchAll(/^\s*k(\w+)\s*=\s*([^,\s]+)\s*,/gm)].map((m) => [m[1], m[2]]);
  const want = statuses.map(([name]) => [pascal(name), `HL_STATUS_${name}`]);
  const got = entries.map(([k, v]) => `k${k} = ${v}`), wanted = want.map(([k, v]) => `k${k} = ${v}`);
  if (got.join('\n') === wanted.join('\n')) return [];
  return [`status.h has\n  ${got.join('\n  ')}\nthe header needs\n  ${wanted.join('\n  ')}`];
}

/** Where errors.js's BY_STATUS and the header disagree: index = status, OK null, each class named after its code. */
function byStatusDisagreements(byStatus, statuses) {
  const out = [];
  if (byStatus.length !== statuses.length)
    out.push(`BY_STATUS has ${byStatus.length} entries, the header ${statuses.length} codes`);
  for (const [name, value] of statuses) {
    const entry = byStatus[value];
    if (name === 'OK') { if (entry !== null) out.push(`BY_STATUS[${value}] (HL_STATUS_OK) should be null`); continue; }
    const want = `${pascal(name)}Error`;
    if (!entry) { out.push(`BY_STATUS[${value}] (HL_STATUS_${name}) is missing`); continue; }
    const [Cls, hint] = entry;
    if (Cls.name !== want) out.push(`BY_STATUS[${value}] is ${Cls.name}, HL_STATUS_${name} = ${value} needs ${want}`);
    if (!(Cls.prototype instanceof HeadlightError)) out.push(`${Cls.name} is not a HeadlightError`);
    if (typeof hint !== 'string' || !hint) out.push(`${Cls.name} has no hint`);
  }
  return out;
}

const header = parseHeader(read('wasm/include/headlight.h'));

test('the header itself: codes 0..n-1 with OK = 0, fields 0..m-1, the API functions', () => {
  assert.deepEqual(header.statuses.map(([, v]) => v), header.statuses.map((_, i) => i));
  assert.deepEqual(header.statuses[0], ['OK', 0]);
  assert.deepEqual(header.fields.map(([, v]) => v), header.fields.map((_, i) => i));
  // A few that everything uses, so that a broken parse cannot pass as an empty contract.
  for (const fn of ['hl_model_load', 'hl_run', 'hl_run_ids', 'hl_result_get', 'hl_last_error', 'hl_alloc', 'hl_free'])
    assert.ok(header.functions.includes(fn), fn);
  assert.equal(new Set(header.functions).size, header.functions.length, 'a function declared twice');
});

test('wasm/src/common/status.h: hl::Code has one enumerator per HL_STATUS_* code, named after it', () => {
  assert.deepEqual(statusHDisagreements(read('wasm/src/common/status.h'), header.statuses), []);
});

test('web/engine/errors.js: BY_STATUS has one error class per status code, in the header\'s order', () => {
  assert.deepEqual(byStatusDisagreements(BY_STATUS, header.statuses), []);
});

test('web/engine/headlight.js: FIELD is the header\'s HL_FIELD_* ids', () => {
  assert.deepEqual({ ...FIELD }, Object.fromEntries(header.fields));
});

test('web/engine/headlight.js: OUTPUT, WEIGHTING and COMBINE are the header\'s HL_OUTPUT_*, HL_WEIGHTING_*, HL_COMBINE_*', () => {
  assert.ok(header.outputs.length && header.weightings.length && header.combines.length);
  assert.deepEqual({ ...OUTPUT }, Object.fromEntries(header.outputs));
  assert.deepEqual({ ...WEIGHTING }, Object.fromEntries(header.weightings));
  assert.deepEqual({ ...COMBINE }, Object.fromEntries(header.combines));
});

test('web/engine/headlight.js: INT8_GEMM is the header\'s HL_INT8_GEMM_* choices', () => {
  assert.ok(header.gemms.length >= 3);
  assert.deepEqual({ ...INT8_GEMM }, Object.fromEntries(header.gemms));
});

test('web/engine/headlight.js: MAX_TEXT_BYTES is the header\'s HL_MAX_TEXT_BYTES', () => {
  assert.deepEqual(header.limits, [['TEXT_BYTES', MAX_TEXT_BYTES]]);
});

test('the wasm module exports exactly the hl_* functions the header declares (build/wasm-st)', async () => {
  const module = (await nodeEngine('st')).m;
  const exported = Object.keys(module).filter((k) => k.startsWith('_hl_')).map((k) => k.slice(1)).sort();
  assert.deepEqual(exported, [...header.functions].sort());
  for (const fn of header.functions) assert.equal(typeof module[`_${fn}`], 'function', fn);
});

test('the checks catch a copy that drifts', () => {
  const statusH = read('wasm/src/common/status.h');
  const drift = (edited) => statusHDisagreements(edited, header.statuses);
  assert.notDeepEqual(drift(statusH.replace('kBadModel = HL_STATUS_BAD_MODEL', 'kBadModel = 2')), []);
  assert.notDeepEqual(drift(statusH.replace(/^\s*kInternal = .*$/m, '')), []);
  assert.notDeepEqual(statusHDisagreements(statusH, [...header.statuses, ['TIMEOUT', header.statuses.length]]), []);
  const swapped = [...BY_STATUS];
  [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
  assert.notDeepEqual(byStatusDisagreements(swapped, header.statuses), []);
  assert.notDeepEqual(byStatusDisagreements(BY_STATUS.slice(0, -1), header.statuses), []);
  assert.notDeepEqual(byStatusDisagreements(BY_STATUS, [...header.statuses, ['TIMEOUT', header.statuses.length]]), []);
  const more = parseHeader(`${read('wasm/include/headlight.h')}\nconst char* hl_new_thing(int32_t x);\n`).functions;
  assert.deepEqual(more, [...header.functions, 'hl_new_thing']);
});
