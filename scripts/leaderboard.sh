#!/usr/bin/env bash
# Regenerates reports/leaderboard/ from runs this repository can reproduce: the bundled
# default's models on the synthetic suite (seed 0, 12 charts). PP-OCR (in process) and
# SmolLM2-135M on llama.cpp's server answer end to end (`--model ppocr`, `--model
# llamacpp`: text only, the chart is left out), and SmolLM2 answers from the perception
# sources of the bundled default (OCR text, the gold table, nothing). Needs what
# scripts/setup.sh and scripts/setup-llm.sh install; takes a few minutes; runs are kept
# in ${EVALKIT_LEADERBOARD_RUNS:-$HOME/.cache/evalkit/leaderboard-runs} so a re-run
# resumes them. EVALKIT_BIN=/path/to/evalkit uses that binary instead of building one
# (cargo build --release).
set -euo pipefail
# A relative EVALKIT_BIN is taken from where the script was called; a bare name from PATH.
case "${EVALKIT_BIN:-}" in
    "" | /*) ;;
    */*) EVALKIT_BIN="$PWD/$EVALKIT_BIN" ;;
    *) EVALKIT_BIN="$(command -v "$EVALKIT_BIN" || echo "$EVALKIT_BIN")" ;;
esac
if [ -n "${EVALKIT_BIN:-}" ] && { [ ! -f "$EVALKIT_BIN" ] || [ ! -x "$EVALKIT_BIN" ]; }; then
    echo "EVALKIT_BIN=$EVALKIT_BIN is not an executable file: give the path of an evalkit binary, or unset it to build one" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/evalkit/target}"
runs="${EVALKIT_LEADERBOARD_RUNS:-$HOME/.cache/evalkit/leaderboard-runs}"
port="${EVALKIT_LLM_PORT:-8080}"
bash scripts/setup.sh >/dev/null
bash scripts/setup-llm.sh >/dev/null
if [ -n "${EVALKIT_BIN:-}" ]; then
    evalkit="$EVALKIT_BIN"
else
    cargo build --release -q
    evalkit="$CARGO_TARGET_DIR/release/evalkit"
fi
"$evalkit" synth --seed 0 --charts 12 >/dev/null
bash scripts/llm-server.sh start "$port"
trap 'bash scripts/llm-server.sh stop "$port"' EXIT
"$evalkit" run --model ppocr --suite synthchart --out "$runs" --quiet >/dev/null
"$evalkit" run --model llamacpp --suite synthchart --out "$runs" --quiet >/dev/null
for source in ocr gold-table none; do
    "$evalkit" run --reasoning llamacpp --perception "$source" --suite synthchart --out "$runs" --quiet >/dev/null
done
"$evalkit" leaderboard "$runs" --out reports/leaderboard
