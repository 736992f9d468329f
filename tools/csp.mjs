// The Content-Security-Policy the page, dist/ and <headlight-attention> run under: sent by tools/serve.mjs (npm start),
// given to hosts in docs/embedding.md (tests/e2e/csp.test.mjs checks that the docs quote it exactly) and enforced there.

// Each directive with the reason it allows more than 'self' (or what it forbids); the header joins them.
export const CSP_DIRECTIVES = [
  ["default-src 'self'", 'everything not named below: this origin only'],
  ["script-src 'self' 'wasm-unsafe-eval'", "the page's modules, the engine's glue and Workers; 'wasm-unsafe-eval' lets "
    + 'WebAssembly.instantiate compile the engine (it allows no JS eval, new Function or inline script)'],
  ["worker-src 'self' blob:", "the engine Worker and the wasm threads' Workers; blob: for the element's start from a script "
    + 'on another origin (web/engine/client.js startWorker: a same-origin blob: that imports the real Worker)'],
  ["style-src 'self'", "style.css and views/views.css; no <style> or style=\"\" (the element's shadow root adopts constructed "
    + 'stylesheets, the views set positions through the CSSOM, which the policy does not govern)'],
  ["img-src 'self' data: blob:", 'data: for the page\'s empty icon; blob: for the PNG export, which draws the SVG export '
    + 'through an <img>'],
  ["connect-src 'self' https://huggingface.co https://*.hf.co", 'the models, and hub downloads: huggingface.co answers '
    + 'config and tokenizer files and redirects weights to its CDNs on *.hf.co (cdn-lfs.hf.co, cas-bridge.xethub.hf.co)'],
];

/** The header's value. */
export const CSP = CSP_DIRECTIVES.map(([d]) => d).join('; ');
