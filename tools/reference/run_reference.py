# Runs the independent PyTorch BERT / RoBERTa reference on a list of inputs and writes every checked tensor to a safetensors file.
"""
Usage:
  /usr/bin/python3 tools/reference/run_reference.py --model DIR --inputs inputs.json --out out.safetensors
        [--no-hidden-states] [--threads 1] [--float64]

DIR: a BERT, DistilBERT or RoBERTa checkpoint (config.json's model_type; bert_ref.load). RoBERTa's positions start at
pad_token_id + 1 (see bert_ref.py).

inputs.json: a list of cases
  {"input_ids": [101, ...], "token_type_ids": [0, ...],      (token_type_ids optional: zeros; all 0 for DistilBERT)
   "attention_mask": [1, ...],                                 (optional: ones)
   "mlm_positions": [3, 7]}                                    (optional: only these MLM logit rows)
(or {"cases": [...]}).

Written per case k (n = len(input_ids), L layers, A heads, d = hidden / A), all F32 unless noted:
  case{k}.input_ids       [n]            I64   (echo of the input, so the file is self-describing)
  case{k}.token_type_ids  [n]            I64
  case{k}.attention_mask  [n]            I64   (only if given)
  case{k}.embeddings      [n, H]               embedding LayerNorm output
  case{k}.hidden_states   [L+1, n, H]          [0] = embeddings, [l+1] = output of layer l (--no-hidden-states drops it)
  case{k}.attention       [L, A, n, n]         softmax probabilities, row = query, column = key
  case{k}.query           [L, A, n, d]         x Wq^T + bq per head, before the 1/sqrt(d) scaling
  case{k}.key             [L, A, n, d]         x Wk^T + bk per head
  case{k}.value_norms     [L, A, n]            ||f^h(x_j)|| (Kobayashi et al. 2020; bert_ref.value_norms)
  case{k}.norm_summed     [L, n, n]            ||sum_h attention^h_ij f^h(x_j)||
  case{k}.hidden          [n, H]               final hidden states (last layer output)
  case{k}.mlm_logits      [n or m, vocab]      if the checkpoint has an MLM head; m rows if mlm_positions given
  case{k}.mlm_positions   [m]            I64   (only if given)
  case{k}.pooled          [H]                  if the checkpoint has a pooler
  case{k}.nsp_logits      [2]                  if it has an NSP head
__metadata__: format, generator, number of cases, config summary, torch version, dtype of the maths.

Deterministic: fixed thread count (default 1), no randomness; the same inputs give the same bytes.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_ref  # noqa: E402
import safetensors_io  # noqa: E402


def read_cases(path):
    with open(path) as f:
        data = json.load(f)
    cases = data["cases"] if isinstance(data, dict) else data
    if not isinstance(cases, list) or not cases:
        raise SystemExit(f"{path}: expected a non-empty list of cases")
    return cases


def run_case(model, case, hidden_states=True):
    """One case -> ordered {suffix: tensor}."""
    ids = torch.tensor(case["input_ids"], dtype=torch.long)
    n = ids.shape[0]
    tt = torch.tensor(case.get("token_type_ids") or [0] * n, dtype=torch.long)
    am = case.get("attention_mask")
    am_t = None if am is None else torch.tensor(am, dtype=torch.long)
    pos = case.get("mlm_positions")
    if tt.shape[0] != n or (am_t is not None and am_t.shape[0] != n):
        raise ValueError("token_type_ids / attention_mask must have the length of input_ids")
    vmax = model.config.vocab_size
    if int(ids.min()) < 0 or int(ids.max()) >= vmax:
        raise ValueError(f"input id out of range [0, {vmax})")

    out = model.forward(ids, tt, am_t, mlm_positions=pos)
    f32 = lambda t: t.to(torch.float32).contiguous()  # noqa: E731
    res = {"input_ids": ids, "token_type_ids": tt}
    if am_t is not None:
        res["attention_mask"] = am_t
    res["embeddings"] = f32(out["embeddings"])
    if hidden_states:
        res["hidden_states"] = f32(out["hidden_states"])
    res["attention"] = f32(out["attentions"])
    res["query"] = f32(out["queries"])
    res["key"] = f32(out["keys"])
    res["value_norms"] = f32(out["value_norms"])
    res["norm_summed"] = f32(out["norm_summed"])
    res["hidden"] = f32(out["last_hidden"])
    if "mlm_logits" in out:
        res["mlm_logits"] = f32(out["mlm_logits"])
        if pos is not None:
            res["mlm_positions"] = torch.tensor(pos, dtype=torch.long)
    if "pooled" in out:
        res["pooled"] = f32(out["pooled"])
    if "nsp_logits" in out:
        res["nsp_logits"] = f32(out["nsp_logits"])
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True,
                    help="BERT or DistilBERT checkpoint folder (config.json + model.safetensors)")
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-hidden-states", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 = bit-reproducible; max 2)")
    ap.add_argument("--float64", action="store_true", help="do the maths in float64 (results still stored F32)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(max(1, min(2, args.threads)))

    t0 = time.time()
    dtype = torch.float64 if args.float64 else torch.float32
    model = bert_ref.load(args.model, dtype=dtype)
    t1 = time.time()
    cases = read_cases(args.inputs)
    tensors = {}
    for k, case in enumerate(cases):
        for name, t in run_case(model, case, not args.no_hidden_states).items():
            tensors[f"case{k}.{name}"] = t
    t2 = time.time()
    c = model.config
    meta = {
        "format": "headlight-reference-v1",
        "generator": "tools/reference/run_reference.py (bert_ref.py, independent PyTorch implementation)",
        "cases": str(len(cases)),
        "config": json.dumps(c.summary()),
        "heads": json.dumps({"pooler": model.has_pooler, "mlm": model.has_mlm, "nsp": model.has_nsp}),
        "compute_dtype": str(dtype).replace("torch.", ""),
        "torch": torch.__version__,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    safetensors_io.save(args.out, tensors, meta)
    t3 = time.time()
    if not args.quiet:
        size = os.path.getsize(args.out)
        print(f"{len(cases)} case(s), lengths {[len(c['input_ids']) for c in cases]}: load {t1 - t0:.2f} s, "
              f"forward {t2 - t1:.2f} s, write {t3 - t2:.2f} s; {args.out} {size / 1e6:.1f} MB, "
              f"{len(tensors)} tensors")
        if model.unused:
            print(f"note: unused checkpoint tensors: {model.unused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
