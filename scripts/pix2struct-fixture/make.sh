#!/usr/bin/env bash
# Regenerates tests/fixtures/pix2struct (a tiny random-weight Pix2Struct in the Hugging Face
# Optimum layout, fixture images, the reference preprocessing's patch tensors and the
# reference greedy tokens). Run by hand, never by CI: it installs torch, transformers and
# optimum-onnx from PyPI (about 2.9 GB) into a virtualenv in evalkit's cache, once.
#   bash scripts/pix2struct-fixture/make.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${EVALKIT_CACHE:-$HOME/.cache/evalkit}"
venv="$cache/fixture-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import optimum.onnxruntime, transformers, torch" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
"$venv/bin/python" "$here/make_fixture.py" --out "$repo/tests/fixtures/pix2struct" --font "$repo/assets/fonts/DejaVuSans.ttf" "$@"
