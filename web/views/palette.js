// Head colours: a colour-blind-aware categorical palette (Okabe & Ito's 7 hues, then Paul Tol's "muted" 9), 16 distinct.
export const HEAD_COLOURS = [
  '#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442',
  '#332288', '#CC6677', '#117733', '#DDCC77', '#88CCEE', '#882255', '#44AA99', '#999933', '#AA4499',
];

/** Colour of head h (heads past 16 reuse the palette). */
export const headColour = (h) => HEAD_COLOURS[h % HEAD_COLOURS.length];

/** Black or white, whichever contrasts more with the hex colour c (WCAG relative luminance): for text on c. */
export function inkOn(c) {
  const lin = (v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const [r, g, b] = [1, 3, 5].map((i) => lin(parseInt(c.slice(i, i + 2), 16) / 255));
  const L = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? '#000' : '#fff';
}
