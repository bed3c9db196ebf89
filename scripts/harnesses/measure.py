#!/usr/bin/env python3
"""Runs one command and reports its wall time and the peak resident memory of its whole
process tree (the command and every descendant, summed), as one JSON line on stdout.

GNU time's "maximum resident set size" is the largest single process, not the tree: a
harness that forks workers (or a Python launcher that execs one) would be under-counted.
This samples /proc every 50 ms instead (cheap enough not to slow the measured command on
a small machine) and sums the RSS of every live descendant.

Usage: measure.py LOG_FILE -- COMMAND [ARGS...]   (the command's stdout and stderr go to LOG_FILE)
"""

import json
import resource
import os
import subprocess
import sys
import time


def children_map():
    """Parent PID -> child PIDs, from /proc/*/stat."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(name))
    return kids


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(root):
    kids = children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss_kib(pid)
        stack.extend(kids.get(pid, []))
    return total


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: measure.py LOG_FILE -- COMMAND [ARGS...]")
    log_path, command = sys.argv[1], sys.argv[3:]
    with open(log_path, "wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_rss_kib(proc.pid))
            time.sleep(0.05)
        wall = time.monotonic() - started
    print(
        json.dumps(
            {
                "wall_s": round(wall, 3),
                "peak_rss_mib": round(peak / 1024, 1),
                # The largest single process (what GNU time reports), for comparison.
                "max_process_rss_mib": round(
                    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
                ),
                "exit": proc.returncode,
            }
        )
    )


if __name__ == "__main__":
    main()
