// The benchmarks' input: ordinary English that tokenizes to well over 512 word pieces (the same text as tools/bench/bench.cpp).
export const BENCH_TEXT = ('The quick brown [MASK] jumps over the lazy dog while the children watch from the window. ' +
  'At the store, I bought fresh strawberries, two loaves of bread and a newspaper for my grandmother. ' +
  'Attention heads in a transformer learn to look at the next word, the previous word, or the separator. ').repeat(60);
