"""python -m headlight analyze MODEL CORPUS --out DIR [--dask local:N | --dask SCHEDULER]: corpus analysis (see corpus.py)."""
import argparse
import sys
import time

from .corpus import analyze
from .errors import HeadlightError


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m headlight", description=__doc__.split(":")[0])
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="the head map (and, for a .conllu treebank, the syntactic-head table) of a corpus",
                       description="Per-head statistics, Jensen-Shannon head distances and their MDS layout over a "
                                   "corpus (a .tsv of texts: A, or A TAB B, per line; or a .conllu treebank, which also "
                                   "gives the syntactic-head table), in this process or on a Dask cluster.")
    a.add_argument("model", help="a Headlight model file (.hlm) or a Hugging Face checkpoint folder")
    a.add_argument("corpus", help="a .tsv of texts or a .conllu treebank")
    a.add_argument("--out", required=True, help="folder for stats.json, heads.csv (and syntax.json)")
    a.add_argument("--dask", help="local:N (a cluster of N worker processes on this machine) or a scheduler address "
                                  "(tcp://host:8786); without it, this process does the work")
    a.add_argument("--partitions", type=int, help="parts the corpus is cut into (default: 4 per worker)")
    a.add_argument("--threads", type=int, default=1, help="engine threads per process (default 1)")
    a.add_argument("--max-tokens", type=int, default=0, help="cut texts to this many tokens (default: the model's limit)")
    a.add_argument("--weighting", choices=("attention", "norm"), default="attention",
                   help="attention weights, or Kobayashi et al.'s alpha x ||f(x)|| (default attention)")
    a.add_argument("--per-text", action="store_true", help="also each text's tokens and per-head statistics")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    progress = (lambda done, total: print(f"\rheadlight: {done}/{total} parts", end="", file=sys.stderr, flush=True)) \
        if sys.stderr.isatty() else None
    try:
        s = analyze(args.model, args.corpus, out=args.out, dask=args.dask, partitions=args.partitions,
                    threads=args.threads, max_tokens=args.max_tokens, weighting=args.weighting,
                    per_text=args.per_text, progress=progress)
    except (HeadlightError, OSError, UnicodeDecodeError) as e:
        print(f"\nheadlight: {e}" if progress else f"headlight: {e}", file=sys.stderr)
        return 1
    if progress:
        print(file=sys.stderr)
    elapsed = time.perf_counter() - t0
    where = f"{s['workers']} Dask workers" if s["workers"] else "1 process"
    syntax = f", syntax table of {s['syntax']['arcs']} arcs" if "syntax" in s else ""
    print(f"headlight: {s['texts']} texts ({s['tokens']} tokens, longest {s['longest']}, {s['truncated']} truncated) x "
          f"{s['layers'] * s['heads_per_layer']} heads in {s['parts']} parts on {where}: {s['seconds']['parts']:.2f} s "
          f"({s['texts'] / s['seconds']['parts']:.1f} texts/s){syntax}; total {elapsed:.2f} s -> {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
