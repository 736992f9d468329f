// One layer's self-attention, one workgroup per (query token i, head h): scores q_i·k_j/√D, softmax, context Σ_j p_j v_j.
// qkv is the engine's [n][3H] buffer (Q | K | V per token); probs [A][n][n] and context [n][H] go back to the engine.

struct Params {
  n: u32,          // tokens (≤ MAX_N)
  head_size: u32,  // D
  hidden: u32,     // H = A·D
  scale: f32,      // 1/√D
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;             // [n][3H]
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;     // [A][n][n]
@group(0) @binding(3) var<storage, read_write> context: array<f32>;   // [n][H]

const WG: u32 = 64u;
const MAX_N: u32 = 1024u;
var<workgroup> row: array<f32, MAX_N>;  // this (i, h)'s scores, then probabilities
var<workgroup> red: array<f32, WG>;     // reductions: max, then sum

// Reduces red[0..WG) into red[0] with op 0 = max, 1 = sum; every invocation reaches every barrier.
fn reduce(t: u32, op: u32) {
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (t < w) {
      if (op == 0u) { red[t] = max(red[t], red[t + w]); } else { red[t] = red[t] + red[t + w]; }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let i = wg.x;
  let h = wg.y;
  let n = P.n;
  let D = P.head_size;
  let H = P.hidden;
  let stride = 3u * H;
  let q = i * stride + h * D;

  var m = -3.0e38;
  for (var j = t; j < n; j = j + WG) {
    let k = j * stride + H + h * D;
    var s = 0.0;
    for (var d = 0u; d < D; d = d + 1u) { s = s + qkv[q + d] * qkv[k + d]; }
    s = s * P.scale;
    row[j] = s;
    m = max(m, s);
  }
  red[t] = m;
  workgroupBarrier();
  reduce(t, 0u);
  let mx = red[0];
  workgroupBarrier();

  var z = 0.0;
  for (var j = t; j < n; j = j + WG) {
    let e = exp(row[j] - mx);
    row[j] = e;
    z = z + e;
  }
  red[t] = z;
  workgroupBarrier();
  reduce(t, 1u);
  let inv = 1.0 / red[0];
  for (var j = t; j < n; j = j + WG) {
    let p = row[j] * inv;
    row[j] = p;
    probs[(h * n + i) * n + j] = p;
  }
  workgroupBarrier();

  for (var d = t; d < D; d = d + WG) {
    var c = 0.0;
    for (var j = 0u; j < n; j = j + 1u) { c = c + row[j] * qkv[j * stride + 2u * H + h * D + d]; }
    context[i * H + h * D + d] = c;
  }
}
