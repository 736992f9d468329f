// Writes the page's generated files (not committed): D3 as web/vendor/d3.js, the <headlight-attention> bundle
// web/headlight-attention.js, and the WebGPU shaders as web/engine/gpu/shaders.js. Run by tools/build.sh and, so that
// dist/ never ships a bundle older than the views, by tools/build_dist.mjs.
await import('./vendor_d3.mjs');
await import('./bundle_component.mjs');
await import('./embed_wgsl.mjs');
