# Writes a pretraining checkpoint as a Hugging Face BertForPreTraining folder and checks it with bert_ref.py.
"""
  /usr/bin/python3 tools/pretrain/export.py RUN_DIR_OR_CHECKPOINT [--out DIR]      (default DIR: RUN_DIR/hf)

Writes into DIR:
  config.json            BertConfig fields, architectures ["BertForPreTraining"], hidden_act "gelu" (erf)
  vocab.txt              the run's vocabulary (stored in the checkpoint)
  tokenizer_config.json  {"do_lower_case": true, ...}: BERT's uncased BasicTokenizer + WordPiece
  model.safetensors      F32 tensors with BertForPreTraining names ("bert.*", "cls.predictions.*",
                         "cls.seq_relationship.*"); the decoder is tied to the word embeddings and, as in Hugging
                         Face's own safetensors files, not stored
  training.json          step, tokens seen, wall and CPU time, schedule and arguments of the run (for the card)
Then it loads DIR with tools/reference/bert_ref.py and runs held-out pairs through both that and the training
model (fp32, eval mode, with padding): the maximum absolute differences of hidden states, masked-LM logits and
NSP logits are printed and written to DIR/export_check.json. It fails if the MLM logits differ by more than
--tolerance.
"""
import argparse
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import bert_ref  # noqa: E402
import data  # noqa: E402
import safetensors_io  # noqa: E402
from model import BertForPreTraining, Config  # noqa: E402


def load_checkpoint(path):
    if os.path.isdir(path):
        path = os.path.join(path, "checkpoint.pt")
    state = torch.load(path, map_location="cpu")
    model = BertForPreTraining(Config(**state["config"]))
    model.load_state_dict(state["model"])
    model.eval()
    return model, state, path


def write_hf(model, state, out):
    os.makedirs(out, exist_ok=True)
    cfg = model.config
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg.hf_dict(), f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(state["vocab"]) + "\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True,
                   "tokenizer_class": "BertTokenizer", "model_max_length": cfg.max_position_embeddings,
                   "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]"}, f, indent=2)
        f.write("\n")
    tensors = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    tmp = os.path.join(out, "model.safetensors.tmp")
    safetensors_io.save(tmp, tensors, metadata={"format": "pt"})
    os.replace(tmp, os.path.join(out, "model.safetensors"))
    training = {k: state[k] for k in ("step", "total_steps", "tokens_seen", "padded_tokens_seen", "wall_s", "cpu_s",
                                      "phases", "config")}
    training["args"] = {k: data.portable_path(v) if k in ("out", "train", "heldout", "vocab") and v else v
                        for k, v in state["args"].items()}
    with open(os.path.join(out, "training.json"), "w") as f:
        json.dump(training, f, indent=2)
        f.write("\n")
    return tensors


@torch.no_grad()
def check(model, out, run_args, n_pairs=32, seq=128, seed=7):
    """Training model vs bert_ref.py on held-out pairs of the run's corpus (a padded batch, masked as in training)."""
    ref = bert_ref.load(out)
    corpus = data.load_corpus(run_args["heldout"], run_args["vocab"], log=lambda m: None)
    vocab_size = model.config.vocab_size
    rng = data.batch_rng(seed, 0, stream=2)
    ids, tt, am, _, _ = (torch.from_numpy(x) for x in data.make_batch(corpus, n_pairs, seq, rng, 0.15, vocab_size))
    h, _ = model.encode(ids, tt, am)
    mine = {"last_hidden": h, "mlm_logits": model.mlm_logits(h), "nsp_logits": model.nsp_logits(h)}
    theirs = ref(ids, tt, am)
    keep = am.bool()
    diff = {}
    for k in mine:
        a, b = mine[k], theirs[k]
        if k != "nsp_logits":   # padded rows are not defined the same way; compare real tokens only
            a, b = a[keep], b[keep]
        diff[k] = float((a - b).abs().max())
    diff["mlm_logit_scale"] = float(mine["mlm_logits"][keep].abs().max())
    diff["pairs"], diff["real_tokens"] = n_pairs, int(keep.sum())
    return diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a run directory (uses its checkpoint.pt) or a checkpoint file")
    ap.add_argument("--out", help="output folder (default: RUN_DIR/hf)")
    ap.add_argument("--tolerance", type=float, default=1e-3, help="largest MLM logit difference accepted")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    model, state, path = load_checkpoint(args.checkpoint)
    out = args.out or os.path.join(os.path.dirname(path), "hf")
    tensors = write_hf(model, state, out)
    size = os.path.getsize(os.path.join(out, "model.safetensors"))
    print(f"exported {path} (step {state['step']}, {state['tokens_seen']:,} tokens) -> {out}: "
          f"{len(tensors)} tensors, {sum(t.numel() for t in tensors.values()):,} parameters, {size / 1e6:.1f} MB")
    diff = check(model, out, state["args"])
    with open(os.path.join(out, "export_check.json"), "w") as f:
        json.dump(diff, f, indent=2)
        f.write("\n")
    print(f"bert_ref.py vs training model on {diff['pairs']} held-out pairs ({diff['real_tokens']} tokens): max |diff| "
          f"hidden {diff['last_hidden']:.2e}, MLM logits {diff['mlm_logits']:.2e} (|logit| up to "
          f"{diff['mlm_logit_scale']:.1f}), NSP logits {diff['nsp_logits']:.2e}  [{time.time() - t0:.1f}s]")
    if not diff["mlm_logits"] <= args.tolerance:
        sys.exit(f"export check FAILED: MLM logits differ by {diff['mlm_logits']:.3g} > {args.tolerance}")


if __name__ == "__main__":
    main()
