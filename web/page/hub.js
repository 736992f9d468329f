// Hugging Face hub checkpoints by id: one model's files from the hub's resolve URLs, with errors that say what to do.
// The hub answers /{id}/resolve/{revision}/{file} directly (small files) or with a redirect to its CDN (weights), both
// with CORS, so a page reads them with fetch().

export const HUB_ENDPOINT = 'https://huggingface.co';
// The model types the engine runs (model/config.cpp reads their config.json).
export const SUPPORTED_TYPES = ['bert'];

const OWNER_NAME = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;
const REVISION = /^[\w.-][\w./-]{0,99}$/;

/** 'owner/name' or 'owner/name@revision' → {id, revision}; throws an Error saying what a hub id looks like. */
export function parseHubId(text) {
  const s = String(text ?? '').trim();
  const at = s.indexOf('@');
  const id = at < 0 ? s : s.slice(0, at), revision = at < 0 ? 'main' : s.slice(at + 1);
  if (!OWNER_NAME.test(id) || id.includes('..') || !REVISION.test(revision) || revision.includes('..')) {
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

// GET one file: the Response, or null for 404 (optional files); other failures throw with what to do.
async function get(endpoint, ref, file, { signal } = {}) {
  const url = hubFileUrl(endpoint, ref, file);
  let res;
  try {
    res = await fetch(url, { signal });
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

// GET url from byte `from` on: {res, resumed} (resumed false: res is the whole file again, because the server ignored
// the range or the file's ETag changed), or null when the request itself failed.
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
  if (res.status === 200 && same) return { res, resumed: false };
  await res.body?.cancel();
  if (!res.ok) throw new Error(`resuming the download of ${url.split('/').pop()} failed: HTTP ${res.status}`);
  return { res: await fetch(url, { signal }), resumed: false };  // the file changed: all of it again
}

// The body of `res` (GET `url`) as bytes, with onProgress(loaded, total) per chunk. A transfer cut midway is resumed
// with a Range request from the first missing byte, up to RESUMES times; a server that ignores the range, or whose
// ETag changed meanwhile, sends the file again from the start.
async function readBytes(res, url, file, { onProgress, signal }) {
  const total = Number(res.headers.get('content-length')) || 0;
  const etag = res.headers.get('etag');
  let chunks = [], loaded = 0, cut = null;
  for (let resumes = 0; ; ++resumes) {
    cut = null;
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.length;
        onProgress(loaded, total);
      }
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      cut = e.message;
    }
    if (!cut && (!total || loaded === total)) break;
    if (resumes === RESUMES) {
      throw new Error(`the download of ${file} stopped after ${loaded.toLocaleString('en')} of ${total ? total.toLocaleString('en') : '?'} bytes ` +
        `${cut ? `(${cut}) ` : ''}and did not resume after ${RESUMES} tries: try again later`);
    }
    await new Promise((ok) => setTimeout(ok, 250 * (resumes + 1)));
    const next = await refetch(url, loaded, etag, signal);
    if (!next) continue;  // the network is still down: counts as another cut
    if (!next.resumed) { chunks = []; loaded = 0; }
    res = next.res;
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/**
 * The files of a BERT checkpoint on the hub, for the engine's converter: {config, vocab, tokenizerConfig, tokenizerJson
 * (strings or null), safetensors (Uint8Array)}. onProgress({file, loaded, total}) while the weights download; `signal`
 * aborts. Fails before the weights download for an unknown id, a gated model, or a model type the engine does not run.
 */
export async function fetchHubCheckpoint(ref, { endpoint = HUB_ENDPOINT, onProgress = () => {}, signal } = {}) {
  const name = hubIdText(ref);
  const configRes = await get(endpoint, ref, 'config.json', { signal });
  if (!configRes) throw new Error(`the hub has no model ${name} (config.json: 404): check the id, as in google-bert/bert-base-uncased`);
  const config = await configRes.text();
  let type;
  try {
    type = JSON.parse(config).model_type;
  } catch (e) {
    throw new Error(`${name}'s config.json is not JSON (${e.message})`);
  }
  if (!SUPPORTED_TYPES.includes(type)) {
    throw new Error(`${name} is a ${JSON.stringify(type ?? 'model without model_type')} model; Headlight runs ${SUPPORTED_TYPES.join(', ')} models`);
  }
  const text = async (file) => (await get(endpoint, ref, file, { signal }))?.text() ?? null;
  const vocab = await text('vocab.txt');
  if (vocab === null) throw new Error(`${name} has no vocab.txt on the hub: Headlight needs the WordPiece vocabulary of a BERT checkpoint`);
  const tokenizerConfig = await text('tokenizer_config.json');
  const tokenizerJson = await text('tokenizer.json');
  const weights = await get(endpoint, ref, 'model.safetensors', { signal });
  if (!weights) throw new Error(await missingWeights(endpoint, ref, signal));
  const safetensors = await readBytes(weights, hubFileUrl(endpoint, ref, 'model.safetensors'), 'model.safetensors',
    { signal, onProgress: (loaded, total) => onProgress({ file: 'model.safetensors', loaded, total }) });
  return { config, vocab, tokenizerConfig, tokenizerJson, safetensors };
}

// Why there is no model.safetensors to load, and what to do instead.
async function missingWeights(endpoint, ref, signal) {
  const name = hubIdText(ref);
  const has = async (file) => {
    const res = await get(endpoint, ref, file, { signal });
    await res?.body?.cancel();
    return res !== null;
  };
  if (await has('model.safetensors.index.json')) {
    return `${name} is split into several safetensors files (model.safetensors.index.json), which Headlight does not load yet`;
  }
  if (await has('pytorch_model.bin')) {
    return `${name} has only pytorch_model.bin, which a browser cannot read safely: run tools/fetch-model ${ref.id} (it converts it), then open the .hlm it writes`;
  }
  return `${name} has no model.safetensors on the hub`;
}
