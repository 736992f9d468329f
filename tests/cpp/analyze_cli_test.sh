#!/usr/bin/env bash
# ctest analyze_cli: hl-analyze on a 3-text TSV with the tiny fixture model (converted here), its files parsed and
# checked; then its errors (missing file, empty file, bad model, bad command line).
# Usage: analyze_cli_test.sh HL_CONVERT HL_ANALYZE FIXTURES_DIR WORK_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../../tools/common.sh"
convert=$1 analyze=$2 fixtures=$3 work=$4
[ -d "$fixtures/tiny-mlm" ] || { echo "missing fixture $fixtures/tiny-mlm: run bash tools/test.sh (it generates it)"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
"$convert" "$fixtures/tiny-mlm" "$work/tiny.hlm" >/dev/null

printf 'The cat sat on the mat.\tThe dog sat on the log, unhappily.\n\nA single sentence with strawberries, and more strawberries.\r\nthe end.\tof the story\tan ignored third column\n' > "$work/pairs.tsv"
summary=$("$analyze" "$work/tiny.hlm" "$work/pairs.tsv" --out "$work/out" --max-tokens 64)
echo "$summary"
[[ "$summary" == "hl-analyze: 3 texts"*"1 blank lines skipped"* ]] || { echo "unexpected summary line"; exit 1; }

/usr/bin/python3 - "$work/out" <<'PY'
import csv, json, math, sys
out = sys.argv[1]
s = json.load(open(f"{out}/stats.json"))
L, A = s["layers"], s["heads_per_layer"]
H = L * A
assert (L, A) == (2, 2), (L, A)
assert len(s["texts"]) == 3
assert s["texts"][0]["b"].startswith("The dog") and s["texts"][1]["b"] is None and s["texts"][2]["b"] == "of the story"
assert [t["line"] for t in s["texts"]] == [1, 3, 4]
for t in s["texts"]:
    assert len(t["tokens"]) == t["n"] == t["stats"]["n"]
    assert t["tokens"][0]["text"] == "[CLS]"
    assert len(t["stats"]["per_head"]) == H
    assert [tok["word"] for tok in t["tokens"]][:2] == [-1, 0] and t["tokens"][-1]["word"] == -1
    assert abs(t["stats"]["uniform_entropy"] - math.log(t["n"])) < 1e-12
    for h in t["stats"]["per_head"]:
        assert 0 <= h["next"] <= 1 and 0 <= h["entropy"] <= math.log(t["n"]) + 1e-9
        assert abs(h["delimiter"] - h["cls"] - h["sep"]) < 1e-12
        assert 0 <= h["examples"]["next"]["token"] < t["n"] - 1 and h["examples"]["next"]["score"] >= h["next"] - 1e-9
# text 1 has "strawberries" twice in one sentence, text 0 "sat"/"on"/"the" in both sentences
assert all(h["identical_count"] > 0 for h in s["texts"][1]["stats"]["per_head"])
assert all(h["other_sentence_count"] > 0 for h in s["texts"][0]["stats"]["per_head"])
assert all(h["other_sentence"] is None and h["other_sentence_count"] == 0 for h in s["texts"][1]["stats"]["per_head"])
d = s["head_map"]
agg = d["aggregate"]
assert agg["n"] == sum(t["n"] for t in s["texts"]) and len(agg["per_head"]) == H
assert all(h["examples"] is None for h in agg["per_head"])  # examples belong to one text
# token-weighted aggregate: next of head 0 = Σ n·next / Σ n
want = sum(t["n"] * t["stats"]["per_head"][0]["next"] for t in s["texts"]) / agg["n"]
assert abs(agg["per_head"][0]["next"] - want) < 1e-12, (agg["per_head"][0]["next"], want)
assert d["texts"] == 3 and d["rows"] == agg["n"] and d["total_heads"] == H
D = d["distance"]
assert len(D) == H * H and len(d["points"]) == H
for i in range(H):
    assert D[i * H + i] == 0
    for j in range(H):
        assert D[i * H + j] == D[j * H + i] and D[i * H + j] >= 0
        if i != j: assert D[i * H + j] > 0
assert 0 <= d["stress"] < 1
rows = list(csv.DictReader(open(f"{out}/heads.csv")))
assert len(rows) == H and rows[3]["layer"] == "1" and rows[3]["head"] == "1"
assert abs(float(rows[0]["next"]) - agg["per_head"][0]["next"]) < 1e-8
assert rows[1]["dominant"] == agg["per_head"][1]["dominant"]
assert abs(float(rows[2]["x"]) - d["points"][2][0]) < 1e-6 * max(1, abs(d["points"][2][0]))
per = list(csv.DictReader(open(f"{out}/per_text.csv")))
assert len(per) == 3 * H and per[-1]["text"] == "2" and per[-1]["line"] == "4"
assert per[H]["other_sentence"] == ""  # NaN: text 1 has no B
print("analyze_cli: files ok")
PY

# --syntax over the first 30 sentences of the committed treebank
treebank="$(dirname "${BASH_SOURCE[0]}")/../../web/data/ud-english-ewt/en_ewt-ud-dev.conllu"
summary=$("$analyze" "$work/tiny.hlm" --syntax --treebank "$treebank" --sentences 30 --out "$work/syntax")
echo "$summary"
[[ "$summary" == "hl-analyze: 30 sentences"*"all relations: best head"* ]] || { echo "unexpected summary line"; exit 1; }
/usr/bin/python3 - "$work/syntax" <<'PY'
import csv, json, sys
out = sys.argv[1]
s = json.load(open(f"{out}/syntax.json"))
H = s["layers"] * s["heads_per_layer"]
rel = s["relations"]
assert s["sentences"] == 30 and rel[0]["relation"] == "all" and rel[0]["clark"] is None
assert rel[0]["arcs"] == s["arcs"] == sum(r["arcs"] for r in rel[1:]) > 300
assert [r["arcs"] for r in rel[1:]] == sorted((r["arcs"] for r in rel[1:]), reverse=True)
assert s["words"] == s["arcs"] + s["skipped_arcs"] + 30  # every word but the 30 roots heads an arc
names = {r["relation"]: r for r in rel}
assert names["obj"]["clark"] == "dobj" and names["case"]["clark"] == "pobj" and names["case"]["clark_reversed"]
for r in rel:
    for d in ("dependent_to_head", "head_to_dependent"):
        x = r[d]
        assert len(x["accuracy"]) == H and x["best"]["accuracy"] == max(x["accuracy"])
        assert x["accuracy"].index(max(x["accuracy"])) == x["best"]["layer"] * s["heads_per_layer"] + x["best"]["head"]
        assert x["baseline"]["offset"] in (-3, -2, -1, 1, 2, 3) and 0 <= x["baseline"]["accuracy"] <= 1
rows = list(csv.DictReader(open(f"{out}/syntax.csv")))
assert len(rows) == 2 * len(rel) and rows[0]["relation"] == "all" and rows[1]["direction"] == "head_to_dependent"
assert abs(float(rows[0]["accuracy"]) - rel[0]["dependent_to_head"]["best"]["accuracy"]) < 1e-6
print("analyze_cli: syntax ok")
PY

# errors: exit status and a message naming the problem
expect_fail() {  # expect_fail STATUS TEXT command...
  local want=$1 text=$2; shift 2
  set +e; err=$("$@" 2>&1 >/dev/null); rc=$?; set -e
  [ "$rc" = "$want" ] || { echo "expected status $want, got $rc: $*"; echo "$err"; exit 1; }
  [[ "$err" == *"$text"* ]] || { echo "expected '$text' in: $err"; exit 1; }
}
: > "$work/empty.tsv"
printf '\n  \n' > "$work/blank.tsv"
head -c 1000 "$work/tiny.hlm" > "$work/truncated.hlm"
expect_fail 1 "cannot open $work/nope.tsv" "$analyze" "$work/tiny.hlm" "$work/nope.tsv" --out "$work/e"
expect_fail 1 "has no texts" "$analyze" "$work/tiny.hlm" "$work/empty.tsv" --out "$work/e"
expect_fail 1 "has no texts" "$analyze" "$work/tiny.hlm" "$work/blank.tsv" --out "$work/e"
expect_fail 1 "cannot open model $work/nope.hlm" "$analyze" "$work/nope.hlm" "$work/pairs.tsv" --out "$work/e"
expect_fail 1 "not a usable Headlight model" "$analyze" "$work/pairs.tsv" "$work/pairs.tsv" --out "$work/e"
expect_fail 1 "truncated" "$analyze" "$work/truncated.hlm" "$work/pairs.tsv" --out "$work/e"
expect_fail 2 "--out" "$analyze" "$work/tiny.hlm" "$work/pairs.tsv"
expect_fail 2 "--max-tokens" "$analyze" "$work/tiny.hlm" "$work/pairs.tsv" --out "$work/e" --max-tokens -3
expect_fail 2 "--syntax needs" "$analyze" "$work/tiny.hlm" --syntax --out "$work/e"
printf '1\tthe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n2\tcat\n' > "$work/bad.conllu"
expect_fail 1 "treebank line 2: 2 TAB-separated fields" "$analyze" "$work/tiny.hlm" --syntax --treebank "$work/bad.conllu" --out "$work/e"
[ ! -e "$work/e" ] || { echo "a failed run left $work/e behind"; exit 1; }
echo "analyze_cli: errors ok"
