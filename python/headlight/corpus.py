"""Corpus analysis as tools/analyze does it (the head map: per-head statistics, Jensen–Shannon head distances, MDS;
the syntactic-head table for a treebank), in this process or split over a Dask cluster whose workers each return
their part's sums, added up here in corpus order."""
import contextlib
import csv
import hashlib
import io
import json
import os
import pathlib
import time

from .analysis import HeadMap, SyntaxTable, Treebank
from .errors import InvalidArgumentError
from .model import Model

# Per worker process: models and treebanks by the SHA-256 of their bytes, loaded once for every part.
_LOADED = {}


def read_tsv(text):
    """tools/analyze's PAIRS.tsv: one text per non-blank line, column 1 = A, column 2 (if any) = B, further columns
    ignored; a CR before the line's end dropped. Returns [(line number, a, b or None)]."""
    texts = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip(" \t\r\f\v"):
            continue
        cols = line.split("\t")
        texts.append((number, cols[0], cols[1] if len(cols) > 1 else None))
    return texts


def _cached(kind, digest, data, make):
    key = (kind, digest)
    if key not in _LOADED:
        _LOADED[key] = make(data)
    return _LOADED[key]


def analyze_part(model_bytes, model_digest, texts, treebank_bytes=None, treebank_digest=None, threads=1, max_tokens=0,
                 weighting="attention", per_text=False):
    """One part of a corpus, on whichever process runs it: texts = [(line, a, b)] of a TSV, or of a treebank
    [(sentence index, text, None)]. Returns {"head_map": sums JSON text, "syntax": sums JSON text or None, "tokens",
    "truncated", "longest", "texts": per-text summaries (per_text) or []}."""
    model = _cached("model", model_digest, model_bytes, lambda d: Model(d, threads=threads))
    treebank = None if treebank_bytes is None else _cached("treebank", treebank_digest, treebank_bytes, Treebank)
    return _analyze_texts(model, treebank, texts, max_tokens, weighting, per_text)


def _analyze_texts(model, treebank, texts, max_tokens, weighting, per_text):
    """analyze_part's work on a loaded model (and treebank, or None)."""
    head_map = HeadMap(model, weighting)
    syntax = None if treebank is None else SyntaxTable(model, treebank)
    out = {"tokens": 0, "truncated": 0, "longest": 0, "texts": []}
    with head_map:
        for line, a, b in texts:
            try:
                summary = head_map.add(a, b, max_tokens=max_tokens, stats=per_text)
            except Exception as e:
                raise type(e)(e.status, f"{'sentence' if syntax else 'line'} {line}: {e}") from None
            if syntax:
                syntax.add(line, a)
            cut = summary["truncation"]["a_dropped"] + summary["truncation"]["b_dropped"]
            out["tokens"] += summary["n"]
            out["truncated"] += 1 if cut else 0
            out["longest"] = max(out["longest"], summary["n"])
            if per_text:
                out["texts"].append({"line": line, "a": a, "b": b, "n": summary["n"],
                                     "truncation": summary["truncation"],
                                     "tokens": [{"text": t["text"], "segment": t["segment"], "word": t["word"]}
                                                for t in summary["tokens"]],
                                     "stats": summary["stats"]})
        out["head_map"] = head_map.sums()
    if syntax:
        with syntax:
            out["syntax"] = syntax.sums()
    else:
        out["syntax"] = None
    return out


def _split(items, parts):
    """items in `parts` contiguous runs of near-equal length (in order)."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, begin = [], 0
    for k in range(parts):
        end = begin + size + (1 if k < extra else 0)
        out.append(items[begin:end])
        begin = end
    return out


def _client(spec):
    """A dask.distributed Client: 'local:N' starts a LocalCluster of N worker processes (one thread each); anything
    else is a scheduler's address."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:
        raise InvalidArgumentError(1, f"--dask needs dask and distributed (Debian: python3-dask python3-distributed; "
                                      f"pip: 'dask[distributed]'): {e}") from None
    if spec.startswith("local:"):
        try:
            n = int(spec[len("local:"):])
        except ValueError:
            n = 0
        if n < 1:
            raise InvalidArgumentError(1, f"--dask {spec}: local:N needs a number of workers N >= 1")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster), cluster
    return Client(spec), None


def _run_parts(parts, common, client, progress, here):
    """Each part's analyze_part result, in part order: here (here(texts) on this process's model), or on the cluster (a
    part lost with its worker is run again by Dask; each part's result is taken once)."""
    if client is None:
        results = []
        for k, part in enumerate(parts):
            results.append(here(part))
            if progress:
                progress(k + 1, len(parts))
        return results
    from dask.distributed import as_completed
    shared = dict(common)
    for name in ("model_bytes", "treebank_bytes"):
        if shared[name] is not None:
            shared[name] = client.scatter(shared[name], broadcast=True, hash=False)
    futures = [client.submit(analyze_part, texts=part, key=f"headlight-part-{k}-{os.urandom(4).hex()}", pure=False,
                             **shared) for k, part in enumerate(parts)]
    index = {f.key: k for k, f in enumerate(futures)}
    results, done = [None] * len(parts), 0
    for future, result in as_completed(futures, with_results=True):
        results[index[future.key]] = result
        done += 1
        if progress:
            progress(done, len(parts))
    return results


def analyze(model, corpus, out=None, dask=None, client=None, partitions=None, threads=1, max_tokens=0,
            weighting="attention", per_text=False, progress=None):
    """The head map of `model` (a .hlm path or bytes, or a Hugging Face folder) over `corpus` (a .tsv of texts, or a
    .conllu treebank: its sentences, and then also the syntactic-head table). dask: None (this process), 'local:N' or
    a scheduler address; or pass a dask.distributed `client`. partitions: parts the corpus is cut into (default: 4 per
    worker, 1 here). Writes DIR/stats.json, heads.csv (and syntax.json) when `out` is given. Returns the stats dict."""
    t0 = time.perf_counter()
    if isinstance(model, (bytes, bytearray)):
        model_bytes, model_name = bytes(model), "(bytes)"
    elif os.path.isdir(os.fspath(model)):
        from .convert import convert
        model_bytes, model_name = convert(model), os.fspath(model)
    else:
        model_bytes, model_name = pathlib.Path(model).read_bytes(), os.fspath(model)
    corpus = pathlib.Path(corpus)
    data = corpus.read_bytes()
    treebank_bytes = data if corpus.suffix == ".conllu" else None
    with contextlib.ExitStack() as held:  # this process's model and treebank: the parts' work here, and the reduction
        loaded = held.enter_context(Model(model_bytes, threads=threads))
        treebank = None if treebank_bytes is None else held.enter_context(Treebank(data))
        texts = ([(k, treebank.sentence(k)["text"], None) for k in range(len(treebank))] if treebank is not None
                 else read_tsv(data.decode("utf-8")))
        if not texts:
            raise InvalidArgumentError(1, f"{corpus} has no texts")
        digest = lambda b: hashlib.sha256(b).hexdigest() if b is not None else None  # noqa: E731
        common = dict(model_bytes=model_bytes, model_digest=digest(model_bytes), treebank_bytes=treebank_bytes,
                      treebank_digest=digest(treebank_bytes), threads=threads, max_tokens=max_tokens,
                      weighting=weighting, per_text=per_text)
        cluster = None
        if dask and client is None:
            client, cluster = _client(dask)
        try:
            workers = len(client.scheduler_info()["workers"]) if client is not None else 1
            parts = _split(texts, partitions or (4 * workers if client is not None else 1))
            t_parts = time.perf_counter()
            results = _run_parts(parts, common, client, progress,
                                 lambda part: _analyze_texts(loaded, treebank, part, max_tokens, weighting, per_text))
            parts_s = time.perf_counter() - t_parts
        finally:
            if cluster is not None:
                client.close()
                cluster.close()
        stats = _reduce(results, loaded, weighting, treebank)
    stats.update({"model": model_name, "corpus": str(corpus), "max_tokens": max_tokens, "weighting": weighting,
                  "texts": len(texts), "parts": len(parts), "workers": workers if client is not None else 0})
    if per_text:
        stats["per_text"] = [t for r in results for t in r["texts"]]
    stats["seconds"] = {"parts": parts_s, "total": time.perf_counter() - t0}
    if out is not None:
        write(stats, out)
    return stats


def _reduce(results, model, weighting, treebank):
    """The parts' sums added up in corpus order, in engine accumulators of this process."""
    with HeadMap(model, weighting) as head_map:
        for r in results:
            head_map.add_sums(r["head_map"])
        stats = {"layers": model.info["config"]["num_layers"], "heads_per_layer": model.info["config"]["num_heads"],
                 "tokens": sum(r["tokens"] for r in results), "truncated": sum(r["truncated"] for r in results),
                 "longest": max(r["longest"] for r in results), "head_map": head_map.result()}
        if treebank is not None:
            with SyntaxTable(model, treebank) as table:
                for r in results:
                    table.add_sums(r["syntax"])
                stats["syntax"] = table.result()
    return stats


def write(stats, out):
    """DIR/stats.json (everything), heads.csv (one row per head: the aggregate statistics, x, y, labels, dominant) and,
    for a treebank, syntax.json."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "stats.json").write_text(json.dumps({k: v for k, v in stats.items() if k != "syntax"}, indent=1) + "\n")
    heads = stats["head_map"]["aggregate"]["per_head"]
    points = stats["head_map"]["points"]
    columns = [k for k, v in heads[0].items() if k not in ("layer", "head", "labels", "dominant", "examples")
               and not isinstance(v, (dict, list))]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["layer", "head"] + columns + ["x", "y", "labels", "dominant"])
    for h, (head, (x, y)) in enumerate(zip(heads, points)):
        w.writerow([head["layer"], head["head"]] + ["" if head[c] is None else head[c] for c in columns]
                   + [x, y, ";".join(head.get("labels") or []), head.get("dominant") or ""])
    (out / "heads.csv").write_text(buf.getvalue())
    if "syntax" in stats:
        (out / "syntax.json").write_text(json.dumps(stats["syntax"], indent=1) + "\n")
