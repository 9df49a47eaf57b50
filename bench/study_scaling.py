"""How a study's cost splits between finetuning and evaluation, and how it grows.

Runs the quickstart study (tiny model, synthetic suite) at 1..T tasks with one run, and at
the full task count with 1..R runs, reading each cell's measured finetune and evaluation
seconds from its done.json. A study of T tasks and R runs has R * T finetunes and
R * (T + 1) * T target evaluations, so finetuning grows as T * R and evaluation as
T^2 * R. The script prints the measured times next to that model's prediction, scaled
from the smallest study (the named alternative: "linear-in-cells").

    python bench/study_scaling.py [--max-tasks 4] [--max-runs 2] [--steps 60]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from tasktransfer.study import load_study_config, run_study

TASKS = ["Relative_Depth", "Spatial_Relation", "Visual_Correspondence", "Counting"]


def measure(tasks: list[str], runs: int, steps: int, out: Path) -> dict[str, float]:
    overrides = [
        f"tasks=[{', '.join(tasks)}]",
        f"seeds={list(range(runs))}",
        f"finetune.steps={steps}",
    ]
    run_study(load_study_config("quickstart", overrides, output=out), progress=False, analyse=False)
    totals = {"finetune_s": 0.0, "evaluate_s": 0.0}
    for marker in out.glob("cells/**/done.json"):
        for key, seconds in json.loads(marker.read_text())["timing"].items():
            totals[key] += seconds
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-tasks", type=int, default=len(TASKS))
    parser.add_argument("--max-runs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        grid = [(t, 1) for t in range(1, args.max_tasks + 1)]
        grid += [(args.max_tasks, r) for r in range(2, args.max_runs + 1)]
        for n_tasks, runs in grid:
            times = measure(TASKS[:n_tasks], runs, args.steps, Path(tmp) / f"t{n_tasks}r{runs}")
            rows.append((n_tasks, runs, times["finetune_s"], times["evaluate_s"]))

    t1, r1, ft1, ev1 = rows[0]
    print(
        f"{'tasks':>5} {'runs':>4} {'finetune s':>11} {'eval s':>8} {'eval share':>10} "
        f"{'eval/pred T^2R':>14} {'eval/pred cells':>15}"
    )
    for n_tasks, runs, ft, ev in rows:
        cells = runs * (n_tasks + 1)
        quadratic = ev1 * (runs * (n_tasks + 1) * n_tasks) / (r1 * (t1 + 1) * t1)
        linear = ev1 * cells / (r1 * (t1 + 1))
        print(
            f"{n_tasks:>5} {runs:>4} {ft:>11.1f} {ev:>8.1f} {ev / (ft + ev):>10.0%} "
            f"{ev / quadratic:>14.2f} {ev / linear:>15.2f}"
        )
    print("eval/pred near 1.00 means the model fits: T^2 * R (targets x cells) vs linear in cells.")


if __name__ == "__main__":
    main()
