// The page's controller (minimal engine demo): loads the model in the Worker, re-runs as you type, draws one head as a table.
import { EngineClient } from './engine/client.js';

const $ = (id) => document.getElementById(id);
const MODEL_PARAM = new URLSearchParams(location.search).get('model');
const client = new EngineClient();
let result = null;
let modelName = '';

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

// The model to load: ?model=URL, else the default of models/builtin.json (with its size and sha256 to check).
async function chooseModel() {
  if (MODEL_PARAM) return { url: MODEL_PARAM, name: MODEL_PARAM };
  const res = await fetch('models/builtin.json');
  if (!res.ok) throw new Error(`could not read models/builtin.json: HTTP ${res.status} (serve the page with \`npm start\`)`);
  const manifest = await res.json();
  const m = manifest.models.find((x) => x.id === manifest.default) ?? manifest.models[0];
  return { url: `models/${m.file}`, name: m.name, bytes: m.bytes, sha256: m.sha256 };
}

async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) return null;  // not a secure context: nothing to check with
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchModel(model) {
  const bytes = await fetchWithProgress(model.url);
  if (model.bytes !== undefined && bytes.length !== model.bytes)
    throw new Error(`the model ${model.url} has ${bytes.length} bytes, models/builtin.json says ${model.bytes}: the download was cut or the file is stale; reload the page`);
  if (model.sha256) {
    const got = await sha256Hex(bytes);
    if (got !== null && got !== model.sha256)
      throw new Error(`the model ${model.url} does not match its sha256 in models/builtin.json (got ${got}); reload the page, or rebuild the checkout`);
  }
  return bytes;
}

async function fetchWithProgress(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not download the model ${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || 0;
  const reader = res.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    if (total) $('progress').value = got / total;
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

function fillSelect(select, count) {
  select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(String(i), String(i))));
}

function draw() {
  if (!result) return;
  const { n, heads, tokens } = result;
  const l = Number($('layer').value), h = Number($('head').value);
  const base = (l * heads + h) * n * n;
  const table = document.createElement('table');
  table.className = 'attention';
  const head = table.createTHead().insertRow();
  head.appendChild(document.createElement('th'));
  for (const t of tokens) head.appendChild(document.createElement('th')).textContent = t.text;  // text, never HTML
  const body = table.createTBody();
  tokens.forEach((t, i) => {
    const row = body.insertRow();
    row.appendChild(document.createElement('th')).textContent = t.text;
    for (let j = 0; j < n; j++) {
      const w = result.attention[base + i * n + j];
      const cell = row.insertCell();
      cell.style.background = `rgba(31, 119, 180, ${w.toFixed(3)})`;
      cell.title = `${t.text} → ${tokens[j].text}: ${w.toFixed(3)}`;
    }
  });
  $('matrix').replaceChildren(table);
  $('mlm').replaceChildren(...result.mlm.map((m) => {
    const p = document.createElement('p');
    p.className = 'mlm-row';
    p.textContent = `[MASK] at ${m.position}: ` + m.predictions.map((x) => `${x.token} ${(100 * x.prob).toFixed(1)}%`).join(', ');
    return p;
  }));
  const tr = result.truncation;
  $('notice').hidden = !(tr.a_dropped || tr.b_dropped);
  $('notice').textContent = `Text truncated to ${n} tokens: ${tr.a_dropped} word pieces of A and ${tr.b_dropped} of B were dropped.`;
}

let timer = 0;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    try {
      const b = $('b').value.trim() === '' ? null : $('b').value;
      const r = await client.run($('a').value, b);
      if (!r) return;  // superseded by a newer keystroke
      result = r;
      setStatus(`${modelName}: ${r.n} tokens, ${r.layers} layers × ${r.heads} heads, ${r.timings_ms.total.toFixed(1)} ms`);
      draw();
    } catch (e) {
      setStatus(`${e.message}\n${e.hint ?? ''}`, true);
    }
  }, 60);
}

async function main() {
  try {
    const ready = await client.init();
    const model = await chooseModel();
    setStatus(`Downloading ${model.name} (engine: ${ready.variant === 'mt' ? ready.threads + ' threads' : 'single thread'})…`);
    const info = await client.load(await fetchModel(model));
    modelName = info.meta?.name ?? model.name;
    $('progress').hidden = true;
    fillSelect($('layer'), info.config.num_layers);
    fillSelect($('head'), info.config.num_heads);
    for (const id of ['a', 'b']) $(id).addEventListener('input', schedule);
    for (const id of ['layer', 'head']) $(id).addEventListener('change', draw);
    schedule();
  } catch (e) {
    setStatus(`${e.message}\n${e.hint ?? ''}`, true);
  }
}
main();
