# npm run bench:python — the Python package: corpus analysis in texts/s in one process (1 and 2 engine threads) and on a
# Dask LocalCluster of 2 worker processes; the size of a headlight.show() output; how fast its views draw at 512 tokens.
"""Usage: /usr/bin/python3 tools/bench/python.py [--texts N]   → build/bench_python.json and a table on stdout.
Needs build/native (libheadlight.so), the fixtures (build/fixtures/base-mlm.int8.hlm) and python/headlight/viewer.html."""
import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
import headlight  # noqa: E402
from headlight import corpus  # noqa: E402

MODELS = {"built-in (4 x 4)": ROOT / "models" / "headlight-mini" / "headlight-mini.hlm",
          "bert-base shape (12 x 12, int8)": ROOT / "build" / "fixtures" / "base-mlm.int8.hlm"}
TREEBANK = ROOT / "web" / "data" / "ud-english-ewt" / "en_ewt-ud-dev.conllu"


def cpu():
    flags = ""
    try:
        info = pathlib.Path("/proc/cpuinfo").read_text()
        model = next(l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name"))
        flags = next(l for l in info.splitlines() if l.startswith("flags"))
        return f"{model}, {os.cpu_count()} cores, avx_vnni: {' avx_vnni' in flags}, avx512_vnni: {' avx512_vnni' in flags}"
    except (OSError, StopIteration):
        return platform.processor()


def corpus_speed(texts_file, n_texts):
    from dask.distributed import Client, LocalCluster
    rows = []
    for name, model in MODELS.items():
        if not model.is_file():
            print(f"bench: {model} is missing (bash tests/fixtures/make_fixtures.sh): skipped", file=sys.stderr)
            continue
        for label, kwargs in (("1 process, 1 engine thread", {"threads": 1}),
                              ("1 process, 2 engine threads", {"threads": 2})):
            s = corpus.analyze(model, texts_file, **kwargs)
            rows.append({"model": name, "where": label, "texts": s["texts"], "tokens": s["tokens"],
                         "seconds": s["seconds"]["parts"], "texts_per_s": s["texts"] / s["seconds"]["parts"]})
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        start_s = time.perf_counter() - t0
        try:
            s = corpus.analyze(model, texts_file, client=client)
            rows.append({"model": name, "where": "Dask LocalCluster, 2 workers x 1 thread", "texts": s["texts"],
                         "tokens": s["tokens"], "seconds": s["seconds"]["parts"],
                         "texts_per_s": s["texts"] / s["seconds"]["parts"], "cluster_start_s": start_s,
                         "with_model_transfer_s": s["seconds"]["total"]})
        finally:
            client.close()
            cluster.close()
    return rows


def show_sizes_and_speed(tmp):
    """show() outputs: their sizes, and their drawing times in Chromium (views_check.mjs)."""
    base = MODELS["bert-base shape (12 x 12, int8)"]
    cases = []
    with headlight.Model(MODELS["built-in (4 x 4)"]) as m:
        cases.append(("built-in, Vig's pair", headlight.show(m.run("The cat sat on the mat.", "The cat lay on the rug."))))
    sentences = [s.split("# text = ", 1)[1].split("\n", 1)[0] for s in TREEBANK.read_text().split("\n\n")[:60]
                 if "# text = " in s]
    with headlight.Model(base, threads=2) as m:
        for tokens in (128, 512):
            run = m.run(" ".join(sentences), max_tokens=tokens)
            cases.append((f"bert-base shape, {run.n} tokens, q/k", headlight.show(run, qk=True)))
        cases.append((f"bert-base shape, {run.n} tokens, no q/k (the default)", headlight.show(run, qk=False)))
    rows = []
    for name, v in cases:
        page = tmp / f"{len(rows)}.html"
        page.write_text("<!doctype html><meta charset=utf-8><title>bench</title>" + v._repr_html_())
        out = tmp / f"{len(rows)}.json"
        subprocess.run(["node", str(ROOT / "tests" / "python" / "views_check.mjs"), str(page), str(out)], check=True)
        report = json.loads(out.read_text())
        view = report["views"][0]
        rows.append({"case": name, "n": v.snapshot["n"], "repr_html_bytes": len(v._repr_html_().encode()),
                     "save_html_bytes": len(v.html().encode()), "snapshot_bytes": len(json.dumps(v.snapshot)),
                     "qk": "queries" in v.snapshot, "ready_ms": report["loadMs"] + view["drawnMs"],
                     "tab_ms": {k: d["ms"] for k, d in view["drawn"].items()},
                     "head_view": view["drawn"]["head"]["drawn"]})
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--texts", type=int, default=2001, help="treebank sentences used as the corpus (default all 2001)")
    p.add_argument("--only", choices=("corpus", "show"), help="run one of the two parts")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        blocks = [b for b in TREEBANK.read_text().split("\n\n") if b.strip()][: args.texts]
        texts = [next(l[len("# text = "):] for l in b.splitlines() if l.startswith("# text = ")) for b in blocks]
        (tmp / "texts.tsv").write_text("\n".join(texts) + "\n")
        result = {"machine": cpu(), "date": time.strftime("%Y-%m-%d"), "corpus": f"{len(texts)} UD English-EWT dev "
                  "sentences, one text each",
                  "corpus_analysis": corpus_speed(tmp / "texts.tsv", len(texts)) if args.only != "show" else [],
                  "show": show_sizes_and_speed(tmp) if args.only != "corpus" else []}
    out = ROOT / "build" / "bench_python.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{result['machine']}\n{result['corpus']}\n")
    print("| model | where | texts/s | seconds |\n|---|---|---:|---:|")
    for r in result["corpus_analysis"]:
        print(f"| {r['model']} | {r['where']} | {r['texts_per_s']:.1f} | {r['seconds']:.2f} |")
    print("\n| show() of | n | _repr_html_ bytes | load to drawn, ms | head / model / neuron / matrix tab, ms |\n"
          "|---|---:|---:|---:|---|")
    for r in result["show"]:
        tabs = " / ".join(str(r["tab_ms"].get(k, "-")) for k in ("head", "model", "neuron", "matrix"))
        print(f"| {r['case']} | {r['n']} | {r['repr_html_bytes']:,} | {r['ready_ms']} | {tabs} |")
    print(f"\n-> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
