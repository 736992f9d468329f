// The WebGPU attention path: one layer's scores, softmax and context on the GPU (attention.wgsl), for the engine's
// stepped runs. Used from the Worker; knows nothing of the wasm heap (headlight.js copies in and out).
import { ATTENTION_WGSL } from './shaders.js';

export const MAX_TOKENS = 1024;  // attention.wgsl's workgroup row

/**
 * The GPU, or null where WebGPU gives no adapter (no navigator.gpu, blocked, no device). Returns {info: {vendor,
 * architecture, fallback}, attention(qkv, n, headsPerLayer, headSize) → Promise<{probs, context}>, destroy()}.
 */
export async function openGpu() {
  if (!globalThis.navigator?.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const device = await adapter.requestDevice();
  const ai = adapter.info ?? {};
  const info = { vendor: ai.vendor ?? '', architecture: ai.architecture ?? '', fallback: Boolean(adapter.isFallbackAdapter ?? ai.isFallbackAdapter) };
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: ATTENTION_WGSL });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  if (err) throw new Error(`the WebGPU attention shader did not compile: ${err.message}`);
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  let bufs = null;  // grown to the largest layer seen: {floats of qkv, probs, context; the GPU buffers}

  function ensure(qkvFloats, probFloats, ctxFloats) {
    if (bufs && bufs.qkvFloats >= qkvFloats && bufs.probFloats >= probFloats && bufs.ctxFloats >= ctxFloats) return bufs;
    if (bufs) for (const b of [bufs.qkv, bufs.probs, bufs.context, bufs.read]) b.destroy();
    const S = GPUBufferUsage.STORAGE;
    const make = (floats, usage) => device.createBuffer({ size: 4 * floats, usage });
    bufs = {
      qkvFloats, probFloats, ctxFloats,
      qkv: make(qkvFloats, S | GPUBufferUsage.COPY_DST),
      probs: make(probFloats, S | GPUBufferUsage.COPY_SRC),
      context: make(ctxFloats, S | GPUBufferUsage.COPY_SRC),
      read: make(probFloats + ctxFloats, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),  // probs, then context
    };
    bufs.group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [
      { binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: bufs.qkv } },
      { binding: 2, resource: { buffer: bufs.probs } }, { binding: 3, resource: { buffer: bufs.context } }] });
    return bufs;
  }

  /** qkv: Float32Array [n][3H] (read at once, may be a view of shared memory) → {probs [A][n][n], context [n][H]}. */
  async function attention(qkv, n, headsPerLayer, headSize) {
    if (n > MAX_TOKENS) throw new RangeError(`the WebGPU attention path takes at most ${MAX_TOKENS} tokens, not ${n}`);
    const H = headsPerLayer * headSize, probFloats = headsPerLayer * n * n, ctxFloats = n * H;
    const b = ensure(3 * n * H, probFloats, ctxFloats);
    const p = new ArrayBuffer(16);
    new Uint32Array(p, 0, 3).set([n, headSize, H]);
    new Float32Array(p, 12, 1)[0] = 1 / Math.sqrt(headSize);
    device.queue.writeBuffer(params, 0, p);
    device.queue.writeBuffer(b.qkv, 0, qkv.slice(0, 3 * n * H));  // a copy: writeBuffer may refuse shared memory
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, b.group);
    pass.dispatchWorkgroups(n, headsPerLayer);
    pass.end();
    enc.copyBufferToBuffer(b.probs, 0, b.read, 0, 4 * probFloats);
    enc.copyBufferToBuffer(b.context, 0, b.read, 4 * probFloats, 4 * ctxFloats);
    device.queue.submit([enc.finish()]);
    await b.read.mapAsync(GPUMapMode.READ, 0, 4 * (probFloats + ctxFloats));
    const all = new Float32Array(b.read.getMappedRange(0, 4 * (probFloats + ctxFloats)).slice(0));
    b.read.unmap();
    return { probs: all.subarray(0, probFloats), context: all.subarray(probFloats) };
  }

  return { info, attention, destroy: () => device.destroy() };
}
