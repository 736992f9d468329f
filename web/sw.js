// Service worker for offline use: caches the app's files (app-files.json) at install and answers from that cache when the network fails.
// Scope: this file's folder (the page's). Models are not cached here: web/page/models.js keeps them after their sha256 check.
// Cached responses keep their headers (Cache Storage stores them), so the page stays cross-origin isolated offline.

const APP_CACHE = 'headlight-app-v1';  // bump the version to drop every older copy at the next activation
const BASE = new URL('./', self.location.href).href;  // the page's folder: app-files.json's paths are relative to it
const MODEL_FILE = /\.hlm(\.part\d+)?$/;  // whole models and the parts npm run build splits them into

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const list = new URL('app-files.json', BASE);
    const res = await fetch(list, { cache: 'no-store' });
    if (!res.ok) throw new Error(`Headlight's service worker could not read ${list}: HTTP ${res.status}; the page will not work offline`);
    const files = await res.json();
    const cache = await caches.open(APP_CACHE);
    // All or nothing: one missing file fails the install (a half-cached app would break offline in confusing ways).
    await cache.addAll(files.map((f) => new Request(new URL(f, BASE), { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('headlight-app-') && name !== APP_CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  // Everything else goes to the network untouched: other origins, other methods, files outside the scope, byte ranges and
  // model files (the page checks and caches those itself; passing them through also spares streaming them through here).
  if (req.method !== 'GET' || url.origin !== self.location.origin || !url.href.startsWith(BASE)) return;
  if (req.headers.has('range') || MODEL_FILE.test(url.pathname)) return;
  event.respondWith(networkFirst(event, url));
});

// The network's answer when there is one (kept in the cache when it is a plain 200 of this origin), else the cached copy.
// The query never selects a file here ('/?a=…' is the page './'), so entries are stored and looked up without it.
async function networkFirst(event, url) {
  const key = url.origin + url.pathname;
  try {
    const res = await fetch(event.request);
    if (res.status === 200 && res.type === 'basic' && !res.redirected && !url.pathname.endsWith('/app-files.json')) {
      const copy = res.clone();
      event.waitUntil(caches.open(APP_CACHE).then((cache) => cache.put(key, copy))
        .catch((e) => console.warn(`Headlight's service worker could not cache ${key}: ${e.message}`)));
    }
    return res;
  } catch (networkError) {
    const cached = await (await caches.open(APP_CACHE)).match(key);
    if (cached) return cached;
    return new Response(`Headlight is offline and ${url.pathname} was not cached (${networkError.message}). ` +
      'Open the page once with the network on to use it offline.\n', { status: 503, statusText: 'Offline',
      headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
}
