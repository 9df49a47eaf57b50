"""Does a tiny base keep the plasticity a study needs? One task learned from several starts.

Builds tiny bases from a few recipes (and random weights), then gives each the default
finetune on one synthetic task and scores its held-out test split, printing the training
accuracy by eighths of the steps. The named alternative is random weights: a base worth
shipping learns the task at least as well. Measured on this CPU (docs/tiny-model.md): a
base trained harder than the default v4 recipe no longer learns Relative_Depth in 400 steps.

    OMP_NUM_THREADS=1 python bench/tiny_base_plasticity.py [--task Relative_Depth] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tiny_transfer_calibration import accuracy, finetune_and_score


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
    from tasktransfer.data import load_examples
    from tasktransfer.model import FinetuneConfig, load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="Relative_Depth")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train = load_examples("synthetic", [args.task], "train", limit=500)[args.task]
    test = load_examples("synthetic", [args.task], "test", limit=200)[args.task]
    config = FinetuneConfig.from_preset("tiny")
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder in starts(Path(tmp)).items():
            loaded = load_model(str(folder))
            before, _ = accuracy(loaded.model, loaded.processor, loaded.arch, test)
            row = finetune_and_score(loaded, str(folder), train, test, config, args.seed)
            print(
                f"{name:40s} {args.task} {before:.3f} -> {row['after']:.3f}  "
                f"train accuracy by eighths {row['train_curve']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
