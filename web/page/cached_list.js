// The list of converted models kept for offline use (engine/model_cache.js): name, size, date, a Delete button each,
// and how much of this site's storage is used.
import { deleteModel, listModels } from '../engine/model_cache.js';

const mb = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

/** Fills `root` (a <details>) with the cached models; onDeleted(entry) after a deletion. Returns the entries. */
export async function renderCached(root, { onDeleted = () => {} } = {}) {
  const entries = await listModels().catch(() => []);
  const summary = document.createElement('summary');
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  summary.textContent = `Kept for offline use: ${entries.length} model${entries.length === 1 ? '' : 's'}, ${mb(total)}`;
  const list = document.createElement('ul');
  for (const e of entries) {
    const li = document.createElement('li');
    const what = document.createElement('span');
    what.textContent = `${e.name ?? e.key} · ${mb(e.bytes)} · ${String(e.convertedAt ?? '').slice(0, 10)}`;  // text, never HTML
    const del = document.createElement('button');
    del.type = 'button';
    del.textContent = 'Delete';
    del.title = `delete the offline copy of ${e.name ?? 'this model'}`;
    del.addEventListener('click', async () => {
      await deleteModel(e.key);
      await renderCached(root, { onDeleted });
      onDeleted(e);
    });
    li.append(what, ' ', del);
    list.append(li);
  }
  const usage = document.createElement('p');
  const est = await navigator.storage?.estimate?.().catch(() => null);
  usage.textContent = est?.quota ? `This site uses ${mb(est.usage ?? 0)} of the ${mb(est.quota)} the browser allows it.` : '';
  root.replaceChildren(summary, list, usage);
  root.hidden = entries.length === 0;
  return entries;
}
