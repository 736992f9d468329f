# Writes a deterministic random-weight BERT, DistilBERT or RoBERTa checkpoint (Hugging Face layout) that acts like a trained one.
"""
Usage:
  /usr/bin/python3 tools/reference/make_checkpoint.py --shape {tiny,mini,base} --out DIR
        [--seed S] [--vocab PATH] [--arch {bert,distilbert,roberta}] [--head {masked_lm,pretraining,base}]
        [--no-prefix | --prefix] [--write-tied] [--outlier-dims K] [--hidden-act gelu] [--quiet]

Writes DIR/config.json, DIR/vocab.txt, DIR/tokenizer_config.json, DIR/model.safetensors, then prints
attention-entropy and MLM-logit statistics on a random input (with [MASK]s).

--arch roberta writes RobertaForMaskedLM (--head masked_lm) or RobertaModel (--head base) instead, from the same
generator: config.json with model_type roberta, pad_token_id 1, bos 0, eos 2, max_position_embeddings = positions + 2
(positions start at pad_token_id + 1), type_vocab_size 1, layer_norm_eps 1e-5; the byte-level BPE tokenizer of
tests/fixtures/tokenizer/bpe (tokenizer.json, vocab.json, merges.txt, tokenizer_config.json; --vocab defaults to its
vocab.json); tensor names "roberta." (none for RobertaModel) and lm_head.{dense,layer_norm,bias} (+ lm_head.decoder.*
with --write-tied). <s>, </s> and <mask> play [CLS], [SEP] and [MASK] (sink heads key on <s>/</s>), the calibration
input is <s> a.. </s></s> b.. </s>, and token types are all 0 (the segments still shape the calibration's statistics).

Shapes: base = the fields of tests/fixtures/reference/bert-base-uncased/config.json (read at run time);
        tiny = L2 H128 A2 FF512, mini = L4 H256 A4 FF1024, same vocabulary and other fields.

--arch distilbert writes the same weights as a DistilBERT checkpoint: config.json with DistilBertConfig's keys
(n_layers, dim, n_heads, hidden_dim, activation, ..., "model_type": "distilbert") and DistilBERT's tensor names:
DistilBertForMaskedLM (--head masked_lm: "distilbert." + embeddings.* / transformer.layer.{i}.*, and vocab_transform,
vocab_layer_norm, vocab_projector) or DistilBertModel (--head base: no prefix, no head). DistilBERT has no token
types, pooler or NSP head: the position table absorbs token type 0's row (so the DistilBERT checkpoint computes exactly
what the BERT one does with every token type 0), and the rest is dropped.

Why not HF's N(0, 0.02) init: with it every attention row is almost uniform and the MLM logits are almost
all ties, so an int8 engine that scrambled attention would still "match". Instead (all from one seeded
torch.Generator, fixed draw order):

  word embeddings  0.04 N(0,1) + 0.03 * centroid of one of 64 clusters (tokens share directions), rows
                   scaled by U(0.8, 1.2); + sparse heavy-tailed "feature" loads (10% of words carry
                   0.2 Exp(1) along each of min(16, H/48) feature directions; none if H < 192); then
                   projected out of the position subspace and of the [MASK] flag direction, which
                   [MASK] alone has (at the median word norm). Per-dim scales are x sqrt(768/H), so
                   embedding norms (and, the decoder being tied, MLM logit scales) do not shrink with H
  positions        sinusoids (F <= 16 frequencies, periods ~2 .. ~61 tokens) in a random 2F-dim subspace,
                   norm 0.6x a word embedding's, + 0.005 N noise; token types 0.03 N (also kept out of it)
  attention        each head gets a type (cycling over layers x heads):
                     prev / next / self : q, k read the position subspace, k rotated by one step, so the
                                          head peaks at key i-1 / i+1 / i (+ a weaker content part)
                     sink               : constant query (via the query bias) against a key direction
                                          that answers [CLS] or [SEP] (per head) most and the other
                                          special token 0.3-0.6x as much, + a preference for the query's
                                          own segment (so the two [SEP]s do not tie) + a content part
                     content            : the query word's cluster picks a word feature to look up (all
                                          features a little, that one more): heavy-tailed over keys, so
                                          the best key stands out as in trained heads; + random q, k
                                          (0.25 of it). Below H = 192 (no features): random q, k only
                     broad              : "block" pattern: random q, k with a small score range, + 1.5-2.5
                                          logits for keys of the query's own segment, + 2.5-3.5 on [SEP]
                                          (so its own segment's [SEP] stands out a little)
                   then q and k of each head are scaled together so that the mean (max - median) score
                   gap of a row on a calibration input hits a per-head target (broad 1-2.5 before its
                   segment/[SEP] logits, positional 7-11, else 4-10; the layer-0 prev head feeding the
                   [MASK] gate: 11-13 and no content part)
  [MASK] bigram    as a trained MLM predicts a masked word from context: a [MASK] after a word of cluster
                   c predicts successor[c], one of 64 frequent words. Layer 0's prev head reads the
                   previous word's cluster (matched filter per centroid; a [MASK] counts as a cluster)
                   into a context subspace the layer's other heads leave alone; layer 0's FF has one
                   key-value memory per cluster (FF/768 neurons each, min 1): act(G (c_j - lo) + beta
                   (flag - flag at [MASK])), far below zero unless the [MASK] flag is up and cluster j is
                   present, writing the successor's direction (minus 0.6 of the flag and the context cue)
                   with output weights 2x the size of the layer's others (int8 per-channel scales stay
                   sane); its strength is set so a [MASK] leaves layer 0 looking like its predicted word
                   as much as an ordinary position looks like its own word
  V, O, FF         N(0, 1/fan_in), except FF-out = 0.8 (FF-in)^T + 0.6 N(0, 1/FF), which leans along +x;
                   then O and FF-out are scaled so each sublayer adds 0.2-0.4x the residual's RMS
                   (both keep the token identity alive through 12 post-LN layers; trained BERTs' residual
                   stream also dominates each sublayer's output)
  LayerNorms       gamma 1 + 0.05 N (clipped to 0.8..1.2), beta 0.02 N
  MLM head         transform dense = I - (projectors on positions, the [MASK] flag and the features)
                   + 0.3/sqrt(H) N, bias 1 (activation nearly linear), so a position predicts the word
                   its hidden state carries: its own token where unmasked (like a trained MLM), the
                   bigram successor at [MASK]; decoder tied to the word embeddings;
                   bias 0.1 N, -2 on [unusedK] rows
  pooler / NSP     N(0, 1/H) / 0.02 N
  --outlier-dims K K hidden dims get LayerNorm beta +-(4..6) in the embedding LN and both LNs of every
                   layer, so they sit at ~5 (embeddings) to ~20 (base, deeper layers) in every hidden
                   state while other dims stay below ~4, like the outlier features of
                   trained BERT (a stress test for int8 activation scales; default 0: off). Every
                   matrix reading the hidden state has zero weight on them.

The calibration forward uses a fixed input ([CLS] a.. [SEP] b.. [SEP], ~15% [MASK]) drawn from a separate
generator and runs on one thread, and scale factors are rounded to 4 significant digits, so the bytes
written depend only on --seed. The printed statistics (not --quiet) use such an input too: per-head
entropies, the share of rows whose top-2 probabilities are within 0.01, and MLM top-1 - top-2 logit gaps
at unmasked and at [MASK] positions.
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_ref  # noqa: E402
import safetensors_io  # noqa: E402

# Hugging Face's bert-base-uncased config and vocabulary, committed with their licence (tests/fixtures/reference/SOURCES.md).
BERT_BASE_UNCASED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "reference",
                                 "bert-base-uncased")
SHAPES = {
    "tiny": dict(num_hidden_layers=2, hidden_size=128, num_attention_heads=2, intermediate_size=512),
    "mini": dict(num_hidden_layers=4, hidden_size=256, num_attention_heads=4, intermediate_size=1024),
    "base": {},
}
ARCHITECTURES = {"masked_lm": "BertForMaskedLM", "pretraining": "BertForPreTraining", "base": "BertModel"}
DISTILBERT_ARCHITECTURES = {"masked_lm": "DistilBertForMaskedLM", "base": "DistilBertModel"}
# The generator's (BERT) names -> DistilBERT's (transformers' modeling_distilbert.py), per layer and for the MLM head.
DISTILBERT_LAYER_NAMES = {
    "attention.self.query.": "attention.q_lin.", "attention.self.key.": "attention.k_lin.",
    "attention.self.value.": "attention.v_lin.", "attention.output.dense.": "attention.out_lin.",
    "attention.output.LayerNorm.": "sa_layer_norm.", "intermediate.dense.": "ffn.lin1.",
    "output.dense.": "ffn.lin2.", "output.LayerNorm.": "output_layer_norm.",
}
DISTILBERT_HEAD_NAMES = {
    "cls.predictions.transform.dense.": "vocab_transform.", "cls.predictions.transform.LayerNorm.": "vocab_layer_norm.",
    "cls.predictions.bias": "vocab_projector.bias",
}
ROBERTA_ARCHITECTURES = {"masked_lm": "RobertaForMaskedLM", "base": "RobertaModel"}
BPE_TOKENIZER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "tokenizer", "bpe")
BPE_FILES = ["tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json"]
# The special tokens the generator gives roles to, by name; --arch roberta switches to RoBERTa's. EXTRA_SPECIALS: tokens
# that are special without BERT's [brackets].
SPECIAL = {"cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"}
EXTRA_SPECIALS = set()
HEAD_CYCLE = ["prev", "content", "next", "sink", "content", "broad", "self", "content", "sink"]
POSITIONAL_SHIFT = {"prev": 1, "next": -1, "self": 0}   # head of query i peaks at key i - shift
CALIB_N, CALIB_B = 128, 2
TARGET_GAP = {"positional": (7.0, 11.0), "other": (4.0, 10.0), "broad": (1.0, 2.5),  # row max - median
              "gate": (11.0, 13.0)}   # the prev head feeding the [MASK] gate
RHO = (0.2, 0.4)   # sublayer output RMS / residual RMS
FF_SELF = 0.8   # share of FF-out that is FF-in transposed
MASK_SHARE = 0.15   # [MASK] share of the calibration / summary inputs
FEAT_P, FEAT_SCALE = 0.1, 0.2   # sparse word features read by content heads (min(16, H // 48); none if H < 192)
FEAT_BASE = 0.5   # content heads: weight on every feature, vs 1 more on the one the query's cluster picks
CONTENT_RANDOM = 0.25   # content heads: random q.k part, relative to the feature lookup
BROAD_SEP, BROAD_SEG = (2.5, 3.5), (1.5, 2.5)   # broad heads: logits on their segment's [SEP] / segment
SINK_SEG = 0.3   # sink heads: own-segment preference relative to the special-token lift
# [MASK] gate: off-margin (pre-activation units), output weights vs the layer's others, strength vs an
# ordinary word's share, share of the flag it erases
GATE_OFF, GATE_W, GATE_MATCH, FLAG_ERASE = 4.0, 2.0, 1.0, 0.6
N_CLUSTERS = 64   # word-embedding clusters; the bigram rule maps the previous word's cluster to a word


def read_vocab(path):
    if path.endswith(".json"):   # RoBERTa's vocab.json: {"token": id}
        with open(path, encoding="utf-8") as f:
            ids = json.load(f)
        return [t for t, _ in sorted(ids.items(), key=lambda kv: kv[1])]
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def roberta_config(cfg):
    """bert-base's fields as RoBERTa's config.json has them (roberta-base: 514 positions, 1 token type, eps 1e-5)."""
    cfg = dict(cfg)
    cfg.update(model_type="roberta", pad_token_id=1, bos_token_id=0, eos_token_id=2,
               max_position_embeddings=cfg["max_position_embeddings"] + 2, type_vocab_size=1, layer_norm_eps=1e-5)
    return cfg


def build_config(shape, vocab_size, hidden_act=None):
    base_path = os.path.join(BERT_BASE_UNCASED, "config.json")
    if not os.path.exists(base_path):
        raise SystemExit(f"need {base_path} (the bert-base-uncased config) to derive the shapes")
    with open(base_path) as f:
        cfg = json.load(f)
    cfg.update(SHAPES[shape])
    cfg["vocab_size"] = vocab_size
    if hidden_act:
        cfg["hidden_act"] = hidden_act
    return cfg


def round_sig(x, digits=4):
    """Scale factors are rounded so that last-bit differences in the calibration forward cannot leak
    into the written weights."""
    return float(f"{x:.{digits}g}")


class Init:
    """Seeded draws; every call consumes the generator in a fixed order."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape, std=1.0, mean=0.0):
        return torch.randn(*shape, generator=self.g) * std + mean

    def uniform(self, lo, hi, *shape):
        return torch.rand(*shape, generator=self.g) * (hi - lo) + lo

    def randint(self, lo, hi, *shape):
        return torch.randint(lo, hi, shape, generator=self.g)

    def gamma(self, n):
        return torch.clamp(1.0 + self.normal(n, std=0.05), 0.8, 1.2)

    def orthonormal(self, n, k):
        """[n, k] with orthonormal columns."""
        q, _ = torch.linalg.qr(self.normal(n, k))
        return q


def calibration_input(vocab, seed, n=CALIB_N, batch=CALIB_B):
    """[CLS] a.. [SEP] b.. [SEP] with random ordinary words, token types 0/1 and ~15% [MASK]."""
    g = torch.Generator().manual_seed(seed)
    cls_id, sep_id = special_id(vocab, SPECIAL["cls"], 101), special_id(vocab, SPECIAL["sep"], 102)
    mask_id = special_id(vocab, SPECIAL["mask"], 103)
    lo = first_ordinary_id(vocab)
    ids = torch.randint(lo, len(vocab), (batch, n), generator=g)
    ids[torch.rand(batch, n, generator=g) < MASK_SHARE] = mask_id
    tt = torch.zeros(batch, n, dtype=torch.long)
    for b in range(batch):
        cut = int(torch.randint(n // 4, 3 * n // 4, (1,), generator=g))
        ids[b, 0], ids[b, cut], ids[b, n - 1] = cls_id, sep_id, sep_id
        if EXTRA_SPECIALS:   # RoBERTa: <s> a.. </s></s> b.. </s> (the second </s> opens segment b)
            ids[b, cut + 1] = sep_id
        tt[b, cut + 1:] = 1
    return ids, tt


def special_id(vocab, token, default):
    try:
        return vocab.index(token)
    except ValueError:
        return default


def first_ordinary_id(vocab):
    """First id past [PAD]/[unusedK]/[CLS]/... (999 in the bert-base-uncased vocab)."""
    for i, t in enumerate(vocab):
        if not (t.startswith("[") and t.endswith("]")) and t not in EXTRA_SPECIALS and i > 0:
            return i
    return 1


def head_scores(x, wq, bq, wk, bk):
    """q.k / sqrt(d) of one head: x [B, n, H], w* [d, H] -> [B, n, n]."""
    d = wq.shape[0]
    return torch.matmul(bert_ref.linear(x, wq, bq), bert_ref.linear(x, wk, bk).transpose(-1, -2)) / math.sqrt(d)


def score_gap(x, wq, bq, wk, bk):
    """Mean over query rows of (max - median) of q.k/sqrt(d); x [B, n, H], w* [d, H]."""
    s = head_scores(x, wq, bq, wk, bk)
    return float((s.max(dim=-1).values - s.median(dim=-1).values).mean())


def rms(t):
    return float(torch.sqrt((t.double() ** 2).mean()))


def unit(v):
    return v / v.norm()


def positional_qk(u_pos, omega, d, H, shift):
    """q reads the position features (cos wp, sin wp); k reads them rotated by w*shift, so
    q_i . k_j = sum_f cos(w_f (i - j - shift)): largest at j = i - shift."""
    F = omega.shape[0]
    rot = torch.zeros(2 * F, 2 * F)
    ang = omega.float() * shift
    for f in range(F):
        c, s = math.cos(ang[f]), math.sin(ang[f])
        rot[2 * f:2 * f + 2, 2 * f:2 * f + 2] = torch.tensor([[c, -s], [s, c]])
    pq, pk = torch.zeros(d, H), torch.zeros(d, H)
    pq[:2 * F] = u_pos.t()
    pk[:2 * F] = rot @ u_pos.t()   # k_j = rot z_j (z_j turned by +w*shift) -> z_i . rot z_j
    return pq, pk


# ----------------------------------------------------------------------------------------------- weights

def make_weights(cfg, vocab, seed, outlier_dims=0):
    """Returns (weights with internal names in generation order, head types [L][A], outlier dims)."""
    rnd = Init(seed)
    H, V, P = cfg["hidden_size"], cfg["vocab_size"], cfg["max_position_embeddings"]
    L, A, FF = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["intermediate_size"]
    d = H // A
    eps = cfg["layer_norm_eps"]
    n_feat = min(16, H // 48, d // 2) if H // 48 >= 4 else 0   # too few dims for them below H = 192
    w = {}
    cls_id, sep_id = special_id(vocab, SPECIAL["cls"], 101), special_id(vocab, SPECIAL["sep"], 102)
    mask_id = special_id(vocab, SPECIAL["mask"], 103)

    # --- embeddings
    clusters = rnd.normal(N_CLUSTERS, H)
    cluster_of = rnd.randint(0, N_CLUSTERS, V)
    # Per-dim scales are bert-base's; narrower models get them x sqrt(768 / H), so that embedding norms
    # (and with the tied decoder, MLM logit scales) do not shrink with the width.
    es = math.sqrt(768 / H)
    word = rnd.normal(V, H, std=0.04 * es) + 0.03 * es * clusters[cluster_of]
    word *= rnd.uniform(0.8, 1.2, V, 1)
    F = max(1, min(16, d // 2, H // 8))                        # frequencies; 2F position dims
    u_pos = rnd.orthonormal(H, 2 * F)                          # [H, 2F] position subspace
    # angular frequencies 3.1 .. 0.103 rad/token (periods ~2 .. 61), geometric: sum_f cos(w_f t) has its
    # highest side lobe (|t| <= 511) at about half the central peak, so positional heads can be sharp.
    omega = 3.1 * (1.0 / 30.0) ** (torch.arange(F, dtype=torch.float64) / max(1, F - 1))
    p = torch.arange(P, dtype=torch.float64)[:, None] * omega[None]            # [P, F]
    feats = torch.stack([torch.cos(p), torch.sin(p)], dim=-1).reshape(P, 2 * F).float()  # (cos, sin) pairs
    amp = 0.6 * 0.05 * es * math.sqrt(H / F)                       # position norm ~ 0.6 x word norm
    # The [MASK] flag: a direction (zero-mean, so LayerNorm keeps it) that only the [MASK] embedding has.
    u_mask = rnd.normal(H)
    u_mask -= u_mask.mean()
    u_mask = unit(u_mask - u_pos @ (u_pos.t() @ u_mask))
    # Word features: sparse, heavy-tailed loads (Bernoulli x exponential) along a few directions,
    # which content heads look up; they make a content head's best key stand out as in trained models.
    feat_dirs = torch.zeros(H, 0)
    if n_feat:
        feat_dirs = rnd.orthonormal(H, n_feat)
        feat_dirs -= u_pos @ (u_pos.t() @ feat_dirs) + torch.outer(u_mask, u_mask @ feat_dirs)
        feat_dirs, _ = torch.linalg.qr(feat_dirs)               # [H, K]
        loads = rnd.uniform(0, 1, V, n_feat)
        loads = torch.where(loads < FEAT_P, -torch.log(rnd.uniform(1e-6, 1, V, n_feat)), torch.zeros(V, n_feat))
        word += FEAT_SCALE * es * loads @ feat_dirs.t()
        feature_of = rnd.randint(0, n_feat, N_CLUSTERS)         # content heads: cluster c looks for feature_of[c]
    # The context subspace, where the first prev head writes the previous word's cluster (the cue of
    # the [MASK] bigram rule below); away from positions, the flag and (below) the segments.
    ctx_space = rnd.orthonormal(H, N_CLUSTERS)
    ctx_space -= u_pos @ (u_pos.t() @ ctx_space) + torch.outer(u_mask, u_mask @ ctx_space)
    ctx_space, _ = torch.linalg.qr(ctx_space)                   # [H, C]
    # Keep words out of the position subspace: otherwise q_i.k_i picks up |word_i|^2 there and the
    # positional heads drift towards attending to themselves. Likewise out of the [MASK] flag.
    word -= (word @ u_pos) @ u_pos.t()
    word -= torch.outer(word @ u_mask, u_mask)
    word[mask_id] = float(word.norm(dim=1).median()) * u_mask
    w["embeddings.word_embeddings.weight"] = word
    w["embeddings.position_embeddings.weight"] = amp * feats @ u_pos.t() + rnd.normal(P, H, std=0.005 * es)
    types = rnd.normal(cfg["type_vocab_size"], H, std=0.03 * es)
    types -= (types @ u_pos) @ u_pos.t()
    types -= torch.outer(types @ u_mask, u_mask)
    types -= (types @ ctx_space) @ ctx_space.t()
    w["embeddings.token_type_embeddings.weight"] = types
    w["embeddings.LayerNorm.weight"] = rnd.gamma(H)
    w["embeddings.LayerNorm.bias"] = rnd.normal(H, std=0.02)

    outliers = sorted(int(i) for i in torch.randperm(H, generator=rnd.g)[:outlier_dims]) if outlier_dims else []
    # Outlier dims ride on the LayerNorm *bias*: a large gamma would compound layer after layer
    # (each LN re-scales the previous outlier) until it swamps the variance; a bias stays put.
    outlier_sign = {o: (1.0 if o % 2 else -1.0) for o in outliers}

    def blind(m):
        """Zero the input columns of the outlier dims: every matrix reading the residual stream ignores
        them, so they only inflate LayerNorm statistics and int8 activation ranges (what they do to a
        quantised engine), instead of scrambling the model."""
        if outliers:
            m[..., outliers] = 0.0
        return m

    inner = [i for i in range(H) if i not in outliers]   # the dims that carry the model's content
    for o in outliers:
        w["embeddings.LayerNorm.bias"][o] = outlier_sign[o] * float(rnd.uniform(4, 6, 1))

    # Special-token and segment directions read by the sink and broad heads.
    def centred(v):
        return v - v.mean()
    c_dir, s_dir = centred(word[cls_id]), centred(word[sep_id])
    gram = torch.tensor([[c_dir @ c_dir, c_dir @ s_dir], [s_dir @ c_dir, s_dir @ s_dir]])
    seg_dir = unit(centred(types[1] - types[0])) if types.shape[0] > 1 else torch.zeros(H)
    type_basis, _ = torch.linalg.qr(torch.cat([types.t(), torch.ones(H, 1)], dim=1))

    def special_key(a_cls, a_sep):
        """Key direction k with k.[CLS] : k.[SEP] = a_cls : a_sep (embeddings, centred)."""
        coef = torch.linalg.solve(gram, torch.tensor([a_cls, a_sep]))
        k = coef[0] * c_dir + coef[1] * s_dir
        return k - type_basis @ (type_basis.t() @ k)   # blind to the segment: both [SEP]s answer alike

    # The bigram rule: [MASK] after a word of cluster c predicts successor[c], one of 64 frequent words.
    # The first prev head reads the previous word's cluster (matched filter per centroid) into ctx_space.
    lo_id = first_ordinary_id(vocab)
    words = [i for i, t in enumerate(vocab[:V]) if i >= lo_id and not t.startswith("##")
             and not (t.startswith("[") and t.endswith("]")) and t not in EXTRA_SPECIALS and len(t) > 1][:1000]
    norms = word.norm(dim=1)
    words = [i for i in words if norms[i] >= norms[words].median()]   # well-separated (frequent) words
    successor = torch.tensor(words)[torch.randperm(len(words), generator=rnd.g)[:N_CLUSTERS]]
    cent = clusters.t() - u_pos @ (u_pos.t() @ clusters.t())
    cent -= torch.outer(u_mask, u_mask @ cent)                  # [H, C]
    readout = blind(cent.t() / cent.norm(dim=0)[:, None])       # [C, H]: matched filter per centroid
    bigram = d >= N_CLUSTERS and FF >= 4 * N_CLUSTERS

    # --- calibration input, run through the layers as they are built
    ids, tt = calibration_input(vocab, seed + 7919)
    is_mask = ids == mask_id
    special_keys = {"cls": ids == cls_id, "sep": ids == sep_id}
    same_seg = tt[:, :, None] == tt[:, None, :]                 # [B, n(q), n(k)]
    cfg_obj = bert_ref.BertConfig.from_dict(cfg)
    mask = torch.zeros(ids.shape[0], 1, 1, ids.shape[1])
    act = bert_ref.ACTIVATIONS[cfg_obj.hidden_act]

    def partial_model(n_layers):
        c = bert_ref.BertConfig.from_dict({**cfg, "num_hidden_layers": n_layers})
        return bert_ref.BertReference(c, w)

    model_tt = tt if cfg["type_vocab_size"] > 1 else torch.zeros_like(tt)   # RoBERTa: one token type
    x = partial_model(0).embeddings(ids, model_tt)              # [B, n, H]

    def key_lift(x, cq, cqb, ck, ckb, keys):
        """Mean over rows of (mean score of the marked keys - row median)."""
        s = head_scores(x, cq, cqb, ck, ckb)
        med = s.median(dim=-1, keepdim=True).values
        k = keys[:, None, :].expand_as(s)
        return float(((s - med) * k).sum() / k.sum())

    def seg_lift(x, cq, cqb, ck, ckb):
        s = head_scores(x, cq, cqb, ck, ckb)
        return float(s[same_seg].mean() - s[~same_seg].mean())

    head_types = []
    for i in range(L):
        nm = bert_ref.layer_names(i)
        types_i = [HEAD_CYCLE[(i * A + h) % len(HEAD_CYCLE)] for h in range(A)]
        head_types.append(types_i)
        wq, bq = torch.zeros(H, H), torch.zeros(H)
        wk, bk = torch.zeros(H, H), torch.zeros(H)
        # segment feature (+ for type 1, - for type 0 after centring on this layer's input)
        seg_vec = blind(seg_dir.clone())
        proj = x @ seg_vec
        seg_b = round_sig(-0.5 * float(proj[tt == 0].mean() + proj[tt == 1].mean())) if (tt == 1).any() else 0.0

        def one_row(row, qv, qb, kv, kb):
            """A rank-1 component in its own row of the head (so it adds to the scores exactly)."""
            cq, cqb, ck, ckb = torch.zeros(d, H), torch.zeros(d), torch.zeros(d, H), torch.zeros(d)
            cq[row], cqb[row], ck[row], ckb[row] = qv, qb, kv, kb
            return cq, cqb, ck, ckb

        lift_word = round_sig(float((x @ readout.t()).gather(-1, cluster_of[ids][..., None])[~is_mask].mean()))
        for h, kind in enumerate(types_i):
            rows = slice(h * d, (h + 1) * d)
            # components: (q weight [d,H], q bias [d], k weight, k bias, lift function, relative strength)
            content = (rnd.normal(d, H, std=1 / math.sqrt(H)), rnd.normal(d, std=0.02),
                       rnd.normal(d, H, std=1 / math.sqrt(H)), rnd.normal(d, std=0.02))
            segment = (*one_row(d - 2, seg_vec, seg_b, seg_vec, seg_b), seg_lift)
            extra = []   # components added after the sharpness scaling, in absolute logits
            feeds_gate = bigram and i == 0 and h == types_i.index("prev") if "prev" in types_i else False
            if kind in POSITIONAL_SHIFT:
                pq, pk = positional_qk(u_pos, omega, d, H, POSITIONAL_SHIFT[kind])
                comps = [(pq, torch.zeros(d), pk, torch.zeros(d), score_gap, 1.0),
                         (*content, score_gap, 0.0 if feeds_gate else 0.15)]
            elif kind == "sink":
                # every query asks the same thing (query bias); [CLS] or [SEP] (per head) answers loudest,
                # the other special token less; keys of the query's own segment get a little more
                prefer_cls = bool(rnd.uniform(0, 1, 1) < 0.5)
                other = float(rnd.uniform(0.3, 0.6, 1))
                top = special_keys["cls" if prefer_cls else "sep"]
                sk = special_key(1.0, other) if prefer_cls else special_key(other, 1.0)
                for t in content:
                    t[d - 2:] = 0.0
                comps = [(*one_row(d - 1, torch.zeros(H), 1.0, sk, 0.0), lambda *a: key_lift(*a, top), 1.0),
                         (*segment, SINK_SEG), (*content, score_gap, 0.3)]
            elif kind == "broad":
                # "block" pattern: broad over the query's own segment, with a bump on that segment's [SEP]
                for t in content:
                    t[d - 2:] = 0.0
                comps = [(*content, score_gap, 1.0)]
                sep_bump = one_row(d - 1, torch.zeros(H), 1.0, special_key(0.0, 1.0), 0.0)
                extra = [(*sep_bump, lambda *a: key_lift(*a, special_keys["sep"]), float(rnd.uniform(*BROAD_SEP, 1))),
                         (*segment, float(rnd.uniform(*BROAD_SEG, 1)))]
            elif n_feat:
                # token content: keys are looked up by their word features (heavy-tailed over keys), all
                # a little and the one the query word's cluster picks more, plus a random part
                perm = torch.randperm(n_feat, generator=rnd.g)
                fq, fqb, fk = torch.zeros(d, H), torch.zeros(d), torch.zeros(d, H)
                for k in range(n_feat):
                    fq[k] = readout[feature_of == perm[k]].sum(0) / lift_word
                    fk[k] = feat_dirs[:, k]
                fqb[:n_feat] = FEAT_BASE
                for t in content:
                    t[:n_feat] = 0.0   # the random part in the other rows, so it cannot flip a lookup's sign
                comps = [(fq, fqb, fk, torch.zeros(d), score_gap, 1.0), (*content, score_gap, CONTENT_RANDOM)]
            else:
                comps = [(*content, score_gap, 1.0)]   # token content: random q, k
            hq, hqb, hk, hkb = torch.zeros(d, H), torch.zeros(d), torch.zeros(d, H), torch.zeros(d)
            for cq, cqb, ck, ckb, lift, strength in comps:
                cq, ck = blind(cq.clone()), blind(ck.clone())
                g = lift(x, cq, cqb, ck, ckb)
                a = math.sqrt(strength / max(g, 1e-6))
                hq, hqb, hk, hkb = hq + a * cq, hqb + a * cqb, hk + a * ck, hkb + a * ckb
            lo, hi = TARGET_GAP["gate" if feeds_gate else "broad" if kind == "broad" else
                                "positional" if kind in POSITIONAL_SHIFT else "other"]
            target = float(rnd.uniform(lo, hi, 1))
            a = round_sig(math.sqrt(target / max(score_gap(x, hq, hqb, hk, hkb), 1e-6)))
            hq, hqb, hk, hkb = a * hq, a * hqb, a * hk, a * hkb
            # extras (each in its own row of the head), in absolute logits
            for cq, cqb, ck, ckb, lift, logits in extra:
                cq, ck = blind(cq.clone()), blind(ck.clone())
                a = round_sig(math.sqrt(logits / max(lift(x, cq, cqb, ck, ckb), 1e-6)))
                hq, hqb, hk, hkb = hq + a * cq, hqb + a * cqb, hk + a * ck, hkb + a * ckb
            wq[rows], bq[rows], wk[rows], bk[rows] = hq, hqb, hk, hkb
        w[nm["q_w"]], w[nm["q_b"]], w[nm["k_w"]], w[nm["k_b"]] = wq, bq, wk, bk
        w[nm["v_w"]] = blind(rnd.normal(H, H, std=1 / math.sqrt(H)))
        w[nm["v_b"]] = rnd.normal(H, std=0.02)
        w[nm["o_w"]] = rnd.normal(H, H, std=1 / math.sqrt(H))
        w[nm["o_b"]] = rnd.normal(H, std=0.02)
        gate = bigram and i == 0 and "prev" in types_i
        if gate:
            # the prev head's value is the previous word's cluster, written into the context subspace,
            # which the layer's other heads leave alone
            h = types_i.index("prev")
            rows = slice(h * d, (h + 1) * d)
            v_rows = torch.zeros(d, H)
            v_rows[:N_CLUSTERS] = readout
            own = (x @ v_rows.t()).gather(-1, cluster_of[ids][..., None])[..., 0]
            lift = round_sig(float(own[~is_mask].mean()))
            # a [MASK] before a [MASK] reads as a word of its own cluster
            flag_lift = round_sig(lift / float((x @ u_mask)[is_mask].mean()))
            v_rows[int(cluster_of[mask_id])] += flag_lift * blind(u_mask.clone())
            w[nm["v_w"]][rows] = v_rows * (3.0 / lift)
            w[nm["v_b"]][rows] = 0.0
            w[nm["o_w"]] -= ctx_space @ (ctx_space.t() @ w[nm["o_w"]])
            w[nm["o_b"]] -= ctx_space @ (ctx_space.t() @ w[nm["o_b"]])
            w[nm["o_w"]][:, rows] = 0.0
            w[nm["o_w"]][:, h * d:h * d + N_CLUSTERS] = ctx_space
        w[nm["ln1_g"]], w[nm["ln1_b"]] = rnd.gamma(H), rnd.normal(H, std=0.02)
        w[nm["ff1_w"]] = blind(rnd.normal(FF, H, std=1 / math.sqrt(H)))
        w[nm["ff1_b"]] = rnd.normal(FF, std=0.05, mean=-0.05)
        # FF-out partly the transpose of FF-in: act(x W1^T) W1 leans along +x, so the feed-forward
        # reinforces the token's identity instead of only adding noise (as trained BERTs keep it).
        w[nm["ff2_w"]] = (FF_SELF * w[nm["ff1_w"]].t() * math.sqrt(H / FF)
                          + math.sqrt(1 - FF_SELF ** 2) * rnd.normal(H, FF, std=1 / math.sqrt(FF)))
        w[nm["ff2_b"]] = rnd.normal(H, std=0.02)
        w[nm["ln2_g"]], w[nm["ln2_b"]] = rnd.gamma(H), rnd.normal(H, std=0.02)
        for o in outliers:
            w[nm["ln1_b"]][o] = outlier_sign[o] * float(rnd.uniform(4, 6, 1))
            w[nm["ln2_b"]][o] = outlier_sign[o] * float(rnd.uniform(4, 6, 1))
        rho_attn, rho_ff = float(rnd.uniform(*RHO, 1)), float(rnd.uniform(*RHO, 1))

        # Scale the attention output so it adds rho_attn x the residual's RMS ...
        ref = partial_model(i + 1)
        context = ref.self_attention(i, x, mask)[0]
        s = round_sig(rho_attn * rms(x[..., inner]) / rms(bert_ref.linear(context, w[nm["o_w"]], w[nm["o_b"]])))
        w[nm["o_w"]] *= s
        w[nm["o_b"]] *= s
        a_out = bert_ref.layer_norm(x + bert_ref.linear(context, w[nm["o_w"]], w[nm["o_b"]]),
                                    w[nm["ln1_g"]], w[nm["ln1_b"]], eps)
        reps = max(1, FF // 768)
        gn = slice(0, reps * N_CLUSTERS)
        if gate:
            # Gate neurons (a key-value memory): for cluster j, act(G (c_j - lo) + beta (f - f_mask)), with
            # f = the [MASK] flag and c_j = cluster j of the previous word (~1 when present). Far below zero
            # unless the flag is up and the cluster present, so only [MASK] positions write the successor
            # word of the previous word's cluster into the residual stream. Each memory is spread over
            # `reps` neurons, so its output weights stay near the size of the layer's other ones.
            flag = a_out @ blind(u_mask.clone())
            f_m, f_o = round_sig(float(flag[is_mask].mean())), round_sig(float(flag[~is_mask].mean()))
            ctx = a_out @ blind(ctx_space.t().clone()).t()              # [B, n, C]
            prev_cl = torch.cat([cluster_of[ids[:, :1]], cluster_of[ids[:, :-1]]], dim=1)
            hit = torch.zeros_like(ctx, dtype=torch.bool).scatter_(-1, prev_cl[..., None], True)
            sig = round_sig(float(ctx[is_mask][hit[is_mask]].median()))
            ctx = ctx / sig
            lo = round_sig(float(torch.quantile(ctx[is_mask][~hit[is_mask]], 0.995)))
            w[nm["ff2_w"]][:, gn] = 0.0                                 # silent while the rest is scaled
        # ... and the feed-forward likewise.
        f_out = bert_ref.linear(act(bert_ref.linear(a_out, w[nm["ff1_w"]], w[nm["ff1_b"]])),
                                w[nm["ff2_w"]], w[nm["ff2_b"]])
        s = round_sig(rho_ff * rms(a_out[..., inner]) / rms(f_out))
        w[nm["ff2_w"]] *= s
        w[nm["ff2_b"]] *= s
        if gate:
            # values: the successor word's direction, minus some of the flag (the word replaces [MASK]),
            # scaled so their largest entries are GATE_W x those of the layer's other output weights
            succ = torch.stack([unit(centred(word[t])) for t in successor.tolist()], dim=1)   # [H, C]
            cols = succ - FLAG_ERASE * u_mask[:, None]
            others = w[nm["ff2_w"]][:, gn.stop:].abs().max(dim=1).values.mean()
            s = round_sig(GATE_W * float(others / cols.abs().max(dim=1).values.mean()))

            def set_gate(on):
                """on = activation of a memory's neurons at c = 1."""
                G = on / (1.0 - lo)
                beta = round_sig((GATE_OFF + G * (float(ctx[~is_mask].max()) - lo)) / (f_m - f_o))
                # ... and minus the context cue itself (what the prev head wrote, ~sig along ctx_space[:, j])
                vals = (cols - (sig / (reps * s * on)) * ctx_space).repeat(1, reps)
                w[nm["ff1_w"]][gn] = blind(beta * u_mask[None] + (G / sig) * ctx_space.t()).repeat(reps, 1)
                w[nm["ff1_b"]][gn] = -beta * f_m - G * lo
                w[nm["ff2_w"]][:, gn] = s * vals

            def word_share(y, t, where):
                """Mean cosine of the (centred) hidden states y at `where` with the embeddings of words t."""
                yc = y - y.mean(-1, keepdim=True)
                e = word[t] - word[t].mean(-1, keepdim=True)
                return float(torch.nn.functional.cosine_similarity(yc, e, dim=-1)[where].mean())

            # Strength: a [MASK] leaves the layer looking like its predicted word about as much as an
            # ordinary position looks like its own word (matched by a one-step correction).
            ordinary = ~is_mask & (ids >= first_ordinary_id(vocab))
            on = float(a_out[is_mask].norm(dim=-1).mean()) / (reps * s)     # output ~ |residual|
            set_gate(on)
            y = partial_model(i + 1).layer(i, x, mask)[0]
            c_self, c_mask = word_share(y, ids, ordinary), word_share(y, successor[prev_cl], is_mask)
            odds = lambda c: c / math.sqrt(max(1.0 - c * c, 1e-6))
            on = round_sig(on * odds(min(0.95, c_self * GATE_MATCH)) / odds(min(0.95, max(c_mask, 0.05))))
            set_gate(on)
        x = partial_model(i + 1).layer(i, x, mask)[0]

    # --- heads (drawn after the encoder, so every head variant shares identical encoder weights)
    w["pooler.dense.weight"] = blind(rnd.normal(H, H, std=1 / math.sqrt(H)))
    w["pooler.dense.bias"] = rnd.normal(H, std=0.02)
    # Transform ~ identity minus the position subspace and the [MASK] flag, with a +1 bias so the
    # activation acts nearly linearly: each position then predicts the word its hidden state carries
    # (its own input token; at [MASK], the bigram successor of the previous word).
    w["cls.predictions.transform.dense.weight"] = blind(torch.eye(H) - u_pos @ u_pos.t() - torch.outer(u_mask, u_mask)
                                                         - feat_dirs @ feat_dirs.t()
                                                         + rnd.normal(H, H, std=0.3 / math.sqrt(H)))
    w["cls.predictions.transform.dense.bias"] = 1.0 + rnd.normal(H, std=0.02)
    w["cls.predictions.transform.LayerNorm.weight"] = rnd.gamma(H)
    w["cls.predictions.transform.LayerNorm.bias"] = rnd.normal(H, std=0.02)
    bias = rnd.normal(V, std=0.1)
    for t, tok in enumerate(vocab[:V]):
        if tok.startswith("[unused"):
            bias[t] -= 2.0
    w["cls.predictions.bias"] = bias
    w["cls.seq_relationship.weight"] = rnd.normal(2, H, std=0.02)
    w["cls.seq_relationship.bias"] = rnd.normal(2, std=0.02)
    return {k: v.contiguous() for k, v in w.items()}, head_types, outliers


def select_for_head(w, head):
    """Internal names kept by each HF class: BertModel has a pooler; BertForMaskedLM has no pooler
    (add_pooling_layer=False) but the MLM head; BertForPreTraining has pooler + MLM + NSP."""
    def keep(name):
        if name.startswith("pooler."):
            return head in ("base", "pretraining")
        if name.startswith("cls.predictions."):
            return head in ("masked_lm", "pretraining")
        if name.startswith("cls.seq_relationship."):
            return head == "pretraining"
        return True
    return {k: v for k, v in w.items() if keep(k)}


def hf_names(w, head, prefix, write_tied):
    """Internal -> file names. HF's safetensors writer drops the tied duplicates
    (cls.predictions.decoder.weight == word embeddings, cls.predictions.decoder.bias == cls.predictions.bias);
    --write-tied stores them anyway, as .bin conversions do."""
    out = {}
    for k, v in w.items():
        out[k if k.startswith("cls.") else prefix + k] = v
    if write_tied and head in ("masked_lm", "pretraining"):
        out["cls.predictions.decoder.weight"] = w["embeddings.word_embeddings.weight"]
        out["cls.predictions.decoder.bias"] = w["cls.predictions.bias"]
    return dict(sorted(out.items()))   # name order, as the safetensors library writes them


def distilbert_config(cfg):
    """The DistilBERT config.json of the generator's BERT config: DistilBertConfig's keys and defaults. DistilBERT's
    LayerNorm eps is 1e-12, not a setting, as in the bert-base-uncased config the shapes come from. "architectures" is
    filled in by write_checkpoint (listed here for the keys' order)."""
    if cfg["layer_norm_eps"] != 1e-12:
        raise SystemExit(f"DistilBERT's layer norms have eps 1e-12, not {cfg['layer_norm_eps']}")
    return {"activation": cfg["hidden_act"], "architectures": None, "attention_dropout": 0.1, "dim": cfg["hidden_size"],
            "dropout": 0.1, "hidden_dim": cfg["intermediate_size"], "initializer_range": 0.02,
            "max_position_embeddings": cfg["max_position_embeddings"], "model_type": "distilbert",
            "n_heads": cfg["num_attention_heads"], "n_layers": cfg["num_hidden_layers"],
            "pad_token_id": cfg["pad_token_id"], "qa_dropout": 0.1, "seq_classif_dropout": 0.2,
            "sinusoidal_pos_embds": False, "tie_weights_": True, "vocab_size": cfg["vocab_size"]}


def distilbert_names(w, head, prefix, write_tied):
    """Internal (BERT) -> DistilBERT file names, for DistilBertForMaskedLM (masked_lm) or DistilBertModel (base).
    No token types: position row p becomes position[p] + token_type[0]. No pooler, no NSP head. The MLM head is never
    prefixed; vocab_projector.weight is the tied word embeddings, stored only with --write-tied."""
    out = {}
    for k, v in select_for_head(w, head).items():
        if k == "embeddings.token_type_embeddings.weight" or k.startswith(("pooler.", "cls.seq_relationship.")):
            continue
        if k == "embeddings.position_embeddings.weight":
            v = v + w["embeddings.token_type_embeddings.weight"][0]
        if k.startswith("embeddings."):
            out[prefix + k] = v
        elif k.startswith("encoder.layer."):
            layer, rest = k[len("encoder.layer."):].split(".", 1)
            tail = next(b for b in DISTILBERT_LAYER_NAMES if rest.startswith(b))
            out[f"{prefix}transformer.layer.{layer}.{DISTILBERT_LAYER_NAMES[tail]}{rest[len(tail):]}"] = v
        else:
            tail = next(b for b in DISTILBERT_HEAD_NAMES if k.startswith(b))
            out[DISTILBERT_HEAD_NAMES[tail] + k[len(tail):]] = v
    if write_tied and head == "masked_lm":
        out["vocab_projector.weight"] = w["embeddings.word_embeddings.weight"]
    return dict(sorted(out.items()))   # name order, as the safetensors library writes them


def roberta_names(w, head, prefix, write_tied):
    """Internal -> RobertaForMaskedLM / RobertaModel names: the encoder under "roberta." (none in RobertaModel), the MLM
    head as lm_head.dense / lm_head.layer_norm / lm_head.bias; the tied lm_head.decoder.{weight,bias} only with
    --write-tied."""
    head_names = {"cls.predictions.transform.dense.": "lm_head.dense.",
                  "cls.predictions.transform.LayerNorm.": "lm_head.layer_norm.", "cls.predictions.bias": "lm_head.bias"}
    out = {}
    for k, v in w.items():
        name = prefix + k
        for old, new in head_names.items():
            if k.startswith(old):
                name = new + k[len(old):]
        out[name] = v
    if write_tied and head == "masked_lm":
        out["lm_head.decoder.weight"] = w["embeddings.word_embeddings.weight"]
        out["lm_head.decoder.bias"] = w["cls.predictions.bias"]
    return dict(sorted(out.items()))


def write_checkpoint(out_dir, cfg, vocab_path, tensors, architecture, metadata):
    os.makedirs(out_dir, exist_ok=True)
    cfg = dict(cfg)
    roberta = cfg.get("model_type") == "roberta"
    cfg["architectures"] = [architecture]
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    if roberta:
        for name in BPE_FILES:
            shutil.copyfile(os.path.join(os.path.dirname(vocab_path), name), os.path.join(out_dir, name))
    else:
        shutil.copyfile(vocab_path, os.path.join(out_dir, "vocab.txt"))
        with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
            json.dump({"do_lower_case": True}, f, indent=2)
            f.write("\n")
    specs = [(name, "F32", t.shape) for name, t in tensors.items()]
    with safetensors_io.SafetensorsWriter(os.path.join(out_dir, "model.safetensors"), specs, metadata) as wr:
        for name, t in tensors.items():
            wr.write(name, t)


# ----------------------------------------------------------------------------------------------- stats

def summary_input(vocab, seed, n):
    ids, tt = calibration_input(vocab, seed, n=n, batch=1)
    return ids[0], tt[0]


def attention_stats(model, ids, tt, mask_id):
    """Per-head mean row entropy (nats) on one input, and MLM top-1 vs top-2 gaps."""
    out = model.forward(ids, tt)
    p = out["attentions"].double()                                  # [L, A, n, n]
    ent = -(p * torch.log(p.clamp_min(1e-30))).sum(-1).mean(-1)     # [L, A]
    top2p = p.topk(min(2, p.shape[-1]), dim=-1).values
    stats = {"n": ids.shape[0], "ln_n": math.log(ids.shape[0]), "head_entropy": ent,
             "max_prob": p.max(-1).values.mean(-1),
             "near_tie": float((top2p[..., 0] - top2p[..., -1] < 0.01).double().mean())}
    if "mlm_logits" in out:
        top2 = out["mlm_logits"].topk(2, dim=-1)
        gap = top2.values[:, 0] - top2.values[:, 1]
        masked = ids == mask_id
        stats.update(gap=gap[~masked], self_pred=float((top2.indices[:, 0] == ids)[~masked].double().mean()),
                     mask_gap=gap[masked], mask_pred=top2.indices[masked, 0])
    return stats


def print_stats(s, head_types, out=print):
    ent, ln_n = s["head_entropy"], s["ln_n"]
    out(f"attention entropy on a random input, n={s['n']} (uniform = ln n = {ln_n:.3f}):")
    for i in range(ent.shape[0]):
        cells = "  ".join(f"{t[:5]:>5s} {e:.2f}" for t, e in zip(head_types[i], ent[i].tolist()))
        out(f"  layer {i:2d}: mean {float(ent[i].mean()):.2f}  max-p {float(s['max_prob'][i].mean()):.2f} | {cells}")
    frac = float((ent < 0.5 * ln_n).double().mean())
    out(f"  all heads: mean {float(ent.mean()):.3f} = {float(ent.mean()) / ln_n:.2f} ln n; "
        f"min {float(ent.min()):.2f}, max {float(ent.max()):.2f}; {frac:.0%} of heads below 0.5 ln n; "
        f"rows with top-2 probabilities within 0.01: {s['near_tie']:.1%}")
    if "gap" in s:
        for what, g in (("unmasked", s["gap"]), ("[MASK]", s["mask_gap"])):
            if g.numel():
                out(f"MLM top1-top2 logit gap at {what} positions: mean {float(g.mean()):.3f}, "
                    f"median {float(g.median()):.3f}, min {float(g.min()):.4f}; "
                    f"gap > 0.1: {float((g > 0.1).double().mean()):.0%}")
        out(f"  top-1 = input token at {s['self_pred']:.0%} of unmasked positions; "
            f"{len(set(s['mask_pred'].tolist()))} distinct predictions at {s['mask_pred'].numel()} [MASK] positions")


# ----------------------------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--arch", choices=["bert", "distilbert", "roberta"], default="bert",
                    help="the checkpoint's layout: BERT's, DistilBERT's (the same weights, no token types) or RoBERTa's")
    ap.add_argument("--vocab", default=None, help="vocab.txt (bert, distilbert; default bert-base-uncased's) or vocab.json "
                    "beside tokenizer.json, merges.txt, tokenizer_config.json (roberta; default tests/fixtures/tokenizer/bpe)")
    ap.add_argument("--head", choices=sorted(ARCHITECTURES), default="masked_lm")
    pg = ap.add_mutually_exclusive_group()
    pg.add_argument("--no-prefix", action="store_true", help="no 'bert.' ('distilbert.', 'roberta.') on encoder tensor names")
    pg.add_argument("--prefix", action="store_true", help="force 'bert.' ('distilbert.', 'roberta.') (default: HF's choice "
                    "per head: prefixed for masked_lm/pretraining, none for base)")
    ap.add_argument("--write-tied", action="store_true",
                    help="also store cls.predictions.decoder.{weight,bias} (HF's safetensors omit them)")
    ap.add_argument("--outlier-dims", type=int, default=0)
    ap.add_argument("--hidden-act", default=None, help="override config hidden_act (e.g. gelu_new, relu)")
    ap.add_argument("--stats-n", type=int, default=128)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    log = (lambda *a, **k: None) if args.quiet else print
    distil = args.arch == "distilbert"
    if distil and args.head not in DISTILBERT_ARCHITECTURES:
        ap.error("DistilBERT has no pre-training (NSP) head: --head masked_lm (DistilBertForMaskedLM) or base "
                 "(DistilBertModel)")

    roberta = args.arch == "roberta"
    if roberta and args.head == "pretraining":
        raise SystemExit("--arch roberta: --head masked_lm (RobertaForMaskedLM) or base (RobertaModel)")
    # (set on every call: main may run several times in one process, as selfcheck.py does)
    SPECIAL.update(dict(cls="<s>", sep="</s>", mask="<mask>") if roberta else dict(cls="[CLS]", sep="[SEP]", mask="[MASK]"))
    EXTRA_SPECIALS.clear()
    if roberta:
        EXTRA_SPECIALS.update({"<s>", "<pad>", "</s>", "<unk>", "<mask>"})
    if args.vocab is None:
        args.vocab = os.path.join(BPE_TOKENIZER, "vocab.json") if roberta else os.path.join(BERT_BASE_UNCASED, "vocab.txt")

    t0 = time.time()
    vocab = read_vocab(args.vocab)
    cfg = build_config(args.shape, len(vocab), args.hidden_act)
    if roberta:
        cfg = roberta_config(cfg)
    stem = {"bert": "bert.", "distilbert": "distilbert.", "roberta": "roberta."}[args.arch]
    prefix = "" if args.no_prefix else stem if (args.prefix or args.head != "base") else ""

    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # calibration must not depend on the thread count
    w, head_types, outliers = make_weights(cfg, vocab, args.seed, args.outlier_dims)
    torch.set_num_threads(min(2, threads))
    t1 = time.time()

    if distil:
        tensors = distilbert_names(w, args.head, prefix, args.write_tied)
        file_cfg, architecture = distilbert_config(cfg), DISTILBERT_ARCHITECTURES[args.head]
    else:
        tensors = (roberta_names if roberta else hf_names)(select_for_head(w, args.head), args.head, prefix, args.write_tied)
        file_cfg, architecture = cfg, (ROBERTA_ARCHITECTURES if roberta else ARCHITECTURES)[args.head]
    meta = {"format": "pt", "headlight_generator": "tools/reference/make_checkpoint.py",
            "seed": str(args.seed), "shape": args.shape,
            "head_types": json.dumps(head_types), "outlier_dims": json.dumps(outliers)}
    write_checkpoint(args.out, file_cfg, args.vocab, tensors, architecture, meta)
    t2 = time.time()
    size = os.path.getsize(os.path.join(args.out, "model.safetensors"))
    log(f"wrote {args.out}: {len(tensors)} tensors, {size / 1e6:.1f} MB "
        f"(init {t1 - t0:.1f} s, write {t2 - t1:.1f} s)")

    if not args.quiet:
        stats_cfg = {**cfg}
        model = bert_ref.BertReference(bert_ref.BertConfig.from_dict(stats_cfg),
                                       select_for_head(w, "pretraining"))
        ids, tt = summary_input(vocab, args.seed + 104729, min(args.stats_n, cfg["max_position_embeddings"] - (2 if roberta else 0)))
        if distil:   # the written checkpoint itself, through the DistilBERT reference: no token types
            model = bert_ref.DistilBertReference(bert_ref.DistilBertConfig.from_dict(file_cfg),
                                                 bert_ref.normalize_distilbert_names(tensors))
            tt = torch.zeros_like(tt)
        if cfg["type_vocab_size"] == 1:
            tt = torch.zeros_like(tt)
        print_stats(attention_stats(model, ids, tt, special_id(vocab, SPECIAL["mask"], 103)), head_types, log)
        log(f"stats {time.time() - t2:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
