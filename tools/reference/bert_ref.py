# Independent from-scratch PyTorch reference of Hugging Face BERT (BertModel / BertForMaskedLM / BertForPreTraining),
# DistilBERT (DistilBertModel / DistilBertForMaskedLM) and RoBERTa (RobertaModel / RobertaForMaskedLM), eval mode.
"""
Written from the semantics of transformers' modeling_bert.py (eager attention, no dropout at eval):

  embeddings  E = LayerNorm(word[ids] + position[0..n-1] + token_type[tt])          [n, H]
  per layer   q, k, v = x Wq^T + bq, x Wk^T + bk, x Wv^T + bv, split in A heads       [A, n, d], d = H / A
              P = softmax(q k^T / sqrt(d) + mask)                                     [A, n, n]
              a = LayerNorm(x + (P v merged) Wo^T + bo)                               (post-LN, "add & norm")
              x = LayerNorm(a + act(a W1^T + b1) W2^T + b2)
  pooler      tanh(x[0] Wp^T + bp)                                                    (BertModel, BertForPreTraining)
  MLM head    LayerNorm(act(x Wt^T + bt)) E_word^T + bias                             [n, vocab] (decoder tied to E_word)
  NSP head    pooled Ws^T + bs                                                        [2]

mask: HF's "extended attention mask" adds (1 - attention_mask) * finfo(dtype).min to the scores of padded keys.

DistilBERT (DistilBertReference), from transformers' modeling_distilbert.py: the same post-LN layer without token types,
under its own config keys (n_layers, dim, n_heads, hidden_dim, activation; every LayerNorm eps 1e-12) and names:

  embeddings  E = LayerNorm(word[ids] + position[0..n-1])                              (no token_type_ids)
  per layer   q = (x Wq^T + bq) / sqrt(d), k, v as above (q_lin, k_lin, v_lin)        q scaled before the matmul
              P = softmax(masked_fill(q k^T, attention_mask == 0, finfo(dtype).min))
              a = sa_layer_norm((P v merged) Wo^T + bo + x)                           (out_lin)
              x = output_layer_norm(lin2(act(lin1(a))) + a)                           (ffn.lin1, ffn.lin2)
  MLM head    vocab_layer_norm(act(x Wt^T + bt)) Wp^T + bp                            (vocab_transform, vocab_projector;
                                                                                       Wp tied to word embeddings)
DistilBertModel saves embeddings.* and transformer.layer.{i}.*; DistilBertForMaskedLM puts "distilbert." before them
and adds vocab_transform.*, vocab_layer_norm.*, vocab_projector.* (no pooler, no NSP head).

RoBERTa (config model_type "roberta"; modeling_roberta.py) is BERT's encoder with three differences read here:
  positions   create_position_ids_from_input_ids: a non-pad token's position is padding_idx + (number of non-pad
              tokens up to and including it), i.e. padding_idx + 1 + i without padding; a pad token gets padding_idx
              (padding_idx = pad_token_id, 1 in roberta-base, so positions start at 2)
  names       "roberta." prefix (none in RobertaModel); LM head lm_head.dense / lm_head.layer_norm / lm_head.decoder
              (+ lm_head.bias, which lm_head.decoder.bias repeats), mapped onto the cls.predictions.* names below
  LM head     RobertaLMHead: layer_norm(gelu(x Wd^T + bd)) Wdec^T + bias with the exact (erf) GELU whatever hidden_act
              says (BERT's transform uses hidden_act)

Nothing here uses torch.nn modules or torch's own layer_norm / attention kernels: the point is to be an
independent check for both the C++ engine and (in selfcheck.py) for torch's built-in transformer layers.
All maths runs in the dtype of the loaded weights (float32 by default; load with dtype=torch.float64 as a check).
"""
import json
import math
import os
import sys
from dataclasses import dataclass, field

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


# ----------------------------------------------------------------------------------------------- config

@dataclass
class BertConfig:
    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    position_embedding_type: str = "absolute"
    model_type: str = "bert"
    extra: dict = field(default_factory=dict)  # every other config.json field, kept verbatim

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    @property
    def is_roberta(self):
        return self.model_type == "roberta"

    @classmethod
    def from_dict(cls, d):
        known = {k for k in cls.__dataclass_fields__ if k != "extra"}
        cfg = cls(**{k: v for k, v in d.items() if k in known})
        cfg.extra = {k: v for k, v in d.items() if k not in known}
        if cfg.hidden_size % cfg.num_attention_heads:
            raise ValueError("hidden_size must be divisible by num_attention_heads")
        if cfg.position_embedding_type != "absolute":
            raise NotImplementedError(f"position_embedding_type={cfg.position_embedding_type!r} (only 'absolute')")
        if cfg.model_type not in ("bert", "roberta"):
            raise NotImplementedError(f"model_type={cfg.model_type!r} (bert, roberta)")
        if cfg.hidden_act not in ACTIVATIONS:
            raise NotImplementedError(f"hidden_act={cfg.hidden_act!r}; supported: {sorted(ACTIVATIONS)}")
        return cfg

    @classmethod
    def from_json(cls, path):
        with open(path) as f:
            return cls.from_dict(json.load(f))

    def summary(self):
        """The shape, for run_reference's metadata."""
        return {"hidden_size": self.hidden_size, "num_hidden_layers": self.num_hidden_layers,
                "num_attention_heads": self.num_attention_heads, "vocab_size": self.vocab_size,
                "intermediate_size": self.intermediate_size, "hidden_act": self.hidden_act,
                **({"model_type": "roberta", "pad_token_id": self.pad_token_id} if self.is_roberta else {})}


# ----------------------------------------------------------------------------------------------- primitives

def gelu_erf(x):
    """HF "gelu": exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    """HF "gelu_new" / "gelu_pytorch_tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


ACTIVATIONS = {
    "gelu": gelu_erf,
    "gelu_new": gelu_tanh,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_fast": lambda x: 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x))),
    "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
    "relu": lambda x: torch.clamp(x, min=0),
    "silu": lambda x: x * torch.sigmoid(x),
    "swish": lambda x: x * torch.sigmoid(x),
    "tanh": torch.tanh,
}


def linear(x, w, b):
    """x [..., in] , w [out, in] (torch/HF layout), b [out] -> [..., out]."""
    return torch.matmul(x, w.t()) + b


def layer_norm(x, gamma, beta, eps):
    """Normalise over the last (hidden) axis with the biased variance, as torch.nn.LayerNorm does."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta


def softmax(scores):
    """Numerically stable softmax over the last axis (keys)."""
    z = scores - scores.max(dim=-1, keepdim=True).values
    e = torch.exp(z)
    return e / e.sum(dim=-1, keepdim=True)


# ----------------------------------------------------------------------------------------------- checkpoint

# Names inside the model, without the "bert." prefix (heads keep their "cls." names).
def value_norms(probs, v, o_w):
    """Kobayashi et al. (2020), "Attention is not only a weight": probs [B, A, n, n], v [B, A, n, d] (after bias), o_w
    [H, A*d] (out, in) -> (norms [B, A, n] = ||f^h(x_j)||, summed [B, n, n] = ||sum_h probs^h_ij f^h(x_j)||), with
    f^h(x_j) = v^h_j W_O^h: token j's value in head h through the head's columns of the output projection."""
    A, d = v.shape[1], v.shape[3]
    w = o_w.view(o_w.shape[0], A, d).permute(1, 2, 0)           # [A, d, H]
    f = torch.einsum("band,adh->banh", v, w)                    # [B, A, n, H]
    return f.norm(dim=-1), torch.einsum("baij,bajh->bijh", probs, f).norm(dim=-1)


def layer_names(i):
    p = f"encoder.layer.{i}."
    return {
        "q_w": p + "attention.self.query.weight", "q_b": p + "attention.self.query.bias",
        "k_w": p + "attention.self.key.weight", "k_b": p + "attention.self.key.bias",
        "v_w": p + "attention.self.value.weight", "v_b": p + "attention.self.value.bias",
        "o_w": p + "attention.output.dense.weight", "o_b": p + "attention.output.dense.bias",
        "ln1_g": p + "attention.output.LayerNorm.weight", "ln1_b": p + "attention.output.LayerNorm.bias",
        "ff1_w": p + "intermediate.dense.weight", "ff1_b": p + "intermediate.dense.bias",
        "ff2_w": p + "output.dense.weight", "ff2_b": p + "output.dense.bias",
        "ln2_g": p + "output.LayerNorm.weight", "ln2_b": p + "output.LayerNorm.bias",
    }


EMBEDDING_NAMES = [
    "embeddings.word_embeddings.weight",        # [vocab, H]
    "embeddings.position_embeddings.weight",    # [max_pos, H]
    "embeddings.token_type_embeddings.weight",  # [type_vocab, H]
    "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
]
POOLER_NAMES = ["pooler.dense.weight", "pooler.dense.bias"]
MLM_NAMES = [
    "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
    "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
    "cls.predictions.bias",                     # [vocab]; HF ties cls.predictions.decoder.bias to it
]
NSP_NAMES = ["cls.seq_relationship.weight", "cls.seq_relationship.bias"]
IGNORED = {"embeddings.position_ids", "embeddings.token_type_ids"}  # buffers some versions saved; no weights


def normalize_names(state):
    """Map the checkpoint's names onto the internal ones: drop a leading "bert." (BertFor* checkpoints),
    rename TF-era LayerNorm.gamma/beta to weight/bias. Works for BertModel (no prefix) too."""
    out = {}
    for name, t in state.items():
        n = name[len("bert."):] if name.startswith("bert.") else name
        if n.endswith("LayerNorm.gamma"):
            n = n[: -len("gamma")] + "weight"
        elif n.endswith("LayerNorm.beta"):
            n = n[: -len("beta")] + "bias"
        if n in IGNORED:
            continue
        if n in out:
            raise ValueError(f"tensor {n!r} appears twice (with and without 'bert.' prefix?)")
        out[n] = t
    return out


ROBERTA_HEAD = {"lm_head.dense.": "cls.predictions.transform.dense.",
                "lm_head.layer_norm.": "cls.predictions.transform.LayerNorm.",
                "lm_head.decoder.": "cls.predictions.decoder."}


def normalize_roberta_names(state):
    """RoBERTa checkpoint names -> the internal ones: drop a leading "roberta." (RobertaFor* checkpoints), map the LM
    head onto the BERT head's names (lm_head.bias -> cls.predictions.bias)."""
    out = {}
    for name, t in state.items():
        n = name[len("roberta."):] if name.startswith("roberta.") else name
        for old, new in ROBERTA_HEAD.items():
            if n.startswith(old):
                n = new + n[len(old):]
        if n == "lm_head.bias":
            n = "cls.predictions.bias"
        if n in IGNORED:
            continue
        if n in out:
            raise ValueError(f"tensor {n!r} appears twice (with and without 'roberta.' prefix?)")
        out[n] = t
    return out


def load_state(model_dir):
    """Raw tensors of a checkpoint folder: model.safetensors, else pytorch_model.bin."""
    st = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(st):
        return safetensors_io.load_torch(st)
    binp = os.path.join(model_dir, "pytorch_model.bin")
    if os.path.exists(binp):
        return torch.load(binp, map_location="cpu")
    raise FileNotFoundError(f"{model_dir}: neither model.safetensors nor pytorch_model.bin")


class BertReference:
    """Holds a config and a dict of weights (internal names, see normalize_names) and runs the forward pass."""

    def __init__(self, config, weights, dtype=torch.float32):
        self.config = config
        w = {k: v.to(dtype) if v.is_floating_point() else v for k, v in weights.items()}
        self.dtype = dtype

        needed = list(EMBEDDING_NAMES)
        for i in range(config.num_hidden_layers):
            needed += layer_names(i).values()
        missing = [n for n in needed if n not in w]
        if missing:
            raise KeyError(f"checkpoint lacks {len(missing)} encoder tensor(s), e.g. {missing[:4]}")

        self.has_pooler = all(n in w for n in POOLER_NAMES)
        self.has_mlm = all(n in w for n in MLM_NAMES) or (
            all(n in w for n in MLM_NAMES[:4]) and "cls.predictions.decoder.bias" in w)
        self.has_nsp = all(n in w for n in NSP_NAMES)
        if self.has_mlm:
            # HF ties: decoder.weight is the word-embedding matrix, decoder.bias is cls.predictions.bias.
            # safetensors files written by HF omit the duplicates; older/.bin files carry them. Accept both.
            if "cls.predictions.bias" not in w:
                w["cls.predictions.bias"] = w["cls.predictions.decoder.bias"]
            if "cls.predictions.decoder.weight" not in w:
                w["cls.predictions.decoder.weight"] = w["embeddings.word_embeddings.weight"]
        if self.has_nsp and not self.has_pooler:
            raise KeyError("NSP head present without pooler weights")
        known = set(needed) | set(POOLER_NAMES) | set(MLM_NAMES) | set(NSP_NAMES) | {
            "cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}
        self.unused = sorted(set(w) - known)
        self.w = w
        self._check_shapes()

    @classmethod
    def from_pretrained(cls, model_dir, dtype=torch.float32):
        config = BertConfig.from_json(os.path.join(model_dir, "config.json"))
        names = normalize_roberta_names if config.is_roberta else normalize_names
        return cls(config, names(load_state(model_dir)), dtype=dtype)

    def _check_shapes(self):
        c, w = self.config, self.w
        H, F = c.hidden_size, c.intermediate_size
        expect = {
            "embeddings.word_embeddings.weight": (c.vocab_size, H),
            "embeddings.position_embeddings.weight": (c.max_position_embeddings, H),
            "embeddings.token_type_embeddings.weight": (c.type_vocab_size, H),
        }
        for i in range(c.num_hidden_layers):
            n = layer_names(i)
            for k in ("q_w", "k_w", "v_w", "o_w"):
                expect[n[k]] = (H, H)
            expect[n["ff1_w"]] = (F, H)
            expect[n["ff2_w"]] = (H, F)
        if self.has_mlm:
            expect["cls.predictions.decoder.weight"] = (c.vocab_size, H)
            expect["cls.predictions.bias"] = (c.vocab_size,)
        for name, shape in expect.items():
            if tuple(w[name].shape) != shape:
                raise ValueError(f"{name}: shape {tuple(w[name].shape)}, config says {shape}")

    # ------------------------------------------------------------------------------------------- forward

    def embeddings(self, input_ids, token_type_ids):
        """[B, n] ids -> [B, n, H]: word + absolute position + token type, then LayerNorm."""
        w, n = self.w, input_ids.shape[1]
        positions = self.position_ids(input_ids)                    # [B, n]
        if int(positions.max()) >= self.config.max_position_embeddings:
            raise ValueError(f"sequence length {n} needs position {int(positions.max())} >= max_position_embeddings")
        e = (w["embeddings.word_embeddings.weight"][input_ids]
             + w["embeddings.position_embeddings.weight"][positions]
             + w["embeddings.token_type_embeddings.weight"][token_type_ids])
        return layer_norm(e, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                          self.config.layer_norm_eps)

    def position_ids(self, input_ids):
        """[B, n] -> [B, n]: BERT 0..n-1; RoBERTa padding_idx + cumulative count of non-pad tokens (padding_idx at pads)."""
        if not self.config.is_roberta:
            return torch.arange(input_ids.shape[1])[None].expand_as(input_ids)
        pad = self.config.pad_token_id
        real = (input_ids != pad).long()
        return torch.cumsum(real, dim=1) * real + pad

    def extended_mask(self, attention_mask):
        """[B, n] of 1 (attend) / 0 (padding) -> additive [B, 1, 1, n], as HF's get_extended_attention_mask."""
        m = attention_mask[:, None, None, :].to(self.dtype)
        return (1.0 - m) * torch.finfo(self.dtype).min

    def split_heads(self, t):
        """[B, n, H] -> [B, A, n, d]."""
        B, n, _ = t.shape
        A, d = self.config.num_attention_heads, self.config.head_dim
        return t.view(B, n, A, d).permute(0, 2, 1, 3)

    def self_attention(self, i, x, mask_add):
        """Scaled dot-product attention of layer i. x [B, n, H] ->
        context [B, n, H] (heads merged, before the output dense), probs [B, A, n, n], q and k [B, A, n, d]."""
        w, nm = self.w, layer_names(i)
        q = self.split_heads(linear(x, w[nm["q_w"]], w[nm["q_b"]]))
        k = self.split_heads(linear(x, w[nm["k_w"]], w[nm["k_b"]]))
        v = self.split_heads(linear(x, w[nm["v_w"]], w[nm["v_b"]]))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.config.head_dim) + mask_add
        probs = softmax(scores)
        context = torch.matmul(probs, v)                       # [B, A, n, d]
        B, A, n, d = context.shape
        context = context.permute(0, 2, 1, 3).reshape(B, n, A * d)
        return context, probs, q, k, value_norms(probs, v, w[nm["o_w"]])

    def layer(self, i, x, mask_add):
        """One encoder layer: attention -> add & norm -> feed-forward -> add & norm."""
        w, nm, eps = self.w, layer_names(i), self.config.layer_norm_eps
        act = ACTIVATIONS[self.config.hidden_act]
        context, probs, q, k, norms = self.self_attention(i, x, mask_add)
        a = layer_norm(x + linear(context, w[nm["o_w"]], w[nm["o_b"]]), w[nm["ln1_g"]], w[nm["ln1_b"]], eps)
        h = act(linear(a, w[nm["ff1_w"]], w[nm["ff1_b"]]))     # [B, n, intermediate]
        out = layer_norm(a + linear(h, w[nm["ff2_w"]], w[nm["ff2_b"]]), w[nm["ln2_g"]], w[nm["ln2_b"]], eps)
        return out, probs, q, k, norms

    def mlm_logits(self, x):
        """Prediction head: transform (dense -> act -> LayerNorm), then decoder tied to word embeddings."""
        w = self.w
        act = gelu_erf if self.config.is_roberta else ACTIVATIONS[self.config.hidden_act]  # RobertaLMHead: gelu
        t = act(linear(x, w["cls.predictions.transform.dense.weight"], w["cls.predictions.transform.dense.bias"]))
        t = layer_norm(t, w["cls.predictions.transform.LayerNorm.weight"],
                       w["cls.predictions.transform.LayerNorm.bias"], self.config.layer_norm_eps)
        return linear(t, w["cls.predictions.decoder.weight"], w["cls.predictions.bias"])

    @torch.no_grad()
    def forward(self, input_ids, token_type_ids=None, attention_mask=None, mlm_positions=None):
        """input_ids [n] or [B, n] (int). Returns a dict (batch axis kept only if the input had one):
            embeddings     [B, n, H]        embedding LayerNorm output (= hidden_states[0])
            hidden_states  [B, L+1, n, H]   embeddings, then the output of each layer
            attentions     [B, L, A, n, n]  softmax probabilities (rows sum to 1; padded keys get 0)
            queries, keys  [B, L, A, n, d]  per-head projections after bias, before the 1/sqrt(d) scaling
            value_norms    [B, L, A, n]     ||f^h(x_j)||, and norm_summed [B, L, n, n] (value_norms above)
            last_hidden    [B, n, H]
            pooled         [B, H]           if the checkpoint has a pooler
            mlm_logits     [B, n, vocab]    if it has an MLM head ([B, len(mlm_positions), vocab] if given)
            nsp_logits     [B, 2]           if it has an NSP head
        """
        ids = torch.as_tensor(input_ids, dtype=torch.long)
        batched = ids.dim() == 2
        if not batched:
            ids = ids[None]
        tt = torch.zeros_like(ids) if token_type_ids is None else torch.as_tensor(token_type_ids, dtype=torch.long)
        am = torch.ones_like(ids) if attention_mask is None else torch.as_tensor(attention_mask, dtype=torch.long)
        tt, am = tt.reshape(ids.shape), am.reshape(ids.shape)

        mask_add = self.extended_mask(am)
        x = self.embeddings(ids, tt)
        hidden, attn, qs, ks, vns, sums = [x], [], [], [], [], []
        for i in range(self.config.num_hidden_layers):
            x, probs, q, k, (vn, summed) = self.layer(i, x, mask_add)
            hidden.append(x)
            attn.append(probs)
            qs.append(q)
            ks.append(k)
            vns.append(vn)
            sums.append(summed)

        out = {
            "embeddings": hidden[0],
            "hidden_states": torch.stack(hidden, dim=1),
            "attentions": torch.stack(attn, dim=1),
            "queries": torch.stack(qs, dim=1),
            "keys": torch.stack(ks, dim=1),
            "value_norms": torch.stack(vns, dim=1),
            "norm_summed": torch.stack(sums, dim=1),
            "last_hidden": x,
        }
        if self.has_pooler:
            out["pooled"] = torch.tanh(linear(x[:, 0], self.w["pooler.dense.weight"], self.w["pooler.dense.bias"]))
        if self.has_mlm:
            rows = x if mlm_positions is None else x[:, torch.as_tensor(mlm_positions, dtype=torch.long)]
            out["mlm_logits"] = self.mlm_logits(rows)
        if self.has_nsp:
            out["nsp_logits"] = linear(out["pooled"], self.w["cls.seq_relationship.weight"],
                                       self.w["cls.seq_relationship.bias"])
        if not batched:
            out = {k: v[0] for k, v in out.items()}
        return out

    __call__ = forward


# ----------------------------------------------------------------------------------------------- DistilBERT

@dataclass
class DistilBertConfig:
    """transformers' DistilBertConfig: its own keys. Every LayerNorm's eps is 1e-12 in modeling_distilbert.py (not a
    setting); sinusoidal_pos_embds only initialises the position table, which the checkpoint stores anyway."""
    vocab_size: int = 30522
    dim: int = 768
    n_layers: int = 6
    n_heads: int = 12
    hidden_dim: int = 3072
    activation: str = "gelu"
    max_position_embeddings: int = 512
    sinusoidal_pos_embds: bool = False
    pad_token_id: int = 0
    extra: dict = field(default_factory=dict)  # every other config.json field, kept verbatim
    layer_norm_eps = 1e-12

    @property
    def head_dim(self):
        return self.dim // self.n_heads

    @classmethod
    def from_dict(cls, d):
        known = {k for k in cls.__dataclass_fields__ if k != "extra"}
        cfg = cls(**{k: v for k, v in d.items() if k in known})
        cfg.extra = {k: v for k, v in d.items() if k not in known}
        if cfg.dim % cfg.n_heads:
            raise ValueError("dim must be divisible by n_heads")
        if cfg.activation not in ACTIVATIONS:
            raise NotImplementedError(f"activation={cfg.activation!r}; supported: {sorted(ACTIVATIONS)}")
        return cfg

    def summary(self):
        return {"model_type": "distilbert", "dim": self.dim, "n_layers": self.n_layers, "n_heads": self.n_heads,
                "vocab_size": self.vocab_size, "hidden_dim": self.hidden_dim, "activation": self.activation}


def distilbert_layer_names(i):
    p = f"transformer.layer.{i}."
    return {
        "q_w": p + "attention.q_lin.weight", "q_b": p + "attention.q_lin.bias",
        "k_w": p + "attention.k_lin.weight", "k_b": p + "attention.k_lin.bias",
        "v_w": p + "attention.v_lin.weight", "v_b": p + "attention.v_lin.bias",
        "o_w": p + "attention.out_lin.weight", "o_b": p + "attention.out_lin.bias",
        "ln1_g": p + "sa_layer_norm.weight", "ln1_b": p + "sa_layer_norm.bias",
        "ff1_w": p + "ffn.lin1.weight", "ff1_b": p + "ffn.lin1.bias",
        "ff2_w": p + "ffn.lin2.weight", "ff2_b": p + "ffn.lin2.bias",
        "ln2_g": p + "output_layer_norm.weight", "ln2_b": p + "output_layer_norm.bias",
    }


DISTILBERT_EMBEDDING_NAMES = [
    "embeddings.word_embeddings.weight",        # [vocab, dim]
    "embeddings.position_embeddings.weight",    # [max_pos, dim]
    "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
]
DISTILBERT_MLM_NAMES = ["vocab_transform.weight", "vocab_transform.bias", "vocab_layer_norm.weight",
                        "vocab_layer_norm.bias", "vocab_projector.bias"]


def normalize_distilbert_names(state):
    """Drop the "distilbert." of DistilBertFor* checkpoints (DistilBertModel saves none; the MLM head's vocab_* names
    never have it) and the position_ids buffer older versions saved."""
    out = {}
    for name, t in state.items():
        n = name[len("distilbert."):] if name.startswith("distilbert.") else name
        if n == "embeddings.position_ids":
            continue
        if n in out:
            raise ValueError(f"tensor {n!r} appears twice (with and without 'distilbert.' prefix?)")
        out[n] = t
    return out


class DistilBertReference:
    """DistilBertModel / DistilBertForMaskedLM: a config and a dict of weights (names of normalize_distilbert_names);
    forward() returns what BertReference.forward does (no pooler or NSP head)."""

    has_pooler = False
    has_nsp = False

    def __init__(self, config, weights, dtype=torch.float32):
        self.config = config
        self.dtype = dtype
        w = {k: v.to(dtype) if v.is_floating_point() else v for k, v in weights.items()}
        needed = list(DISTILBERT_EMBEDDING_NAMES)
        for i in range(config.n_layers):
            needed += distilbert_layer_names(i).values()
        missing = [n for n in needed if n not in w]
        if missing:
            raise KeyError(f"checkpoint lacks {len(missing)} DistilBERT tensor(s), e.g. {missing[:4]}")
        self.has_mlm = all(n in w for n in DISTILBERT_MLM_NAMES)
        if self.has_mlm and "vocab_projector.weight" not in w:   # tied to the word embeddings; HF's files omit it
            w["vocab_projector.weight"] = w["embeddings.word_embeddings.weight"]
        self.unused = sorted(set(w) - set(needed) - set(DISTILBERT_MLM_NAMES) - {"vocab_projector.weight"})
        self.w = w
        self._check_shapes()

    @classmethod
    def from_pretrained(cls, model_dir, dtype=torch.float32):
        with open(os.path.join(model_dir, "config.json")) as f:
            config = DistilBertConfig.from_dict(json.load(f))
        return cls(config, normalize_distilbert_names(load_state(model_dir)), dtype=dtype)

    def _check_shapes(self):
        c, w = self.config, self.w
        expect = {"embeddings.word_embeddings.weight": (c.vocab_size, c.dim),
                  "embeddings.position_embeddings.weight": (c.max_position_embeddings, c.dim)}
        for i in range(c.n_layers):
            n = distilbert_layer_names(i)
            for k in ("q_w", "k_w", "v_w", "o_w"):
                expect[n[k]] = (c.dim, c.dim)
            expect[n["ff1_w"]], expect[n["ff2_w"]] = (c.hidden_dim, c.dim), (c.dim, c.hidden_dim)
        if self.has_mlm:
            expect["vocab_projector.weight"], expect["vocab_projector.bias"] = (c.vocab_size, c.dim), (c.vocab_size,)
        for name, shape in expect.items():
            if tuple(w[name].shape) != shape:
                raise ValueError(f"{name}: shape {tuple(w[name].shape)}, config says {shape}")

    def embeddings(self, input_ids):
        """[B, n] ids -> [B, n, dim]: word + position (from 0), then LayerNorm (Embeddings.forward)."""
        w, n = self.w, input_ids.shape[1]
        if n > self.config.max_position_embeddings:
            raise ValueError(f"sequence length {n} > max_position_embeddings")
        e = w["embeddings.word_embeddings.weight"][input_ids] + w["embeddings.position_embeddings.weight"][:n][None]
        eps = self.config.layer_norm_eps
        return layer_norm(e, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)

    def self_attention(self, i, x, attention_mask):
        """MultiHeadSelfAttention.forward of layer i: x [B, n, dim], attention_mask [B, n] (1 = attend) ->
        context [B, n, dim] (after out_lin), probs [B, A, n, n], q (before the 1/sqrt(d)) and k [B, A, n, d]."""
        w, nm, c = self.w, distilbert_layer_names(i), self.config
        B, n, _ = x.shape

        def shape(t):   # [B, n, dim] -> [B, A, n, d]
            return t.view(B, n, c.n_heads, c.head_dim).transpose(1, 2)

        q = shape(linear(x, w[nm["q_w"]], w[nm["q_b"]]))
        k = shape(linear(x, w[nm["k_w"]], w[nm["k_b"]]))
        v = shape(linear(x, w[nm["v_w"]], w[nm["v_b"]]))
        scores = torch.matmul(q / math.sqrt(c.head_dim), k.transpose(2, 3))            # [B, A, n, n]
        masked = (attention_mask == 0).view(B, 1, 1, n).expand_as(scores)
        probs = softmax(scores.masked_fill(masked, torch.finfo(scores.dtype).min))
        context = torch.matmul(probs, v).transpose(1, 2).reshape(B, n, c.dim)          # heads merged
        return linear(context, w[nm["o_w"]], w[nm["o_b"]]), probs, q, k, value_norms(probs, v, w[nm["o_w"]])

    def layer(self, i, x, attention_mask):
        """TransformerBlock.forward: attention -> sa_layer_norm(+ x) -> FFN -> output_layer_norm(+ sa)."""
        w, nm, eps = self.w, distilbert_layer_names(i), self.config.layer_norm_eps
        act = ACTIVATIONS[self.config.activation]
        sa, probs, q, k, norms = self.self_attention(i, x, attention_mask)
        sa = layer_norm(sa + x, w[nm["ln1_g"]], w[nm["ln1_b"]], eps)
        ffn = linear(act(linear(sa, w[nm["ff1_w"]], w[nm["ff1_b"]])), w[nm["ff2_w"]], w[nm["ff2_b"]])
        return layer_norm(ffn + sa, w[nm["ln2_g"]], w[nm["ln2_b"]], eps), probs, q, k, norms

    def mlm_logits(self, x):
        """DistilBertForMaskedLM: vocab_transform -> activation -> vocab_layer_norm -> vocab_projector."""
        w = self.w
        t = ACTIVATIONS[self.config.activation](linear(x, w["vocab_transform.weight"], w["vocab_transform.bias"]))
        t = layer_norm(t, w["vocab_layer_norm.weight"], w["vocab_layer_norm.bias"], self.config.layer_norm_eps)
        return linear(t, w["vocab_projector.weight"], w["vocab_projector.bias"])

    @torch.no_grad()
    def forward(self, input_ids, token_type_ids=None, attention_mask=None, mlm_positions=None):
        """As BertReference.forward. DistilBERT reads no token types: token_type_ids, if given, must be all 0."""
        ids = torch.as_tensor(input_ids, dtype=torch.long)
        batched = ids.dim() == 2
        if not batched:
            ids = ids[None]
        if token_type_ids is not None and bool(torch.as_tensor(token_type_ids).ne(0).any()):
            raise ValueError("DistilBERT has no token types: token_type_ids must be all 0 (or absent)")
        am = torch.ones_like(ids) if attention_mask is None else torch.as_tensor(attention_mask, dtype=torch.long)
        am = am.reshape(ids.shape)

        x = self.embeddings(ids)
        hidden, attn, qs, ks, vns, sums = [x], [], [], [], [], []
        for i in range(self.config.n_layers):
            x, probs, q, k, (vn, summed) = self.layer(i, x, am)
            hidden.append(x)
            attn.append(probs)
            qs.append(q)
            ks.append(k)
            vns.append(vn)
            sums.append(summed)
        out = {
            "embeddings": hidden[0],
            "hidden_states": torch.stack(hidden, dim=1),
            "attentions": torch.stack(attn, dim=1),
            "queries": torch.stack(qs, dim=1),
            "keys": torch.stack(ks, dim=1),
            "value_norms": torch.stack(vns, dim=1),
            "norm_summed": torch.stack(sums, dim=1),
            "last_hidden": x,
        }
        if self.has_mlm:
            rows = x if mlm_positions is None else x[:, torch.as_tensor(mlm_positions, dtype=torch.long)]
            out["mlm_logits"] = self.mlm_logits(rows)
        if not batched:
            out = {k: v[0] for k, v in out.items()}
        return out

    __call__ = forward


def load(model_dir, dtype=torch.float32):
    """The reference for a checkpoint folder: by config.json's model_type, "bert" (or none), "roberta" or "distilbert"."""
    with open(os.path.join(model_dir, "config.json")) as f:
        model_type = json.load(f).get("model_type", "bert")
    if model_type == "distilbert":
        return DistilBertReference.from_pretrained(model_dir, dtype=dtype)
    if model_type not in ("bert", "roberta"):
        raise NotImplementedError(f"{model_dir}: model_type {model_type!r} (the reference runs bert, roberta and distilbert)")
    return BertReference.from_pretrained(model_dir, dtype=dtype)
