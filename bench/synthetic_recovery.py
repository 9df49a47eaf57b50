"""Does a study of the synthetic suite recover its designed structure? The testbed's goal.

Runs a study config (default ``synthetic-full`` at its defaults) into ``--out``, or resumes
it there (a finished study is only read), then prints what the testbed issue asks of it:
the wall time of the cells run, the tasks learned in every run (in-task PGF above 0.3, no
collapse), and the ground-truth recovery, raw and format-controlled: the Spearman
correlation of the off-diagonal mean PGF with the declared skill overlap and its
permutation p-value over task labels, as ``tasktransfer analyze`` computes them
(``analysis.json``, ``recovery``). The named alternative is the permutation null: p is the
share of random relabellings of the tasks that correlate at least as well. Beside it, the
mean PGF of the ordered pairs by their skill overlap shows where the correlation comes from.

    python bench/synthetic_recovery.py --out studies/synthetic-full
    python bench/synthetic_recovery.py --out DIR --set "seeds=[0]"

Goal (docs/tiny-model.md): 3 seeds on 2 cores in at most 45 minutes, every task learned in
every run, controlled Spearman >= 0.4 with p < 0.01.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tiny_transfer_calibration import LEARNED

# Bands of skill overlap (Jaccard): none, at most one shared skill in three, more.
BANDS = (("0", 0.0, 0.0), ("(0, 1/3]", 1e-9, 1 / 3 + 1e-9), ("above 1/3", 1 / 3 + 1e-9, 1.0))


def commit() -> str:
    """The checked-out commit, or 'unknown' outside a git checkout."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main() -> None:
    from tasktransfer.contracts import StudyLayout, read_results
    from tasktransfer.study import load_study_config, run_study

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="synthetic-full", help="study config name or path")
    parser.add_argument("--out", required=True, help="study folder (resumed if it exists)")
    parser.add_argument("--set", nargs="*", default=[], help="study overrides, key=value")
    args = parser.parse_args()
    print(f"command: python {shlex.join(sys.argv)}  (commit {commit()})", flush=True)

    config = load_study_config(args.config, args.set, output=args.out)
    started = time.perf_counter()
    outcome = run_study(config)
    wall = time.perf_counter() - started
    ran = len(outcome.ran)
    print(f"{ran} cells run, {len(outcome.skipped)} already done: {wall / 60:.1f} min")

    layout = StudyLayout(Path(args.out))
    results = read_results(layout.results)
    for label, model in json.loads((layout.analysis / "analysis.json").read_text())[
        "models"
    ].items():
        tasks, runs = model["tasks"], model["runs"]
        collapsed = {
            (r.run, r.source) for r in results
            if r.model == label and r.source == r.target and r.collapsed
        }  # fmt: skip
        learned = [
            t for i, t in enumerate(tasks)
            if all(
                model["pgf_runs"][k][i][i] > LEARNED and (run, t) not in collapsed
                for k, run in enumerate(runs)
            )
        ]  # fmt: skip
        print(f"\n{label}: {len(learned)}/{len(tasks)} tasks learned in each of {len(runs)} runs")
        missing = sorted(set(tasks) - set(learned))
        if missing:
            print("  not learned in every run: " + ", ".join(missing))
        found = model.get("recovery")
        if found is None:
            print("  no recovery: the tasks are not all synthetic ones with declared skills")
            continue
        controlled = found["controlled"]
        print(
            f"  recovery over {found['n_pairs']} ordered pairs: Spearman {found['spearman']:+.3f} "
            f"(p {found['p']:.4f}) raw, {controlled['spearman']:+.3f} "
            f"(p {controlled['p']:.4f}) controlled; {found['n_permutations']} permutations"
        )
        order = [found["tasks"].index(t) for t in tasks]  # the overlap in the model's order
        overlap = np.array(found["overlap"])[np.ix_(order, order)]
        off = ~np.eye(len(tasks), dtype=bool)
        raw, ctl = np.array(model["pgf_mean"]), np.array(model["pgf_mean_controlled"])
        for name, low, high in BANDS:
            pairs = off & (overlap >= low) & (overlap <= high)
            print(
                f"  skill overlap {name:10s} {pairs.sum():4d} pairs: mean PGF "
                f"{raw[pairs].mean():+.3f} raw, {ctl[pairs].mean():+.3f} controlled"
            )


if __name__ == "__main__":
    main()
