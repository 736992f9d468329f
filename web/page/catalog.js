// models/catalog.json for the page: the hub models the picker offers, with their size on the hub (estimated from the
// shapes in their config: 4 bytes per f32 parameter) and the config values a download is checked against.
import { quoted } from './quoted.js';
import { siteJson } from './models.js';

/** The tensors' parameter count of a BERT-family model with an MLM head, from config.json fields. */
export function parameterCount(c) {
  const H = c.hidden_size ?? c.dim, L = c.num_hidden_layers ?? c.n_layers, F = c.intermediate_size ?? c.hidden_dim;
  const V = c.vocab_size, P = c.max_position_embeddings ?? 512, T = c.type_vocab_size ?? 2;
  const layer = 4 * (H * H + H) + 2 * H + (H * F + F) + (F * H + H) + 2 * H;
  return V * H + P * H + T * H + 2 * H + L * layer + (H * H + H) + 2 * H + V;
}

/** [{id, hubId, revision, description, expected, bytes, label}] of models/catalog.json under base. */
export async function hubCatalog(base = document.baseURI) {
  const res = await fetch(new URL('models/catalog.json', base));
  if (!res.ok) throw new Error(`could not read models/catalog.json: HTTP ${res.status}`);
  const catalog = checkCatalog(await res.text());
  return catalog.models.map((m) => {
    const c = m.expected_config;
    const bytes = 4 * parameterCount(c);
    const heads = `${c.num_hidden_layers ?? c.n_layers}×${c.num_attention_heads ?? c.n_heads} heads`;
    return { id: m.id, hubId: m.hub_id, revision: m.revision ?? 'main', description: m.description, expected: c, bytes,
      label: `${m.id} · ${heads} · ≈${bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${Math.round(bytes / 1e6)} MB`}` };
  });
}

// models/catalog.json's text → its object, checked: each model has the ids and the config sizes its entry is made from
// (a damaged file is refused with what is wrong, not met as a TypeError or an entry "≈NaN MB").
function checkCatalog(text) {
  const { value: catalog, bad } = siteJson('catalog.json', text);
  if (!Array.isArray(catalog?.models)) throw bad('has no "models" list');
  const size = (v) => Number.isSafeInteger(v) && v > 0;
  catalog.models.forEach((m, i) => {
    const c = m?.expected_config;
    if (typeof m?.id !== 'string' || typeof m.hub_id !== 'string' || !['string', 'undefined'].includes(typeof m.revision)
      || !['string', 'undefined'].includes(typeof m.description)) throw bad(`has a model (${i}) whose "id", "hub_id", "revision" or "description" is not a text`);
    if (!c || typeof c !== 'object' || !Object.values(c).every((v) => ['number', 'string'].includes(typeof v)))
      throw bad(`gives ${quoted(m.id)} no "expected_config" of numbers and texts`);
    const sizes = [c.hidden_size ?? c.dim, c.num_hidden_layers ?? c.n_layers, c.num_attention_heads ?? c.n_heads,
      c.intermediate_size ?? c.hidden_dim, c.vocab_size, c.max_position_embeddings ?? 512, c.type_vocab_size ?? 2];
    if (!sizes.every(size)) throw bad(`gives ${quoted(m.id)} an "expected_config" without positive whole sizes`);
  });
  return catalog;
}
