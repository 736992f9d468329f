// The elements harness's script (elements.html): defines <headlight-attention> from web/component/ and hands the tests
// the pool the elements use (the same module instance): window.pool.engine() (the shared client), loadModel(spec).
import '/component/headlight-attention.js';
import { engine, loadModel } from '/component/pool.js';

window.pool = { engine, loadModel };
