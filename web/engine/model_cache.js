// Converted models kept for offline use, in the origin private file system (OPFS): one file per model, keyed by hub
// endpoint + id + revision + precision, beside a small JSON of its name, size and the hub's ETag of the weights. The
// Worker writes (through a sync access handle, piece by piece from the engine's memory) and reads them; the page lists
// and deletes. OPFS rather than Cache Storage: Chromium's Cache.put failed ("Unexpected internal error") on a 339 MB
// bert-large (npm run bench:hub), where files of any size are what OPFS is for.

const DIR = 'headlight-converted-v1';
const CHUNK = 8 << 20;  // bytes per piece written from, or read into, the engine's memory

/** The cache key of a hub model (a file name: endpoint host, id, revision, precision; no '/'). */
export function cacheKey({ endpoint, id, revision, int8 = true }) {
  return encodeURIComponent([new URL(endpoint).host, id, revision, int8 ? 'int8' : 'f32'].join(' '));
}

async function folder() {
  if (!globalThis.navigator?.storage?.getDirectory) {
    throw new Error('this browser gives the page no private file system (the page is not served from https or localhost), ' +
      'so converted models cannot be kept for offline use');
  }
  return (await navigator.storage.getDirectory()).getDirectoryHandle(DIR, { create: true });
}

/** Stores `size` bytes read in pieces by read(offset, length) under key, then its meta (the entry exists only once both
 *  are written). Worker only (sync access handle). Throws an Error that says what happened, a full disk included. */
export async function putModel(key, meta, size, read) {
  const mb = (size / 1e6).toFixed(0);
  let dir, handle = null;
  try {
    dir = await folder();
    await dir.removeEntry(`${key}.json`).catch(() => {});  // an old entry is invalid from here on
    handle = await (await dir.getFileHandle(`${key}.hlm`, { create: true })).createSyncAccessHandle();
    handle.truncate(0);
    for (let at = 0; at < size; at += CHUNK) {
      const piece = read(at, Math.min(CHUNK, size - at));
      if (handle.write(piece, { at }) !== piece.length) throw new DOMException('short write', 'QuotaExceededError');
    }
    handle.flush();
    handle.close();
    handle = null;
    const json = new TextEncoder().encode(JSON.stringify({ ...meta, bytes: size, convertedAt: new Date().toISOString() }));
    const side = await (await dir.getFileHandle(`${key}.json`, { create: true })).createSyncAccessHandle();
    side.truncate(0);
    side.write(json, { at: 0 });
    side.flush();
    side.close();
  } catch (e) {
    handle?.close();
    await dir?.removeEntry(`${key}.hlm`).catch(() => {});
    if (e.name === 'QuotaExceededError') {
      throw new Error(`the converted model (${mb} MB) was not kept for offline use: this site's storage is full ` +
        '(QuotaExceededError). Delete cached models you no longer need; this one works until the page is reloaded');
    }
    throw new Error(`the converted model (${mb} MB) was not kept for offline use (${e.name}: ${e.message})`);
  }
}

/** The cached model under key, streamed into the memory `allocate(size)` gives ({write(offset, bytes), free()}: a heap
 *  file); returns it. Throws when it is missing or its length is wrong (the entry is then deleted). */
export async function readModel(key, allocate) {
  const entry = await findModel(key);
  if (!entry) throw new Error('this model is no longer in the offline cache: load it again from the hub');
  const file = allocate(entry.bytes);
  let at = 0;
  try {
    const data = await (await (await folder()).getFileHandle(`${key}.hlm`)).getFile();
    if (data.size !== entry.bytes) throw new Error(`${data.size} bytes, stored as ${entry.bytes}`);
    const reader = data.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      file.write(at, value);
      at += value.length;
    }
    if (at !== entry.bytes) throw new Error(`${at} of ${entry.bytes} bytes`);
  } catch (e) {
    file.free?.();
    await deleteModel(key);
    throw new Error(`the cached copy of this model was unreadable (${e.message}) and has been deleted: load it again from the hub`);
  }
  return file;
}

/** The cached models: [{key, bytes, name, id, revision, endpoint, etag, weightsFile, int8, convertedAt}], newest first. */
export async function listModels() {
  if (!globalThis.navigator?.storage?.getDirectory) return [];
  const dir = await folder();
  const out = [];
  for await (const [name] of dir.entries()) {
    if (!name.endsWith('.json')) continue;
    const entry = await findModel(name.slice(0, -'.json'.length));
    if (entry) out.push(entry);
  }
  return out.sort((a, b) => String(b.convertedAt).localeCompare(String(a.convertedAt)));
}

/** The cached entry for key (listModels' form), or null when there is none or its data file is missing. */
export async function findModel(key) {
  if (!globalThis.navigator?.storage?.getDirectory) return null;
  try {
    const dir = await folder();
    const meta = JSON.parse(await (await (await dir.getFileHandle(`${key}.json`)).getFile()).text());
    const data = await (await dir.getFileHandle(`${key}.hlm`)).getFile();
    return data.size === meta.bytes ? { ...meta, key } : null;
  } catch {
    return null;  // absent (NotFoundError) or unreadable: not cached
  }
}

export async function deleteModel(key) {
  const dir = await folder();
  for (const name of [`${key}.json`, `${key}.hlm`]) await dir.removeEntry(name).catch(() => {});
}
