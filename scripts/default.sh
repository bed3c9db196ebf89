#!/usr/bin/env bash
# The bundled default, end to end and all real, all local: installs what it needs (once,
# cached in ${EVALKIT_CACHE:-~/.cache/evalkit}), generates the synthetic chart suite
# (seed 0), and prints the perception-versus-reasoning report for PP-OCR (ONNX), the gold
# table (the oracle) and no description (the blind baseline) as perception, with
# SmolLM2-135M on llama.cpp's server as reasoning. Extra arguments go to `evalkit decouple`
# (e.g. --limit 20). Idempotent: a second run reuses every install, description and answer.
# The report ends with where its HTML page is and the `evalkit view` command for its items.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/evalkit/target}"
charts="${EVALKIT_DEFAULT_CHARTS:-50}"   # 50 charts x 4 questions = 200 items: enough for a paired test

bash scripts/setup.sh          # ONNX Runtime + PP-OCR models
bash scripts/setup-llm.sh      # llama.cpp server (built once) + SmolLM2-135M
cargo build --release -q -p evalkit
bin="$CARGO_TARGET_DIR/release/evalkit"

bash scripts/llm-server.sh start 8080 >/dev/null
trap 'bash scripts/llm-server.sh stop 8080' EXIT

"$bin" synth --seed 0 --charts "$charts" >/dev/null
"$bin" decouple --suite synthchart --perception ocr,gold-table,none --reasoning smollm2 "$@"
