// Converted models kept for offline use: Cache Storage entries keyed by hub endpoint + id + revision + precision, with
// the hub's ETag of the weights and a name in their headers. The Worker writes and reads them; the page lists and deletes.

export const CONVERTED_CACHE = 'headlight-converted-v1';
const META = 'x-headlight-meta';  // URI-encoded JSON: {name, id, revision, endpoint, etag, int8, convertedAt}
const CHUNK = 8 << 20;            // bytes per piece written to or read from the engine's memory

/** The cache key of a hub model: a URL under this origin that nothing serves (Cache Storage keys must be URLs). */
export function cacheUrl({ endpoint, id, revision, int8 = true }) {
  const host = new URL(endpoint).host;
  const path = [host, ...id.split('/'), revision, int8 ? 'int8.hlm' : 'f32.hlm'].map(encodeURIComponent).join('/');
  return `${globalThis.location.origin}/headlight-converted/${path}`;
}

async function openCache() {
  if (!globalThis.caches) {
    throw new Error('Cache Storage is not available here (the page is not served from https or localhost), so converted ' +
      'models cannot be kept for offline use');
  }
  return caches.open(CONVERTED_CACHE);
}

/** Stores `size` bytes read in pieces by read(offset, length) under url, with meta. Throws an Error that says what
 *  happened, a full disk (QuotaExceededError) included. */
export async function putModel(url, meta, size, read) {
  const cache = await openCache();
  let at = 0;
  const body = new ReadableStream({
    pull(controller) {
      const n = Math.min(CHUNK, size - at);
      controller.enqueue(read(at, n));
      at += n;
      if (at === size) controller.close();
    },
  });
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(size),
    [META]: encodeURIComponent(JSON.stringify({ ...meta, convertedAt: new Date().toISOString() })) };
  try {
    await cache.put(url, new Response(size ? body : new Uint8Array(0), { headers }));
  } catch (e) {
    const mb = (size / 1e6).toFixed(0);
    if (e.name === 'QuotaExceededError') {
      throw new Error(`the converted model (${mb} MB) was not kept for offline use: this site's storage is full ` +
        '(QuotaExceededError). Delete cached models you no longer need; this one works until the page is reloaded');
    }
    throw new Error(`the converted model (${mb} MB) was not kept for offline use (${e.name}: ${e.message})`);
  }
}

/** The cached model at url, streamed into the memory `allocate(size)` gives ({write(offset, bytes)} or a heap file with
 *  write and free); returns it. Throws when it is missing or its length is wrong (the entry is then deleted). */
export async function readModel(url, allocate) {
  const cache = await openCache();
  const res = await cache.match(url);
  if (!res) throw new Error('this model is no longer in the offline cache: load it again from the hub');
  const size = Number(res.headers.get('content-length'));
  const file = allocate(size);
  let at = 0;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > size) throw new Error('longer than stored');
      file.write(at, value);
      at += value.length;
    }
    if (at !== size) throw new Error(`${at} of ${size} bytes`);
  } catch (e) {
    file.free?.();
    await cache.delete(url);
    throw new Error(`the cached copy of this model was unreadable (${e.message}) and has been deleted: load it again from the hub`);
  }
  return file;
}

/** The cached models: [{url, bytes, name, id, revision, endpoint, etag, int8, convertedAt}], newest first. */
export async function listModels() {
  if (!globalThis.caches) return [];
  const cache = await caches.open(CONVERTED_CACHE);
  const out = [];
  for (const req of await cache.keys()) {
    const res = await cache.match(req);
    if (res) out.push(entry(req.url, res));
  }
  return out.sort((a, b) => String(b.convertedAt).localeCompare(String(a.convertedAt)));
}

/** The cached entry for url (listModels' form), or null. */
export async function findModel(url) {
  if (!globalThis.caches) return null;
  const res = await (await caches.open(CONVERTED_CACHE)).match(url);
  return res ? entry(url, res) : null;
}

function entry(url, res) {
  let meta = {};
  try { meta = JSON.parse(decodeURIComponent(res.headers.get(META) ?? '%7B%7D')); } catch { /* listed without a name */ }
  return { ...meta, url, bytes: Number(res.headers.get('content-length')) };
}

export async function deleteModel(url) {
  if (!globalThis.caches) return false;
  return (await caches.open(CONVERTED_CACHE)).delete(url);
}
