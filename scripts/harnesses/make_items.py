#!/usr/bin/env python3
"""Turns a suite written by `evalkit synth --out DIR` into items.jsonl: one line per
question, `{"id", "question", "answer", "image"}` with the chart's absolute PNG path, the
form the lmms-eval and inspect_ai tasks of the harness comparison read. evalkit reads DIR
itself and VLMEvalKit its synthchart.tsv, so every harness sees the same items.

Usage: make_items.py SUITE_DIR OUT.jsonl
"""

import json
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_items.py SUITE_DIR OUT.jsonl")
    suite, out = os.path.abspath(sys.argv[1]), sys.argv[2]
    path = os.path.join(suite, "questions.json")
    try:
        with open(path) as f:
            questions = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"cannot read {path}: {e}; generate the suite with `evalkit synth --out {suite}`")
    with open(out, "w") as f:
        for q in questions:
            row = {
                "id": q["id"],
                "question": q["question"],
                "answer": str(q["answer"]),
                "image": os.path.join(suite, q["image"]),
            }
            f.write(json.dumps(row) + "\n")
    print(f"{len(questions)} items -> {out}")


if __name__ == "__main__":
    main()
