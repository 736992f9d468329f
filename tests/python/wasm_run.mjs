// For tests/python: the wasm engine's run of a text on a model, as JSON {tokens, attention} (the Python bindings'
// results are compared with it). Usage: node wasm_run.mjs MODEL.hlm A B OUT.json   (B '' for none)
import { readFileSync, writeFileSync } from 'node:fs';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';

const [file, a, b, out] = process.argv.slice(2);
const engine = await nodeEngine('st');
const model = engine.loadModel(new Uint8Array(readFileSync(file)));
const r = engine.run(model, a, b === '' ? null : b, { fields: ['attention'] });
writeFileSync(out, JSON.stringify({ tokens: r.tokens.map(({ text, id }) => ({ text, id })), attention: Array.from(r.attention) }));
