// Keyboard moves in a list with one Tab stop (roving tabindex): neuron view labels, layer-chart dots, the page's tabs.

const STEPS = { vertical: { ArrowUp: -1, ArrowDown: 1 }, horizontal: { ArrowLeft: -1, ArrowRight: 1 } };
STEPS.both = { ...STEPS.vertical, ...STEPS.horizontal };

/**
 * The index that `key` moves to from index i of count items: Home the first, End the last, the arrows of `axis`
 * ('vertical', 'horizontal' or 'both') one back or on, held at the ends or, with wrap, around them; -1 for other keys.
 */
export function listMove(key, i, count, { axis = 'both', wrap = false } = {}) {
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  const step = STEPS[axis][key];
  if (!step) return -1;
  return wrap ? (i + step + count) % count : Math.max(0, Math.min(count - 1, i + step));
}
