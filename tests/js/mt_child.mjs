// Child process for engine.test.mjs and relaxed.test.mjs: runs a pthreads build (argv[2], default 'mt') with 2 threads next
// to the plain single-thread build on the tiny model (argv[3]: 'int8' or 'f32', default f32) and prints the comparison as
// JSON, then exits explicitly (Emscripten's pthread workers would keep Node alive).
import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { checkpoint } from './fixtures.mjs';

const [variant = 'mt', weights = 'f32'] = process.argv.slice(2);
const st = await nodeEngine('st'), mt = await nodeEngine(variant);
const bytes = st.convert(checkpoint('tiny-mlm'), { int8: weights === 'int8' });
const m1 = st.loadModel(bytes), m2 = mt.loadModel(bytes, { threads: 2 });
const text = 'the quick brown fox jumps over the lazy dog';
const r1 = st.run(m1, text), r2 = mt.run(m2, text);
let maxDiff = 0;
for (let i = 0; i < r1.attention.length; i++) maxDiff = Math.max(maxDiff, Math.abs(r1.attention[i] - r2.attention[i]));
process.stdout.write(JSON.stringify({ threads: m2.info.threads, n: r2.n, length: r2.attention.length, maxDiff }) + '\n');
process.exit(0);
