// Helpers the views share for token labels and tooltips: text width, cutting long labels, placing a fixed tooltip.

let measureCtx = null;
/** Width in px of `text` drawn in the CSS `font`. */
export function measureText(text, font) {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

/** `text` cut to `maxChars` code points with an ellipsis (never splitting a surrogate pair). */
export function truncateLabel(text, maxChars) {
  const chars = Array.from(text);
  return chars.length > maxChars ? chars.slice(0, maxChars - 1).join('') + '…' : text;
}

/** Puts a position:fixed tooltip next to the point (cx, cy), flipped to stay inside the window. */
export function placeTip(el, cx, cy) {
  const r = el.getBoundingClientRect();
  let left = cx + 14, top = cy + 14;
  if (left + r.width > window.innerWidth - 4) left = Math.max(4, cx - 14 - r.width);
  if (top + r.height > window.innerHeight - 4) top = Math.max(4, cy - 14 - r.height);
  el.style.left = `${left}px`;
  el.style.top = `${top}px`;
}
