// web/page/hub.js against the local hub (tests/e2e/local_hub.mjs): ids, a checkpoint's weights streamed through the CDN
// redirect into the engine's converter (whole, sharded, BF16, cut and resumed), and each failure's message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { RESUMES, hubFileUrl, hubIdText, openCheckpoint, parseHubId, streamCheckpoint } from '../../web/page/hub.js';
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

// What the page does (web/page/hub_load.js), with the engine in this process instead of a Worker: the checkpoint's texts,
// then its weights streamed into a conversion. Returns {bytes (the model file), feeds (the sink's calls), progress}.
async function convertFromHub(id, { expected = null, signal, onProgress = () => {} } = {}) {
  const ref = parseHubId(id);
  const checkpoint = await openCheckpoint(ref, { endpoint: hub.endpoint, expected, signal });
  const conversion = engine.convertStream(checkpoint.texts);
  const feeds = [];
  try {
    await streamCheckpoint(ref, checkpoint, (bytes, end) => { feeds.push({ length: bytes.length, end }); return conversion.feed(bytes, end); },
      { endpoint: hub.endpoint, signal, onProgress });
  } catch (e) {
    conversion.free();
    throw e;
  }
  const file = conversion.finish();
  try {
    return { bytes: file.read(0, file.size), feeds, checkpoint };
  } finally {
    file.free();
  }
}

let engine;
before(async () => { engine = await nodeEngine('st'); });

test('a BERT checkpoint streams into the converter as it arrives, through the CDN redirect, to the model of the whole file', async () => {
  const seen = [];
  const want = testRepos()['test/tiny-bert'];
  const { bytes, feeds, checkpoint } = await convertFromHub('test/tiny-bert', { onProgress: (p) => seen.push(p) });
  assert.equal(checkpoint.texts.config, want['config.json'].toString());
  assert.equal(checkpoint.texts.tokenizerConfig, null);
  assert.deepEqual(checkpoint.files, ['model.safetensors']);
  const whole = engine.convert({ config: want['config.json'].toString(), vocab: want['vocab.txt'].toString(), safetensors: want['model.safetensors'] });
  assert.deepEqual(bytes, whole);
  assert.ok(feeds.length >= 3 && feeds.slice(0, -1).every((f) => !f.end) && feeds.at(-1).end, `fed in ${feeds.length} batches`);
  assert.ok(Math.max(...feeds.map((f) => f.length)) < 8 << 20, 'never the whole file at once');
  assert.ok(seen.length > 0 && seen.at(-1).loaded === want['model.safetensors'].length && seen.at(-1).total === seen.at(-1).loaded);
  assert.ok(hub.requests.some((r) => r.origin === 'cdn'), 'the weights came from the CDN origin');
  const model = engine.loadModel(bytes);
  assert.equal(engine.run(model, 'hello world').layers, 2);
  engine.freeModel(model);
});

test('a sharded checkpoint (index + 3 files) converts to the same model; BF16 weights convert too', async () => {
  const want = testRepos()['test/tiny-bert'];
  const whole = engine.convert({ config: want['config.json'].toString(), vocab: want['vocab.txt'].toString(), safetensors: want['model.safetensors'] });
  const sharded = await convertFromHub('test/sharded');
  assert.deepEqual(sharded.checkpoint.files, ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
  assert.deepEqual(sharded.bytes, whole, 'the same tensors make the same model file');
  const bf16 = await convertFromHub('test/tiny-bert-bf16');
  const [a, b] = [engine.loadModel(whole), engine.loadModel(bf16.bytes)];
  const [ra, rb] = [engine.run(a, 'the cat sat on the mat'), engine.run(b, 'the cat sat on the mat')];
  let diff = 0;
  for (let i = 0; i < ra.attention.length; ++i) diff = Math.max(diff, Math.abs(ra.attention[i] - rb.attention[i]));
  assert.ok(diff > 0 && diff < 0.05, `BF16 weights give nearly the f32 attention (max |Δ| ${diff})`);
  engine.freeModel(a);
  engine.freeModel(b);
});

test('DistilBERT and RoBERTa checkpoints stream and convert by hub id; RoBERTa from its tokenizer.json alone', async () => {
  for (const [id, first, second] of [['test/tiny-distilbert', '[CLS]', '[SEP]'], ['test/tiny-roberta', '<s>', '</s>']]) {
    const { bytes, checkpoint } = await convertFromHub(id);
    if (id.endsWith('roberta')) assert.equal(checkpoint.texts.vocab, null, 'no vocab.txt on the hub: tokenizer.json carries it');
    const model = engine.loadModel(bytes);
    const r = engine.run(model, 'The cat sat on the mat.', 'It was warm.');
    assert.equal(r.tokens[0].text, first, id);
    assert.equal(r.tokens.at(-1).text, second, id);
    assert.equal(model.info.config.family, id.endsWith('roberta') ? 'roberta' : 'distilbert');
    engine.freeModel(model);
  }
});

test('each failure says what to do', async () => {
  const get = (id, options) => convertFromHub(id, options);
  await assert.rejects(get('test/nothing-here'), /the hub has no model test\/nothing-here \(config.json: 404\): check the id/);
  await assert.rejects(get('gated/secret'), /gated\/secret is gated or private on the hub \(HTTP 401\)/);
  await assert.rejects(get('test/gpt2'), /test\/gpt2 is a "gpt2" model; Headlight runs bert, distilbert, roberta models/);
  await assert.rejects(get('test/not-json'), /config.json is not JSON/);
  await assert.rejects(get('test/only-bin'), /has only pytorch_model.bin.*tools\/fetch-model test\/only-bin/);
  await assert.rejects(get('test/wrong-shape'), /intermediate.dense.bias" has shape \[512\] but config.json implies \[1024\]/);
  await assert.rejects(get('test/truncated'), /model.safetensors ended after [\d,]+ bytes/);
  await assert.rejects(get('test/garbage'), /model.safetensors: header length \d+ is not a safetensors file's/);
  await assert.rejects(get('test/tiny-bert', { expected: { hidden_size: 768 } }),
    /config.json has hidden_size = 128 where the catalog \(models\/catalog.json\) says 768/);
  await assert.rejects(openCheckpoint(parseHubId('a/b'), { endpoint: 'http://127.0.0.1:9' }), /could not reach the hub for a\/b/);
  const weights = testRepos()['test/tiny-bert']['model.safetensors'];
  hub.cuts.set(sha256(weights), { after: 1000, times: 99 });
  await assert.rejects(get('test/tiny-bert'), new RegExp(`the download of model.safetensors stopped after 5,000 of ${weights.length.toLocaleString('en')} bytes .*and did not resume after ${RESUMES} tries`));
  hub.cuts.clear();
  hub.flips.set(sha256(weights), weights.length - 1000);
  await assert.rejects(get('test/tiny-bert'), /the download of model.safetensors is corrupt: its SHA-256 is not the one the hub gives/);
  hub.flips.clear();
});

test('a transfer cut midway resumes with Range requests from the first missing byte: no byte is fetched twice', async () => {
  const weights = testRepos()['test/tiny-bert']['model.safetensors'];
  const sha = sha256(weights);
  hub.cuts.set(sha, { after: 70000, times: 2 });
  hub.requests.length = 0;
  const { bytes } = await convertFromHub('test/tiny-bert');
  const want = testRepos()['test/tiny-bert'];
  assert.deepEqual(bytes, engine.convert({ config: want['config.json'].toString(), vocab: want['vocab.txt'].toString(), safetensors: weights }));
  const transfers = hub.requests.filter((r) => r.origin === 'cdn' && r.method === 'GET' && r.path.endsWith(sha));
  assert.deepEqual(transfers.map((r) => r.range), [null, 'bytes=70000-', 'bytes=140000-']);
  hub.cuts.clear();
});

test('an abort stops the download', async () => {
  hub.delayMs = 50;
  const abort = new AbortController();
  const pending = convertFromHub('test/tiny-bert', { signal: abort.signal, onProgress: () => abort.abort() });
  await assert.rejects(pending, (e) => e.name === 'AbortError');
  hub.delayMs = 0;
});
