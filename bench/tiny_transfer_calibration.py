"""Does the default finetune move the tiny model? In-task accuracy before/after, per task and seed.

For each synthetic task and seed: finetune the tiny base with the ``tiny`` preset of
:class:`~tasktransfer.model.FinetuneConfig` on the task's train split and score the held-out
test split before and after, with the predicted-letter distribution (a finetune that learned
an answer bias, not a skill, shows one letter near 100 %). Also times the base build.

    python bench/tiny_transfer_calibration.py                       # 13 tasks x 2 seeds
    python bench/tiny_transfer_calibration.py --tasks Counting --seeds 0 \\
        --overrides '{"steps": 100}'

Criterion (issue 4): gain >= 15 points on most tasks in each seed, no collapse. Each row
also prints the training accuracy by eighths of the steps, which shows where a task leaves
the letter prior; longer runs: ``--overrides '{"steps": 1200}'``.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path


def accuracy(model, processor, arch, examples, *, batch_size=32):
    """Fraction correct and predicted-letter counts, by likelihood of the option letters."""
    import torch

    from tasktransfer.model.prompting import answer_log_probs, encode

    correct, letters = 0, collections.Counter()
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            batch = encode(examples[start : start + batch_size], processor, arch)
            predicted = answer_log_probs(model, batch).argmax(dim=1)
            correct += int((predicted == batch.targets).sum())
            letters.update("ABCD"[i] for i in predicted.tolist())
    return correct / len(examples), dict(sorted(letters.items()))


def main() -> None:
    from tasktransfer.data import load_examples
    from tasktransfer.data.synthetic import TASKS
    from tasktransfer.model import FinetuneConfig, ensure_tiny_base, load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=None)
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1])
    parser.add_argument("--train-n", type=int, default=500)
    parser.add_argument("--test-n", type=int, default=200)
    parser.add_argument("--difficulty", type=float, default=None, help="synthetic difficulty")
    parser.add_argument("--base", default=None, help="base model folder (default: tiny)")
    parser.add_argument(
        "--overrides", default="{}", help='FinetuneConfig JSON, e.g. {"steps": 100}'
    )
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    tasks = args.tasks or list(TASKS)
    config = FinetuneConfig.from_preset("tiny", **json.loads(args.overrides))

    start = time.perf_counter()
    base = args.base or str(ensure_tiny_base())
    print(f"base: {base} ({time.perf_counter() - start:.0f} s to build or find)")
    print(f"finetune config: {config.model_dump()}")
    loaded = load_model(base)
    rows = []
    header = (
        f"{'task':28s} {'seed':>4s} {'before':>7s} {'after':>7s} {'gain':>6s} {'s':>5s}  letters"
    )
    print(header)
    for task in tasks:
        data = dict(difficulty=args.difficulty)
        train = load_examples("synthetic", [task], "train", limit=args.train_n, **data)[task]
        test = load_examples("synthetic", [task], "test", limit=args.test_n, **data)[task]
        before, _ = accuracy(loaded.model, loaded.processor, loaded.arch, test)
        for seed in args.seeds:
            row = finetune_and_score(loaded, base, train, test, config, seed)
            gain = row["after"] - before
            rows.append(dict(task=task, seed=seed, before=before, gain=gain, **row))
            print(
                f"{task:28s} {seed:4d} {before:7.3f} {row['after']:7.3f} "
                f"{gain:+6.3f} {row['seconds']:5.0f}  {row['letters']}  "
                f"train accuracy by eighths {row['train_curve']}",
                flush=True,
            )
    for seed in args.seeds:
        mine = [r for r in rows if r["seed"] == seed]
        ok = [r for r in mine if r["gain"] >= 0.15 and r["top_letter_share"] < 0.9]
        print(f"seed {seed}: {len(ok)}/{len(mine)} tasks gain >= 15 points without collapse")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def finetune_and_score(loaded, base, train, test, config, seed) -> dict:
    """Finetune ``base`` on ``train`` and score ``test``: accuracy, letters, training curve.

    ``train_curve`` is the training accuracy averaged over each eighth of the steps (from
    the finetune's ``loss_log.jsonl``): where it leaves the letter prior is where the task
    was learned.
    """
    from tasktransfer.model import finetune

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        out = finetune(base, train, Path(tmp) / "ft", config=config, seed=seed, progress=False)
        seconds = time.perf_counter() - t0
        log = [json.loads(line) for line in (out / "loss_log.jsonl").read_text().splitlines()]
        after, letters = _after(loaded, out, config, test)
    width = max(1, len(log) // 8)
    curve = [
        round(sum(r["accuracy"] for r in log[i : i + width]) / len(log[i : i + width]), 2)
        for i in range(0, len(log), width)
    ]
    return dict(
        after=after,
        seconds=seconds,
        letters=letters,
        top_letter_share=max(letters.values()) / len(test),
        train_curve=curve,
    )


def _after(loaded, out, config, test):
    from tasktransfer.model import load_model

    if config.method == "full":
        tuned = load_model(str(out))
        return accuracy(tuned.model, tuned.processor, tuned.arch, test)
    from peft import PeftModel

    model = PeftModel.from_pretrained(loaded.model, out)
    try:
        return accuracy(model, loaded.processor, loaded.arch, test)
    finally:
        model.unload()  # leaves the base weights as they were, for the next adapter


if __name__ == "__main__":
    main()
