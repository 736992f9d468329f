// The soak tests' measure of growth (tests/js/soak_child.mjs under Node, tests/e2e/soak.test.mjs in Chromium).

/**
 * Growth of samples[].key over the last `tail` of `runs` runs, as a fraction of its value: the least-squares line through
 * the tail's samples (its slope × tail over its mean). The JS heap after a full GC moves by up to 2% between samples
 * either way: it rises while V8 compiles and optimises (from run 150 to 700 a heap snapshot grew by ~0.1 MB, all of it
 * code and feedback vectors) and falls when V8 flushes the bytecode of functions it has not run for a while. The line is
 * what grows; the first and last samples alone could be any two of those points. The wasm heap only grows: its line is
 * its growth.
 */
export function growth(samples, key, runs, tail) {
  const last = samples.filter((s) => s.run >= runs - tail);
  const xs = last.map((s) => s.run), ys = last.map((s) => s[key]);
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return (slope * tail) / my;
}
