#!/usr/bin/env bash
# End-to-end speed of a local model on real chart sizes: `evalkit run --model
# pix2struct-tiny` (the committed tiny Pix2Struct, adapters/pix2struct-tiny.toml) on
# synthetic 800x600 charts, start-up included, as a user runs it. Prints, per round and as
# medians, items/s and wall time from summary.json and the peak RSS of the evalkit process.
# The engine's own figures on the fixture's small images: `cargo run --release --example
# bench_pix2struct`.
#
#   bash scripts/bench-pix2struct-run.sh [CHARTS] [ROUNDS]   # default 100 charts x 4 questions, 3 rounds
#
# Needs ONNX Runtime (bash scripts/setup.sh). Not part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
CHARTS=${1:-100}
ROUNDS=${2:-3}
CACHE=${EVALKIT_CACHE:-$HOME/.cache/evalkit}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}
cargo build --release -q -p evalkit
BIN="$CARGO_TARGET_DIR/release/evalkit"
SUITE="$CACHE/bench/pix2struct-charts-$CHARTS"
if [[ ! -f "$SUITE/manifest.json" ]]; then
    "$BIN" synth --seed 0 --charts "$CHARTS" --questions 4 --out "$SUITE" >&2
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for round in $(seq "$ROUNDS"); do
    # A fresh run directory each round: nothing is resumed.
    "$BIN" run --model adapters/pix2struct-tiny.toml --suite synthchart --data "$SUITE" \
        --out "$OUT/runs-$round" --json >"$OUT/summary-$round.json"
done
python3 - "$OUT" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
rows = []
for r in range(1, rounds + 1):
    s = json.load(open(f"{out}/summary-{r}.json"))
    n = s["counts"]["answered"]
    rows.append((n / s["wall_time_s"], s["wall_time_s"], s.get("peak_rss_mib") or 0.0, n))
    print(f"round {r}: {n} items in {s['wall_time_s']:.2f} s = {rows[-1][0]:.1f} items/s, peak RSS {rows[-1][2]:.0f} MiB")
print(
    f"median: {statistics.median(r[0] for r in rows):.1f} items/s, "
    f"{statistics.median(r[1] for r in rows):.2f} s, peak RSS {statistics.median(r[2] for r in rows):.0f} MiB"
)
PY
