// web/page/hub.js against the local hub (tests/e2e/local_hub.mjs): ids, the files of a checkpoint through the CDN
// redirect, and each failure's message; the downloaded checkpoint converts and runs in the engine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { RESUMES, fetchHubCheckpoint, hubFileUrl, hubIdText, parseHubId } from '../../web/page/hub.js';
import { sha256, startHub, testRepos } from '../e2e/local_hub.mjs';

let hub;
before(async () => { hub = await startHub(); });
after(() => hub?.close());

test('parseHubId: owner/name with an optional @revision; anything else is refused with the form to use', () => {
  assert.deepEqual(parseHubId('google-bert/bert-base-uncased'), { id: 'google-bert/bert-base-uncased', revision: 'main' });
  assert.deepEqual(parseHubId(' google/bert_uncased_L-2_H-128_A-2@v1.0 '), { id: 'google/bert_uncased_L-2_H-128_A-2', revision: 'v1.0' });
  assert.equal(hubIdText(parseHubId('a/b@refs/pr/1')), 'a/b@refs/pr/1');
  assert.equal(hubFileUrl('https://huggingface.co/', parseHubId('a/b@refs/pr/1'), 'config.json'),
    'https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/config.json');
  for (const bad of ['', 'bert-base-uncased', 'a/b/c', '../etc/passwd', 'a/..', 'a/b@', 'a/b@x/../y', '<script>/x', 'a b/c']) {
    assert.throws(() => parseHubId(bad), /is not a Hugging Face model id: write owner\/name/, JSON.stringify(bad));
  }
});

test('a BERT checkpoint: small files direct, the weights through the CDN redirect, with progress; it converts and runs', async () => {
  const seen = [];
  const files = await fetchHubCheckpoint(parseHubId('test/tiny-bert'), { endpoint: hub.endpoint, onProgress: (p) => seen.push(p) });
  const want = testRepos()['test/tiny-bert'];
  assert.equal(files.config, want['config.json'].toString());
  assert.equal(sha256(files.safetensors), sha256(want['model.safetensors']));
  assert.equal(files.tokenizerConfig, null);
  assert.ok(seen.length > 0 && seen.at(-1).loaded === want['model.safetensors'].length && seen.at(-1).total === seen.at(-1).loaded);
  assert.ok(hub.requests.some((r) => r.origin === 'cdn'), 'the weights came from the CDN origin');
  const engine = await nodeEngine('st');
  const model = engine.loadModel(engine.convert({ config: files.config, vocab: files.vocab, safetensors: files.safetensors }));
  assert.equal(engine.run(model, 'hello world').layers, 2);
  engine.freeModel(model);
});

test('each failure says what to do', async () => {
  const get = (id) => fetchHubCheckpoint(parseHubId(id), { endpoint: hub.endpoint });
  await assert.rejects(get('test/nothing-here'), /the hub has no model test\/nothing-here \(config.json: 404\): check the id/);
  await assert.rejects(get('gated/secret'), /gated\/secret is gated or private on the hub \(HTTP 401\)/);
  await assert.rejects(get('test/roberta'), /test\/roberta is a "roberta" model; Headlight runs bert models/);
  await assert.rejects(get('test/not-json'), /config.json is not JSON/);
  await assert.rejects(get('test/only-bin'), /has only pytorch_model.bin.*tools\/fetch-model test\/only-bin/);
  await assert.rejects(get('test/sharded'), /test\/sharded is split into several safetensors files \(model.safetensors.index.json\), which Headlight does not load yet/);
  await assert.rejects(fetchHubCheckpoint(parseHubId('a/b'), { endpoint: 'http://127.0.0.1:9' }), /could not reach the hub for a\/b/);
  const weights = testRepos()['test/tiny-bert']['model.safetensors'];
  hub.cuts.set(sha256(weights), { after: 1000, times: 99 });
  await assert.rejects(get('test/tiny-bert'), new RegExp(`the download of model.safetensors stopped after 5,000 of ${weights.length.toLocaleString('en')} bytes .*and did not resume after ${RESUMES} tries`));
  hub.cuts.clear();
});

test('a transfer cut midway resumes with Range requests from the first missing byte: no byte is fetched twice', async () => {
  const weights = testRepos()['test/tiny-bert']['model.safetensors'];
  const sha = sha256(weights);
  hub.cuts.set(sha, { after: 70000, times: 2 });
  hub.requests.length = 0;
  const files = await fetchHubCheckpoint(parseHubId('test/tiny-bert'), { endpoint: hub.endpoint });
  assert.equal(sha256(files.safetensors), sha);
  const transfers = hub.requests.filter((r) => r.origin === 'cdn' && r.path.endsWith(sha));
  assert.deepEqual(transfers.map((r) => r.range), [null, 'bytes=70000-', 'bytes=140000-']);
  hub.cuts.clear();
});

test('an abort stops the download', async () => {
  hub.delayMs = 50;
  const abort = new AbortController();
  const pending = fetchHubCheckpoint(parseHubId('test/tiny-bert'), { endpoint: hub.endpoint, signal: abort.signal,
    onProgress: () => abort.abort() });
  await assert.rejects(pending, (e) => e.name === 'AbortError');
  hub.delayMs = 0;
});
