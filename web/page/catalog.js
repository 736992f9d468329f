// models/catalog.json for the page: the hub models the picker offers, with their size on the hub (estimated from the
// shapes in their config: 4 bytes per f32 parameter) and the config values a download is checked against.

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
  const catalog = await res.json();
  return catalog.models.map((m) => {
    const c = m.expected_config;
    const bytes = 4 * parameterCount(c);
    const heads = `${c.num_hidden_layers ?? c.n_layers}×${c.num_attention_heads ?? c.n_heads} heads`;
    return { id: m.id, hubId: m.hub_id, revision: m.revision ?? 'main', description: m.description, expected: c, bytes,
      label: `${m.id} · ${heads} · ≈${bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${Math.round(bytes / 1e6)} MB`}` };
  });
}
