// The engine Worker's protocol spoken directly (no EngineClient): a run whose early layer was sent holds its later layers
// until the page says the layer is drawn, and neither a page that never says so nor a newer run is left waiting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { start } from './browser.mjs';

let env, page;
before(async () => {
  env = await start({ csp: false });  // the scripts below are compiled in the page by new Function, which the policy refuses
  page = await env.browser.newPage();
  await page.goto(`${env.url}engine/wasm/builds.json`);  // any page of the server: the Worker below is same-origin
});
after(async () => { await env?.close(); });

// In the page: a raw engine Worker with the built-in model loaded; `script` runs with send(msg) → its messages so far.
const inWorker = (script) => page.evaluate(async (body) => {
  const worker = new Worker('/engine/worker.js', { type: 'module' });
  const seen = [];
  const waiters = [];
  worker.onmessage = ({ data }) => { seen.push(data); waiters.splice(0).forEach((w) => w()); };
  const until = async (pred) => { while (!seen.some(pred)) await new Promise((r) => waiters.push(r)); return seen.find(pred); };
  const send = (msg, transfer = []) => worker.postMessage(msg, transfer);
  send({ type: 'init', id: 1, threads: 1 });
  await until((m) => m.id === 1);
  const bytes = await (await fetch('/models/headlight-mini/headlight-mini.hlm')).arrayBuffer();
  send({ type: 'load', id: 2, bytes }, [bytes]);
  const loaded = await until((m) => m.id === 2);
  if (loaded.type !== 'loaded') throw new Error(JSON.stringify(loaded));
  const text = 'the cat sat on the mat and looked at the dog . '.repeat(40);  // cut at 512 tokens: long enough to send early
  const run = (id) => send({ type: 'run', id, a: `${text}${id}`, want: { layers: [0], early: true } });
  const out = await new Function('run', 'until', 'send', 'seen', `return (async () => { ${body} })();`)(run, until, send, seen);
  worker.terminate();
  return out;
}, script);

test('an early layer nobody acknowledges holds the run at most a moment; the result still comes', async () => {
  const types = await inWorker(`
    run(10);
    await until((m) => m.id === 10 && m.type !== 'partial');
    return seen.filter((m) => m.id === 10).map((m) => m.type);`);
  assert.deepEqual(types, ['partial', 'result']);
});

test('a "drawn" message releases the held run; a newer run releases it too, and supersedes it', async () => {
  const drawn = await inWorker(`
    run(20);
    await until((m) => m.id === 20 && m.type === 'partial');
    send({ type: 'drawn', run: 20 });
    return (await until((m) => m.id === 20 && m.type !== 'partial')).type;`);
  assert.equal(drawn, 'result');
  const newer = await inWorker(`
    run(30);
    await until((m) => m.id === 30 && m.type === 'partial');
    run(31);
    await until((m) => m.id === 31 && m.type === 'result');
    return seen.filter((m) => m.id === 30 || m.id === 31).map((m) => m.id + ' ' + m.type);`);
  assert.deepEqual(newer, ['30 partial', '30 superseded', '31 partial', '31 result']);
});
