# Self-check of the reference tools: safetensors I/O, bert_ref against torch's own transformer layers, checkpoint variants.
"""
Usage:
  /usr/bin/python3 tools/reference/selfcheck.py [--model DIR ...] [--keep DIR]

Builds tiny checkpoints in a temporary folder (a few seconds on one core) and checks:
  io        hand-built files per the spec parse; every dtype round-trips bit-exactly; re-saving a
            checkpoint reproduces its bytes; BF16 rounding matches torch; corrupt files are refused
  forward   attention rows sum to 1, padded keys get exactly 0, softmax(q k^T / sqrt d) = attention;
            each layer equals torch.nn.TransformerEncoderLayer(norm_first=False) and its per-head
            probabilities equal F.multi_head_attention_forward fed the same weights (<= 1e-5);
            the whole stack + MLM/pooler/NSP heads rebuilt from torch.nn modules agree;
            float32 vs float64 drift is reported; activations gelu, gelu_new, relu
  variants  heads masked_lm / pretraining / base, with / without "bert.", tied decoder stored or
            omitted, TF-era gamma/beta names, pytorch_model.bin: all load, same encoder outputs
  distilbert  --arch distilbert files have DistilBERT's names and config keys; DistilBertReference (its own mask
            and q scaling) on them equals BertReference on the BERT file of the same seed with token types 0,
            padded batch included; DistilBertModel and a stored tied projector load; token types 1 are refused
  roberta   make_checkpoint --arch roberta files (names, heads, tokenizer files); bert_ref's RoBERTa forward equals its
            BERT forward (checked above against torch) on the same weights with the position table shifted by
            padding_idx + 1; right padding with <pad> leaves the real tokens' outputs unchanged
            (create_position_ids_from_input_ids); RobertaModel and --write-tied variants load alike
  determinism  make_checkpoint and run_reference give identical bytes when re-run
--model DIR runs the forward checks on an existing checkpoint too (e.g. a base-shape one).
Prints one line per check; exit status 1 if any fails.
"""
import argparse
import json
import math
import os
import shutil
import struct
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_ref  # noqa: E402
import make_checkpoint  # noqa: E402
import run_reference  # noqa: E402
import safetensors_io as sio  # noqa: E402

TOL = 1e-5   # absolute for probabilities; relative to max(1, max |value|) for activations and logits
RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append((name, bool(ok)))
    print(f"  [{'PASS' if ok else 'FAIL'}] {name}" + (f"  ({detail})" if detail else ""))
    return ok


def maxdiff(a, b):
    return float((a.double() - b.double()).abs().max()) if a.numel() else 0.0


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# ----------------------------------------------------------------------------------------------- io

def check_io(tmp):
    print("io")
    # 1. A file assembled by hand from the spec (not by our writer) must parse.
    a = np.arange(6, dtype="<f4").reshape(2, 3)
    b = np.array([-1, 2, 127, -128], dtype="i1")
    header = {"__metadata__": {"k": "v"},
              "b": {"dtype": "I8", "shape": [4], "data_offsets": [24, 28]},
              "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
    hj = json.dumps(header).encode()
    path = os.path.join(tmp, "hand.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)) + hj + a.tobytes() + b.tobytes())
    got = sio.load(path)
    check("hand-built file (unpadded header, out-of-order JSON) parses",
          np.array_equal(got["a"], a) and np.array_equal(got["b"], b) and sio.read_metadata(path) == {"k": "v"})

    # 2. All dtypes round-trip bit-exactly, incl. a scalar and an empty tensor.
    rng = np.random.default_rng(0)
    tensors = {
        "f64": rng.standard_normal((3, 5)), "f32": rng.standard_normal((4, 7)).astype(np.float32),
        "f16": rng.standard_normal((9,)).astype(np.float16), "i64": rng.integers(-2**40, 2**40, (2, 2)),
        "i32": rng.integers(-2**31, 2**31, (5,), dtype=np.int32), "i16": np.array([-7, 8], np.int16),
        "i8": rng.integers(-128, 128, (3, 3), dtype=np.int8), "u8": rng.integers(0, 256, (6,), dtype=np.uint8),
        "u16": np.array([0, 65535], np.uint16), "u32": np.array([7, 2**32 - 1], np.uint32),
        "bool": np.array([True, False, True]), "scalar": np.float32(3.5), "empty": np.zeros((0, 4), np.float32),
        "bf16": torch.randn(3, 4, generator=torch.Generator().manual_seed(1)).bfloat16(),
    }
    path = os.path.join(tmp, "all.safetensors")
    sio.save(path, tensors, {"format": "pt", "note": "ü"})
    back = sio.load(path, bf16="raw")
    entries, meta, start = sio.read_header(path)
    ok = True
    for k, v in tensors.items():
        ref = v.view(torch.int16).numpy().view(np.uint16) if k == "bf16" else np.asarray(v)
        ok &= back[k].shape == ref.shape and back[k].tobytes() == ref.tobytes()
    check("14 dtypes/shapes (F64 F32 F16 BF16 I64 I32 I16 I8 U8 U16 U32 BOOL, 0-d, empty) round-trip",
          ok and meta == {"format": "pt", "note": "ü"})
    check("data starts 8-byte aligned; dtype tags as written",
          start % 8 == 0 and entries["bf16"]["dtype"] == "BF16" and entries["u8"]["dtype"] == "U8"
          and entries["bool"]["dtype"] == "BOOL" and entries["scalar"]["shape"] == [])
    tb = sio.load_torch(path, names=["bf16"])["bf16"]
    check("BF16 via load_torch is torch.bfloat16 and equal; numpy widening equals torch .float()",
          tb.dtype == torch.bfloat16 and torch.equal(tb, tensors["bf16"])
          and np.array_equal(sio.load(path)["bf16"], tensors["bf16"].float().numpy()))
    x = torch.randn(10000, generator=torch.Generator().manual_seed(2)) * 10
    x[:4] = torch.tensor([1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8, float("inf"), -0.0])  # ties to even
    check("f32 -> BF16 rounding matches torch (round to nearest even)",
          np.array_equal(sio.f32_to_bf16_bits(x.numpy()), x.bfloat16().view(torch.int16).numpy().view(np.uint16)))

    # 3. Corrupt files are refused.
    raw = file_bytes(path)
    bad = os.path.join(tmp, "bad.safetensors")
    refused = 0
    for blob in (raw[:-3], raw + b"\0", struct.pack("<Q", 10**12) + raw[8:]):
        with open(bad, "wb") as f:
            f.write(blob)
        try:
            sio.read_header(bad)
        except (ValueError, json.JSONDecodeError):
            refused += 1
    check("truncated / trailing-byte / absurd-header files are refused", refused == 3)


def check_resave(ckpt, tmp):
    src = os.path.join(ckpt, "model.safetensors")
    dst = os.path.join(tmp, "resaved.safetensors")
    sio.save(dst, sio.load(src), sio.read_metadata(src))
    check(f"re-saving {os.path.basename(ckpt)}/model.safetensors reproduces it byte for byte",
          file_bytes(src) == file_bytes(dst), f"{os.path.getsize(src)} bytes")


# ----------------------------------------------------------------------------------------------- forward

def torch_layer(model, i, activation):
    """torch.nn.TransformerEncoderLayer holding layer i's weights (post-LN, like BERT)."""
    c, w, nm = model.config, model.w, bert_ref.layer_names(i)
    layer = torch.nn.TransformerEncoderLayer(
        c.hidden_size, c.num_attention_heads, c.intermediate_size, dropout=0.0, activation=activation,
        layer_norm_eps=c.layer_norm_eps, batch_first=True, norm_first=False, dtype=model.dtype)
    with torch.no_grad():
        sa = layer.self_attn
        sa.in_proj_weight.copy_(torch.cat([w[nm["q_w"]], w[nm["k_w"]], w[nm["v_w"]]]))
        sa.in_proj_bias.copy_(torch.cat([w[nm["q_b"]], w[nm["k_b"]], w[nm["v_b"]]]))
        sa.out_proj.weight.copy_(w[nm["o_w"]])
        sa.out_proj.bias.copy_(w[nm["o_b"]])
        layer.norm1.weight.copy_(w[nm["ln1_g"]])
        layer.norm1.bias.copy_(w[nm["ln1_b"]])
        layer.linear1.weight.copy_(w[nm["ff1_w"]])
        layer.linear1.bias.copy_(w[nm["ff1_b"]])
        layer.linear2.weight.copy_(w[nm["ff2_w"]])
        layer.linear2.bias.copy_(w[nm["ff2_b"]])
        layer.norm2.weight.copy_(w[nm["ln2_g"]])
        layer.norm2.bias.copy_(w[nm["ln2_b"]])
    return layer.eval()


TORCH_ACT = {"gelu": "gelu", "relu": "relu",
             "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
             "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh")}
TORCH_ACT_FN = {"gelu": F.gelu, "relu": F.relu,
                "gelu_new": TORCH_ACT["gelu_new"], "gelu_pytorch_tanh": TORCH_ACT["gelu_new"]}


def test_inputs(vocab_size, seed=0):
    """A 2-sequence batch [2, 48]: the second one padded after 30 tokens."""
    g = torch.Generator().manual_seed(seed)
    n = 48
    ids = torch.randint(1000, vocab_size, (2, n), generator=g)
    ids[:, 0] = 101
    ids[0, 20], ids[0, n - 1], ids[1, 29] = 102, 102, 102
    ids[1, 30:] = 0
    tt = torch.zeros(2, n, dtype=torch.long)
    tt[0, 21:] = 1
    am = torch.ones(2, n, dtype=torch.long)
    am[1, 30:] = 0
    return ids, tt, am


def check_forward(model, label):
    c = model.config
    print(f"forward: {label} (L{c.num_hidden_layers} H{c.hidden_size} A{c.num_attention_heads} "
          f"FF{c.intermediate_size} {c.hidden_act}; heads: pooler={model.has_pooler} mlm={model.has_mlm} "
          f"nsp={model.has_nsp})")
    if c.hidden_act not in TORCH_ACT:
        return check(f"{label}: hidden_act {c.hidden_act} has no torch counterpart to compare", False)
    ids, tt, am = test_inputs(c.vocab_size)
    out = model.forward(ids, tt, am)
    P = out["attentions"]                                          # [B, L, A, n, n]
    check(f"{label}: attention rows sum to 1",
          maxdiff(P.sum(-1), torch.ones_like(P.sum(-1))) < TOL and bool((P >= 0).all()),
          f"max |sum-1| = {maxdiff(P.sum(-1), torch.ones_like(P.sum(-1))):.1e}")
    check(f"{label}: padded keys get exactly 0 probability", bool((P[1, :, :, :, 30:] == 0).all()))

    q, k = out["queries"], out["keys"]
    S = q @ k.transpose(-1, -2) / math.sqrt(c.head_dim) + model.extended_mask(am)[:, None]
    check(f"{label}: softmax(q k^T / sqrt(d) + mask) reproduces the attention",
          maxdiff(torch.softmax(S, -1), P) < TOL, f"{maxdiff(torch.softmax(S, -1), P):.1e}")

    # Per layer: same input -> torch's layer and torch's MHA.
    hs = out["hidden_states"]
    pad = am == 0
    worst_layer, worst_mha, worst_qk = 0.0, 0.0, 0.0
    for i in range(c.num_hidden_layers):
        layer = torch_layer(model, i, TORCH_ACT[c.hidden_act])
        with torch.no_grad():
            y = layer(hs[:, i], src_key_padding_mask=pad)
            x_t = hs[:, i].transpose(0, 1)                          # MHA wants [n, B, H]
            sa = layer.self_attn
            _, probs = F.multi_head_attention_forward(
                x_t, x_t, x_t, c.hidden_size, c.num_attention_heads, sa.in_proj_weight, sa.in_proj_bias,
                None, None, False, 0.0, sa.out_proj.weight, sa.out_proj.bias, training=False,
                key_padding_mask=pad, need_weights=True, average_attn_weights=False)
            qkv = F.linear(hs[:, i], sa.in_proj_weight, sa.in_proj_bias)
        B, n = ids.shape
        qt = qkv[..., :c.hidden_size].view(B, n, c.num_attention_heads, -1).transpose(1, 2)
        kt = qkv[..., c.hidden_size:2 * c.hidden_size].view(B, n, c.num_attention_heads, -1).transpose(1, 2)
        worst_layer = max(worst_layer, maxdiff(y, hs[:, i + 1]) / max(1.0, float(hs[:, i + 1].abs().max())))
        worst_mha = max(worst_mha, maxdiff(probs, P[:, i]))
        worst_qk = max(worst_qk, maxdiff(qt, q[:, i]), maxdiff(kt, k[:, i]))
    check(f"{label}: every layer == nn.TransformerEncoderLayer(norm_first=False) on the same input",
          worst_layer < TOL, f"max |diff| / max(1, max |x|) = {worst_layer:.1e}")
    check(f"{label}: per-head probabilities == F.multi_head_attention_forward",
          worst_mha < TOL, f"max |diff| = {worst_mha:.1e}")
    check(f"{label}: per-head q, k == torch in-projection split", worst_qk < TOL, f"{worst_qk:.1e}")

    # Whole stack rebuilt from torch.nn modules, chained on its own outputs.
    w = model.w
    emb = (F.embedding(ids, w["embeddings.word_embeddings.weight"])
           + F.embedding(torch.arange(ids.shape[1]), w["embeddings.position_embeddings.weight"])
           + F.embedding(tt, w["embeddings.token_type_embeddings.weight"]))
    x = F.layer_norm(emb, (c.hidden_size,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                     c.layer_norm_eps)
    check(f"{label}: embeddings == F.embedding sum + F.layer_norm", maxdiff(x, out["embeddings"]) < TOL,
          f"{maxdiff(x, out['embeddings']):.1e}")
    with torch.no_grad():
        for i in range(c.num_hidden_layers):
            x = torch_layer(model, i, TORCH_ACT[c.hidden_act])(x, src_key_padding_mask=pad)
    d_stack = maxdiff(x, out["last_hidden"]) / max(1.0, float(out["last_hidden"].abs().max()))
    check(f"{label}: full stack of torch layers == last_hidden", d_stack < 10 * TOL,
          f"max |diff| / max(1, max |x|) = {d_stack:.1e}, max |x| = {float(out['last_hidden'].abs().max()):.1f}")
    act = TORCH_ACT_FN[c.hidden_act]
    if model.has_mlm:
        t = F.layer_norm(act(F.linear(x, w["cls.predictions.transform.dense.weight"],
                                      w["cls.predictions.transform.dense.bias"])), (c.hidden_size,),
                         w["cls.predictions.transform.LayerNorm.weight"],
                         w["cls.predictions.transform.LayerNorm.bias"], c.layer_norm_eps)
        logits = F.linear(t, w["embeddings.word_embeddings.weight"], w["cls.predictions.bias"])
        scale = max(1.0, float(logits.abs().max()))
        d = maxdiff(logits, out["mlm_logits"])
        check(f"{label}: MLM logits == torch modules (tied decoder)", d < 10 * TOL * scale,
              f"max |diff| {d:.1e}, |logit| max {scale:.1f}")
        sub = model.forward(ids, tt, am, mlm_positions=[3, 0, 17])["mlm_logits"]
        check(f"{label}: mlm_positions selects rows", maxdiff(sub, out["mlm_logits"][:, [3, 0, 17]]) < TOL * scale)
    if model.has_pooler:
        pooled = torch.tanh(F.linear(x[:, 0], w["pooler.dense.weight"], w["pooler.dense.bias"]))
        check(f"{label}: pooler == torch", maxdiff(pooled, out["pooled"]) < 10 * TOL)
    if model.has_nsp:
        nsp = F.linear(pooled, w["cls.seq_relationship.weight"], w["cls.seq_relationship.bias"])
        check(f"{label}: NSP logits == torch", maxdiff(nsp, out["nsp_logits"]) < 10 * TOL)

    # float64 drift (information + loose bound).
    m64 = bert_ref.BertReference(c, model.w, dtype=torch.float64)
    o64 = m64.forward(ids, tt, am)
    drift = {k: maxdiff(out[k], o64[k]) for k in ("attentions", "last_hidden", "mlm_logits") if k in out}
    check(f"{label}: float32 vs float64", all(v < 1e-3 for v in drift.values()),
          ", ".join(f"{k} {v:.1e}" for k, v in drift.items()))
    # Single unbatched sequence == row of the batch.
    single = model.forward(ids[0], tt[0])
    check(f"{label}: unbatched call == batch row 0",
          maxdiff(single["attentions"], P[0]) < TOL and maxdiff(single["last_hidden"], out["last_hidden"][0]) < TOL)
    return out


# ----------------------------------------------------------------------------------------------- variants

def make(tmp, name, *args):
    out = os.path.join(tmp, name)
    make_checkpoint.main(["--shape", "tiny", "--out", out, "--seed", "7", "--quiet", *args])
    return out


def check_variants(tmp):
    print("variants")
    dirs = {
        "masked_lm": make(tmp, "mlm"),
        "masked_lm --no-prefix": make(tmp, "mlm_np", "--no-prefix"),
        "masked_lm --write-tied": make(tmp, "mlm_tied", "--write-tied"),
        "pretraining": make(tmp, "pre", "--head", "pretraining"),
        "pretraining --no-prefix --write-tied": make(tmp, "pre_np", "--head", "pretraining", "--no-prefix",
                                                     "--write-tied"),
        "base": make(tmp, "base", "--head", "base"),
        "base --prefix": make(tmp, "base_p", "--head", "base", "--prefix"),
    }
    names = {k: set(sio.read_header(os.path.join(d, "model.safetensors"))[0]) for k, d in dirs.items()}
    check("masked_lm file: HF names, 'bert.' prefix, no pooler, tied decoder omitted",
          "bert.embeddings.word_embeddings.weight" in names["masked_lm"]
          and "bert.encoder.layer.1.attention.self.query.weight" in names["masked_lm"]
          and "cls.predictions.transform.dense.weight" in names["masked_lm"]
          and "cls.predictions.bias" in names["masked_lm"]
          and not any(n.startswith("bert.pooler") for n in names["masked_lm"])
          and "cls.predictions.decoder.weight" not in names["masked_lm"])
    check("--write-tied adds cls.predictions.decoder.{weight,bias}",
          {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"} <= names["masked_lm --write-tied"])
    check("pretraining file has bert.pooler.* and cls.seq_relationship.*",
          {"bert.pooler.dense.weight", "cls.seq_relationship.weight"} <= names["pretraining"])
    check("base (BertModel) file: no prefix, pooler, no cls.*",
          "embeddings.word_embeddings.weight" in names["base"] and "pooler.dense.weight" in names["base"]
          and not any(n.startswith("cls.") for n in names["base"]))
    with open(os.path.join(dirs["pretraining"], "config.json")) as f:
        check("config.json architectures follows the head", json.load(f)["architectures"] == ["BertForPreTraining"])

    # Legacy names (gamma/beta) and a pytorch_model.bin.
    legacy = os.path.join(tmp, "legacy")
    shutil.copytree(dirs["masked_lm"], legacy)
    st = sio.load_torch(os.path.join(legacy, "model.safetensors"))
    st = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
          for k, v in st.items()}
    st["bert.embeddings.position_ids"] = torch.arange(512)[None]
    os.remove(os.path.join(legacy, "model.safetensors"))
    torch.save(st, os.path.join(legacy, "pytorch_model.bin"))
    dirs["pytorch_model.bin, LayerNorm.gamma/beta, position_ids"] = legacy

    ids, tt, am = test_inputs(30522, seed=3)
    ref = bert_ref.load(dirs["masked_lm"]).forward(ids, tt, am)
    expect_heads = {"masked_lm": (False, True, False), "base": (True, False, False),
                    "pretraining": (True, True, True)}
    for label, d in dirs.items():
        m = bert_ref.load(d)
        o = m.forward(ids, tt, am)
        kind = label.split()[0] if label.split()[0] in expect_heads else "masked_lm"
        same = torch.equal(o["last_hidden"], ref["last_hidden"]) and torch.equal(o["attentions"], ref["attentions"])
        if "mlm_logits" in o:
            same &= torch.equal(o["mlm_logits"], ref["mlm_logits"])
        check(f"loads: {label}", same and (m.has_pooler, m.has_mlm, m.has_nsp) == expect_heads[kind]
              and not m.unused, f"pooler/mlm/nsp = {m.has_pooler}/{m.has_mlm}/{m.has_nsp}")

    broken = os.path.join(tmp, "broken")
    shutil.copytree(dirs["masked_lm"], broken)
    st = sio.load(os.path.join(broken, "model.safetensors"))
    del st["bert.encoder.layer.1.output.dense.weight"]
    sio.save(os.path.join(broken, "model.safetensors"), st)
    try:
        bert_ref.load(broken)
        check("a missing encoder tensor is an error", False)
    except KeyError:
        check("a missing encoder tensor is an error", True)
    return dirs


def check_distilbert(tmp, bert_dir):
    print("distilbert")
    dirs = {"masked_lm": make(tmp, "distil", "--arch", "distilbert"),
            "masked_lm --write-tied": make(tmp, "distil_tied", "--arch", "distilbert", "--write-tied"),
            "base": make(tmp, "distil_base", "--arch", "distilbert", "--head", "base")}
    names = {k: set(sio.read_header(os.path.join(d, "model.safetensors"))[0]) for k, d in dirs.items()}
    check("DistilBertForMaskedLM file: 'distilbert.' + transformer.layer.*, vocab_* head, no token types",
          "distilbert.transformer.layer.1.attention.q_lin.weight" in names["masked_lm"]
          and {"vocab_transform.weight", "vocab_layer_norm.bias", "vocab_projector.bias"} <= names["masked_lm"]
          and "vocab_projector.weight" not in names["masked_lm"]
          and not any("token_type" in n or "pooler" in n for n in names["masked_lm"]))
    check("DistilBertModel file: no prefix, no head", "transformer.layer.0.ffn.lin1.weight" in names["base"]
          and not any(n.startswith(("distilbert.", "vocab_")) for n in names["base"]))
    with open(os.path.join(dirs["masked_lm"], "config.json")) as f:
        cfg = json.load(f)
    check("config.json: DistilBertConfig's keys", cfg["model_type"] == "distilbert" and cfg["n_layers"] == 2
          and cfg["dim"] == 128 and "num_hidden_layers" not in cfg and cfg["architectures"] == ["DistilBertForMaskedLM"])
    ids, tt, am = test_inputs(30522, seed=3)
    ref = bert_ref.load(bert_dir).forward(ids, torch.zeros_like(tt), am)
    for label, d in dirs.items():
        m = bert_ref.load(d)
        o = m.forward(ids, None, am)
        err = max(maxdiff(o[k], ref[k]) for k in ("attentions", "last_hidden"))
        if "mlm_logits" in o:
            err = max(err, maxdiff(o["mlm_logits"], ref["mlm_logits"]) / float(ref["mlm_logits"].abs().max()))
        check(f"DistilBERT {label} = BERT of the same seed with token types 0", err <= TOL and not m.unused
              and m.has_mlm == (label != "base") and float(o["attentions"][1, ..., 30:].abs().max()) == 0.0,
              f"max diff {err:.1e}")
    try:
        bert_ref.load(dirs["masked_lm"]).forward(ids, tt, am)
        check("DistilBERT refuses token types other than 0", False)
    except ValueError:
        check("DistilBERT refuses token types other than 0", True)


def check_determinism(tmp, dirs):
    print("determinism")
    again = make(tmp, "mlm_again")
    other = os.path.join(tmp, "seed8")
    make_checkpoint.main(["--shape", "tiny", "--out", other, "--seed", "8", "--quiet"])
    a = file_bytes(os.path.join(dirs["masked_lm"], "model.safetensors"))
    check("make_checkpoint: same seed -> identical bytes", a == file_bytes(os.path.join(again, "model.safetensors")))
    check("make_checkpoint: another seed -> different weights",
          a != file_bytes(os.path.join(other, "model.safetensors")))
    inputs = os.path.join(tmp, "inputs.json")
    ids, tt, am = test_inputs(30522, seed=4)
    with open(inputs, "w") as f:
        json.dump([{"input_ids": ids[0].tolist(), "token_type_ids": tt[0].tolist()},
                   {"input_ids": ids[1].tolist(), "token_type_ids": tt[1].tolist(),
                    "attention_mask": am[1].tolist(), "mlm_positions": [1, 2, 5]}], f)
    outs = []
    for r in range(2):
        outs.append(os.path.join(tmp, f"ref{r}.safetensors"))
        run_reference.main(["--model", dirs["pretraining"], "--inputs", inputs, "--out", outs[-1], "--quiet"])
    check("run_reference: identical bytes on re-run", file_bytes(outs[0]) == file_bytes(outs[1]))
    got = sio.load_torch(outs[0])
    m = bert_ref.load(dirs["pretraining"])
    o1 = m.forward(ids[1], tt[1], am[1], mlm_positions=[1, 2, 5])
    c = m.config
    ok = (tuple(got["case0.attention"].shape) == (c.num_hidden_layers, c.num_attention_heads, 48, 48)
          and tuple(got["case0.query"].shape) == (c.num_hidden_layers, c.num_attention_heads, 48, c.head_dim)
          and tuple(got["case0.mlm_logits"].shape) == (48, c.vocab_size)
          and tuple(got["case1.mlm_logits"].shape) == (3, c.vocab_size)
          and torch.equal(got["case1.attention"], o1["attentions"])
          and torch.equal(got["case1.mlm_logits"], o1["mlm_logits"])
          and torch.equal(got["case1.hidden"], o1["last_hidden"])
          and torch.equal(got["case1.embeddings"], o1["embeddings"])
          and torch.equal(got["case1.nsp_logits"], o1["nsp_logits"]))
    check("run_reference: file contents/shapes match the forward pass", ok, f"{len(got)} tensors")


# ----------------------------------------------------------------------------------------------- main

def check_roberta(tmp):
    print("roberta")
    d = make(tmp, "roberta_mlm", "--arch", "roberta")
    base = make(tmp, "roberta_base", "--arch", "roberta", "--head", "base")
    tied = make(tmp, "roberta_tied", "--arch", "roberta", "--write-tied")
    names = set(sio.load_torch(os.path.join(d, "model.safetensors")))
    check("RobertaForMaskedLM file: 'roberta.' encoder, lm_head.{dense,layer_norm,bias}, no pooler, no cls.*",
          "roberta.embeddings.word_embeddings.weight" in names and "lm_head.layer_norm.weight" in names
          and "lm_head.bias" in names and not any(n.startswith(("cls.", "roberta.pooler")) for n in names))
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    check("config: model_type roberta, pad 1, 514 positions, 1 token type, RobertaForMaskedLM",
          (cfg["model_type"], cfg["pad_token_id"], cfg["max_position_embeddings"], cfg["type_vocab_size"],
           cfg["architectures"]) == ("roberta", 1, 514, 1, ["RobertaForMaskedLM"]))
    check("tokenizer files copied, no vocab.txt",
          all(os.path.exists(os.path.join(d, f)) for f in make_checkpoint.BPE_FILES)
          and not os.path.exists(os.path.join(d, "vocab.txt")))
    bnames = set(sio.load_torch(os.path.join(base, "model.safetensors")))
    check("RobertaModel file: no prefix, pooler, no lm_head", "pooler.dense.weight" in bnames
          and "embeddings.word_embeddings.weight" in bnames and not any(n.startswith("lm_head.") for n in bnames))
    tnames = set(sio.load_torch(os.path.join(tied, "model.safetensors")))
    check("--write-tied adds lm_head.decoder.{weight,bias}", {"lm_head.decoder.weight", "lm_head.decoder.bias"} <= tnames)

    m = bert_ref.load(d, dtype=torch.float64)
    c = m.config
    g = torch.Generator().manual_seed(5)
    n = 40
    ids = torch.randint(4, c.vocab_size - 1, (1, n), generator=g)
    ids[0, 0], ids[0, 18], ids[0, 19], ids[0, n - 1], ids[0, 7] = 0, 2, 2, 2, c.vocab_size - 1  # <s> .. </s></s> .. </s>, <mask>
    out = m.forward(ids)
    # The same weights as BERT with positions 0.. reading the table from row padding_idx + 1 on.
    w = dict(m.w)
    off = c.pad_token_id + 1
    w["embeddings.position_embeddings.weight"] = w["embeddings.position_embeddings.weight"][off:]
    bcfg = {k: getattr(c, k) for k in c.__dataclass_fields__ if k != "extra"}
    bcfg.update(model_type="bert", max_position_embeddings=c.max_position_embeddings - off, pad_token_id=0)
    as_bert = bert_ref.BertReference(bert_ref.BertConfig.from_dict(bcfg), w, dtype=torch.float64).forward(ids)
    worst = max(maxdiff(out[k], as_bert[k]) for k in ("attentions", "last_hidden", "mlm_logits"))
    check("RoBERTa forward == BERT forward with the position table shifted by padding_idx + 1 (gelu LM head)",
          worst < 1e-12, f"{worst:.1e}")
    positions = m.position_ids(torch.cat([ids[:, :30], torch.ones(1, 10, dtype=torch.long)], dim=1))
    check("positions: padding_idx + 1 + i for tokens, padding_idx for <pad>",
          positions[0, :30].tolist() == list(range(off, off + 30)) and positions[0, 30:].tolist() == [1] * 10)
    padded = ids.clone()
    padded[0, 30:] = c.pad_token_id
    am = torch.ones(1, n, dtype=torch.long)
    am[0, 30:] = 0
    short = m.forward(ids[:, :30])
    pad_out = m.forward(padded, attention_mask=am)
    d_pad = maxdiff(pad_out["last_hidden"][:, :30], short["last_hidden"])
    check("right padding with <pad> leaves the real tokens' outputs unchanged", d_pad < 1e-12, f"{d_pad:.1e}")
    mt = bert_ref.load(tied, dtype=torch.float64)
    check("--write-tied file: same MLM logits", maxdiff(mt.forward(ids)["mlm_logits"], out["mlm_logits"]) < 1e-12)
    mb = bert_ref.load(base)
    check("RobertaModel file loads: pooler, no MLM head", mb.has_pooler and not mb.has_mlm)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=[], help="also run the forward checks on this checkpoint")
    ap.add_argument("--keep", help="build in this folder and keep it (default: a temporary folder)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    tmp = args.keep or tempfile.mkdtemp(prefix="hl_selfcheck_")
    os.makedirs(tmp, exist_ok=True)
    try:
        check_io(tmp)
        dirs = check_variants(tmp)
        check_resave(dirs["masked_lm"], tmp)
        check_distilbert(tmp, dirs["masked_lm"])
        check_forward(bert_ref.load(dirs["pretraining"]), "tiny/pretraining gelu")
        for act in ("gelu_new", "relu"):
            d = make(tmp, f"act_{act}", "--hidden-act", act, "--outlier-dims", "2")
            check_forward(bert_ref.load(d), f"tiny/masked_lm {act} +2 outlier dims")
        for d in args.model:
            check_forward(bert_ref.load(d), d)
        check_roberta(tmp)
        check_determinism(tmp, dirs)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = [n for n, ok in RESULTS if not ok]
    print(f"{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed in {time.time() - t0:.1f} s")
    for n in failed:
        print(f"FAILED: {n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
