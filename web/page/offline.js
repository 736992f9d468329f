// Registers the service worker (sw.js, beside the page) that keeps the app's files for offline use; models are cached by
// page/models.js. Never throws: without it the page still works, online only, and the console says why.

/**
 * Starts registering sw.js (scope: the page's folder) → the registration promise (resolves to the registration, or
 * null when it failed: the reason is in a console.warn), or null where service workers are unavailable (file: pages;
 * plain http on another host than localhost/127.0.0.1, i.e. not a secure context). The install is not waited for.
 */
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || location.protocol === 'file:') return null;
  const warn = (why) => console.warn(`Headlight's service worker ${why}: the page works, but not offline`);
  return navigator.serviceWorker.register(new URL('sw.js', document.baseURI)).then((registration) => {
    // An install that fails (app-files.json or a file missing on the host) only shows in the worker's own console.
    const installing = registration.installing;
    let activated = false;
    installing?.addEventListener('statechange', () => {
      if (installing.state === 'activated') activated = true;
      if (installing.state === 'redundant' && !activated) warn('could not install (its console says why; reload to try again)');
    });
    return registration;
  }, (e) => {
    warn(`could not be registered (${e.message})`);
    return null;
  });
}
