// A "what am I looking at?" box: a <details> with plain-language paragraphs (text only, never HTML).
export function helpBox(title, paragraphs) {
  const box = document.createElement('details');
  box.className = 'hl-help';
  const summary = document.createElement('summary');
  summary.textContent = title;
  box.append(summary);
  for (const text of paragraphs) {
    const p = document.createElement('p');
    p.textContent = text;
    box.append(p);
  }
  return box;
}
