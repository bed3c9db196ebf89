#!/usr/bin/env bash
# Side-by-side comparison of evalkit with the Python evaluation harnesses on the same work:
# the same synthetic chart items (2,000 by default: `evalkit synth`, 4 questions per chart),
# one stub OpenAI-compatible server (crates/mockserver, 20 ms per answer), concurrency 64.
# Each harness runs in turn, interleaved (A B C D, A B C D, ...) for HARNESS_ROUNDS rounds,
# each run measured for wall time and the peak resident memory of its whole process tree
# (scripts/harnesses/measure.py); the table gives medians and ratios to evalkit.
#
# Not part of the test command: the first run installs lmms-eval 0.7.3 and inspect-ai
# 0.3.285 (with torch: several GB) into ${EVALKIT_CACHE:-~/.cache/evalkit}/harness-venv.
#
#   bash scripts/compare-harnesses.sh                    # evalkit, lmms-eval, inspect_ai (x2)
#   VLMEVALKIT_DIR=~/src/VLMEvalKit bash scripts/compare-harnesses.sh   # + VLMEvalKit
#
# VLMEvalKit is not on PyPI: `git clone https://github.com/open-compass/VLMEvalKit` and pass
# the checkout as VLMEVALKIT_DIR; it is installed editable into the same venv.
# Settings (environment): HARNESS_ITEMS (2000, a multiple of 4), HARNESS_ROUNDS (3),
# HARNESS_CONCURRENCY (64), HARNESS_LATENCY_MS (20), HARNESS_ONLY (space-separated subset of
# evalkit lmms-eval inspect inspect-nolog vlmevalkit), HARNESS_WORK (work directory).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${EVALKIT_CACHE:-$HOME/.cache/evalkit}
VENV=${HARNESS_VENV:-$CACHE/harness-venv}
WORK=${HARNESS_WORK:-$CACHE/harness-compare}
ITEMS=${HARNESS_ITEMS:-2000}
ROUNDS=${HARNESS_ROUNDS:-3}
CONCURRENCY=${HARNESS_CONCURRENCY:-64}
LATENCY_MS=${HARNESS_LATENCY_MS:-20}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}
H=scripts/harnesses

if (( ITEMS % 4 != 0 )); then
    echo "error: HARNESS_ITEMS=$ITEMS must be a multiple of 4 (4 questions per chart)" >&2
    exit 1
fi
HARNESSES=${HARNESS_ONLY:-"evalkit lmms-eval inspect inspect-nolog${VLMEVALKIT_DIR:+ vlmevalkit}"}

# 1. Installs and builds (once; cached).
bash "$H/install.sh" "$VENV"
cargo build --release -q -p evalkit -p mockserver
BIN="$CARGO_TARGET_DIR/release"

# 2. The items, the same for every harness.
mkdir -p "$WORK"
SUITE="$WORK/suite-$ITEMS"
if [[ ! -f "$SUITE/manifest.json" ]]; then
    "$BIN/evalkit" synth --seed 0 --charts $((ITEMS / 4)) --questions 4 --out "$SUITE" >&2
fi
python3 "$H/make_items.py" "$SUITE" "$WORK/items.jsonl" >&2
rm -rf "$WORK/lmms_task" && cp -r "$H/lmms_eval_task" "$WORK/lmms_task"
sed -i "s|@ITEMS@|$WORK/items.jsonl|" "$WORK/lmms_task/evalkit_charts.yaml"
if [[ " $HARNESSES " == *" vlmevalkit "* ]]; then
    [[ -n "${VLMEVALKIT_DIR:-}" ]] || { echo "error: vlmevalkit needs VLMEVALKIT_DIR=/path/to/a/VLMEvalKit/checkout" >&2; exit 1; }
    # VLMEvalKit reads $LMUData/NAME.tsv; an unknown NAME is a custom VQA dataset, which it
    # can infer but not score (its evaluate() is not implemented), hence --mode infer.
    mkdir -p "$WORK/lmudata"
    ln -sf "$SUITE/synthchart.tsv" "$WORK/lmudata/evalkit_charts.tsv"
    HARNESS_VLMEVALKIT_REV=$(git -C "$VLMEVALKIT_DIR" rev-parse --short=8 HEAD 2>/dev/null || echo checkout)
    export HARNESS_VLMEVALKIT_REV
fi

# 3. One stub server for every run.
PORT_FILE="$WORK/mockserver.out"
"$BIN/mockserver" --port 0 --latency-ms "$LATENCY_MS" --answer 45 --exit-after-secs 86400 >"$PORT_FILE" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$PORT_FILE" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$PORT_FILE" | head -1)
[[ -n "$URL" ]] || { echo "error: the mock server did not start (see $PORT_FILE)" >&2; exit 1; }
STATS=${URL%/v1}/stats
requests() { curl -fsS "$STATS" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }

cat >"$WORK/mock.toml" <<CARD
kind = "openai"
base_url = "$URL"
model = "mock"
max_concurrency = $CONCURRENCY
CARD

# 4. The runs, interleaved.
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
PY="$VENV/bin/python"
run_one() { # NAME ROUND
    local name=$1 round=$2 dir="$WORK/runs/$1-$2"
    rm -rf "$dir" && mkdir -p "$dir"
    local cmd
    case "$name" in
        evalkit) cmd=("$BIN/evalkit" run --model "$WORK/mock.toml" --suite synthchart --data "$SUITE"
                      --out "$dir/out" --json) ;;
        lmms-eval) cmd=(env HF_HOME="$WORK/hf" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
                      "$PY" -m lmms_eval --model openai
                      --model_args "model_version=mock,base_url=$URL,api_key=sk-mock,num_concurrent=$CONCURRENCY"
                      --tasks evalkit_charts --include_path "$WORK/lmms_task" --output_path "$dir/out") ;;
        inspect|inspect-nolog)
            cmd=(env MOCK_BASE_URL="$URL" MOCK_API_KEY=sk-mock INSPECT_LOG_DIR="$dir/logs"
                 "$VENV/bin/inspect" eval "$H/inspect_task.py" -T "items=$WORK/items.jsonl"
                 --model openai-api/mock/mock --max-connections "$CONCURRENCY" --display none)
            [[ "$name" == inspect-nolog ]] && cmd+=(--no-log-samples) ;;
        vlmevalkit) cmd=(env LMUData="$WORK/lmudata" LITELLM_LOCAL_MODEL_COST_MAP=True "$VENV-vlmevalkit/bin/python" "$VLMEVALKIT_DIR/run.py"
                      --data evalkit_charts --model mock --base-url "$URL" --key sk-mock
                      --api-nproc "$CONCURRENCY" --max-tokens 16 --temperature 0 --mode infer
                      --work-dir "$dir/out") ;;
        *) echo "error: unknown harness $name in HARNESS_ONLY (evalkit lmms-eval inspect inspect-nolog vlmevalkit)" >&2; exit 1 ;;
    esac
    local before after m
    before=$(requests)
    m=$(python3 "$H/measure.py" "$dir/log.txt" -- "${cmd[@]}")
    after=$(requests)
    echo "{\"harness\": \"$name\", \"round\": $round, \"requests\": $((after - before)), \"measured\": $m}" | tee -a "$RESULTS" >&2
    if [[ "$m" != *'"exit": 0'* ]]; then
        echo "error: $name failed in round $round; its output is in $dir/log.txt" >&2
        tail -20 "$dir/log.txt" >&2
        exit 1
    fi
}
for round in $(seq "$ROUNDS"); do
    for name in $HARNESSES; do run_one "$name" "$round"; done
done

# 5. The table.
python3 "$H/table.py" "$RESULTS" "$ITEMS" "$CONCURRENCY" "$LATENCY_MS"
