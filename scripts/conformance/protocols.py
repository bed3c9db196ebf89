#!/usr/bin/env python3
"""Conformance of evalkit's scoring protocols with the upstream reference scorers.

Generates a set of responses evalkit's tests never see (seeded, varied: letters in every
format, option texts, verbose answers, refusals, capitals inside words, Unicode, numbers in
every notation), scores them with the upstream code itself and with evalkit
(`examples/score_protocols.rs`), and reports every item on which a decision differs.

Upstream code is read from git checkouts at the commits evalkit pins and executed as written
(only the functions needed, taken from their files, with their heavy package imports stubbed):

  official MCQ    VLMEvalKit vlmeval/utils/matching_util.py at a67ace5^ (can_infer)
  vlmevalkit MCQ  VLMEvalKit vlmeval/utils/matching_util.py at e8e78f0 (can_infer)
  lmms-eval MMStar  lmms_eval/tasks/_task_utils/mcq_extract.py + tasks/mmstar/utils.py
                  (exact_match, mmstar_aggregate_results) at 75571cf
  lmms-eval AI2D  tasks/ai2d/utils.py (MultiChoiceRegexFilter) + api/metrics.py
                  (exact_match_hf_evaluate, ignore_case, ignore_punctuation) at 75571cf
  vlmevalkit ChartQA  vlmeval/dataset/utils/vqa_eval.py (process_line 'relaxed_accuracy',
                  hit_calculate) at e8e78f0
  lmms-eval ChartQA  tasks/chartqa/utils.py (chartqa_process_results) at 75571cf

lmms-eval's harness strips a response before `process_results` (api/task.py) and applies a
task's filter before that; both steps are reproduced here as the harness does them.

Not part of the test command (it needs the upstream checkouts and numpy). Usage:

  cargo build --release --example score_protocols
  python3 scripts/conformance/protocols.py --vlmevalkit PATH/VLMEvalKit --lmms-eval PATH/lmms-eval \\
      [--n 500] [--seed 0] [--evalkit PATH/TO/score_protocols]

PATH may be a clone or a bare git directory. Exit status 1 when any decision differs.
"""

import argparse
import ast
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import types
from collections import defaultdict
from typing import Optional

PINNED = {"vlmevalkit": "e8e78f0", "lmms-eval": "75571cf"}
VERBOSE_RULE_COMMIT = "a67ace5"


def git_show(repo, rev, path):
    return subprocess.run(
        ["git", "-C", repo, "show", f"{rev}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def git_commit(repo, rev):
    return subprocess.run(
        ["git", "-C", repo, "rev-parse", "--short=7", rev],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def load_defs(source, names, env):
    """Executes the top-level definitions `names` (functions, classes, assignments) of a
    source file in `env` and returns it."""
    tree = ast.parse(source)
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            keep.append(node)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in names for t in node.targets
        ):
            keep.append(node)
    missing = set(names) - {
        getattr(n, "name", None) or n.targets[0].id for n in keep
    }
    if missing:
        sys.exit(f"upstream file lacks {sorted(missing)}: is the checkout the pinned commit?")
    exec(compile(ast.Module(body=keep, type_ignores=[]), "<upstream>", "exec"), env)
    return env


class Upstream:
    """The upstream scorers, loaded from the checkouts."""

    def __init__(self, vlm_repo, lmms_repo):
        import numpy as np
        import re

        self.commits = {
            "vlmevalkit": git_commit(vlm_repo, "HEAD"),
            "lmms-eval": git_commit(lmms_repo, "HEAD"),
        }
        for name, want in PINNED.items():
            if self.commits[name] != want:
                print(
                    f"warning: {name} checkout is at {self.commits[name]}, evalkit pins {want}",
                    file=sys.stderr,
                )
        mcq_names = ["_VERBOSE_ANSWER_RE", "can_infer_option", "can_infer_text", "can_infer"]
        base = {"re": re, "os": os, "string": string, "cp": __import__("copy"),
                "logger": types.SimpleNamespace(warning=lambda *a, **k: None, info=lambda *a, **k: None)}
        self.vlm_new = load_defs(
            git_show(vlm_repo, "HEAD", "vlmeval/utils/matching_util.py"), mcq_names, dict(base)
        )
        old_src = git_show(vlm_repo, f"{VERBOSE_RULE_COMMIT}^", "vlmeval/utils/matching_util.py")
        self.vlm_old = load_defs(
            old_src, ["can_infer_option", "can_infer_text", "can_infer"], dict(base)
        )
        misc = load_defs(
            git_show(vlm_repo, "HEAD", "vlmeval/smp/misc.py"), ["istype", "listinstr"], {}
        )
        self.vqa = load_defs(
            git_show(vlm_repo, "HEAD", "vlmeval/dataset/utils/vqa_eval.py"),
            ["relaxed_correctness", "process_line", "hit_calculate"],
            {"np": np, "Optional": Optional, "istype": misc["istype"], "listinstr": misc["listinstr"]},
        )
        # lmms-eval
        mcq_src = git_show(lmms_repo, "HEAD", "lmms_eval/tasks/_task_utils/mcq_extract.py")
        mcq_mod = types.ModuleType("lmms_eval.tasks._task_utils.mcq_extract")
        exec(compile(mcq_src, "mcq_extract.py", "exec"), mcq_mod.__dict__)
        for name in ["lmms_eval", "lmms_eval.tasks", "lmms_eval.tasks._task_utils"]:
            sys.modules.setdefault(name, types.ModuleType(name))
        sys.modules["lmms_eval.tasks._task_utils.mcq_extract"] = mcq_mod
        self.extract_mcq_answer = mcq_mod.extract_mcq_answer
        self.mmstar = load_defs(
            git_show(lmms_repo, "HEAD", "lmms_eval/tasks/mmstar/utils.py"),
            ["exact_match", "mmstar_process_results", "mmstar_aggregate_results"],
            {"defaultdict": defaultdict,
             "eval_logger": types.SimpleNamespace(info=lambda *a, **k: None)},
        )
        extraction = types.ModuleType("lmms_eval.filters.extraction")

        class ExtendedRegexFilter:  # the base class; apply() does not use its state
            def __init__(self, *args, **kwargs):
                pass

        extraction.ExtendedRegexFilter = ExtendedRegexFilter
        sys.modules.setdefault("lmms_eval.filters", types.ModuleType("lmms_eval.filters"))
        sys.modules["lmms_eval.filters.extraction"] = extraction
        ai2d = types.ModuleType("ai2d_utils")
        exec(
            compile(git_show(lmms_repo, "HEAD", "lmms_eval/tasks/ai2d/utils.py"), "ai2d/utils.py", "exec"),
            ai2d.__dict__,
        )
        self.ai2d_filter = ai2d.MultiChoiceRegexFilter()
        self.metrics = load_defs(
            git_show(lmms_repo, "HEAD", "lmms_eval/api/metrics.py"),
            ["exact_match_hf_evaluate"],
            {"np": np, "re": re, "string": string},
        )
        chartqa = {}
        exec(
            compile(git_show(lmms_repo, "HEAD", "lmms_eval/tasks/chartqa/utils.py"), "chartqa/utils.py", "exec"),
            chartqa,
        )
        self.chartqa = chartqa

    # Each returns (value, extraction or None).
    def official_mcq(self, item):
        ret = self.vlm_old["can_infer"](item["response"], dict(item["choices"]))
        return float(ret == item["answers"][0]), None

    def vlmevalkit_mcq(self, item):
        ret = self.vlm_new["can_infer"](item["response"], dict(item["choices"]))
        return float(ret == item["answers"][0]), (ret if ret else None)

    def lmms_mmstar(self, item):
        pred = item["response"].strip()  # api/task.py process_results
        score = self.mmstar["exact_match"](pred, item["answers"][0])
        letter = self.extract_mcq_answer(pred, choices=["A", "B", "C", "D"])
        return float(score), (letter or None)

    def lmms_ai2d(self, item):
        filtered = self.ai2d_filter.apply([[item["response"]]], [None])[0]
        pred = filtered.strip()  # api/task.py
        score = self.metrics["exact_match_hf_evaluate"](
            predictions=[pred], references=[item["answers"][0]],
            ignore_case=True, ignore_punctuation=True,
        )["exact_match"]
        return float(score), pred

    def vlmevalkit_chartqa(self, item):
        line = {"answer": item["answers"][0], "prediction": item["response"]}
        ret = self.vqa["process_line"](line, method="relaxed_accuracy")
        return float(self.vqa["hit_calculate"]([ret], "ChartQA")[0]), None

    def lmms_chartqa(self, item):
        doc = {"type": "human_test", "answer": item["answers"][0]}
        res = self.chartqa["chartqa_process_results"](doc, [item["response"].strip()])
        return float(res["relaxed_overall"]), None


# --------------------------------------------------------------------------------------------
# Responses evalkit's tests never see.
# --------------------------------------------------------------------------------------------

OPTION_POOL = [
    "cat", "dog", "a red car", "12 cm", "8 cm", "oxygen", "carbon dioxide", "The suitcase is on the book.",
    "2021 and 2022, tied", "2021", "A", "none of these", "Berlin", "increase", "decrease", "Ångström",
    "İstanbul", "a", "B and C", "the left one", "Cannot tell", "答案", "3", "30%", "ACDC",
]
WORDS = [
    "the", "a", "A", "chart", "shows", "After", "Based", "on", "image", "Dog", "Cat", "Bar", "Data",
    "I", "think", "so", "is", "answer", "option", "correct", "Clearly", "Because", "Therefore",
    "value", "B.", "(C)", "D:", "is:", "Answer:", "**A**", "x", "é", "İ", "ß", "Δ", "answer is",
]


def mcq_item(rng, n_options):
    labels = list("ABCD")[:n_options]
    texts = rng.sample(OPTION_POOL, n_options)
    return list(zip(labels, texts))


def mcq_response(rng, choices):
    labels = [l for l, _ in choices]
    L = rng.choice(labels + ["A", "B", "C", "D", "Z", "E"])
    L2 = rng.choice(labels)
    text = rng.choice([t for _, t in choices])
    text2 = rng.choice([t for _, t in choices])
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 25)))
    parts = [
        L, f"({L})", f"{L}.", L.lower(), f"Answer: {L}", f"The answer is {L}.", f"the answer is {L.lower()}",
        f"The correct answer is **{L}**. Here's why: {words}", f"**{L}**", f"{L}) {text}", f"{L}: {text}",
        f"{L}. {text}", text, f"It is {text}.", f"{text} or {text2}", words, f"{words} so the answer is {L}",
        f"{words}\n\n{L}", f"The answer is a {rng.choice(['dog', 'cat', 'bird', 'calm one'])}",
        "Cannot determine the answer", "I'm sorry, but without the image provided I can't say.",
        "Failed to obtain answer via API", "Z", f"I think it's {L} or {L2}", f"答案是{L}", f"옵션 {L}",
        f"Die Antwort ist {L}", f"İ think {L}", "", "   ", f"\n {L}.\n", f"{L}{L2}", f"[{L}]",
        f"{{{L}}}", f"{L}, {L2}", f"Option {L}", f"{words} {text}", f"'{L}'", f'"{L}."', f"{L}!",
        f"<{L}>", f"{L}\t", f"\u00a0{L}\u00a0", f"{L}:", f"choice is {L2}", f"I choose {L}",
    ]
    n = rng.choice([1, 1, 1, 2, 3])
    sep = rng.choice([" ", "\n", ". ", ", "])
    return sep.join(rng.choice(parts) for _ in range(n))


CHART_GOLDS = ["12", "0", "12%", "1,234", "Yes", "No", "blue", "2019", "0.5", "-3", "100", "1e3",
               "Inf", "nan", "3.14", "7%", "Dubai", "0.0", "58.3"]


def chartqa_response(rng, gold):
    base = rng.choice([gold, gold.lower(), gold.upper(), "12.5", "11.5", "0.12", "12 %", "12%%",
                       "1234", "1,234", "1_234", "١٢", "inf", "NaN", "-0", "0.0", "yes", "Yes.",
                       "95", "105", "104.9", "blue.", "Blue", "2019.0", "1e1", "  ", ""])
    pad = rng.choice(["", "", " ", "\n", " \n", "\t", "\u3000", ".", "%"])
    return rng.choice([base, base + pad, pad + base, f"{pad}{base}{pad}"])


def generate(rng, n):
    items = []
    l2_axes = [f"axis {i}" for i in range(18)]
    for i in range(n):
        choices = mcq_item(rng, 4)
        items.append({
            "id": f"mmstar-{i}", "benchmark": "mmstar", "answers": [rng.choice("ABCD")],
            "choices": choices, "response": mcq_response(rng, choices),
            "fields": {"category": f"cap {i % 6}", "l2_category": rng.choice(l2_axes)},
        })
    for i in range(n):
        choices = mcq_item(rng, rng.choice([2, 3, 4]))
        items.append({
            "id": f"ai2d-{i}", "benchmark": "ai2d", "answers": [rng.choice(choices)[0]],
            "choices": choices, "response": mcq_response(rng, choices), "fields": {},
        })
    for i in range(n):
        gold = rng.choice(CHART_GOLDS)
        items.append({
            "id": f"chartqa-{i}", "benchmark": "chartqa", "answers": [gold],
            "response": chartqa_response(rng, gold), "fields": {"split": "human"},
        })
    return items


SCORERS = {
    ("mmstar", "official"): "official_mcq",
    ("mmstar", "vlmevalkit"): "vlmevalkit_mcq",
    ("mmstar", "lmms-eval"): "lmms_mmstar",
    ("ai2d", "official"): "official_mcq",
    ("ai2d", "vlmevalkit"): "vlmevalkit_mcq",
    ("ai2d", "lmms-eval"): "lmms_ai2d",
    ("chartqa", "vlmevalkit"): "vlmevalkit_chartqa",
    ("chartqa", "lmms-eval"): "lmms_chartqa",
}


def default_evalkit():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "target")
    release = os.path.join(target, "release", "examples", "score_protocols")
    debug = os.path.join(target, "debug", "examples", "score_protocols")
    return release if os.path.exists(release) or not os.path.exists(debug) else debug


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vlmevalkit", required=True, help="a git checkout of open-compass/VLMEvalKit")
    ap.add_argument("--lmms-eval", required=True, help="a git checkout of EvolvingLMMs-Lab/lmms-eval")
    ap.add_argument("--n", type=int, default=500, help="items per benchmark")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--evalkit", default=default_evalkit(), help="the built score_protocols example")
    ap.add_argument("--show", type=int, default=5, help="mismatches shown per scorer")
    args = ap.parse_args()

    upstream = Upstream(args.vlmevalkit, args.lmms_eval)
    items = generate(random.Random(args.seed), args.n)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
        path = f.name
    try:
        out = subprocess.run([args.evalkit, path], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(path)
    ours = {}
    figures = {}
    for line in out.splitlines():
        row = json.loads(line)
        if "figures" in row:
            figures[row["benchmark"]] = row["figures"]
        else:
            ours[(row["id"], row["protocol"])] = row

    by_id = {it["id"]: it for it in items}
    counts = defaultdict(lambda: [0, 0])  # scorer -> [items, mismatches]
    right = defaultdict(float)  # scorer -> upstream items right
    shown = defaultdict(int)
    for (bench, protocol), method in SCORERS.items():
        key = f"{bench}/{protocol}"
        for it in items:
            if it["benchmark"] != bench:
                continue
            value, extracted = getattr(upstream, method)(it)
            mine = ours[(it["id"], protocol)]
            counts[key][0] += 1
            right[key] += value
            same = mine["value"] == value
            # Extractions are compared where the upstream scorer has one to compare.
            if extracted is not None or method in ("lmms_mmstar", "vlmevalkit_mcq"):
                same = same and mine["extracted"] == extracted
            if not same:
                counts[key][1] += 1
                if shown[key] < args.show:
                    shown[key] += 1
                    print(f"MISMATCH {key} {it['id']}: response={it['response']!r} gold={it['answers']} "
                          f"upstream=({value}, {extracted!r}) evalkit=({mine['value']}, {mine['extracted']!r})")

    # lmms-eval's MMStar aggregation (the mean over l2 axes), once over the whole set.
    results = []
    for it in items:
        if it["benchmark"] == "mmstar":
            score, _ = upstream.lmms_mmstar(it)
            results.append({"score": score, "l2_category": it["fields"]["l2_category"]})
    agg = round(100 * upstream.mmstar["mmstar_aggregate_results"](results), 4)
    ours_agg = figures["Mmstar"]["lmms-eval"]["accuracy"]
    counts["mmstar/lmms-eval aggregate"] = [1, int(abs(agg - ours_agg) > 1e-9)]
    if agg != ours_agg:
        print(f"MISMATCH mmstar/lmms-eval aggregate: upstream {agg} evalkit {ours_agg}")

    print(f"\nupstream: VLMEvalKit {upstream.commits['vlmevalkit']} (and matching_util.py at "
          f"{VERBOSE_RULE_COMMIT}^ for official), lmms-eval {upstream.commits['lmms-eval']}; seed {args.seed}")
    total = [0, 0]
    for key, (n, bad) in counts.items():
        share = f"  upstream right {100 * right[key] / n:5.1f}%" if key in right else ""
        print(f"  {key:<28} {n:>6} items  {bad:>4} mismatches{share}")
        total[0] += n
        total[1] += bad
    print(f"  {'total':<28} {total[0]:>6} items  {total[1]:>4} mismatches")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
