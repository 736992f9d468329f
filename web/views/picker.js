// The layer / head (/ token) selects above the single-head views (neuron, matrix), and the drawing state they index kept
// inside the data; used by the views' mount (mount.js) for the page and <headlight-attention>.

/**
 * container: a DOM element; data: {layers, heads_per_layer, tokens}; options: {layer, head, token (leave it out for no token select),
 * onPick(key, value) after a select changes, key 'layer' | 'head' | 'token'}. Returns {update(options, data?), destroy()}.
 */
export function picker(container, data, options) {
  const opt = { ...options };
  const bar = document.createElement('div');
  bar.className = 'hl-picker';
  const select = (label, key) => {
    const l = document.createElement('label');
    l.textContent = `${label} `;
    const s = document.createElement('select');
    s.setAttribute('aria-label', label.toLowerCase());
    s.addEventListener('change', () => opt.onPick(key, Number(s.value)));
    l.append(s);
    bar.append(l);
    return { select: s, names: [] };
  };
  const selects = { layer: select('Layer', 'layer'), head: select('Head', 'head') };
  if (opt.token !== undefined) selects.token = select('Token', 'token');
  container.append(bar);

  // Options are replaced only when their names change (another model or text), so a focused select keeps its focus.
  function render() {
    const range = (k) => Array.from({ length: k }, (_, i) => String(i));
    const names = { layer: range(data.layers), head: range(data.heads_per_layer), token: data.tokens.map((t, i) => `${i}: ${t.text}`) };
    for (const [key, s] of Object.entries(selects)) {
      if (names[key].length !== s.names.length || names[key].some((name, i) => name !== s.names[i])) {
        s.select.replaceChildren(...names[key].map((name, i) => new Option(name, String(i))));
        s.names = names[key];
      }
      s.select.value = String(opt[key]);
    }
  }
  render();
  return {
    update(next = {}, newData = data) { Object.assign(opt, next); data = newData; render(); },
    destroy() { bar.remove(); },
  };
}

/**
 * Keeps state's indices inside what is drawn (in place): layer, head, the selected heads (null: all), the locked token
 * of `shown` (the data after the word/special toggles) and the neuron view's token of `raw` (token level).
 */
export function fitState(state, shown, raw) {
  state.layer = Math.min(state.layer, shown.layers - 1);
  state.head = Math.min(state.head, shown.heads_per_layer - 1);
  state.selectedHeads = (state.selectedHeads ?? Array.from({ length: shown.heads_per_layer }, (_, h) => h)).filter((h) => h < shown.heads_per_layer);
  if (state.locked && state.locked.index >= shown.n) state.locked = null;
  state.token = Math.min(state.token, raw.n - 1);
}
