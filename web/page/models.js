// Where models come from: models/builtin.json (size + sha256 checked), ?model=URL, or files the user opens (a .hlm, or a
// Hugging Face folder converted in the engine Worker).
import { Batch } from './hub.js';
import { quoted } from './quoted.js';
import { sha256Hex } from './sha256.js';

// The largest model file the page reads: the engine's memory (4 GiB in wasm32) must also hold the model's working buffers
// and, while it loads, the file itself twice (the Worker's copy and the engine's). Refused before a byte is read.
export const MAX_MODEL_FILE_BYTES = 1.5 * 2 ** 30;
// The largest config.json, vocab.txt, tokenizer.json or shard index the page reads (a 250k-word tokenizer.json is ~20 MB).
export const MAX_TEXT_FILE_BYTES = 64 * 2 ** 20;
const mib = (bytes) => (bytes >= 2 ** 30 ? `${+(bytes / 2 ** 30).toFixed(1)} GiB` : `${+(bytes / 2 ** 20).toFixed(1)} MiB`);
const tooLarge = (name, bytes, limit, what, hint = '') =>
  new Error(`${name} is ${mib(bytes)}; the page reads ${what} up to ${mib(limit)}${hint ? ` (${hint})` : ''}`);

/** The built-in models: [{id, name, url, bytes, sha256}] and the default id; `base`: the URL models/ is under. */
export async function builtinModels(base = document.baseURI) {
  const at = (file) => new URL(`models/${file}`, base).href;
  const res = await fetch(at('builtin.json'));
  if (!res.ok) throw new Error(`could not read models/builtin.json: HTTP ${res.status} (serve the page with \`npm start\`)`);
  const manifest = checkManifest(await res.text());
  const models = manifest.models.map((m) => ({ id: m.id, name: m.name, url: at(m.file), bytes: m.bytes, sha256: m.sha256,
    parts: m.parts?.map((p) => ({ url: at(p.file), bytes: p.bytes, sha256: p.sha256 })) }));
  return { models, defaultId: manifest.default ?? models[0].id };
}

/** A JSON file of the site's models/ folder (builtin.json, catalog.json) → {value: parsed, bad(what): the Error that says
 *  the site's copy is damaged}; its text not JSON throws that Error. */
export function siteJson(name, text) {
  const bad = (what) => new Error(`models/${name} ${what}: the site's copy is damaged; serve the checkout's (npm start) or rebuild the site (npm run build)`);
  try {
    return { value: JSON.parse(text), bad };
  } catch (e) {
    throw bad(`is not JSON (${e.message})`);
  }
}

// models/builtin.json's text → its object, checked: the page downloads, allocates and compares against what it says, so
// a damaged file is refused here with what is wrong (not met later as a TypeError, or a buffer of the bytes it claims).
function checkManifest(text) {
  const { value: manifest, bad } = siteJson('builtin.json', text);
  if (!Array.isArray(manifest?.models) || manifest.models.length === 0) throw bad('lists no models');
  const name = (v) => typeof v === 'string' && v !== '';
  const size = (v) => Number.isSafeInteger(v) && v >= 0 && v <= MAX_MODEL_FILE_BYTES;
  const sha = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  manifest.models.forEach((m, i) => {
    if (!name(m?.id) || typeof m.name !== 'string' || !name(m.file)) throw bad(`has a model (${i}) without an "id", a "name" or a "file"`);
    if (m.bytes !== undefined && !size(m.bytes))
      throw bad(`gives ${quoted(m.id)} ${quoted(m.bytes)} bytes, not a whole number up to ${mib(MAX_MODEL_FILE_BYTES)} (the largest model file the page reads)`);
    if (m.sha256 !== undefined && !sha(m.sha256)) throw bad(`gives ${quoted(m.id)} a "sha256" that is not 64 hex digits`);
    if (m.parts === undefined) return;
    if (!Array.isArray(m.parts) || m.parts.length === 0 || !m.parts.every((p) => name(p?.file) && size(p.bytes) && sha(p.sha256)))
      throw bad(`gives ${quoted(m.id)} "parts" that are not each a "file", its "bytes" and its "sha256"`);
    const sum = m.parts.reduce((s, p) => s + p.bytes, 0);
    if (sum !== m.bytes) throw bad(`gives ${quoted(m.id)} parts of ${sum} bytes in all, not its "bytes" (${quoted(m.bytes)})`);
  });
  if (manifest.default !== undefined && manifest.default !== null && !manifest.models.some((m) => m.id === manifest.default))
    throw bad(`names a default model (${quoted(manifest.default)}) it does not list`);
  return manifest;
}


/**
 * Downloads a model with progress (onProgress(fraction)), checking the size and sha256 its manifest gives. A model
 * split into parts by `npm run build` (model.parts: [{url, bytes, sha256}]) is fetched part by part and joined.
 * Where Cache Storage exists (secure contexts), checked downloads are kept for offline use (see fetchChecked);
 * onNote(text), when given, is called once when there is something to say about where the bytes came from
 * ("headlight-mini.hlm: from the offline cache", "the cached copy of … was corrupt (sha256 mismatch): downloaded it again").
 */
export async function fetchModel(model, onProgress, onNote = null) {
  const name = fileName(model.url);
  if (!model.parts) {
    const got = await fetchChecked(model, onProgress);
    tell(onNote, name, [got]);
    return got.bytes;
  }
  const bytes = new Uint8Array(model.bytes);
  const results = [];
  let at = 0;
  for (const part of model.parts) {
    const got = await fetchChecked(part, (f) => onProgress((at + f * part.bytes) / model.bytes));
    results.push(got);
    if (at + got.bytes.length > bytes.length) throw new Error(`the parts of ${model.url} add up to more than its ${model.bytes} bytes`);
    bytes.set(got.bytes, at);
    at += got.bytes.length;
  }
  if (at !== model.bytes) throw new Error(`the parts of ${model.url} add up to ${at} bytes, models/builtin.json says ${model.bytes}`);
  await checkBytes(model, bytes);  // the whole file's sha256
  tell(onNote, name, results);
  return bytes;
}

// One note for a model's pieces (the whole file, or its parts): corrupt cached copies replaced, and whether it all came
// from the cache. Nothing is said for a plain download.
function tell(onNote, name, results) {
  const notes = results.filter((r) => r.corrupt).map((r) => `the cached copy of ${r.name} was corrupt (${r.corrupt}): downloaded it again`);
  if (results.every((r) => r.from === 'cache')) {
    const parts = results.length > 1 ? `, ${results.length} parts` : '';
    notes.push(`${name}: from the offline cache${parts}${results.some((r) => r.unchecked) ? ' (no sha256 to check it against)' : ''}`);
  }
  if (notes.length && onNote) onNote(notes.join('; '));
}

const MODEL_CACHE = 'headlight-models-v1';  // Cache Storage: model URL → its bytes (content-type octet-stream, content-length)

/**
 * One file (a model or a part: {url, bytes?, sha256?}) → {bytes, name, from: 'cache'|'network', corrupt?: reason, unchecked?}.
 * With a sha256 the offline cache is looked at first: a copy that passes the size and sha256 checks is used as is (no
 * download, works offline); one that fails them is deleted and the file downloaded again, bypassing the HTTP cache.
 * Without a sha256 (a ?model=URL) nothing can tell a changed file from the cached one, so the network comes first and the
 * cached copy is used only when the network fails, checked against the length it was stored with (and model.bytes when
 * known), not against its content. Every checked download is put in the cache; a cache that fails (quota, storage off)
 * only costs the offline copy, with a console.warn.
 */
async function fetchChecked(model, onProgress) {
  const name = fileName(model.url);
  const cache = await modelCache();
  let corrupt = null;
  if (cache && model.sha256) {
    const hit = await fromCache(cache, model);
    if (hit.bytes) { onProgress(1); return { bytes: hit.bytes, name, from: 'cache' }; }
    corrupt = hit.corrupt ?? null;
  }
  let bytes;
  try {
    bytes = await download(model, onProgress, { reload: corrupt !== null, hasCache: cache !== null });
  } catch (e) {
    if (!(e.network && cache && !model.sha256)) throw e;
    const hit = await fromCache(cache, model);
    if (!hit.bytes) throw e;
    onProgress(1);
    return { bytes: hit.bytes, name, from: 'cache', unchecked: true };
  }
  if (cache) {
    try {
      const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) };
      await cache.put(model.url, new Response(bytes, { headers }));  // the Response copies the bytes (they go to the Worker)
    } catch (e) {
      console.warn(`${model.url} was not kept for offline use (${e.name}: ${e.message})`);
    }
  }
  return { bytes, name, from: 'network', corrupt };
}

// The model cache, or null where Cache Storage is missing (non-secure contexts: models are then downloaded every time) or
// refused (e.g. storage disabled, said in the console).
async function modelCache() {
  if (!globalThis.caches) return null;
  try {
    return await caches.open(MODEL_CACHE);
  } catch (e) {
    console.warn(`the offline model cache is not available (${e.name}: ${e.message}): models are downloaded every time`);
    return null;
  }
}

// The cached copy of model.url: {bytes} when it passes the checks, {corrupt: reason} when it does not (the entry is then
// deleted), {} when there is none.
async function fromCache(cache, model) {
  let bad = null;
  let bytes = null;
  try {
    const res = await cache.match(model.url);
    if (!res) return {};
    const stored = Number(res.headers.get('content-length'));
    bytes = new Uint8Array(await res.arrayBuffer());
    if (stored && bytes.length !== stored) bad = `${bytes.length} bytes, stored with ${stored}`;
  } catch (e) {
    bad = `unreadable: ${e.message}`;
  }
  bad ??= (await mismatch(model, bytes))?.reason;
  if (!bad) return { bytes };
  try {
    await cache.delete(model.url);
  } catch (e) {
    console.warn(`could not delete the corrupt cached copy of ${model.url} (${e.message})`);
  }
  return { corrupt: bad };
}

// The file from the network with progress; checked. Errors say what failed; one the network raised (no answer at all:
// offline, server down) has .network set.
async function download(model, onProgress, { reload = false, hasCache = false } = {}) {
  let res;
  try {
    res = await fetch(model.url, reload ? { cache: 'reload' } : {});
  } catch (e) {
    throw Object.assign(new Error(`could not download the model ${model.url} (${e.message}): the network is off or the server is ` +
      `unreachable${hasCache ? ', and the offline cache has no copy of it' : ''}`), { network: true });
  }
  if (!res.ok) throw new Error(`could not download the model ${model.url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || model.bytes || 0;
  const limit = Math.min(MAX_MODEL_FILE_BYTES, model.bytes ?? Infinity);  // a server that sends more is refused as it does
  const refuse = (bytes) => tooLarge(fileName(model.url), bytes, MAX_MODEL_FILE_BYTES, 'model files');
  if (total > MAX_MODEL_FILE_BYTES) { await res.body?.cancel(); throw refuse(total); }
  const reader = res.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    if (got > limit) {
      await reader.cancel();
      if (got > MAX_MODEL_FILE_BYTES) throw refuse(got);
      throw new Error(`size mismatch: ${fileName(model.url)} sends more than the ${model.bytes} bytes models/builtin.json gives`);
    }
    if (total) onProgress(got / total);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  await checkBytes(model, bytes);
  return bytes;
}

// What is wrong with bytes against the manifest's size and sha256: null, or {what: 'size'|'sha256', reason, sha?}.
async function mismatch(model, bytes) {
  if (model.bytes !== undefined && bytes.length !== model.bytes)
    return { what: 'size', reason: `size mismatch: ${bytes.length} bytes, models/builtin.json says ${model.bytes}` };
  if (model.sha256) {
    const sha = await sha256Hex(bytes);
    if (sha !== model.sha256) return { what: 'sha256', reason: 'sha256 mismatch', sha };
  }
  return null;
}

async function checkBytes(model, bytes) {
  const bad = await mismatch(model, bytes);
  if (bad?.what === 'size')
    throw new Error(`the model ${model.url} has ${bytes.length} bytes, models/builtin.json says ${model.bytes}: the download was cut or the file is stale; reload the page`);
  if (bad?.what === 'sha256')
    throw new Error(`the model ${model.url} does not match its sha256 in models/builtin.json (got ${bad.sha}); reload the page, or rebuild the checkout`);
}

// The last segment of a model's URL, for notes: 'headlight-mini.hlm', 'headlight-mini.hlm.part1'.
function fileName(url) {
  try {
    return decodeURIComponent(new URL(url, globalThis.location?.href).pathname.split('/').pop()) || url;
  } catch {
    return url;
  }
}

const HF_TEXTS = { 'config.json': 'config', 'vocab.txt': 'vocab', 'tokenizer_config.json': 'tokenizerConfig',
  'tokenizer.json': 'tokenizerJson', 'model.safetensors.index.json': 'index' };

/**
 * Files the user chose → {kind: 'hlm', bytes, name} or {kind: 'hf', texts: {config, vocab, tokenizerConfig,
 * tokenizerJson, index} (strings or null), weights: [File] (model.safetensors, or a sharded checkpoint's files in
 * order), name}. The weights are not read here: convertChosen streams them into the engine. Throws an Error that says
 * what is missing.
 */
export async function readChosenFiles(fileList) {
  const files = Array.from(fileList);
  const hlm = files.find((f) => f.name.endsWith('.hlm'));
  if (hlm) {
    if (hlm.size > MAX_MODEL_FILE_BYTES)
      throw tooLarge(hlm.name, hlm.size, MAX_MODEL_FILE_BYTES, 'model files', 'convert it again with int8 weights: hl-convert without --f32');
    return { kind: 'hlm', name: hlm.name, bytes: new Uint8Array(await hlm.arrayBuffer()) };
  }
  const texts = { config: null, vocab: null, tokenizerConfig: null, tokenizerJson: null, index: null };
  for (const f of files) {
    if (!HF_TEXTS[f.name]) continue;
    if (f.size > MAX_TEXT_FILE_BYTES) throw tooLarge(f.name, f.size, MAX_TEXT_FILE_BYTES, 'a checkpoint\'s text files');
    texts[HF_TEXTS[f.name]] = await f.text();
  }
  const byName = new Map(files.map((f) => [f.name, f]));
  let weights = byName.has('model.safetensors') ? [byName.get('model.safetensors')] : [];
  if (!weights.length && texts.index !== null) {
    let index;
    try {
      index = JSON.parse(texts.index);
    } catch (e) {
      throw new Error(`model.safetensors.index.json is not JSON (${e.message})`);
    }
    const named = Object.values(index?.weight_map ?? {});  // checked before sort(), which would make any value a string
    if (named.some((n) => typeof n !== 'string')) throw new Error('model.safetensors.index.json has a "weight_map" whose values are not file names');
    const names = [...new Set(named)].sort();
    const absent = names.filter((n) => !byName.has(n));
    if (absent.length) {
      const some = absent.slice(0, 3).map(quoted).join(', ') + (absent.length > 3 ? ` and ${absent.length - 3} more` : '');
      throw new Error(`model.safetensors.index.json lists ${some}: choose those files too`);
    }
    weights = names.map((n) => byName.get(n));
  } else {
    texts.index = null;
  }
  const missing = [!texts.config && 'config.json', !texts.vocab && !texts.tokenizerJson && 'vocab.txt',
    !weights.length && 'model.safetensors'].filter(Boolean);
  if (missing.length) {
    const bin = byName.has('pytorch_model.bin');
    throw new Error(`choose a Headlight .hlm file, or a Hugging Face folder's config.json, vocab.txt (RoBERTa: tokenizer.json) and model.safetensors ` +
      `(missing: ${missing.join(', ')})${bin ? '; pytorch_model.bin cannot be read in the browser: run tools/fetch-model to convert it' : ''}`);
  }
  const dir = files[0].webkitRelativePath?.split('/')[0];
  return { kind: 'hf', name: dir || 'Hugging Face checkpoint', texts, weights };
}

/**
 * A chosen Hugging Face folder (readChosenFiles' kind 'hf'), converted in the engine Worker as its safetensors files are
 * read (never held whole in the page), and loaded into slot `key`. onProgress({file, loaded, total}). Returns the info.
 */
export async function convertChosen(client, chosen, { key = undefined, onProgress = () => {} } = {}) {
  const conversion = await client.convertBegin(chosen.texts, { int8: true });
  const total = chosen.weights.reduce((n, f) => n + f.size, 0);
  let done = false, loaded = 0;
  try {
    for (const file of chosen.weights) {
      const batch = new Batch((bytes, end) => client.convertFeed(conversion, bytes, end));
      const reader = file.stream().getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        await batch.add(value);
        loaded += value.length;
        onProgress({ file: file.name, loaded, total });
      }
      await batch.flush(true);
    }
    const { info } = await client.convertFinish(conversion, { key });
    done = true;
    return info;
  } finally {
    if (!done) client.convertFree(conversion).catch(() => {});
  }
}
