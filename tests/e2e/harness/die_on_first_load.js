// Test harness (tests/e2e/restart.test.mjs): imported by a stand-in for engine/worker.js before the real one, so its
// listener runs first: the Worker's first 'load' message kills it (an exception in its global scope, its 'error' event)
// before the engine sees the model.
let loads = 0;
self.addEventListener('message', (e) => {
  if (e.data?.type !== 'load' || loads++ > 0) return;
  e.stopImmediatePropagation();
  throw new Error('killed by the test during the first model load');
});
