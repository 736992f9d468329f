# Held-out masked-LM / NSP accuracy and attention-pattern figures of an exported checkpoint, via bert_ref.py.
"""
  /usr/bin/python3 tools/pretrain/evaluate.py HF_DIR [--out results.json]

Independent of the training code: the model is run by tools/reference/bert_ref.py from the exported Hugging Face
folder (config.json, vocab.txt, model.safetensors), text is tokenised with wordpiece.py's BasicTokenizer +
WordPiece, and pairs and masks are drawn here with their own seeded RNG.

Held-out accuracy (corpus heldout.txt, documents the training never saw), in two kinds of pairs:
  chunks     BERT's pretraining pairs: consecutive sentences from a random place in a document with at least two
             sentences, gathered up to --seq - 3 tokens and split at a random sentence boundary into A and B;
             for half of the pairs B is replaced by sentences from a random place in another document (NSP label 1)
  sentences  one sentence A and the next sentence B (label 0), or a random sentence of another document (label 1)
  MLM: round(15% of the non-special tokens) positions per pair, 80% [MASK], 10% a random token, 10% unchanged, as
  in pretraining. "top1" counts every selected position; "top1_mask" only those shown as [MASK].

Attention (issue 3's figures), on Vig's pair "I went to the store." / "At the store, I bought fresh
strawberries." and on --attn-pairs held-out sentence pairs (unmasked), for every layer and head, averaged over
the rows (query tokens) of a pair, then over pairs:
  next   attention from token i to token i + 1 (rows 0 .. n-2)      prev  to token i - 1 (rows 1 .. n-1)
  sep    attention to both [SEP] tokens together                      cls   to [CLS]
  uniform_sep = 2 / n, the [SEP] share of uniform attention, for comparison
Printed: the best next and previous heads per layer and the [SEP] share per layer (mean and best head).
"Middle layers" are 1 .. L-2 (all layers if L <= 2).
"""
import argparse
import json
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import bert_ref  # noqa: E402
import data  # noqa: E402
import wordpiece  # noqa: E402

VIG = ("I went to the store.", "At the store, I bought fresh strawberries.")


def read_docs(path):
    docs, cur = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                cur.append(line)
            elif cur:
                docs.append(cur)
                cur = []
    if cur:
        docs.append(cur)
    return docs


class Tok:
    def __init__(self, vocab_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = [line.rstrip("\n") for line in f]
        self.index = {t: i for i, t in enumerate(self.vocab)}
        self.wp = wordpiece.WordPiece(self.vocab)
        self.cls, self.sep, self.mask, self.pad = (self.index[t] for t in ("[CLS]", "[SEP]", "[MASK]", "[PAD]"))
        self.special = {self.index[t] for t in wordpiece.SPECIALS if t in self.index}

    def ids(self, text):
        return [self.index[p] for p in self.wp.tokenize(text)]


def truncate(a, b, max_tokens):
    a, b = list(a), list(b)
    while len(a) + len(b) > max_tokens:
        (a if len(a) > len(b) else b).pop()
    return a, b


def sentence_pairs(docs, tok, n, seq, rng):
    spots = [(d, i) for d, doc in enumerate(docs) for i in range(len(doc) - 1)]
    out = []
    for _ in range(n):
        d, i = rng.choice(spots)
        label = rng.random() < 0.5
        if label:
            e = rng.choice([x for x in rng.sample(range(len(docs)), 5) if x != d] or [(d + 1) % len(docs)])
            b = rng.choice(docs[e])
        else:
            b = docs[d][i + 1]
        out.append((*truncate(tok.ids(docs[d][i]), tok.ids(b), seq - 3), int(label)))
    return out


def chunk_pairs(docs, tok, n, seq, rng):
    ids_docs = {}

    def doc_ids(d):
        if d not in ids_docs:
            ids_docs[d] = [tok.ids(s) for s in docs[d]]
        return ids_docs[d]

    multi = [d for d, doc in enumerate(docs) if len(doc) >= 2]
    weights = [sum(len(s.split()) for s in docs[d]) for d in multi]
    out = []
    for _ in range(n):
        d = rng.choices(multi, weights)[0]
        sents = doc_ids(d)
        s = rng.randrange(len(sents) - 1)
        chunk, length = [], 0
        while s < len(sents) and (length < seq - 3 or len(chunk) < 2):
            chunk.append(sents[s])
            length += len(sents[s])
            s += 1
        cut = rng.randrange(1, len(chunk))
        a = [t for x in chunk[:cut] for t in x]
        label = rng.random() < 0.5
        if label:
            e = rng.randrange(len(docs))
            while e == d:
                e = rng.randrange(len(docs))
            other = doc_ids(e)
            r, b = rng.randrange(len(other)), []
            while r < len(other) and (not b or len(b) < seq - 3 - len(a)):
                b += other[r]
                r += 1
        else:
            b = [t for x in chunk[cut:] for t in x]
        out.append((*truncate(a, b, seq - 3), int(label)))
    return out


def encode(pairs, tok, rng=None, rate=0.15):
    """Pairs -> padded tensors; with rng, BERT masking: (ids, tt, am, labels [-100 = not predicted], shown_mask)."""
    n = max(len(a) + len(b) + 3 for a, b, _ in pairs)
    B = len(pairs)
    ids = torch.full((B, n), tok.pad, dtype=torch.long)
    tt = torch.zeros((B, n), dtype=torch.long)
    am = torch.zeros((B, n), dtype=torch.long)
    labels = torch.full((B, n), -100, dtype=torch.long)
    shown = torch.zeros((B, n), dtype=torch.bool)
    for r, (a, b, _) in enumerate(pairs):
        row = [tok.cls] + a + [tok.sep] + b + [tok.sep]
        ids[r, :len(row)] = torch.tensor(row)
        tt[r, len(a) + 2:len(row)] = 1
        am[r, :len(row)] = 1
        if rng is None:
            continue
        cand = [i for i, t in enumerate(row) if t not in tok.special]
        for i in rng.sample(cand, max(1, round(rate * len(cand))) if cand else 0):
            labels[r, i] = row[i]
            p = rng.random()
            if p < 0.8:
                ids[r, i] = tok.mask
                shown[r, i] = True
            elif p < 0.9:
                ids[r, i] = rng.randrange(len(tok.special), len(tok.vocab))
    return ids, tt, am, labels, shown


@torch.no_grad()
def accuracy(model, tok, pairs, rng, batch=32):
    ok = ok_mask = n = n_mask = loss = 0.0
    nsp_ok = [0, 0]
    nsp_n = [0, 0]
    for i in range(0, len(pairs), batch):
        part = pairs[i:i + batch]
        ids, tt, am, labels, shown = encode(part, tok, rng)
        out = model.forward(ids, tt, am, mlm_positions=[])   # MLM head only on the selected rows below
        sel = labels >= 0
        logits = model.mlm_logits(out["last_hidden"][sel])
        target = labels[sel]
        hit = logits.argmax(-1) == target
        ok += hit.sum().item()
        n += len(target)
        ok_mask += hit[shown[sel]].sum().item()
        n_mask += shown.sum().item()
        loss += F.cross_entropy(logits, target, reduction="sum").item()
        pred = out["nsp_logits"].argmax(-1)
        for (_, _, lab), p in zip(part, pred.tolist()):
            nsp_n[lab] += 1
            nsp_ok[lab] += int(p == lab)
    return {"mlm": {"top1": ok / n, "top1_mask": ok_mask / n_mask, "loss": loss / n, "predicted": int(n)},
            "nsp": {"accuracy": sum(nsp_ok) / sum(nsp_n), "isnext": nsp_ok[0] / max(1, nsp_n[0]),
                    "notnext": nsp_ok[1] / max(1, nsp_n[1]), "pairs": sum(nsp_n)}}


@torch.no_grad()
def attention_stats(model, tok, pairs):
    """Per layer/head mean attention to next, previous, [SEP], [CLS] tokens, averaged over pairs."""
    L, A = model.config.num_hidden_layers, model.config.num_attention_heads
    acc = {k: torch.zeros(L, A, dtype=torch.float64) for k in ("next", "prev", "sep", "cls", "self")}
    uniform = 0.0
    for a, b, _ in pairs:
        row = [tok.cls] + list(a) + [tok.sep] + list(b) + [tok.sep]
        n = len(row)
        tt = [0] * (len(a) + 2) + [1] * (len(b) + 1)
        P = model.forward(torch.tensor(row), torch.tensor(tt))["attentions"].double()   # [L, A, n, n]
        idx = torch.arange(n - 1)
        acc["next"] += P[:, :, idx, idx + 1].mean(-1)
        acc["prev"] += P[:, :, idx + 1, idx].mean(-1)
        seps = [i for i, t in enumerate(row) if t == tok.sep]
        acc["sep"] += P[:, :, :, seps].sum(-1).mean(-1)
        acc["cls"] += P[:, :, :, 0].mean(-1)
        acc["self"] += torch.diagonal(P, dim1=-2, dim2=-1).mean(-1)
        uniform += len(seps) / n
    k = len(pairs)
    stats = {name: (v / k) for name, v in acc.items()}
    uniform /= k
    layers = []
    for l in range(L):
        nh, ph = int(stats["next"][l].argmax()), int(stats["prev"][l].argmax())
        sh = int(stats["sep"][l].argmax())
        layers.append({"layer": l, "best_next": {"head": nh, "value": float(stats["next"][l, nh])},
                       "best_prev": {"head": ph, "value": float(stats["prev"][l, ph])},
                       "sep_mean": float(stats["sep"][l].mean()),
                       "best_sep": {"head": sh, "value": float(stats["sep"][l, sh])},
                       "cls_mean": float(stats["cls"][l].mean())})
    middle = list(range(1, L - 1)) if L > 2 else list(range(L))

    def best(name):
        flat = int(stats[name].argmax())
        return {"layer": flat // A, "head": flat % A, "value": float(stats[name].view(-1)[flat])}

    sep_mid = float(stats["sep"][middle].mean())
    return {"pairs": k, "uniform_sep": uniform, "best_next": best("next"), "best_prev": best("prev"),
            "middle_layers": middle, "sep_middle_mean": sep_mid, "sep_middle_over_uniform": sep_mid / uniform,
            "by_layer": layers,
            "heads": {name: [[round(float(x), 4) for x in row] for row in v] for name, v in stats.items()}}


def print_attention(title, r, out):
    print(f"{title} ({r['pairs']} pair(s)); uniform [SEP] share {r['uniform_sep']:.3f}", file=out)
    for x in r["by_layer"]:
        print(f"  layer {x['layer']}: next {x['best_next']['value']:.3f} (head {x['best_next']['head']})  "
              f"prev {x['best_prev']['value']:.3f} (head {x['best_prev']['head']})  [SEP] mean "
              f"{x['sep_mean']:.3f}, best {x['best_sep']['value']:.3f} (head {x['best_sep']['head']})  "
              f"[CLS] mean {x['cls_mean']:.3f}", file=out)
    bn, bp = r["best_next"], r["best_prev"]
    print(f"  best next-token head L{bn['layer']}H{bn['head']} {bn['value']:.3f}; best previous-token head "
          f"L{bp['layer']}H{bp['head']} {bp['value']:.3f}; [SEP] in middle layers {r['middle_layers']}: "
          f"{r['sep_middle_mean']:.3f} = {r['sep_middle_over_uniform']:.2f} x uniform", file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="exported Hugging Face folder")
    cache = os.environ.get("HEADLIGHT_CACHE") or os.path.expanduser("~/.cache/headlight")
    ap.add_argument("--heldout", default=os.path.join(cache, "corpus", "heldout.txt"))
    ap.add_argument("--pairs", type=int, default=1000, help="pairs of each kind for MLM / NSP accuracy")
    ap.add_argument("--attn-pairs", type=int, default=200, help="held-out sentence pairs for the attention figures")
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--mask-rate", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", help="write the JSON here (default: stdout)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    model = bert_ref.load(args.model)
    tok = Tok(os.path.join(args.model, "vocab.txt"))
    docs = read_docs(args.heldout)
    res = {"model": data.portable_path(args.model), "heldout": data.portable_path(args.heldout), "seq": args.seq, "mask_rate": args.mask_rate,
           "seed": args.seed}
    training = os.path.join(args.model, "training.json")
    if os.path.exists(training):
        with open(training) as f:
            t = json.load(f)
        res["training"] = {k: t[k] for k in ("step", "tokens_seen", "wall_s", "cpu_s")}
    err = sys.stderr
    for kind, make in (("chunks", chunk_pairs), ("sentences", sentence_pairs)):
        rng = random.Random(f"{args.seed}-{kind}")
        pairs = make(docs, tok, args.pairs, args.seq, rng)
        res[kind] = accuracy(model, tok, pairs, random.Random(f"{args.seed}-{kind}-mask"))
        m, s = res[kind]["mlm"], res[kind]["nsp"]
        print(f"held-out {kind:9s}: MLM top-1 {100 * m['top1']:.1f}% ([MASK] only {100 * m['top1_mask']:.1f}%, "
              f"loss {m['loss']:.3f}, {m['predicted']} predictions)  NSP {100 * s['accuracy']:.1f}% "
              f"(IsNext {100 * s['isnext']:.1f}%, NotNext {100 * s['notnext']:.1f}%, {s['pairs']} pairs)", file=err)
    vig = [tuple(tok.ids(x) for x in VIG) + (0,)]
    res["attention_vig"] = attention_stats(model, tok, vig)
    print_attention(f"attention on Vig's pair {VIG}", res["attention_vig"], err)
    held = sentence_pairs(docs, tok, args.attn_pairs, args.seq, random.Random(f"{args.seed}-attention"))
    res["attention_heldout"] = attention_stats(model, tok, held)
    print_attention("attention on held-out sentence pairs", res["attention_heldout"], err)
    res["seconds"] = round(time.time() - t0, 1)
    text = json.dumps(res, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
        print(f"wrote {args.out} ({res['seconds']}s)", file=err)
    else:
        print(text)


if __name__ == "__main__":
    main()
