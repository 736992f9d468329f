# Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/: micro checkpoints (BERT, RoBERTa, sharded) and the
# model files they convert to, texts, treebank sentences, accumulators' sums) and their dictionaries
# (tests/fuzz/dicts/TARGET.dict: the formats' keys and magic bytes). Run again when a format changes.
"""Usage: /usr/bin/python3 tests/fuzz/make_seeds.py   (needs build/native/libheadlight.so)."""
import json
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "tools" / "reference"))
import headlight  # noqa: E402
import safetensors_io  # noqa: E402

OUT = ROOT / "tests" / "fuzz" / "corpus"
SEP = b"\n#HL#\n"  # fuzz_util.h's kSeparator
MODEL = ROOT / "models" / "headlight-mini" / "headlight-mini.hlm"
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "a", "b", "c", "d", ".", ",",
         "##s", "##ing", "it", "was"]
H, A, F, P = 8, 2, 16, 32  # hidden, heads, intermediate, positions


def tensors(prefix, vocab_size, types, rng):
    """A micro encoder's tensors in Hugging Face's names (1 layer)."""
    w = lambda *shape: (rng.standard_normal(shape) * 0.5).astype(np.float32)  # noqa: E731
    t = {f"{prefix}embeddings.word_embeddings.weight": w(vocab_size, H),
         f"{prefix}embeddings.position_embeddings.weight": w(P, H),
         f"{prefix}embeddings.token_type_embeddings.weight": w(types, H),
         f"{prefix}embeddings.LayerNorm.weight": np.ones(H, np.float32),
         f"{prefix}embeddings.LayerNorm.bias": np.zeros(H, np.float32)}
    layer = f"{prefix}encoder.layer.0."
    for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
        t[layer + name + ".weight"], t[layer + name + ".bias"] = w(H, H), w(H)
    t[layer + "intermediate.dense.weight"], t[layer + "intermediate.dense.bias"] = w(F, H), w(F)
    t[layer + "output.dense.weight"], t[layer + "output.dense.bias"] = w(H, F), w(H)
    for name in ("attention.output.LayerNorm", "output.LayerNorm"):
        t[layer + name + ".weight"], t[layer + name + ".bias"] = np.ones(H, np.float32), np.zeros(H, np.float32)
    return t


def config(model_type, vocab_size, **extra):
    c = {"architectures": ["BertModel" if model_type == "bert" else "RobertaModel"], "model_type": model_type,
         "vocab_size": vocab_size, "hidden_size": H, "num_hidden_layers": 1, "num_attention_heads": A,
         "intermediate_size": F, "max_position_embeddings": P, "type_vocab_size": 2 if model_type == "bert" else 1,
         "hidden_act": "gelu", "layer_norm_eps": 1e-12, "pad_token_id": 0 if model_type == "bert" else 1}
    c.update(extra)
    return json.dumps(c, indent=1).encode()


def safetensors_bytes(t, tmp):
    safetensors_io.save(str(tmp), t, {"format": "pt"})
    return tmp.read_bytes()


def write(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def checkpoints(tmp):
    rng = np.random.default_rng(0)
    vocab = "\n".join(VOCAB).encode() + b"\n"
    bert = tensors("", len(VOCAB), 2, rng)
    weights = safetensors_bytes(bert, tmp / "w.safetensors")
    tok_config = b'{"do_lower_case": true}'
    # config | vocab.txt | tokenizer_config.json | tokenizer.json | index | shard 1 | shard 2
    write("fuzz_convert", "bert", SEP.join([config("bert", len(VOCAB)), vocab, tok_config, b"", b"", weights]))
    names = list(bert)
    half = len(names) // 2
    shard1 = safetensors_bytes({k: bert[k] for k in names[:half]}, tmp / "s1.safetensors")
    shard2 = safetensors_bytes({k: bert[k] for k in names[half:]}, tmp / "s2.safetensors")
    index = json.dumps({"metadata": {}, "weight_map": {**{k: "model-00001-of-00002.safetensors" for k in names[:half]},
                                                      **{k: "model-00002-of-00002.safetensors" for k in names[half:]}}})
    write("fuzz_convert", "bert-sharded", SEP.join([config("bert", len(VOCAB)), vocab, tok_config, b"", index.encode(),
                                                    shard1, shard2]))
    bpe = ROOT / "tests" / "fixtures" / "tokenizer" / "bpe"
    vocab_size = len(json.loads((bpe / "vocab.json").read_text()))
    roberta = safetensors_bytes(tensors("", vocab_size, 1, rng), tmp / "r.safetensors")
    write("fuzz_convert", "roberta", SEP.join([config("roberta", vocab_size, bos_token_id=0, eos_token_id=2,
                                                      max_position_embeddings=P), b"",
                                              (bpe / "tokenizer_config.json").read_bytes(),
                                              (bpe / "tokenizer.json").read_bytes(), b"", roberta]))
    # The model files these convert to, for the loader.
    for name, files in (("bert", {"config.json": config("bert", len(VOCAB)), "vocab.txt": vocab,
                                  "tokenizer_config.json": tok_config, "model.safetensors": weights}),):
        d = tmp / name
        d.mkdir()
        for f, b in files.items():
            (d / f).write_bytes(b)
        write("fuzz_model_load", name + "-int8.hlm", headlight.convert(d, int8=True))
        write("fuzz_model_load", name + "-f32.hlm", headlight.convert(d, int8=False))


TEXTS = ["The cat sat on the mat.", "The cat sat on the mat.\n#HL#\nIt was warm.", "",
         "Ünïcödé — ﬁne “quotes” 日本語のテキスト 😀👩‍👩‍👧 e\u0301", "[CLS] [SEP] [MASK] ##ing ## #",
         "<b>html</b> </script> ]]> \u202ejavascript:alert(1)", "a" * 300, "x\u0000y\ttab\r\nnewline"]


def texts():
    for k, t in enumerate(TEXTS):
        for target in ("fuzz_tokenizer", "fuzz_analysis"):
            write(target, f"text-{k}", t)


def treebank():
    dev = (ROOT / "web" / "data" / "ud-english-ewt" / "en_ewt-ud-dev.conllu").read_text().split("\n\n")
    write("fuzz_treebank", "first", "\n\n".join(dev[:3]) + "\n\n")
    special = [b for b in dev if any(l.split("\t")[0].count("-") or "." in l.split("\t")[0]
                                     for l in b.splitlines() if l and not l.startswith("#"))]
    write("fuzz_treebank", "multiword-and-empty", "\n\n".join(special[:2]) + "\n\n")
    write("fuzz_treebank", "crlf", ("\n\n".join(dev[3:4]) + "\n\n").replace("\n", "\r\n"))


def sums():
    with headlight.Model(MODEL) as m:
        for weighting in ("attention", "norm"):
            with headlight.HeadMap(m, weighting) as hm:
                hm.add("The cat sat on the mat.", "It was warm.")
                write("fuzz_sums", f"head-map-{weighting}", hm.sums())
        with headlight.Treebank("1\tIt\tit\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n2\tworked\twork\tVERB\tVBD\t_\t0\troot\t_\t_\n\n") as tb, \
                headlight.SyntaxTable(m, tb) as table:
            table.add(0)
            write("fuzz_sums", "syntax", table.sums())


def keys_of(obj, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            keys_of(v, out)
    elif isinstance(obj, list):
        for v in obj[:50]:
            keys_of(v, out)
    return out


def write_dict(target, about, words):
    """A libFuzzer dictionary: one quoted entry per line, each byte outside printable ASCII (and quote, backslash) as hex."""
    def quoted(w):
        return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02x}" for b in w.encode()) + '"'
    d = ROOT / "tests" / "fuzz" / "dicts"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{target}.dict").write_text(f"# {about} (written by tests/fuzz/make_seeds.py)\n" +
                                      "".join(quoted(w) + "\n" for w in sorted(words)))


def dicts():
    raw = MODEL.read_bytes()
    n = int.from_bytes(raw[16:24], "little")
    header = keys_of(json.loads(raw[24:24 + n]), set())
    write_dict("fuzz_model_load", "The model file: magic, version words, the header JSON's keys and values",
               {f'"{k}":' for k in header} | {"\x89HLBERT\n", "\x01\x00\x00\x00", "\x02\x00\x00\x00", '"F32"', '"I8"',
                                               '"F16"', '"gelu"', '"relu"', "true", "false", "null", "[CLS]", "##"})
    bpe = ROOT / "tests" / "fixtures" / "tokenizer" / "bpe"
    tj = json.loads((bpe / "tokenizer.json").read_text())
    keys = (keys_of(json.loads(config("roberta", 10)), set()) | keys_of({k: v for k, v in tj.items() if k != "model"}, set())
            | {"model", "type", "vocab", "merges", "dropout", "unk_token", "continuing_subword_prefix", "fuse_unk",
               "byte_fallback", "dtype", "shape", "data_offsets", "__metadata__", "weight_map", "metadata",
               "do_lower_case", "strip_accents", "tokenize_chinese_chars", "add_prefix_space", "n_layers", "dim",
               "n_heads", "hidden_dim", "activation", "sinusoidal_pos_embds", "bos_token_id", "eos_token_id"})
    write_dict("fuzz_convert", "The converter's inputs: config.json, tokenizer and safetensors keys, dtypes, tensor names, "
               "the part separator", {f'"{k}":' for k in keys} | {
                   '"F32"', '"F16"', '"BF16"', '"I64"', '"BPE"', '"WordPiece"', '"ByteLevel"', '"bert"', '"roberta"',
                   '"distilbert"', SEP.decode(), ".safetensors", "model-00001-of-00002.safetensors",
                   "embeddings.word_embeddings.weight", "encoder.layer.0.", "attention.self.query.weight", "LayerNorm",
                   "bert.", "roberta.", "distilbert.", "lm_head.", "cls.predictions.", "[UNK]", "<s>", "</s>", "<mask>",
                   "\u0120"})
    text = {SEP.decode(), "[CLS]", "[SEP]", "[MASK]", "[UNK]", "##", "<s>", "</s>", "\u0120", "\u200d", "\u0301",
            "\ufeff", "\u202e", "\ue000", "\U0001f600", "\u3000", "\u00a0", "\ufb01", "\u0130", "\u00df", "\u4e2d"}
    for target in ("fuzz_tokenizer", "fuzz_analysis"):
        write_dict(target, "Texts A and B: the separator, special tokens, word-piece and BPE markers, Unicode that "
                   "tokenizers treat specially", text)
    write_dict("fuzz_treebank", "CoNLL-U: comments, fields, multiword and empty-node ids, relations",
               {"# sent_id = ", "# text = ", "\t_\t", "\tSpaceAfter=No", "\troot\t", "\tnsubj\t", "\tcase\t",
                "\tpunct\t", "1-2\t", "3.1\t", "\r\n", "\n\n", "NOUN", "VERB", "PRON", "\t0\t", "\t1\t"})
    sums_dir = OUT / "fuzz_sums"
    keys = set()
    for f in sums_dir.iterdir():
        keys_of(json.loads(f.read_text()), keys)
    write_dict("fuzz_sums", "Accumulators' sums: their keys, formats, weightings and numbers at the edges",
               {f'"{k}":' for k in keys} | {'"headlight-head-map-sums"', '"headlight-syntax-sums"', '"attention"',
                                             '"norm"', "1e308", "-0", "9007199254740993", "1.5", "null", "[]", "{}"})


def main():
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        checkpoints(pathlib.Path(d))
    texts()
    treebank()
    sums()
    dicts()
    for d in sorted(OUT.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds, {sum(f.stat().st_size for f in d.iterdir())} bytes")


if __name__ == "__main__":
    main()
