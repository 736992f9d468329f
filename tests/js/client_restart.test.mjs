// EngineClient (web/engine/client.js) when its Worker dies, over a scripted stand-in Worker: pending calls fail with an
// EngineCrashedError (a superseded run resolves to null), a new Worker gets the same init and models, calls made
// meanwhile wait for it, and restarts stop after a few in a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { EngineClient } from '../../web/engine/client.js';
import { EngineCrashedError, HeadlightError } from '../../web/engine/errors.js';

// A Worker stand-in speaking worker.js's protocol: answers init, load, load-cached, run and memory a task later (runs
// only when release() is called, if hold is set), and can die: crash(reason) ({type:'crashed'}) or fail(message) (its
// 'error' event). Every message it got is in .got.
class FakeWorker {
  constructor(log, { hold = false } = {}) {
    this.got = [];
    this.held = [];
    this.hold = hold;
    this.runs = 0;
    this.terminated = false;
    log.push(this);
  }
  postMessage(msg) {
    this.got.push(msg);
    setTimeout(() => this.answer(msg), 0);
  }
  answer(msg) {
    if (this.terminated) return;
    const send = (data) => { if (!this.terminated) this.onmessage({ data: { id: msg.id, ...data } }); };
    if (msg.type === this.dieOn) { this.crash(`trap in ${msg.type}`); return; }
    if (msg.type === 'init') send({ type: 'ready', variant: 'st' });
    else if (msg.type === 'load') send({ type: 'loaded', info: { meta: { name: `model of ${msg.bytes.length} bytes` } } });
    else if (msg.type === 'load-cached') send({ type: 'loaded', info: { meta: { name: '' }, cacheKey: msg.cacheKey } });
    else if (msg.type === 'convert-finish') send({ type: 'loaded', info: { meta: { name: '' } }, cached: !!msg.cache });
    else if (msg.type === 'run') {
      const done = () => {
        this.runs += 1;
        send({ type: 'result', result: { layers: 1, heads_per_layer: 1, n: 1, head_size: 1, tokens: [], engine_runs: this.runs }, parts: {} });
      };
      if (this.hold) this.held.push(done); else done();
    } else if (msg.type === 'memory') send({ type: 'memory', handles: { total: 0 }, wasm_bytes: 1 });
  }
  release() { this.held.splice(0).forEach((f) => f()); }
  crash(reason) { this.onmessage({ data: { type: 'crashed', reason } }); }
  fail(message) { this.onerror({ message, preventDefault() {} }); }
  unreadable() { this.onmessageerror({ data: null }); }  // a message that could not be deserialized
  terminate() { this.terminated = true; }
}

// A client over FakeWorkers (workers: every one it started, in order) and its 'restart' events.
function fakeClient(options = {}) {
  const workers = [], restarts = [];
  const client = new EngineClient('worker.js', { createWorker: () => new FakeWorker(workers, options) });
  client.addEventListener('restart', (e) => restarts.push(e.detail));
  const restarted = (k) => new Promise((resolve) => {
    const check = () => (restarts.length >= k ? resolve(restarts[k - 1]) : setTimeout(check, 1));
    check();
  });
  return { client, workers, restarts, restarted };
}

const types = (w) => w.got.map((m) => m.type);

test('a Worker that traps is replaced: the same init, the model loaded again from its reload, the restart reported', async () => {
  const { client, workers, restarted } = fakeClient();
  await client.init(2, { build: 'st', int8Gemm: 'headlight' });
  let reloads = 0;
  await client.load(new Uint8Array(7), undefined, { reload: async () => { reloads += 1; return new Uint8Array(9); }, name: 'mini' });
  workers[0].crash('memory access out of bounds');
  const detail = await restarted(1);
  assert.equal(workers[0].terminated, true);
  assert.equal(detail.reason, 'memory access out of bounds');
  assert.deepEqual(detail.models, [{ key: 'main', name: 'mini', info: { meta: { name: 'model of 9 bytes' } } }]);
  assert.equal(reloads, 1);
  assert.deepEqual(types(workers[1]), ['init', 'load']);
  const { id, ...init } = workers[1].got[0];
  assert.deepEqual(init, { type: 'init', threads: 2, build: 'st', int8Gemm: 'headlight', testHooks: false });
  assert.equal(workers[1].got[1].key, undefined);
  assert.ok(await client.run('after', null));  // the new Worker answers
  assert.deepEqual(types(workers[1]), ['init', 'load', 'run']);
  assert.deepEqual(await client.memory(), { handles: { total: 0 }, wasm_bytes: 1 });
});

test('a crash during runs: the newest run fails with EngineCrashedError, a superseded one gives null, calls made meanwhile wait', async () => {
  const { client, workers, restarted } = fakeClient({ hold: true });
  await client.init(1);
  await client.load(new Uint8Array(4), undefined, { reload: async () => new Uint8Array(4) });
  const older = client.run('a', null);
  const newest = client.run('ab', null);
  const other = client.run('x', null, { channel: 'el1' });
  await new Promise((r) => setTimeout(r, 5));
  workers[0].fail('Uncaught Error: boom');
  assert.equal(await older, null);
  await assert.rejects(newest, (e) => e instanceof EngineCrashedError && /Uncaught Error: boom/.test(e.message) && !!e.hint);
  await assert.rejects(other, EngineCrashedError);
  const during = client.run('abc', null);  // sent while the new Worker starts: after its init and load
  await restarted(1);
  while (!workers[1].held.length) await new Promise((r) => setTimeout(r, 1));
  assert.deepEqual(types(workers[1]), ['init', 'load', 'run']);
  workers[1].release();
  const r = await during;
  assert.deepEqual(r.text, { a: 'abc', b: null });
  assert.equal(r.newest, true);
  assert.equal(client.engineRuns, 1);  // the first Worker finished none
});

test('models from the offline cache come back from it; a model given as bytes with no reload is reported, not loaded', async () => {
  const { client, workers, restarted } = fakeClient();
  await client.init(1);
  await client.load(new Uint8Array(3), 'model:a');
  await client.loadCached('hub-key', 'model:b', { name: 'tiny' });
  await client.convertFinish(1, { key: 'model:c', cache: { key: 'conv-key', meta: { name: 'test/tiny-bert' } } });
  await client.convertFinish(2, { key: 'model:d', name: 'folder' });
  workers[0].crash('unreachable');
  const { models } = await restarted(1);
  assert.deepEqual(models.map((m) => [m.key, m.name, m.info ? 'loaded' : m.error]), [
    ['model:a', 'model of 3 bytes', 'nothing can load it again (bytes with no reload, or converted and not cached): open it again'],
    ['model:b', 'tiny', 'loaded'],
    ['model:c', 'test/tiny-bert', 'loaded'],
    ['model:d', 'folder', 'nothing can load it again (bytes with no reload, or converted and not cached): open it again']]);
  assert.deepEqual(workers[1].got.filter((m) => m.type === 'load-cached').map((m) => [m.cacheKey, m.key]),
    [['hub-key', 'model:b'], ['conv-key', 'model:c']]);
  workers[1].crash('unreachable');  // the slots that were not loaded are forgotten
  assert.deepEqual((await restarted(2)).models.map((m) => m.key), ['model:b', 'model:c']);
});

test('a Worker that fails before init answered is not restarted: calls fail with a plain error, no restart event', async () => {
  const { client, workers, restarts } = fakeClient();
  const init = client.init(1);
  workers[0].fail('failed to load the module script');
  await assert.rejects(init, (e) => e instanceof EngineCrashedError);
  await assert.rejects(client.run('a', null), (e) => !(e instanceof EngineCrashedError) && /failed to start: failed to load/.test(e.message));
  assert.equal(workers.length, 1);
  assert.deepEqual(restarts, []);
});

test('a fourth crash within a minute stops restarting; a new Worker that dies while loading fails the restart', async () => {
  const { client, workers, restarted } = fakeClient();
  await client.init(1);
  await client.load(new Uint8Array(2), undefined, { reload: async () => new Uint8Array(2) });
  for (let k = 1; k <= 3; k++) {
    workers[k - 1].crash(`trap ${k}`);
    assert.equal((await restarted(k)).models[0].key, 'main');
  }
  workers[3].crash('trap 4');
  const last = await restarted(4);
  assert.ok(last.error instanceof HeadlightError && !(last.error instanceof EngineCrashedError));
  assert.match(last.error.message, /stopped 4 times within a minute \(last: trap 4\)/);
  assert.equal(workers.length, 4);
  await assert.rejects(client.run('a', null), (e) => e === last.error);

  const second = fakeClient();
  await second.client.init(1);
  await second.client.load(new Uint8Array(2), undefined, { reload: async () => {
    second.workers[1].crash('trap while loading');  // the new Worker dies before the model is in
    return new Uint8Array(2);
  } });
  second.workers[0].crash('first trap');
  const failed = await second.restarted(1);
  assert.match(failed.error.message, /the engine stopped \(first trap\) and a new one did not start: the engine stopped: trap while loading/);
  await assert.rejects(second.client.run('a', null), (e) => e === failed.error);
});

test('a Worker that dies during the first model load: the load fails with EngineCrashedError, a new Worker starts empty, a load again works', async () => {
  const { client, workers, restarted } = fakeClient();
  await client.init(1);
  workers[0].dieOn = 'load';
  await assert.rejects(client.load(new Uint8Array(5), undefined, { reload: async () => new Uint8Array(5), name: 'mini' }),
    (e) => e instanceof EngineCrashedError && /the engine stopped: trap in load/.test(e.message));
  const detail = await restarted(1);
  // the model never loaded: nothing is remembered, nothing is loaded again (main.js picks it again: firstLoadLost)
  assert.deepEqual(detail, { reason: 'trap in load', models: [] });
  assert.deepEqual(types(workers[1]), ['init']);
  assert.deepEqual(await client.load(new Uint8Array(5), undefined, { name: 'mini' }), { meta: { name: 'model of 5 bytes' } });
  assert.ok(await client.run('after', null));
  assert.deepEqual(types(workers[1]), ['init', 'load', 'run']);
});

test("a message from the Worker that cannot be read ('messageerror') is a crash: pending calls fail, a new Worker has the model", async () => {
  const { client, workers, restarted } = fakeClient({ hold: true });
  await client.init(1);
  await client.load(new Uint8Array(4), undefined, { reload: async () => new Uint8Array(4), name: 'mini' });
  const run = client.run('pending', null);
  await new Promise((r) => setTimeout(r, 5));
  workers[0].unreadable();
  await assert.rejects(run, (e) => e instanceof EngineCrashedError && /could not be read/.test(e.message));
  const detail = await restarted(1);
  assert.equal(detail.reason, 'a message from the engine Worker could not be read');
  assert.deepEqual(detail.models.map((m) => [m.key, m.name, !!m.info]), [['main', 'mini', true]]);
  assert.equal(workers[0].terminated, true);
  const again = client.run('again', null);
  await new Promise((r) => setTimeout(r, 5));
  workers[1].release();
  assert.ok(await again);
});
