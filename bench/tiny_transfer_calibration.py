"""Does a study's finetune teach the tiny model its own task? In-task PGF per task and seed.

For each task and seed of a study config (default ``synthetic-full``): finetune the model on
the task's training data with the study's finetune settings, then score the task's eval
data before and after, exactly as a cell of that study would (same data, same settings,
``tasktransfer.model.finetune`` and ``evaluate``). Prints the in-task PGF table, raw and
format-controlled (``../shared/DESIGN.md``), marks a collapsed finetune (one letter for
nearly every answer), and the training accuracy by eighths of the steps, which shows where
a task left the letter prior. The tiny model runs on one pinned thread, so jobs run side by
side in ``--workers`` processes and the table is the same on any machine.

    python bench/tiny_transfer_calibration.py --seeds 0 1 2 3 4      # 13 tasks x 5 seeds
    python bench/tiny_transfer_calibration.py --tasks Counting --seeds 0 --set finetune.steps=100

Criterion (the testbed issue): in-task PGF above 0.3 in every seed, no collapse.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

LEARNED = 0.3


def run_job(config, task: str, seed: int) -> dict:
    """Finetune on ``task`` with ``seed`` and score its eval data before and after."""
    import numpy as np

    from tasktransfer.analysis.format_control import controlled_tensors
    from tasktransfer.analysis.metrics import pgf
    from tasktransfer.analysis.tables import ModelRuns
    from tasktransfer.contracts import ZERO_SHOT
    from tasktransfer.model import evaluate, finetune
    from tasktransfer.study.config import run_label

    model = config.models[0]
    train = config.train_data.load([task])[task]
    test = config.eval_data.load([task])[task]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        out = finetune(
            model, train, Path(tmp) / "ft", config=config.finetune, seed=seed, progress=False
        )
        log = [json.loads(line) for line in (out / "loss_log.jsonl").read_text().splitlines()]
        result = evaluate(
            model,
            {task: test},
            adapters={ZERO_SHOT: None, task: out},
            config=config.evaluation,
            progress=False,
        )
        seconds = time.perf_counter() - started
    run = run_label(seed)
    rows = {row.source: row for row in result.results(model=model.name, run=run)}
    # The in-task cell as the analysis reads it: one run, one task.
    acc, acc0 = np.array([[[rows[task].accuracy]]]), np.array([[rows[ZERO_SHOT].accuracy]])
    table = ModelRuns(model.name, (task,), (run,), pgf(acc, acc0), "bench", acc=acc, acc0=acc0)
    acc_c, acc0_c, _ = controlled_tensors(table, result.records(model=model.name, run=run))
    eighths = np.array_split(np.array([r["accuracy"] for r in log]), 8)
    curve = [round(float(part.mean()), 2) for part in eighths if len(part)]
    return dict(
        task=task,
        seed=seed,
        before=float(acc0[0, 0]),
        after=float(acc[0, 0, 0]),
        pgf=float(table.pgf[0, 0, 0]),
        pgf_controlled=float(pgf(acc_c, acc0_c)[0, 0, 0]),
        collapsed=bool(rows[task].collapsed),
        letters=rows[task].answer_counts,
        seconds=round(seconds),
        train_curve=curve,
    )


def main() -> None:
    from tasktransfer.cli.quiet import quiet_libraries

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="synthetic-full", help="study config name or path")
    parser.add_argument("--tasks", nargs="*", default=None, help="default: the study's")
    parser.add_argument("--seeds", nargs="*", type=int, default=None, help="default: the study's")
    parser.add_argument("--set", nargs="*", default=[], help="study overrides, key=value")
    parser.add_argument("--workers", type=int, default=2, help="jobs side by side")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    with quiet_libraries():  # its environment reaches the workers
        run(args)


def run(args) -> None:
    from tasktransfer.model import prepare_models
    from tasktransfer.study import load_study_config

    config = load_study_config(args.config, args.set)
    tasks = args.tasks or config.tasks
    seeds = config.seeds if args.seeds is None else args.seeds
    print("command: python " + shlex.join(sys.argv), flush=True)
    print(
        f"finetune: {config.finetune.model_dump(exclude_defaults=True)}; train "
        f"{config.train_data.limit}, eval {config.eval_data.split} {config.eval_data.limit}"
    )
    prepare_models(config.models)
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        jobs = [pool.submit(run_job, config, t, s) for t in tasks for s in seeds]
        rows = []
        for job in jobs:
            row = job.result()
            rows.append(row)
            print(
                f"{row['task']:26s} seed {row['seed']}  {row['before']:.3f} -> "
                f"{row['after']:.3f}  PGF {row['pgf']:+.2f} (controlled "
                f"{row['pgf_controlled']:+.2f}){'  COLLAPSED' if row['collapsed'] else ''}  "
                f"{row['seconds']} s  {row['letters']}  train {row['train_curve']}",
                flush=True,
            )
    print(f"\nin-task PGF, raw (controlled); * collapsed; {time.perf_counter() - started:.0f} s")
    print(f"{'task':26s} " + " ".join(f"{'seed ' + str(s):>13s}" for s in seeds))
    learned_everywhere = 0
    for task in tasks:
        mine = {r["seed"]: r for r in rows if r["task"] == task}
        cells = [
            f"{mine[s]['pgf']:+.2f} ({mine[s]['pgf_controlled']:+.2f})"
            f"{'*' if mine[s]['collapsed'] else ' '}"
            for s in seeds
        ]
        ok = all(mine[s]["pgf"] > LEARNED and not mine[s]["collapsed"] for s in seeds)
        learned_everywhere += ok
        print(f"{task:26s} " + " ".join(f"{c:>13s}" for c in cells) + ("" if ok else "  <-"))
    print(
        f"{learned_everywhere}/{len(tasks)} tasks with in-task PGF > {LEARNED} and no "
        f"collapse in each of {len(seeds)} seeds"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
