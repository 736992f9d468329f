// The side-by-side benchmark's Worker (tools/bench/browser.mjs): loads one engine — a Headlight wasm build or
// onnxruntime-web — with one model, then times runs at each length. Runs in a Worker as the page's engine does.
// In:  {engine: 'headlight', build, threads, int8Gemm?, modelUrl, text, lengths, runs}
//    | {engine: 'ort', threads, onnxUrl, inputs: [{n, ids, types}], runs}
// Out: {done: {readyMs, readyStages?: {start, copy, load}, engineBytes? (the wasm heap at the end: its peak), rows: [{n, ms: [...], engineMs?, stages?: [timings_ms]}], int8Gemm?, config?}} | {handover: {n, sentAt}, attention} | {error}
const now = () => performance.now();

async function headlight({ build, threads, int8Gemm, modelUrl, text, lengths, runs }) {
  let bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());  // the download is not timed
  const t0 = now();
  const { Engine } = await import('/engine/headlight.js');
  const { default: create } = await import(`/engine/wasm/headlight-${build}.mjs`);
  const engine = new Engine(await create({ locateFile: (f) => new URL(`/engine/wasm/${f}`, self.location.href).href }));
  if (int8Gemm) engine.setInt8Gemm(int8Gemm);  // 'headlight': the kernels of a CPU without AVX-VNNI, on any CPU
  const t1 = now();
  const file = engine.heapFile(engine.alloc(bytes.length), bytes.length);  // what engine.loadModel does, in two timed steps
  file.write(0, bytes);
  bytes = null;  // as the page's Worker drops the file's bytes once they are in the engine
  const t2 = now();
  const model = file.load({ threads });
  const readyMs = now() - t0;
  const readyStages = { start: t1 - t0, copy: t2 - t1, load: now() - t2 };  // wasm start, bytes into its memory, hl_model_load
  const rows = [];
  for (const n of lengths) {
    const ms = [], engineMs = [], stages = [];
    let got = 0;
    for (let k = 0; k <= runs; ++k) {  // run 0 warms caches and sizes the workspaces
      // What the page's Worker does for the head view: the run kept in the engine, its summary and the viewed layer's
      // attention [A][n][n] copied out (engine/worker.js's handOver), the rest left in the heap.
      const t = now();
      const r = engine.run(model, text, null, { topK: 5, maxTokens: n, fields: [], keep: true });
      const layer = engine.resultLayer(r.handle, 'attention', 0, r.layers);
      const took = now() - t;
      engine.freeResult(r.handle);
      got = r.n;
      if (k === 0) continue;
      ms.push(took);
      engineMs.push(r.timings_ms.total);  // inside the engine; the rest is the summary and the layer copied out of the heap
      stages.push(r.timings_ms);          // where the engine's time went: tokenize, embeddings, linear, attention, …
      if (k === runs) {  // hand-over to the page: the transfer of that layer, timed by the page
        self.postMessage({ handover: { n: got, sentAt: performance.timeOrigin + now() }, attention: layer }, [layer.buffer]);
      }
    }
    rows.push({ n: got, ms, engineMs, stages });
  }
  return { readyMs, readyStages, engineBytes: engine.memoryBytes(), rows, int8Gemm: model.info.int8_gemm, config: model.info.config };
}

async function ort({ threads, onnxUrl, inputs, runs }) {
  const bytes = new Uint8Array(await (await fetch(onnxUrl)).arrayBuffer());
  const t0 = now();
  const ortModule = await import('/ort/ort.wasm.min.mjs');
  ortModule.env.wasm.numThreads = threads;
  ortModule.env.wasm.wasmPaths = '/ort/';
  ortModule.env.wasm.proxy = false;
  const session = await ortModule.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const readyMs = now() - t0;
  const rows = [];
  for (const { n, ids, types } of inputs) {
    const tensor = (xs) => new ortModule.Tensor('int64', BigInt64Array.from(xs, BigInt), [1, n]);
    const feeds = { input_ids: tensor(ids), token_type_ids: tensor(types), attention_mask: tensor(ids.map(() => 1)) };
    const ms = [];
    for (let k = 0; k <= runs; ++k) {
      const t = now();
      const out = await session.run(feeds);  // every output: attention of every layer, hidden states, MLM logits
      const took = now() - t;
      for (const v of Object.values(out)) v.dispose?.();
      if (k > 0) ms.push(took);
    }
    rows.push({ n, ms });
  }
  await session.release();
  return { readyMs, rows };
}

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ done: await (data.engine === 'ort' ? ort(data) : headlight(data)) });
  } catch (e) {
    self.postMessage({ error: String(e?.stack ?? e) });
  }
};
