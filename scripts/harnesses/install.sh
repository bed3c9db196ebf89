#!/usr/bin/env bash
# Installs the Python harnesses the comparison (scripts/compare-harnesses.sh) runs into one
# cached virtual environment, once: lmms-eval 0.7.3 and inspect-ai 0.3.285 from PyPI, and
# VLMEvalKit editable from a checkout when VLMEVALKIT_DIR names one (it is not on PyPI), into
# VENV_DIR-vlmevalkit.
#
# lmms-eval needs torch. PyTorch's CPU-only wheels (download.pytorch.org/whl/cpu) are used
# when that index answers; otherwise pip takes torch from PyPI, whose Linux wheel is the CUDA
# build and pulls the nvidia-* wheels (several GB). Either way the harness never touches a GPU
# here: the stub server answers. The venv lives in the cache, never in the repository.
#
# Usage: install.sh VENV_DIR   (idempotent: a second call with the same pins returns at once)
set -euo pipefail

VENV=${1:?usage: install.sh VENV_DIR}
LMMS_EVAL=lmms-eval==0.7.3
INSPECT_AI=inspect-ai==0.3.285
PINS="$LMMS_EVAL $INSPECT_AI filelock<4 vlmevalkit=${VLMEVALKIT_DIR:-none}"
STAMP="$VENV/.evalkit-harnesses"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$PINS" ]]; then
    exit 0
fi

python3 -m venv "$VENV" || {
    echo "error: cannot create a virtual environment at $VENV; install python3-venv (Debian: apt-get install python3-venv)" >&2
    exit 1
}
PIP=("$VENV/bin/pip" install --quiet)

CPU_INDEX=https://download.pytorch.org/whl/cpu
if curl -fsS -o /dev/null --max-time 15 "$CPU_INDEX/" 2>/dev/null; then
    echo "installing CPU-only torch from $CPU_INDEX" >&2
    "${PIP[@]}" --index-url "$CPU_INDEX" torch torchvision
else
    echo "note: $CPU_INDEX is not reachable; torch comes from PyPI (the CUDA build, several GB)" >&2
fi

echo "installing $LMMS_EVAL and $INSPECT_AI into $VENV (once; several minutes)" >&2
# lmms-eval 0.7.3 imports `filelock._api`, which filelock 4 removed.
"${PIP[@]}" "$LMMS_EVAL" "$INSPECT_AI" 'filelock<4'

if [[ -n "${VLMEVALKIT_DIR:-}" ]]; then
    if [[ ! -f "$VLMEVALKIT_DIR/setup.py" ]]; then
        echo "error: VLMEVALKIT_DIR=$VLMEVALKIT_DIR is not a VLMEvalKit checkout (no setup.py); get one with: git clone https://github.com/open-compass/VLMEvalKit" >&2
        exit 1
    fi
    # A venv of its own: VLMEvalKit pins antlr4-python3-runtime 4.11.1, lmms-eval's
    # latex2sympy2 4.7.2. It sees the main venv's packages through a .pth file (torch is
    # not installed twice); what it pins differently is installed in its own site-packages,
    # which comes first.
    VVENV="$VENV-vlmevalkit"
    python3 -m venv "$VVENV"
    "$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
        >"$("$VVENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/evalkit-harness-venv.pth"
    echo "installing VLMEvalKit from $VLMEVALKIT_DIR (editable) into $VVENV" >&2
    # rouge-score: imported at start-up (vlmeval/dataset/utils/mmlongbench_metrics.py) but
    # missing from its requirements.txt.
    "$VVENV/bin/pip" install --quiet -e "$VLMEVALKIT_DIR" rouge-score
fi

echo "$PINS" >"$STAMP"
