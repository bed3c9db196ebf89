#!/usr/bin/env python3
"""Prints the harness comparison's table (scripts/compare-harnesses.sh) from its
results.jsonl: per harness the median wall time and median peak RSS of the process tree over
the rounds, each as a ratio to evalkit's, with the date and machine above it, in Markdown.

Usage: table.py RESULTS.jsonl ITEMS CONCURRENCY LATENCY_MS
"""

import datetime
import json
import os
import platform
import statistics
import sys

LABELS = {
    "evalkit": "evalkit",
    "lmms-eval": "lmms-eval 0.7.3",
    "inspect": "inspect_ai 0.3.285 (default sample logging)",
    "inspect-nolog": "inspect_ai 0.3.285 --no-log-samples",
    "vlmevalkit": "VLMEvalKit " + os.environ.get("HARNESS_VLMEVALKIT_REV", ""),
}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fmt_mib(mib):
    return f"{mib / 1024:.2f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: table.py RESULTS.jsonl ITEMS CONCURRENCY LATENCY_MS")
    path, items, concurrency, latency = sys.argv[1:]
    runs = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                r = json.loads(line)
                runs.setdefault(r["harness"], []).append(r)
            except (ValueError, KeyError) as e:
                sys.exit(f"{path} line {n}: not a result line ({e}); re-run the comparison")
    if "evalkit" not in runs:
        sys.exit(f"{path}: no evalkit run to compare with; include evalkit in HARNESS_ONLY")
    # Only rounds every harness finished (an interrupted comparison is still fair).
    done = set.intersection(*({r["round"] for r in rs} for rs in runs.values()))
    if not done:
        sys.exit(f"{path}: no round where every harness finished; re-run the comparison")
    runs = {h: [r for r in rs if r["round"] in done] for h, rs in runs.items()}
    med = {
        h: (
            statistics.median(r["measured"]["wall_s"] for r in rs),
            statistics.median(r["measured"]["peak_rss_mib"] for r in rs),
            len(rs),
            min(r["requests"] for r in rs),
        )
        for h, rs in runs.items()
    }
    base_wall, base_rss = med["evalkit"][0], med["evalkit"][1]
    ideal = int(items) * int(latency) / 1000 / int(concurrency)
    print(
        f"{items} chart items, stub server at {latency} ms, concurrency {concurrency} "
        f"(ideal {ideal:.3f} s); {datetime.date.today().isoformat()}, {os.cpu_count()} CPUs "
        f"({cpu_model()}), {platform.system()} {platform.release()}; medians of "
        f"{len(done)} interleaved round(s)\n"
    )
    print("| harness | wall time | vs evalkit | peak RSS (process tree) | vs evalkit | requests per run |")
    print("|---|---|---|---|---|---|")
    for h in sorted(med, key=lambda h: (h != "evalkit", med[h][0])):
        wall, rss, _, requests = med[h]
        print(
            f"| {LABELS.get(h, h)} | {wall:.2f} s | {wall / base_wall:.1f}x | {fmt_mib(rss)} "
            f"| {rss / base_rss:.1f}x | {requests} |"
        )


if __name__ == "__main__":
    main()
