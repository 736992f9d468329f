// Prints the benchmark table (markdown) from hl-bench's JSON lines, with the int8/f32 file-size ratio.
import { readFileSync, statSync } from 'node:fs';

const [, , jsonl, int8File, f32File] = process.argv;
const rows = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const f = (x) => x.toFixed(1);
console.log('\n| build | Q/K input | threads | n | tokenize | linear | attention | norm+act+emb | MLM head | total (ms) | peak MiB |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.platform} | ${r.qk_input} | ${r.threads} | ${r.n} | ${f(r.tokenize_ms)} | ${f(r.linear_ms)} | ${f(r.attention_ms)} | ` +
    `${f(r.norm_act_ms)} | ${f(r.mlm_ms)} | ${f(r.total_ms)} | ${f(r.peak_mib)} |`);
}
const a = statSync(int8File).size, b = statSync(f32File).size;
console.log(`\nmodel file: int8 ${(a / 2 ** 20).toFixed(1)} MiB, f32 ${(b / 2 ** 20).toFixed(1)} MiB, ratio ${(a / b).toFixed(3)}`);
