// The layer / head (/ token) selects above the single-head views (neuron, matrix), and the drawing state they index kept
// inside the data; shared by the page (main.js) and <headlight-attention>.

/**
 * data: {layers, heads, tokens}; value: {layer, head, token} (token: undefined for no token select); onPick(key, value)
 * after a select changes, key 'layer' | 'head' | 'token'. Returns the bar (div.hl-picker) to insert.
 */
export function picker(data, { layer, head, token }, onPick) {
  const bar = document.createElement('div');
  bar.className = 'hl-picker';
  const select = (label, key, names, value) => {
    const l = document.createElement('label');
    l.textContent = `${label} `;
    const s = document.createElement('select');
    s.setAttribute('aria-label', label.toLowerCase());
    names.forEach((name, i) => s.append(new Option(name, String(i))));
    s.value = String(value);
    s.addEventListener('change', () => onPick(key, Number(s.value)));
    l.append(s);
    bar.append(l);
  };
  const range = (k) => Array.from({ length: k }, (_, i) => String(i));
  select('Layer', 'layer', range(data.layers), layer);
  select('Head', 'head', range(data.heads), head);
  if (token !== undefined) select('Token', 'token', data.tokens.map((t, i) => `${i}: ${t.text}`), token);
  return bar;
}

/**
 * Keeps state's indices inside what is drawn (in place): layer, head, the selected heads (null: all), the locked token
 * of `shown` (the data after the word/special toggles) and the neuron view's token of `raw` (token level).
 */
export function fitState(state, shown, raw) {
  state.layer = Math.min(state.layer, shown.layers - 1);
  state.head = Math.min(state.head, shown.heads - 1);
  state.heads = (state.heads ?? Array.from({ length: shown.heads }, (_, h) => h)).filter((h) => h < shown.heads);
  if (state.locked && state.locked.index >= shown.n) state.locked = null;
  state.token = Math.min(state.token, raw.n - 1);
}
