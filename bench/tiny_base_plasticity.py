"""Does a tiny base keep the plasticity a study needs? One task learned from several starts.

Builds tiny bases from a few recipes (and random weights), then gives each the finetune of
a study config (default ``synthetic-full``: the tiny preset, its training questions) on one
synthetic task and scores 200 held-out test questions before and after, printing the
training accuracy by eighths of the steps; each start runs as a cell of that study would,
through ``bench/tiny_transfer_calibration.py``'s job. The named alternative is random
weights: a base worth shipping learns the task at least as well. Measured on this CPU
(docs/tiny-model.md, at the preset of stop 9): a base trained harder than the default v4
recipe no longer learns Relative_Depth.

    python bench/tiny_base_plasticity.py [--task Relative_Depth] [--seed 0] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tiny_transfer_calibration import run_job


def starts(work: Path) -> dict[str, Path]:
    """Starting points by name: random weights, the default base, and a longer, hotter one."""
    from tasktransfer.model.tiny import TINY_BASE_RECIPE, build_tiny_llava
    from tasktransfer.model.tiny_base import build_tiny_base

    model, processor = build_tiny_llava(seed=TINY_BASE_RECIPE["init_seed"])
    random = work / "random"
    model.save_pretrained(random)
    processor.save_pretrained(random)
    recipes = {
        "base v4 (default): 200 steps, lr 1e-4": TINY_BASE_RECIPE,
        "800 steps, lr 1e-3": {**TINY_BASE_RECIPE, "steps": 800, "learning_rate": 1e-3},
    }
    folders = {"random weights": random}
    for i, (name, recipe) in enumerate(recipes.items()):
        folders[name] = build_tiny_base(work / f"base{i}", recipe=recipe, progress=False)
    return folders


def main() -> None:
    from tasktransfer.study import load_study_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="Relative_Depth")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default="synthetic-full", help="study config name or path")
    parser.add_argument("--set", nargs="*", default=[], help="study overrides, key=value")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder in starts(Path(tmp)).items():
            # A folder holding a tiny model finetunes and evaluates as the tiny model does.
            start = f"models=[{{name: {folder}, finetune_preset: tiny}}]"
            overrides = [start, "eval_data.split=test", "eval_data.limit=200", *args.set]
            row = run_job(load_study_config(args.config, overrides), args.task, args.seed)
            print(
                f"{name:40s} {args.task} {row['before']:.3f} -> {row['after']:.3f}  "
                f"train accuracy by eighths {row['train_curve']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
