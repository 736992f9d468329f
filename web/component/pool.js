// What all <headlight-attention> elements on a page share: one engine Worker (started by the first live element)
// and one download + load per model, however many elements show it.
import { EngineClient } from '../engine/client.js';
import { HUB_ENDPOINT, parseHubId } from '../page/hub.js';
import { loadHubModel } from '../page/hub_load.js';
import { builtinModels, fetchModel } from '../page/models.js';

/* global __HL_BUNDLED__ */
// Where engine/, models/ and views/ are: this file is web/component/pool.js, or inlined in web/headlight-attention.js
// (the bundle tools/bundle_component.mjs writes defines __HL_BUNDLED__). null where the script's URL is no folder: the
// bundle inlined in an about:srcdoc frame (a notebook's sandboxed iframe) takes its parent's base URL, which may be
// about:blank. A snapshot draws there all the same; a live element says why it cannot start (root()).
export const ROOT = rootUrl();

function rootUrl() {
  try {
    return new URL(typeof __HL_BUNDLED__ !== 'undefined' ? './' : '../', import.meta.url);
  } catch {
    return null;  // about:blank, data:...: root() names it when the engine or a model is asked for
  }
}

function root() {
  if (!ROOT) {
    throw new Error(`headlight-attention.js runs from ${import.meta.url}, not from a folder with its engine and models: ` +
      'a live element needs the script served over http(s); a snapshot needs neither');
  }
  return ROOT;
}

let client = null;
let ready = null;             // the engine's init promise
const models = new Map();     // model attribute + hub endpoint → {promise: Promise<{key, info, name}>, fraction, listeners: Set}

/** The shared engine client, started on first use (threads where the page is cross-origin isolated). */
export async function engine() {
  if (!client) {
    client = new EngineClient(new URL('engine/worker.js', root()));
    ready = client.init();
    // A model the client could not load into a new Worker (engine/client.js) is downloaded again by the next loadModel;
    // the elements load theirs again on the same event, after this listener.
    client.addEventListener('restart', ({ detail }) => {
      for (const m of detail.models) if (m.error && m.key.startsWith('model:')) models.delete(m.key.slice('model:'.length));
    });
  }
  await ready;
  return client;
}

/**
 * spec: '' (the built-in default), a built-in model's id, a Hugging Face hub id ('owner/name', optionally '@revision':
 * downloaded from `hubEndpoint` and converted in the Worker), or the URL of a .hlm file (relative to the page).
 * Resolves to {key (the Worker's model slot), info, name}; onProgress(fraction) follows the one shared download.
 */
export function loadModel(spec, onProgress = () => {}, { hubEndpoint = HUB_ENDPOINT } = {}) {
  const slot = `${spec}\u0000${hubEndpoint}`;
  let entry = models.get(slot);
  if (!entry) {
    entry = { fraction: 0, listeners: new Set() };
    const progress = (f) => { entry.fraction = f; for (const l of entry.listeners) l(f); };
    entry.promise = (async () => {
      const c = await engine();
      const { models: builtins, defaultId } = await builtinModels(root().href);
      const builtin = builtins.find((x) => x.id === (spec || defaultId));
      const key = `model:${slot}`;
      if (!builtin && isHubId(spec)) {
        const r = await loadHubModel(c, parseHubId(spec), { endpoint: hubEndpoint, key,
          onProgress: ({ loaded, total }) => { if (total) progress(loaded / total); } });
        return { key, info: r.info, name: r.info.meta?.name || r.name };  // a converted checkpoint's meta.name is ''
      }
      const m = builtin ?? (spec ? { id: spec, name: spec.split('/').pop(), url: new URL(spec, document.baseURI).href } : null);
      if (!m) throw new Error('models/builtin.json lists no models: is headlight-attention.js next to its models/ folder?');
      const bytes = await fetchModel(m, progress);
      // a new Worker (if this one dies) gets the model again from the download's cache, or the network
      const info = await c.load(bytes, key, { reload: () => fetchModel(m, () => {}), name: m.name });
      return { key, info, name: info.meta?.name || m.name };
    })();
    entry.promise.catch(() => models.delete(slot));  // a failed download may be retried by the next element
    models.set(slot, entry);
  }
  entry.listeners.add(onProgress);
  onProgress(entry.fraction);
  return entry.promise.finally(() => entry.listeners.delete(onProgress));
}

// A hub id, not a .hlm path: 'owner/name' (with an optional '@revision') that parseHubId takes.
function isHubId(spec) {
  if (!spec || spec.endsWith('.hlm')) return false;
  try { parseHubId(spec); return true; } catch { return false; }
}
