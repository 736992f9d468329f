// Hugging Face hub checkpoints by id: one model's files from the hub's resolve URLs, with errors that say what to do.
// The hub answers /{id}/resolve/{revision}/{file} directly (small files) or with a redirect to its CDN (weights), both
// with CORS, so a page reads them with fetch(). The weights stream into the engine's converter as they arrive.
import { quoted } from './quoted.js';

export const HUB_ENDPOINT = 'https://huggingface.co';
// The model types the engine runs (model/config.cpp reads their config.json).
export const SUPPORTED_TYPES = ['bert', 'distilbert', 'roberta'];

const OWNER_NAME = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;
const REVISION = /^[\w.-][\w./-]{0,99}$/;

/** 'owner/name' or 'owner/name@revision' → {id, revision}; throws an Error saying what a hub id looks like. */
export function parseHubId(text) {
  const s = String(text ?? '').trim();
  const at = s.indexOf('@');
  const id = at < 0 ? s : s.slice(0, at), revision = at < 0 ? 'main' : s.slice(at + 1);
  // A revision of '.' would be a dot segment of the file URLs (…/resolve/./config.json is …/resolve/config.json).
  if (!OWNER_NAME.test(id) || id.includes('..') || !REVISION.test(revision) || revision.includes('..') || revision === '.') {
    throw new Error(`"${s.slice(0, 120)}" is not a Hugging Face model id: write owner/name, as in google-bert/bert-base-uncased ` +
      '(optionally @revision: a branch, tag or commit)');
  }
  return { id, revision };
}

/** The text of a parsed id: 'owner/name', with '@revision' unless it is main. */
export const hubIdText = ({ id, revision }) => (revision === 'main' ? id : `${id}@${revision}`);

/** The URL of one file of a model. */
export function hubFileUrl(endpoint, { id, revision }, file) {
  return `${endpoint.replace(/\/+$/, '')}/${id}/resolve/${encodeURIComponent(revision)}/${file}`;
}

// GET (or HEAD) one file: the Response, or null for 404 (optional files); other failures throw with what to do.
async function get(endpoint, ref, file, { signal, method = 'GET' } = {}) {
  const url = hubFileUrl(endpoint, ref, file);
  let res;
  try {
    res = await fetch(url, { signal, method });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new Error(`could not reach the hub for ${hubIdText(ref)} (${e.message}): check the network connection`);
  }
  if (res.status === 404) return null;
  if (res.status === 401 || res.status === 403) {
    throw new Error(`${hubIdText(ref)} is gated or private on the hub (HTTP ${res.status}): the page cannot sign in. Download its ` +
      'files where you are signed in (tools/fetch-model) and open the folder here');
  }
  if (!res.ok) throw new Error(`the hub answered HTTP ${res.status} for ${file} of ${hubIdText(ref)}: try again later`);
  return res;
}

// How often a cut transfer is resumed (HTTP Range from the byte it stopped at) before the download gives up.
export const RESUMES = 4;

// GET url from byte `from` on: {res, resumed} (resumed false: the server ignored the range or the file's ETag changed,
// so res is not the rest of the file we had), or null when the request itself failed.
async function refetch(url, from, etag, signal) {
  let res;
  try {
    res = await fetch(url, { signal, headers: { range: `bytes=${from}-` } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    return null;
  }
  const start = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1];
  const same = !etag || !res.headers.get('etag') || res.headers.get('etag') === etag;
  if (res.status === 206 && (start === undefined || Number(start) === from) && same) return { res, resumed: true };
  if (!res.ok && res.status !== 206) {
    await res.body?.cancel();
    throw new Error(`resuming the download of ${url.split('/').pop()} failed: HTTP ${res.status}`);
  }
  return { res, resumed: false };
}

// The body of `res` (GET `url`) into sink(chunk), with onBytes(loaded, total) per chunk. A transfer cut midway is
// resumed with a Range request from the first missing byte, up to RESUMES times; a server that ignores the range, or
// whose ETag changed meanwhile, cannot be resumed: the converter has taken the first bytes, so that is an error.
// Returns {bytes, etag}.
async function streamBody(res, url, file, { sink, onBytes, signal }) {
  const total = Number(res.headers.get('content-length')) || 0;
  const etag = res.headers.get('etag');
  let loaded = 0, cut = null;
  for (let resumes = 0; ; ++resumes) {
    cut = null;
    const reader = res.body.getReader();
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (e.name === 'AbortError') throw e;
        cut = e.message;  // the network: resumed below (the sink's own errors are not caught here)
        break;
      }
      if (chunk.done) break;
      loaded += chunk.value.length;
      try {
        await sink(chunk.value);
      } catch (e) {
        reader.cancel().catch(() => {});  // the converter refused the bytes: stop the download
        throw e;
      }
      onBytes(loaded, total);
    }
    if (!cut && (!total || loaded === total)) break;
    if (resumes === RESUMES) {
      throw new Error(`the download of ${file} stopped after ${loaded.toLocaleString('en')} of ${total ? total.toLocaleString('en') : '?'} bytes ` +
        `${cut ? `(${cut}) ` : ''}and did not resume after ${RESUMES} tries: try again later`);
    }
    await new Promise((ok) => setTimeout(ok, 250 * (resumes + 1)));
    const next = await refetch(url, loaded, etag, signal);
    if (!next) continue;  // the network is still down: counts as another cut
    if (!next.resumed) {
      await next.res.body?.cancel();
      throw new Error(`the download of ${file} was cut and the server could not resume it (the file changed, or ranges are ` +
        'not supported): try again');
    }
    res = next.res;
  }
  return { bytes: loaded, etag };
}

/**
 * The text files of a checkpoint on the hub and the list of its weight files, for the engine's converter: {name, texts:
 * {config, vocab, tokenizerConfig, tokenizerJson, index} (strings or null), files: ['model.safetensors'] or a sharded
 * checkpoint's files, weightsFile: the file whose ETag names this version of the weights}. Fails before any weights are
 * downloaded for an unknown id, a gated model, a model type the engine does not run, a config unlike the catalog's
 * (`expected`: {hidden_size: 768, ...}), or a checkpoint with only pytorch_model.bin.
 */
export async function openCheckpoint(ref, { endpoint = HUB_ENDPOINT, signal, expected = null } = {}) {
  const name = hubIdText(ref);
  const configRes = await get(endpoint, ref, 'config.json', { signal });
  if (!configRes) throw new Error(`the hub has no model ${name} (config.json: 404): check the id, as in google-bert/bert-base-uncased`);
  const config = await configRes.text();
  let parsed;
  try {
    parsed = JSON.parse(config);
  } catch (e) {
    throw new Error(`${name}'s config.json is not JSON (${e.message})`);
  }
  if (!SUPPORTED_TYPES.includes(parsed?.model_type)) {
    const type = parsed?.model_type ?? 'model without model_type';
    const what = typeof type === 'string' ? `a ${quoted(type)} model` : `a model whose model_type is ${quoted(type)}`;
    throw new Error(`${name} is ${what}; Headlight runs ${SUPPORTED_TYPES.join(', ')} models`);
  }
  for (const [k, v] of Object.entries(expected ?? {})) {
    if (parsed[k] !== v) {
      throw new Error(`${name}'s config.json has ${k} = ${quoted(parsed[k])} where the catalog (models/catalog.json) says ${v}: ` +
        'the model on the hub is not the one listed; load it by its id to convert it anyway');
    }
  }
  const text = async (file) => (await get(endpoint, ref, file, { signal }))?.text() ?? null;
  const vocab = await text('vocab.txt');
  const tokenizerConfig = await text('tokenizer_config.json');
  const tokenizerJson = await text('tokenizer.json');
  if (vocab === null && tokenizerJson === null) {
    throw new Error(`${name} has neither vocab.txt nor tokenizer.json on the hub: Headlight needs the model's tokenizer`);
  }
  const texts = { config, vocab, tokenizerConfig, tokenizerJson, index: null };
  const single = await get(endpoint, ref, 'model.safetensors', { signal, method: 'HEAD' });
  if (single) return { name, texts, files: ['model.safetensors'], weightsFile: 'model.safetensors' };
  const index = await text('model.safetensors.index.json');
  if (index !== null) {
    let listed;
    try {
      listed = JSON.parse(index);
    } catch (e) {
      throw new Error(`${name}'s model.safetensors.index.json is not JSON (${e.message})`);
    }
    const named = Object.values(listed?.weight_map ?? {});  // checked before sort(), which would make any value a string
    if (!named.length || named.some((f) => typeof f !== 'string' || !/^[\w.-]+\.safetensors$/.test(f) || f.startsWith('.'))) {
      throw new Error(`${name}'s model.safetensors.index.json does not list its files as plain .safetensors names`);
    }
    const files = [...new Set(named)].sort();
    return { name, texts: { ...texts, index }, files, weightsFile: 'model.safetensors.index.json' };
  }
  throw new Error(await missingWeights(endpoint, ref, signal));
}

/** The hub's ETag of one file (through the CDN redirect), or null when the hub cannot be reached within `ms`. */
export async function hubETag(ref, file, { endpoint = HUB_ENDPOINT, signal, ms = 5000 } = {}) {
  try {
    const res = await fetch(hubFileUrl(endpoint, ref, file), { method: 'HEAD', signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms) });
    return res.ok ? res.headers.get('etag') : null;
  } catch (e) {
    if (signal?.aborted) throw e;
    return null;
  }
}

/**
 * Downloads a checkpoint's weight files (openCheckpoint's `files`) in order into sink(bytes, endOfFile) — the engine's
 * converter — in pieces of about 4 MB, resuming cut transfers. The sink answers a file's last piece with the file's
 * SHA-256 (the converter computes it): where the ETag is a SHA-256 (the hub's LFS files), a mismatch is an error (a
 * corrupt download). onProgress({file, loaded, total}) counts all the files (total: their sizes, asked of the hub
 * first). Returns {etag} of the weights (of the index for a sharded checkpoint).
 */
export async function streamCheckpoint(ref, checkpoint, sink, { endpoint = HUB_ENDPOINT, onProgress = () => {}, signal } = {}) {
  const sizes = [];
  for (const file of checkpoint.files) {
    const head = await get(endpoint, ref, file, { signal, method: 'HEAD' });
    if (!head) throw new Error(`${checkpoint.name}'s ${file} is listed in its index but missing on the hub (404)`);
    sizes.push(Number(head.headers.get('content-length')) || 0);
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  let before = 0, etag = null;
  for (const [i, file] of checkpoint.files.entries()) {
    const res = await get(endpoint, ref, file, { signal });
    if (!res) throw new Error(`${checkpoint.name}'s ${file} is missing on the hub (404)`);
    const batch = new Batch((bytes, end) => sink(bytes, end));
    const got = await streamBody(res, hubFileUrl(endpoint, ref, file), file, { signal, sink: (c) => batch.add(c),
      onBytes: (loaded) => onProgress({ file, loaded: before + loaded, total }) });
    const digest = await batch.flush(true);
    const published = /^(?:W\/)?"?([0-9a-f]{64})"?$/.exec(got.etag ?? '')?.[1];
    if (published && digest && digest !== published) {
      throw new Error(`the download of ${file} is corrupt: its SHA-256 is not the one the hub gives (${published.slice(0, 12)}…): try again`);
    }
    before += got.bytes;
    if (checkpoint.weightsFile === file) etag = got.etag;
    sizes[i] = got.bytes;
  }
  if (checkpoint.weightsFile !== checkpoint.files[0] || checkpoint.files.length > 1) {
    etag = await hubETag(ref, checkpoint.weightsFile, { endpoint, signal });
  }
  return { etag };
}

/** Pieces of a stream gathered into batches of at least `size` bytes for a slower consumer (the engine's Worker);
 *  flush(end) sends the rest and returns what send returned. */
export class Batch {
  constructor(send, size = 4 << 20) { this.send = send; this.size = size; this.parts = []; this.bytes = 0; }

  async add(chunk) {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= this.size) await this.flush(false);
  }

  async flush(end) {
    const out = this.parts.length === 1 ? this.parts[0] : new Uint8Array(this.bytes);
    if (this.parts.length !== 1) {
      let at = 0;
      for (const p of this.parts) { out.set(p, at); at += p.length; }
    }
    this.parts = [];
    this.bytes = 0;
    return out.length || end ? this.send(out, end) : null;
  }
}

// Why there is no model.safetensors (nor an index) to load, and what to do instead.
async function missingWeights(endpoint, ref, signal) {
  const name = hubIdText(ref);
  if (await get(endpoint, ref, 'pytorch_model.bin', { signal, method: 'HEAD' })) {
    return `${name} has only pytorch_model.bin, which a browser cannot read safely: run tools/fetch-model ${ref.id} (it converts it), then open the .hlm it writes`;
  }
  return `${name} has no model.safetensors on the hub`;
}
