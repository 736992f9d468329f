// A hub model into the engine Worker, for the page and <headlight-attention>: from the offline cache while the hub's
// ETag of its weights is unchanged (or the hub is out of reach), else downloaded, converted as it arrives, and cached.
import { cacheKey, findModel } from '../engine/model_cache.js';
import { HUB_ENDPOINT, hubETag, hubIdText, openCheckpoint, streamCheckpoint } from './hub.js';

/**
 * Loads hub model `ref` ({id, revision}) into the Worker's slot `key`. Returns {info, name, from: 'cache' | 'hub', note}
 * (note: where it came from, or why it was not cached, or null). onProgress({file, loaded, total}) while downloading;
 * onStage(text) at each step; `signal` cancels (the conversion is then dropped and the slot keeps its model);
 * `expected`: config.json values the catalog lists.
 */
export async function loadHubModel(client, ref, { endpoint = HUB_ENDPOINT, key = undefined, expected = null, signal,
  onProgress = () => {}, onStage = () => {} } = {}) {
  const name = hubIdText(ref);
  const stored = cacheKey({ endpoint, ...ref, int8: true });  // its name in the offline cache
  const cached = await findModel(stored).catch(() => null);
  let note = null;
  if (cached) {
    onStage(`Checking the hub for a newer ${name}…`);
    const etag = await hubETag(ref, cached.weightsFile ?? 'model.safetensors', { endpoint, signal });
    if (etag === null || etag === cached.etag) {
      try {
        const info = await client.loadCached(stored, key);
        const when = String(cached.convertedAt ?? '').slice(0, 10);
        return { info, name, from: 'cache',
          note: `${name}: from the offline cache (converted ${when})${etag === null ? '; the hub is out of reach' : ''}` };
      } catch (e) {
        note = e.message;  // unreadable: it was deleted; download it again
      }
    } else {
      note = `the hub has a newer ${name} than the cached one: downloaded it again`;
    }
  }
  onStage(`Downloading ${name} from the Hugging Face hub…`);
  const checkpoint = await openCheckpoint(ref, { endpoint, signal, expected });
  const conversion = await client.convertBegin(checkpoint.texts, { int8: true });
  let done = false;
  try {
    const { etag } = await streamCheckpoint(ref, checkpoint, (bytes, end) => client.convertFeed(conversion, bytes, end),
      { endpoint, signal, onProgress });
    onStage(`Converting ${name}: the last tensors, then keeping it for offline use…`);
    const meta = { name, id: ref.id, revision: ref.revision, endpoint, etag, weightsFile: checkpoint.weightsFile, int8: true };
    const r = await client.convertFinish(conversion, { key, cache: etag ? { key: stored, meta } : null });
    done = true;
    if (r.cacheError) note = r.cacheError;
    else if (!etag) note = `${name} was not kept for offline use: the hub gave no ETag to know its version by`;
    return { info: r.info, name, from: 'hub', note };
  } finally {
    if (!done) client.convertFree(conversion).catch(() => {});  // cancelled or failed: drop what was converted
  }
}
