# tools/fetch-model: download a Hugging Face BERT checkpoint listed in models/catalog.json, verify it, convert it.
"""
  tools/fetch-model bert-base-uncased              # download, verify, convert to int8 -> models/local/
  tools/fetch-model --list                         # what the catalog knows
  tools/fetch-model google/bert_uncased_L-2_H-128_A-2 --f32   # a hub id outside the catalog works too

Steps: each file of the entry is fetched from ENDPOINT/HUB_ID/resolve/REVISION/NAME (the hub's URL layout) into
the download folder (default ${HEADLIGHT_CACHE:-~/.cache/headlight}/hub/HUB_ID/), resuming a partial file
(NAME.part) with HTTP Range requests and retrying an interrupted transfer. Each file is checked against the
catalog's size and sha256, or, where the catalog has none, against the hub's X-Linked-Size / X-Linked-Etag
headers; a mismatch deletes the file and stops. config.json is compared with the entry's expected_config.
pytorch_model.bin is read with torch.load(weights_only=True) (tensors only, no code runs) and written as
model.safetensors; then build/native/hl-convert writes models/local/ID.hlm, which `npm start` serves at
/models/local/ID.hlm: open http://127.0.0.1:8080/?model=/models/local/ID.hlm.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import download  # noqa: E402


class FetchError(Exception):
    pass


def cache_root():
    return os.environ.get("HEADLIGHT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "headlight")


def load_catalog(path):
    with open(path) as f:
        return json.load(f)


def find_entry(catalog, wanted):
    for m in catalog["models"]:
        if wanted in (m["id"], m["hub_id"]):
            return m
    if "/" in wanted:  # any hub id: the usual BERT files, nothing known about them in advance
        return {"id": wanted.split("/")[-1], "hub_id": wanted, "revision": "main", "expected_config": {},
                "files": [{"name": "config.json", "required": True}, {"name": "vocab.txt", "required": True},
                          {"name": "tokenizer_config.json", "required": False},
                          {"name": "model.safetensors", "required": True, "weights": True}]}
    known = ", ".join(m["id"] for m in catalog["models"])
    raise FetchError(f"'{wanted}' is not in the catalog ({known}); give a full hub id such as "
                     f"google-bert/bert-base-uncased to fetch a checkpoint the catalog does not list")


def check_config(path, expected):
    with open(path) as f:
        try:
            cfg = json.load(f)
        except json.JSONDecodeError as e:
            raise FetchError(f"{path} is not valid JSON ({e})") from None
    wrong = {k: (cfg.get(k), v) for k, v in expected.items() if cfg.get(k) != v}
    if wrong:
        raise FetchError(f"{path} does not describe the expected model: " +
                         ", ".join(f"{k} is {got}, expected {want}" for k, (got, want) in wrong.items()))
    return cfg


def bin_to_safetensors(src, dst, log=print):
    """pytorch_model.bin (zip or legacy format) -> model.safetensors; float tensors only."""
    import torch
    import safetensors_io
    try:
        state = torch.load(src, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises pickle/zip/runtime errors of many kinds for a damaged file
        raise FetchError(f"{src} could not be read as a PyTorch state dict ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict):
        raise FetchError(f"{src} holds a {type(state).__name__}, not a state dict of tensors")
    keep, skipped = {}, []
    for name, t in state.items():
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            skipped.append(name)
            continue
        keep[name] = t.detach().contiguous()
    if skipped:
        log(f"  not converted (not float tensors): {', '.join(skipped)}")
    tmp = dst + ".tmp"
    safetensors_io.save(tmp, keep, {"format": "pt", "converted_from": os.path.basename(src)})
    os.replace(tmp, dst)
    return len(keep)


def hl_convert(hf_dir, out, name, source, f32, log=print):
    exe = os.path.join(ROOT, "build", "native", "hl-convert")
    if not os.path.exists(exe):
        log("building the native converter (tools/build.sh native)")
        subprocess.run(["bash", os.path.join(ROOT, "tools", "build.sh"), "native"], check=True)
    cmd = [exe, hf_dir, out, "--name", name, "--source", source] + (["--f32"] if f32 else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise FetchError(f"hl-convert failed: {r.stderr.strip() or r.stdout.strip()}")
    log(r.stdout.strip())


def fetch_model(entry, endpoint, dl_dir, out_path, f32=False, retries=5, backoff=1.0, convert=True, log=print):
    os.makedirs(dl_dir, exist_ok=True)
    rev = entry.get("revision", "main")
    report = {"id": entry["id"], "hub_id": entry["hub_id"], "revision": rev, "files": {}}
    for spec in entry["files"]:
        name = spec["name"]
        dest = os.path.join(dl_dir, name)
        url = f"{endpoint.rstrip('/')}/{entry['hub_id']}/resolve/{rev}/{name}"
        size, sha = spec.get("size"), spec.get("sha256")
        have = download.cached_sha256(dest)
        if have and (size is None or os.path.getsize(dest) == size) and (sha is None or have == sha):
            log(f"  {name}: already downloaded{' and verified' if sha else ''}")
            report["files"][name] = {"size": os.path.getsize(dest), "cached": True}
            continue
        try:
            r = download.fetch(url, dest, size=size, sha256=sha, retries=retries, backoff=backoff, label=name,
                               log=log)
        except download.NotFound:
            if spec.get("required"):
                raise FetchError(f"{url} does not exist (404): is the hub id '{entry['hub_id']}' and revision "
                                 f"'{rev}' right?") from None
            log(f"  {name}: not on the hub (optional, skipped)")
            continue
        checked = f"verified against the {r['verified']}" if r["verified"] else "no published checksum"
        again = f", resumed {r['resumed']} time(s)" if r["resumed"] else ""
        log(f"  {name}: {r['size']:,} bytes, sha256 {r['sha256'][:16]}… ({checked}{again})")
        report["files"][name] = r
    check_config(os.path.join(dl_dir, "config.json"), entry.get("expected_config", {}))
    weights = next(s["name"] for s in entry["files"] if s.get("weights"))
    if weights.endswith(".bin"):
        n = bin_to_safetensors(os.path.join(dl_dir, weights), os.path.join(dl_dir, "model.safetensors"), log=log)
        log(f"  {weights} -> model.safetensors ({n} tensors)")
    if convert:
        os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
        hl_convert(dl_dir, out_path, entry["id"], f"{entry['hub_id']}@{rev}", f32, log=log)
        report["hlm"] = out_path
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("id", nargs="?", help="catalog id (bert-base-uncased) or hub id (google-bert/bert-base-uncased)")
    ap.add_argument("--list", action="store_true", help="list the catalog")
    ap.add_argument("--catalog", default=os.path.join(ROOT, "models", "catalog.json"))
    ap.add_argument("--endpoint", help="hub URL (default: the catalog's, or $HF_ENDPOINT)")
    ap.add_argument("--download-dir", help="where the checkpoint files go (default: cache/hub/HUB_ID)")
    ap.add_argument("--out", help="the converted model (default: models/local/ID.hlm)")
    ap.add_argument("--f32", action="store_true", help="keep f32 weights (default: int8)")
    ap.add_argument("--no-convert", action="store_true", help="download and verify only")
    ap.add_argument("--retries", type=int, default=5, help="resumed attempts after an interrupted transfer")
    ap.add_argument("--backoff", type=float, default=1.0, help="seconds to wait before retry k, times k")
    args = ap.parse_args(argv)
    catalog = load_catalog(args.catalog)
    if args.list:
        for m in catalog["models"]:
            print(f"{m['id']:30s} {m['hub_id']:40s} {m.get('description', '')}")
        return 0
    if not args.id:
        ap.error("name a model (see --list)")
    try:
        entry = find_entry(catalog, args.id)
        endpoint = args.endpoint or os.environ.get("HF_ENDPOINT") or catalog.get("endpoint", "https://huggingface.co")
        dl_dir = args.download_dir or os.path.join(cache_root(), "hub", entry["hub_id"])
        out = args.out or os.path.join(ROOT, "models", "local", entry["id"] + (".f32" if args.f32 else "") + ".hlm")
        print(f"fetching {entry['hub_id']} from {endpoint} into {dl_dir}")
        report = fetch_model(entry, endpoint, dl_dir, out, f32=args.f32, retries=args.retries, backoff=args.backoff,
                             convert=not args.no_convert)
    except (FetchError, download.DownloadError, download.VerifyError) as e:
        print(f"fetch-model: {e}", file=sys.stderr)
        return 1
    if "hlm" in report:
        rel = os.path.relpath(report["hlm"], ROOT)
        hint = f"; with `npm start`, open http://127.0.0.1:8080/?model=/{rel}" if rel.startswith("models/") else ""
        print(f"done: {report['hlm']}{hint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
