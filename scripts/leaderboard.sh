#!/usr/bin/env bash
# Regenerates reports/leaderboard/ from runs this repository can reproduce: the bundled
# default's systems on the synthetic suite (seed 0, 50 charts, 200 items): SmolLM2-135M on
# llama.cpp's server answering from each perception source of the bundled default (PP-OCR's
# text, the gold table, nothing: the blind baseline). The runs are the bundled default's
# (`runs/` unless EVALKIT_LEADERBOARD_RUNS says otherwise), so after scripts/default.sh
# this only writes the leaderboard; otherwise it makes them (a few minutes; a re-run
# resumes). Needs what scripts/setup.sh and scripts/setup-llm.sh install.
# EVALKIT_BIN=/path/to/evalkit uses that binary instead of building one (cargo build --release).
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
runs="${EVALKIT_LEADERBOARD_RUNS:-runs}"
charts="${EVALKIT_DEFAULT_CHARTS:-50}"
port="${EVALKIT_LLM_PORT:-8080}"
bash scripts/setup.sh >/dev/null
bash scripts/setup-llm.sh >/dev/null
if [ -n "${EVALKIT_BIN:-}" ]; then
    evalkit="$EVALKIT_BIN"
else
    cargo build --release -q
    evalkit="$CARGO_TARGET_DIR/release/evalkit"
fi
"$evalkit" synth --seed 0 --charts "$charts" >/dev/null
bash scripts/llm-server.sh start "$port" >/dev/null
trap 'bash scripts/llm-server.sh stop "$port"' EXIT
for source in ocr gold-table none; do
    "$evalkit" run --reasoning smollm2 --perception "$source" --suite synthchart --out "$runs" --quiet >/dev/null
done
"$evalkit" leaderboard "$runs" --out reports/leaderboard
