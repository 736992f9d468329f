#!/usr/bin/env bash
# Installs everything Headlight needs on a fresh Debian 12 machine (apt + npm + XNNPACK sources); idempotent and fast when done.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$(dirname "$0")/.."

APT_PACKAGES=(emscripten clang-16 catch2 nlohmann-json3-dev python3-torch python3-numpy python3-onnx python3-pytest libopenblas0-openmp unicode-data
              chromium fonts-dejavu-core xz-utils ca-certificates cmake ninja-build g++ python3
              python3-dask python3-distributed jupyter-nbconvert python3-ipykernel python3-venv python3-setuptools python3-wheel
              libclang-rt-16-dev)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages (onnxruntime-node's install script would download CUDA files: scripts stay off).
stamp=node_modules/.headlight-stamp
want="$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm packages"
  if [ -f package-lock.json ]; then npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  else npm install --ignore-scripts --no-audit --no-fund --loglevel=error; fi
  echo "$want" > "$stamp"
fi

bash tools/deps/fetch_sources.sh
