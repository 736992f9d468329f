#!/usr/bin/python3
# Exports a Headlight model (.hlm) to an ONNX graph on the same int8 weights, with onnxruntime's dynamic-quantization
# operators and every layer's attention probabilities as outputs.
"""
Usage:
  /usr/bin/python3 tools/onnx/export_onnx.py MODEL.hlm OUT.onnx [--act-quant tensor|row] [--qk-input auto|int8|f32]

The graph (opset 17, batch 1, n dynamic):
  inputs   input_ids, token_type_ids, attention_mask: int64 [1, n]
  outputs  last_hidden_state f32 [1, n, H];
           attention_0 … attention_{L-1} f32 [1, A, n, n] (softmax probabilities, rows over keys);
           mlm_logits f32 [1, m, V] at the m [MASK] positions of input_ids, in order (only if the model has a
           masked-LM head; Headlight also runs the head at [MASK]s only: logits at all n positions would add
           V·H·n multiply-adds, more than a quarter of bert-base's encoder at n = 128).

What it computes, block by block as web/engine's C++ does (wasm/src/model/bert.cpp):
  embeddings  word (int8 table Gather → Cast → × the row's f32 scale, as Headlight dequantizes it) + (position + type),
              LayerNormalization
  per layer   Q, K, V linears → per-head softmax(q·kᵀ · 1/√D + mask) → × V → output linear → add & LayerNorm →
              linear → erf-GELU → linear → add & LayerNorm
  MLM head    gather [MASK] rows → linear → GELU → LayerNorm → tied decoder (the word table, per-row scales) + bias

Every linear keeps Headlight's int8 weights (per-output-channel symmetric scales, zero point 0), stored as [in, out]
for MatMulInteger. Its activations are quantized at run time by one of two schemes (--act-quant):
  tensor (default)  DynamicQuantizeLinear: uint8, asymmetric, ONE scale and zero point for the whole [1, n, in]
                    input, then MatMulInteger → Cast → Mul(x_scale · w_scale[col]) → Add(bias). This is what
                    onnxruntime's quantize_dynamic writes and what its MatMulIntegerToFloat / DynamicQuantizeMatMul
                    fusions recognise: the graph for the benchmark.
  row               Headlight's own scheme written in standard operators: int8, asymmetric, one scale and zero point
                    PER ROW (token), with XNNPACK's qd8 arithmetic (ReduceMin/Max → scale, zero point → Round →
                    Clip → Cast int8), then MatMulInteger(int8, int8) − zero_point·Σ_k W[k, col] →
                    (acc · x_scale) · w_scale + bias. Slower, but it reproduces Headlight's integer sums exactly, so
                    the check shows what is left besides the scheme (float summation order).
Per-tensor quantization makes every row's step size that of the widest row: rows with small values (most of them
when one token or one dimension is an outlier) are rounded more coarsely than Headlight's per-row int8 does (and
uint8 has the same 256 levels as int8). tools/onnx/check_onnx.mjs measures the effect.

A model whose meta says "qk_input": "f32" (hl-convert --f32-qk-input, e.g. the built-in model) runs its query and
key linears on f32 activations with the int8 weights; with --qk-input auto (the default) the export does the same:
MatMul(x, Cast(Wq → f32)) · w_scale + bias (onnxruntime folds the Cast at load, so those two weight matrices sit in
memory as f32; the file keeps int8). --qk-input int8 quantizes their input like the other linears instead (what a
plain quantize_dynamic export would do); --qk-input f32 forces the f32 path on any model.

--sabotage KIND writes a deliberately wrong graph (for the test that shows the check can fail): no-weight-scale,
no-mask, tanh-gelu, no-position.
"""
import argparse
import json
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MAGIC = b"\x89HLBERT\n"
OPSET = 17  # LayerNormalization is opset 17; python3-onnx 1.12 writes up to 17; onnxruntime-web 1.30 runs it
SABOTAGE = ("no-weight-scale", "no-mask", "tanh-gelu", "no-position")


# ---------------------------------------------------------------------------------------------------------- .hlm
def panels_8c2_bytes(out, k):
    return (out + 7) // 8 * ((k + 1) // 2) * 16


def unpack_panels_8c2(panels, out, k):
    """int8 [⌈out/8⌉][⌈k/2⌉][8 columns][2] (the engine's GEMM panels, wasm/src/ops/gemm_qd8.h) → rows [out][k]."""
    p = panels.reshape((out + 7) // 8, (k + 1) // 2, 8, 2)
    rows = p.transpose(0, 2, 1, 3).reshape((out + 7) // 8 * 8, ((k + 1) // 2) * 2)
    return np.ascontiguousarray(rows[:out, :k])


class HlmModel:
    """A parsed .hlm: header JSON (config, tokenizer, meta) and its tensors as numpy arrays."""

    def __init__(self, path):
        data = open(path, "rb").read()
        if data[:8] != MAGIC:
            raise ValueError(f"{path}: not a Headlight model (bad magic)")
        version, _reserved, header_len = struct.unpack_from("<IIQ", data, 8)
        if version not in (1, 2):
            raise ValueError(f"{path}: format version {version}, this exporter reads 1 and 2")
        header = json.loads(data[24:24 + header_len])
        start = (24 + header_len + 63) // 64 * 64  # tensor data is 64-byte aligned
        if len(data) != start + header["data_size"] + 8:
            raise ValueError(f"{path}: size {len(data)} does not match its header (truncated?)")
        self.config = header["config"]
        self.meta = header.get("meta", {})
        self.vocab = header["tokenizer"]["vocab"]
        self.mask_token = header["tokenizer"].get("mask_token", "[MASK]")
        self.tensors = {}  # name -> f32 array, or (int8 array [rows][...], f32 scales [rows])
        for t in header["tensors"]:
            shape, off = t["shape"], start + t["offset"]
            count = int(np.prod(shape))
            if t["dtype"] == "f32":
                self.tensors[t["name"]] = np.frombuffer(data, "<f4", count, off).reshape(shape)
            elif t["dtype"] == "i8" and t.get("layout") == "panels_8c2":
                q = unpack_panels_8c2(np.frombuffer(data, np.int8, panels_8c2_bytes(*shape), off), *shape)
                scales = np.frombuffer(data, "<f4", shape[0], start + t["scales_offset"])
                self.tensors[t["name"]] = (q, scales)
            elif t["dtype"] == "i8" and "layout" not in t:
                q = np.frombuffer(data, np.int8, count, off).reshape(shape)
                scales = np.frombuffer(data, "<f4", shape[0], start + t["scales_offset"])
                self.tensors[t["name"]] = (q, scales)
            else:
                raise ValueError(f"{path}: tensor {t['name']} has dtype {t['dtype']}, layout {t.get('layout', 'rows')}")

    def f32(self, name):
        t = self.tensors[name]
        if isinstance(t, tuple):
            raise ValueError(f"tensor {name} is int8, expected f32")
        return t

    def int8(self, name):
        t = self.tensors[name]
        if not isinstance(t, tuple):
            raise ValueError(f"tensor {name} is f32: this exporter needs an int8 model (hl-convert without --f32)")
        return t


# --------------------------------------------------------------------------------------------------- graph helper
class Graph:
    """Collects nodes and initializers; op() returns the output name(s) of the node it adds."""

    def __init__(self):
        self.nodes, self.inits, self.counter, self.scalars = [], [], 0, {}

    def name(self, hint):
        self.counter += 1
        return f"{hint}_{self.counter}"

    def scalar(self, value, dtype=np.float32):
        """A shared scalar constant."""
        key = (float(value), np.dtype(dtype).str)
        if key not in self.scalars:
            self.scalars[key] = self.const("c", np.array(value, dtype))
        return self.scalars[key]

    def const(self, hint, array):
        n = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))  # 0-d arrays stay scalars; tobytes() is C order
        return n

    def op(self, op_type, inputs, hint=None, outputs=1, out_names=None, domain="", **attrs):
        outs = out_names or [self.name(hint or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name("n_" + op_type), domain=domain, **attrs))
        return outs[0] if len(outs) == 1 else outs


# --------------------------------------------------------------------------------------------------------- blocks
class Exporter:
    def __init__(self, m, act_quant, qk_f32, sabotage):
        self.m, self.act_quant, self.qk_f32, self.sabotage = m, act_quant, qk_f32, sabotage
        c = m.config
        self.H, self.A, self.F = c["hidden_size"], c["num_heads"], c["intermediate_size"]
        self.D, self.L, self.eps = self.H // self.A, c["num_layers"], float(c["layer_norm_eps"])
        if c["hidden_act"] != "gelu":
            raise ValueError(f"hidden_act {c['hidden_act']}: this exporter writes erf-GELU only (the engine's Activation::kGeluErf, model/config.h)")
        self.g = Graph()
        self.quant_cache = {}  # activation name -> its quantization (shared by Q, K, V as in Headlight)

    # -- linear layers ---------------------------------------------------------------------------------------------
    def quantize(self, x):
        """x f32 [1, n, K] → the quantized activation (cached per x, so Q, K and V share one)."""
        if x not in self.quant_cache:
            self.quant_cache[x] = self.quantize_tensor(x) if self.act_quant == "tensor" else self.quantize_rows(x)
        return self.quant_cache[x]

    def quantize_tensor(self, x):
        g = self.g
        xq, x_scale, x_zp = g.op("DynamicQuantizeLinear", [x], "xq", outputs=3)  # uint8 [1,n,K], f32 [], uint8 []
        return ("tensor", xq, x_scale, x_zp)

    def quantize_rows(self, x):
        """XNNPACK's f32→qd8 (xnn_qd8_asymmetric_quantization_params; quantize_rows_qd8__ref in ops/linear.cpp)."""
        g = self.g
        f = g.scalar
        zero = f(0.0)
        lo = g.op("Min", [g.op("ReduceMin", [x], axes=[-1], keepdims=1), zero])   # [1,n,1], range includes 0
        hi = g.op("Max", [g.op("ReduceMax", [x], axes=[-1], keepdims=1), zero])   # [1,n,1]
        same = g.op("Equal", [lo, hi])
        inv = g.op("Where", [same, f(1.0), g.op("Div", [f(255.0), g.op("Sub", [hi, lo])])])  # (qmax - qmin) / (hi - lo)
        dmin, dmax = g.op("Mul", [lo, inv]), g.op("Mul", [hi, inv])
        # zp = (qmin + dmin) + (qmax + dmax) > 0 ? qmin - dmin : qmax - dmax, clamped, rounded half to even (lrint)
        test = g.op("Add", [g.op("Add", [f(-128.0), dmin]), g.op("Add", [f(127.0), dmax])])
        zp = g.op("Where", [g.op("Greater", [test, zero]), g.op("Sub", [f(-128.0), dmin]), g.op("Sub", [f(127.0), dmax])])
        zp = g.op("Round", [g.op("Clip", [zp, f(-128.0), f(127.0)])])              # [1,n,1] integral f32
        x_scale = g.op("Div", [f(1.0), inv])                                        # dequantisation multiplier
        cvt = g.op("Div", [f(1.0), x_scale])                                        # XNNPACK converts with 1/(1/inv)
        q = g.op("Add", [g.op("Round", [g.op("Mul", [x, cvt])]), zp])
        xq = g.op("Cast", [g.op("Clip", [q, f(-128.0), f(127.0)])], to=TensorProto.INT8)   # int8 [1,n,K]
        zp_i32 = g.op("Cast", [zp], to=TensorProto.INT32)                           # int32 [1,n,1]
        return ("row", xq, x_scale, zp_i32)

    def linear(self, x, prefix, f32_input=False, weight=None, bias_name=None):
        """y [1, n, out] = x [1, n, in] · Wᵀ + b with Headlight's int8 W [out][in] and per-out-channel scales."""
        g, m = self.g, self.m
        if weight is None:
            wq, ws = m.int8(prefix + ".weight")
            w_in_out = g.const("w", wq.T)                                            # int8 [in, out]
        else:  # the tied decoder: the word table [V][H], transposed in the graph (folded at load; stored once)
            wq, ws, table = weight
            w_in_out = g.op("Transpose", [table], "w_t", perm=[1, 0])
        w_scale = g.const("w_scale", ws if self.sabotage != "no-weight-scale" else np.ones_like(ws))  # f32 [out]
        bias = g.const("b", m.f32(bias_name or prefix + ".bias"))                  # f32 [out]
        if f32_input:  # Headlight's f32_qc8w: Σ x·w (w widened to f32), × scale, + bias (added after, see linear.cpp)
            acc = g.op("MatMul", [x, g.op("Cast", [w_in_out], to=TensorProto.FLOAT)])
            return g.op("Add", [g.op("Mul", [acc, w_scale]), bias])
        kind, xq, x_scale, x_zp = self.quantize(x)
        if kind == "tensor":
            acc = g.op("MatMulInteger", [xq, w_in_out, x_zp], "acc")                 # int32 [1,n,out]
            scale = g.op("Mul", [x_scale, w_scale], "scale")                         # f32 [out]
            return g.op("Add", [g.op("Mul", [g.op("Cast", [acc], to=TensorProto.FLOAT), scale]), bias])
        # per row: Σ (q − zp)·w = Σ q·w − zp·Σ w  (ONNX Runtime's MatMulInteger takes a scalar zero point only)
        colsum = g.const("w_colsum", wq.astype(np.int32).sum(axis=1, dtype=np.int32))  # int32 [out]
        acc = g.op("MatMulInteger", [xq, w_in_out], "acc")                          # int32 [1,n,out]
        acc = g.op("Sub", [acc, g.op("Mul", [x_zp, colsum])])
        y = g.op("Mul", [g.op("Mul", [g.op("Cast", [acc], to=TensorProto.FLOAT), x_scale]), w_scale])
        return g.op("Add", [y, bias])

    # -- the rest --------------------------------------------------------------------------------------------------
    def layer_norm(self, x, prefix):
        g = self.g
        return g.op("LayerNormalization", [x, g.const("ln_g", self.m.f32(prefix + ".weight")),
                                           g.const("ln_b", self.m.f32(prefix + ".bias"))], "ln", axis=-1, epsilon=self.eps)

    def gelu(self, x):
        """0.5·x·(1 + erf(x/√2)), the pattern onnxruntime fuses into its Gelu kernel."""
        g = self.g
        f = g.scalar
        if self.sabotage == "tanh-gelu":  # the tanh approximation instead of erf
            inner = g.op("Mul", [f(0.7978845608028654), g.op("Add", [x, g.op("Mul", [f(0.044715), g.op("Pow", [x, f(3.0)])])])])
            return g.op("Mul", [g.op("Mul", [x, f(0.5)]), g.op("Add", [f(1.0), g.op("Tanh", [inner])])])
        erf = g.op("Erf", [g.op("Div", [x, f(1.4142135381698608)])])
        return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, f(1.0)])]), f(0.5)])

    def embeddings(self, ids, types, n_1d):
        """ids, types int64 [1, n] → LN(word + (position + type)) f32 [1, n, H]."""
        g, m = self.g, self.m
        wq, ws = m.int8("embeddings.word_embeddings.weight")                        # int8 [V, H], f32 [V]
        self.word_table = g.const("word_q", wq)
        word = g.op("Cast", [g.op("Gather", [self.word_table, ids], axis=0)], to=TensorProto.FLOAT)      # [1,n,H]
        word = g.op("Mul", [word, g.op("Unsqueeze", [g.op("Gather", [g.const("word_scale", ws), ids], axis=0),
                                                     g.const("axes", np.array([-1], np.int64))])])      # × [1,n,1]
        pos = g.op("Slice", [g.const("pos_table", m.f32("embeddings.position_embeddings.weight")),
                             g.const("zero", np.array([0], np.int64)), n_1d, g.const("axis0", np.array([0], np.int64))])  # [n,H]
        if self.sabotage == "no-position":
            pos = g.op("Mul", [pos, g.scalar(0.0)])
        tt = g.op("Gather", [g.const("type_table", m.f32("embeddings.token_type_embeddings.weight")), types], axis=0)  # [1,n,H]
        x = g.op("Add", [word, g.op("Add", [pos, tt])])                             # bert.cpp: w + (p + t)
        return self.layer_norm(x, "embeddings.LayerNorm")

    def mask_bias(self, mask):
        """attention_mask int64 [1, n] → additive bias f32 [1, 1, 1, n]: 0 where 1, float32 min where 0."""
        g = self.g
        keep = g.op("Cast", [mask], to=TensorProto.FLOAT)
        neg = g.op("Mul", [g.op("Sub", [g.scalar(1.0), keep]),
                           g.scalar(np.finfo(np.float32).min)])
        return g.op("Unsqueeze", [neg, g.const("axes", np.array([1, 2], np.int64))])

    def attention(self, x, l, bias, split_shape):
        """x [1, n, H] → (context [1, n, H], probabilities [1, A, n, n] as output attention_l)."""
        g, p = self.g, f"encoder.layer.{l}.attention.self"
        heads = lambda t: g.op("Transpose", [g.op("Reshape", [t, split_shape])], perm=[0, 2, 1, 3])  # [1,A,n,D]
        q = heads(self.linear(x, p + ".query", f32_input=self.qk_f32))
        k = heads(self.linear(x, p + ".key", f32_input=self.qk_f32))
        v = heads(self.linear(x, p + ".value"))
        scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])     # [1,A,n,n]
        inv_sqrt_d = np.float32(1.0) / np.sqrt(np.float32(self.D))                   # computed in f32, as bert.cpp
        scores = g.op("Mul", [scores, g.const("inv_sqrt_d", inv_sqrt_d)])
        if self.sabotage != "no-mask":
            scores = g.op("Add", [scores, bias])
        probs = g.op("Softmax", [scores], out_names=[f"attention_{l}"], axis=-1)     # [1,A,n,n]
        ctx = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])     # [1,n,A,D]
        ctx = g.op("Reshape", [ctx, g.const("shape", np.array([1, -1, self.H], np.int64))])  # [1,n,H]
        return ctx, probs

    def encoder_layer(self, x, l, bias, split_shape):
        """One BERT layer: x [1, n, H] → x [1, n, H]."""
        g, p = self.g, f"encoder.layer.{l}"
        ctx, _ = self.attention(x, l, bias, split_shape)
        x = self.layer_norm(g.op("Add", [x, self.linear(ctx, p + ".attention.output.dense")]), p + ".attention.output.LayerNorm")
        ff = self.gelu(self.linear(x, p + ".intermediate.dense"))                    # [1,n,F]
        return self.layer_norm(g.op("Add", [x, self.linear(ff, p + ".output.dense")]), p + ".output.LayerNorm")

    def mlm_head(self, x, ids):
        """Logits f32 [1, m, V] at the [MASK] positions of ids, in an If: with no [MASK] (m = 0) the head is skipped
        and [1, 0, V] returned (onnxruntime's ReduceMin/Max on an empty input give a wrong shape)."""
        g, m, V = self.g, self.m, self.m.config["vocab_size"]
        mask_id = m.vocab.index(m.mask_token)
        is_mask = g.op("Equal", [g.op("Squeeze", [ids, g.const("axes", np.array([0], np.int64))]),
                                 g.scalar(mask_id, np.int64)])  # bool [n]
        positions = g.op("Reshape", [g.op("NonZero", [is_mask]), g.const("shape", np.array([-1], np.int64))])  # [m]
        any_mask = g.op("Greater", [g.op("Size", [positions]), g.scalar(0, np.int64)])
        outer_nodes, g.nodes = g.nodes, []  # the then-branch's nodes (its constants stay in the outer graph)
        h = g.op("Gather", [x, positions], axis=1)                                  # [1,m,H]
        t = self.gelu(self.linear(h, "cls.predictions.transform.dense"))
        t = self.layer_norm(t, "cls.predictions.transform.LayerNorm")
        if "cls.predictions.decoder.weight" in m.tensors:
            logits = self.linear(t, "cls.predictions.decoder", bias_name="cls.predictions.bias")
        else:
            wq, ws = m.int8("embeddings.word_embeddings.weight")
            logits = self.linear(t, None, weight=(wq, ws, self.word_table), bias_name="cls.predictions.bias")
        then_nodes, g.nodes = g.nodes, outer_nodes
        self.quant_cache.clear()  # quantizations made inside the branch are not visible outside it
        empty = g.name("no_mask")
        then_branch = helper.make_graph(then_nodes, "mlm_head", [],
                                        [helper.make_tensor_value_info(logits, TensorProto.FLOAT, [1, None, V])])
        else_branch = helper.make_graph(
            [helper.make_node("ConstantOfShape", [g.const("shape", np.array([1, 0, V], np.int64))], [empty],
                              value=numpy_helper.from_array(np.zeros(1, np.float32)))],
            "no_mask", [], [helper.make_tensor_value_info(empty, TensorProto.FLOAT, [1, 0, V])])
        return g.op("If", [any_mask], "mlm_logits", then_branch=then_branch, else_branch=else_branch)  # [1,m,V]

    def build(self):
        g = self.g
        ids, types, mask = "input_ids", "token_type_ids", "attention_mask"
        n_1d = g.op("Slice", [g.op("Shape", [ids]), g.const("one", np.array([1], np.int64)),
                              g.const("two", np.array([2], np.int64))])             # int64 [1] = [n]
        split_shape = g.const("shape", np.array([1, -1, self.A, self.D], np.int64))
        x = self.embeddings(ids, types, n_1d)
        bias = self.mask_bias(mask)
        for l in range(self.L):
            x = self.encoder_layer(x, l, bias, split_shape)
        g.op("Identity", [x], out_names=["last_hidden_state"])
        outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [1, "n", self.H])]
        outputs += [helper.make_tensor_value_info(f"attention_{l}", TensorProto.FLOAT, [1, self.A, "n", "n"])
                    for l in range(self.L)]
        if "cls.predictions.transform.dense.weight" in self.m.tensors:
            g.op("Identity", [self.mlm_head(x, ids)], out_names=["mlm_logits"])
            outputs.append(helper.make_tensor_value_info("mlm_logits", TensorProto.FLOAT, [1, "m", self.m.config["vocab_size"]]))
        inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, [1, "n"]) for name in (ids, types, mask)]
        graph = helper.make_graph(g.nodes, self.m.meta.get("name") or "headlight", inputs, outputs, g.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="headlight export_onnx.py")
        model.ir_version = 8  # onnx 1.12's; every onnxruntime since 1.10 reads it
        for k, v in {"source": "headlight", "act_quant": self.act_quant, "qk_input": "f32" if self.qk_f32 else "int8",
                     "sabotage": self.sabotage or ""}.items():
            model.metadata_props.add(key=k, value=v)
        return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="Headlight model (.hlm, int8)")
    ap.add_argument("out", help="ONNX file to write")
    ap.add_argument("--act-quant", choices=("tensor", "row"), default="tensor",
                    help="activation quantization: DynamicQuantizeLinear per tensor (default) or Headlight's per row")
    ap.add_argument("--qk-input", choices=("auto", "int8", "f32"), default="auto",
                    help="query/key input: the model's meta qk_input (auto), quantized (int8) or f32")
    ap.add_argument("--sabotage", choices=SABOTAGE, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    m = HlmModel(a.model)
    qk_f32 = m.meta.get("qk_input", "int8") == "f32" if a.qk_input == "auto" else a.qk_input == "f32"
    model = Exporter(m, a.act_quant, qk_f32, a.sabotage).build()
    onnx.checker.check_model(model)
    onnx.save(model, a.out)
    c = m.config
    print(f"{a.out}: {c['num_layers']} layers, hidden {c['hidden_size']}, {c['num_heads']} heads, "
          f"activations quantized per {a.act_quant}, Q/K input {'f32' if qk_f32 else 'int8'}"
          f"{', SABOTAGED: ' + a.sabotage if a.sabotage else ''}; {model.ByteSize():,} bytes")


if __name__ == "__main__":
    sys.exit(main())
