# The trainable BERT (BertForPreTraining) in plain PyTorch, with parameter names equal to Hugging Face's.
"""A standard BERT for pretraining, written with torch.nn only (no transformers library):

  embeddings  LayerNorm(word[ids] + position[0..n-1] + token_type[tt]), then dropout
  per layer   post-LN: a = LN(x + Attn(x)); x = LN(a + W2 gelu_erf(W1 a))
  pooler      tanh(W_p x[CLS] + b_p)
  MLM head    LN(gelu(W_t x + b_t)) E_word^T + bias        (decoder tied to the word embeddings)
  NSP head    W_s pooled + b_s                              (label 0 = B follows A, 1 = B is random, as HF)

state_dict() keys are exactly BertForPreTraining's ("bert.embeddings.word_embeddings.weight", ...,
"cls.predictions.bias", "cls.seq_relationship.weight"), so export.py writes them as they are. The tied decoder
has no tensor of its own (Hugging Face's safetensors files omit it too). Initialisation follows BERT:
N(0, 0.02) for every linear and embedding matrix, zero biases, LayerNorm weight 1 and bias 0, [PAD] row 0.
"""
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 16000
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.0
    initializer_range: float = 0.02
    pad_token_id: int = 0

    def to_dict(self):
        return asdict(self)

    def hf_dict(self):
        """config.json of the exported Hugging Face checkpoint."""
        d = asdict(self)
        d.update(architectures=["BertForPreTraining"], model_type="bert", hidden_act="gelu",
                 position_embedding_type="absolute", torch_dtype="float32", use_cache=True)
        return dict(sorted(d.items()))


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, ids, tt):
        pos = torch.arange(ids.shape[1], device=ids.device)
        e = self.word_embeddings(ids) + self.position_embeddings(pos)[None] + self.token_type_embeddings(tt)
        return self.dropout(self.LayerNorm(e))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.head_dim = c.num_attention_heads, c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.attention_probs_dropout_prob)

    def split(self, t):
        B, n, _ = t.shape
        return t.view(B, n, self.heads, self.head_dim).transpose(1, 2)      # [B, A, n, d]

    def forward(self, x, mask_add, want_probs=False):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_add
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(self.dropout(probs).to(v.dtype), v)            # [B, A, n, d]
        B, A, n, d = ctx.shape
        return ctx.transpose(1, 2).reshape(B, n, A * d), (probs if want_probs else None)


class DenseAddNorm(nn.Module):
    """BERT's two "output" sublayers: dense [in_size -> H] -> dropout -> add the residual -> LayerNorm."""
    def __init__(self, c, in_size):
        super().__init__()
        self.dense = nn.Linear(in_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, residual):
        return self.LayerNorm(residual + self.dropout(self.dense(h)))


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseAddNorm(c, c.hidden_size)

    def forward(self, x, mask_add, want_probs=False):
        h, probs = self.self(x, mask_add, want_probs)
        return self.output(h, x), probs


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return F.gelu(self.dense(x))                                        # exact (erf) GELU = HF "gelu"


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseAddNorm(c, c.intermediate_size)

    def forward(self, x, mask_add, want_probs=False):
        a, probs = self.attention(x, mask_add, want_probs)
        return self.output(self.intermediate(a), a), probs


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c) for _ in range(c.num_hidden_layers))


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)).float())   # autocast (torch 1.13) leaves LayerNorm's dtype to us


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))                # "cls.predictions.bias"


class Heads(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)
        self.seq_relationship = nn.Linear(c.hidden_size, 2)


class BertForPreTraining(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = Bert(c)
        self.cls = Heads(c)
        self.apply(self._init)
        with torch.no_grad():
            self.bert.embeddings.word_embeddings.weight[c.pad_token_id].zero_()

    def _init(self, m):
        std = self.config.initializer_range
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, std)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def encode(self, ids, tt, attn_mask, want_probs=False):
        """Returns the last hidden states [B, n, H] and (if asked) per-layer attention probabilities."""
        # HF's extended mask: (1 - mask) * finfo.min on padded keys
        mask_add = (1.0 - attn_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.bert.embeddings(ids, tt)
        probs = []
        for layer in self.bert.encoder.layer:
            x, p = layer(x, mask_add, want_probs)
            probs.append(p)
        return x, probs

    def mlm_logits(self, h):
        t = self.cls.predictions.transform(h)
        return F.linear(t, self.bert.embeddings.word_embeddings.weight, self.cls.predictions.bias)

    def nsp_logits(self, h):
        return self.cls.seq_relationship(self.bert.pooler(h))

    def forward(self, ids, tt, attn_mask, mlm_labels=None):
        """ids, tt, attn_mask [B, n]. With mlm_labels ([B, n], -100 = not predicted) the MLM head runs only on
        the predicted positions: returns (mlm_logits [P, vocab], mlm_targets [P], nsp_logits [B, 2]).
        Without: (mlm_logits [B, n, vocab], None, nsp_logits)."""
        h, _ = self.encode(ids, tt, attn_mask)
        nsp = self.nsp_logits(h)
        if mlm_labels is None:
            return self.mlm_logits(h), None, nsp
        sel = mlm_labels >= 0
        return self.mlm_logits(h[sel]), mlm_labels[sel], nsp


def param_groups(model, weight_decay):
    """AdamW groups as in BERT: no weight decay on biases and LayerNorm parameters."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
