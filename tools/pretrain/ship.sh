#!/usr/bin/env bash
# Turns a pretraining run into the committed built-in model: export, int8 conversion, every measurement, the card.
#   tools/pretrain/ship.sh RUN_NAME [MODEL_ID]      (default MODEL_ID: headlight-mini)
# Writes models/MODEL_ID/: MODEL_ID.hlm (int8, f32 query/key input), heldout-pairs.tsv, eval.json (tools/pretrain/evaluate.py: held-out
# MLM/NSP accuracy, attention figures; PyTorch reference forward of the exported f32 weights), fidelity.json
# (tools/eval/fidelity.mjs: int8 against f32 in the wasm engine on the 200 held-out pairs), training.json, the card
# README.md (tools/pretrain/model_card.py), and updates models/builtin.json. Needs the run's checkpoint
# (${HEADLIGHT_CACHE:-~/.cache/headlight}/pretrain/RUN_NAME), the corpus, and the native + wasm builds.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
cd "$(dirname "$0")/../.."
RUN=${1:?usage: tools/pretrain/ship.sh RUN_NAME [MODEL_ID]}
ID=${2:-headlight-mini}
CACHE=${HEADLIGHT_CACHE:-$HOME/.cache/headlight}
WORK=$CACHE/ship/$RUN
OUT=models/$ID
PY=/usr/bin/python3
mkdir -p "$WORK" "$OUT"
$PY tools/pretrain/export.py "$CACHE/pretrain/$RUN" --out "$WORK/hf"
build/native/hl-convert "$WORK/hf" "$OUT/$ID.hlm" --f32-qk-input --name "$ID" --source "Headlight pretraining run $RUN"
build/native/hl-convert "$WORK/hf" "$WORK/$ID.f32.hlm" --f32 --name "$ID" --source "Headlight pretraining run $RUN"
$PY tools/pretrain/evaluate.py "$WORK/hf" --out "$OUT/eval.json"
$PY tools/pretrain/heldout_pairs.py --n 200 --out "$OUT/heldout-pairs.tsv"
node tools/eval/fidelity.mjs --reference "$WORK/$ID.f32.hlm" --model "$OUT/$ID.hlm" --pairs "$OUT/heldout-pairs.tsv" --json "$OUT/fidelity.json"
cp "$WORK/hf/training.json" "$OUT/training.json"
cp "$CACHE/pretrain/$RUN/log.jsonl" "$WORK/log.jsonl"
$PY tools/pretrain/model_card.py "$OUT" --log "$WORK/log.jsonl" --id "$ID"
