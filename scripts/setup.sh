#!/usr/bin/env bash
# Installs what evalkit's local (ONNX) models need, idempotently, into a cache outside the
# clone (${EVALKIT_CACHE:-$HOME/.cache/evalkit}):
#   onnxruntime/1.31.1/libonnxruntime.so.1.31.1   ONNX Runtime, from PyPI's onnxruntime wheel
#   models/ppocr/ch_PP-OCRv4_{det,rec}_infer.onnx  PP-OCR (Apache-2.0), from PyPI's
#   models/ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx       rapidocr-onnxruntime wheel
# and, from Debian (apt), what the `pot` strategy's sandbox runs: bubblewrap (/usr/bin/bwrap)
# and the system's python3 (/usr/bin/python3: the sandbox binds only /usr), and the browser
# the leaderboard page's test drives: chromium with its chromedriver (chromium-driver).
# Files already present are not fetched again; the only network used is PyPI (through pip)
# and Debian's archive (through apt-get, only when a package is missing).
# Needs python3 with pip; nothing is installed into Python.
set -euo pipefail

# Debian packages for the sandbox and the browser test: `apt-get update` once, then one
# install, only when something is missing.
debs=()
[ -x /usr/bin/bwrap ] || debs+=(bubblewrap)
[ -x /usr/bin/python3 ] || debs+=(python3)
# The browser tests of the HTML report and the viewer (tests/browser.rs): chromium and
# its matching chromedriver.
[ -x /usr/bin/chromium ] || debs+=(chromium)
[ -x /usr/bin/chromedriver ] || debs+=(chromium-driver)
if [ ${#debs[@]} -eq 0 ]; then
    echo "sandbox and browser: bwrap, python3, chromium, chromedriver (installed)"
else
    echo "Debian packages: installing ${debs[*]}"
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${debs[@]}" >&2
fi

cache="${EVALKIT_CACHE:-$HOME/.cache/evalkit}"
ort_version=1.31.1
rapidocr_version=1.4.4
ort_dir="$cache/onnxruntime/$ort_version"
ort_lib="$ort_dir/libonnxruntime.so.$ort_version"
model_dir="$cache/models/ppocr"
models=(ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx)

have_all() {
    for f in "$@"; do [ -s "$f" ] || return 1; done
}

# Downloads one wheel (no dependencies) into a fresh temporary directory and prints its path.
download_wheel() {
    local spec=$1 tmp
    if ! python3 -m pip --version >/dev/null 2>&1; then
        echo "scripts/setup.sh: downloading $spec needs python3 with pip (e.g. apt-get install python3-pip)" >&2
        exit 1
    fi
    tmp=$(mktemp -d "$cache/.download.XXXXXX")
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
        --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
        "$spec" -d "$tmp" >&2
    echo "$tmp"
}

# Extracts members of a wheel whose names end with the given suffixes into a directory,
# writing each through a temporary file so an interrupted run leaves no partial file.
extract() {
    python3 - "$@" <<'PY'
import os, sys, zipfile
wheel, dest, *suffixes = sys.argv[1:]
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for suffix in suffixes:
        names = [n for n in z.namelist() if n == suffix or n.endswith("/" + suffix)]
        if len(names) != 1:
            sys.exit(f"{wheel}: expected one member ending in {suffix}, found {names}")
        target = os.path.join(dest, os.path.basename(suffix))
        tmp = target + ".part"
        with z.open(names[0]) as src, open(tmp, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.replace(tmp, target)
        print(f"  {target} ({os.path.getsize(target)} bytes)")
PY
}

mkdir -p "$cache"

if have_all "$ort_lib"; then
    echo "ONNX Runtime $ort_version: $ort_lib (cached)"
else
    echo "ONNX Runtime $ort_version: downloading the onnxruntime wheel from PyPI"
    tmp=$(download_wheel "onnxruntime==$ort_version")
    trap 'rm -rf "$tmp"' EXIT
    extract "$tmp"/onnxruntime-*.whl "$ort_dir" "onnxruntime/capi/libonnxruntime.so.$ort_version"
    rm -rf "$tmp"
    trap - EXIT
fi

paths=()
for m in "${models[@]}"; do paths+=("$model_dir/$m"); done
if have_all "${paths[@]}"; then
    echo "PP-OCR models: $model_dir (cached)"
else
    echo "PP-OCR models: downloading the rapidocr-onnxruntime $rapidocr_version wheel from PyPI"
    tmp=$(download_wheel "rapidocr-onnxruntime==$rapidocr_version")
    trap 'rm -rf "$tmp"' EXIT
    extract "$tmp"/rapidocr_onnxruntime-*.whl "$model_dir" "${models[@]}"
    rm -rf "$tmp"
    trap - EXIT
fi
