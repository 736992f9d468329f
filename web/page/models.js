// Where models come from: models/builtin.json (size + sha256 checked), ?model=URL, or files the user opens (a .hlm, or a
// Hugging Face folder converted in the engine Worker).
import { sha256Hex } from './sha256.js';

/** The built-in models: [{id, name, url, bytes, sha256}] and the default id. */
export async function builtinModels() {
  const res = await fetch('models/builtin.json');
  if (!res.ok) throw new Error(`could not read models/builtin.json: HTTP ${res.status} (serve the page with \`npm start\`)`);
  const manifest = await res.json();
  const models = manifest.models.map((m) => ({ id: m.id, name: m.name, url: `models/${m.file}`, bytes: m.bytes, sha256: m.sha256,
    parts: m.parts?.map((p) => ({ url: `models/${p.file}`, bytes: p.bytes, sha256: p.sha256 })) }));
  return { models, defaultId: manifest.default ?? models[0]?.id };
}


/**
 * Downloads a model with progress (onProgress(fraction)), checking the size and sha256 its manifest gives. A model
 * split into parts by `npm run build` (model.parts: [{url, bytes, sha256}]) is fetched part by part and joined.
 */
export async function fetchModel(model, onProgress) {
  if (!model.parts) return fetchChecked(model, onProgress);
  const bytes = new Uint8Array(model.bytes);
  let at = 0;
  for (const part of model.parts) {
    const got = await fetchChecked(part, (f) => onProgress((at + f * part.bytes) / model.bytes));
    if (at + got.length > bytes.length) throw new Error(`the parts of ${model.url} add up to more than its ${model.bytes} bytes`);
    bytes.set(got, at);
    at += got.length;
  }
  if (at !== model.bytes) throw new Error(`the parts of ${model.url} add up to ${at} bytes, models/builtin.json says ${model.bytes}`);
  await checkBytes(model, bytes);  // the whole file's sha256
  return bytes;
}

async function fetchChecked(model, onProgress) {
  const res = await fetch(model.url);
  if (!res.ok) throw new Error(`could not download the model ${model.url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || model.bytes || 0;
  const reader = res.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    if (total) onProgress(got / total);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  await checkBytes(model, bytes);
  return bytes;
}

async function checkBytes(model, bytes) {
  if (model.bytes !== undefined && bytes.length !== model.bytes)
    throw new Error(`the model ${model.url} has ${bytes.length} bytes, models/builtin.json says ${model.bytes}: the download was cut or the file is stale; reload the page`);
  if (model.sha256) {
    const sha = await sha256Hex(bytes);
    if (sha !== model.sha256)
      throw new Error(`the model ${model.url} does not match its sha256 in models/builtin.json (got ${sha}); reload the page, or rebuild the checkout`);
  }
}

const HF_FILES = { 'config.json': 'config', 'vocab.txt': 'vocab', 'tokenizer_config.json': 'tokenizerConfig',
  'tokenizer.json': 'tokenizerJson', 'model.safetensors': 'safetensors' };

/**
 * Files the user chose → {kind: 'hlm', bytes, name} or {kind: 'hf', files: {config, vocab, ...}, name}.
 * Throws an Error that says what is missing.
 */
export async function readChosenFiles(fileList) {
  const files = Array.from(fileList);
  const hlm = files.find((f) => f.name.endsWith('.hlm'));
  if (hlm) return { kind: 'hlm', name: hlm.name, bytes: new Uint8Array(await hlm.arrayBuffer()) };
  const out = {};
  for (const f of files) {
    const key = HF_FILES[f.name];
    if (!key) continue;
    out[key] = key === 'safetensors' ? new Uint8Array(await f.arrayBuffer()) : await f.text();
  }
  const missing = ['config.json', 'vocab.txt', 'model.safetensors'].filter((n) => !out[HF_FILES[n]]);
  if (missing.length) {
    const bin = files.some((f) => f.name === 'pytorch_model.bin');
    throw new Error(`choose a Headlight .hlm file, or a Hugging Face folder's config.json, vocab.txt and model.safetensors ` +
      `(missing: ${missing.join(', ')})${bin ? '; pytorch_model.bin cannot be read in the browser: run tools/fetch-model to convert it' : ''}`);
  }
  const dir = files[0].webkitRelativePath?.split('/')[0];
  return { kind: 'hf', name: dir || 'Hugging Face checkpoint', files: out };
}
