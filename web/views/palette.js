// Head colours: a colour-blind-aware categorical palette (Okabe & Ito's 7 hues, then Paul Tol's "muted" 9), 16 distinct.
export const HEAD_COLOURS = [
  '#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442',
  '#332288', '#CC6677', '#117733', '#DDCC77', '#88CCEE', '#882255', '#44AA99', '#999933', '#AA4499',
];

/** Colour of head h (heads past 16 reuse the palette). */
export const headColour = (h) => HEAD_COLOURS[h % HEAD_COLOURS.length];
