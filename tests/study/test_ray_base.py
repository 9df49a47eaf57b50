"""A Ray study on a cold cache builds the tiny base once, in the driver, before any worker.

The real build trains for about a minute, so the driver's build is replaced by one that
saves a random-weight tiny LLaVA into the same cache folder and counts its calls. Workers
run the real code: they load ``tiny`` from that folder, and would fail with "not built
yet" if the driver had not built it first (loading never builds).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import tasktransfer.model.tiny_base as tiny_base
from tasktransfer.model import tiny_base_path
from tasktransfer.model.tiny import build_tiny_llava
from tasktransfer.study import load_study_config, run_study

pytestmark = pytest.mark.slow

# Two runs of one task: 4 cells (2 zero-shot, 2 finetunes) for two one-CPU workers.
SMALL = [
    "tasks=[Counting]",
    "seeds=[0, 1]",
    "eval_data.limit=4",
    "train_data.limit=8",
    "finetune.steps=1",
    "finetune.batch_size=4",
    "executor.kind=ray",
    "executor.cpus_per_cell=1",
]


def test_a_cold_cache_ray_study_builds_the_base_once(monkeypatch, tmp_path):
    ray = pytest.importorskip("ray")
    cache = tmp_path / "cache"
    monkeypatch.setenv("TASKTRANSFER_CACHE", str(cache))  # workers inherit it from ray.init
    built: list[Path] = []

    def random_base(out_dir, *, recipe=None, progress=True):
        built.append(Path(out_dir))
        model, processor = build_tiny_llava(seed=0)
        model.save_pretrained(out_dir)
        processor.save_pretrained(out_dir)
        return Path(out_dir)

    monkeypatch.setattr(tiny_base, "build_tiny_base", random_base)
    config = load_study_config("quickstart", SMALL, output=tmp_path / "study")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        outcome = run_study(config, progress=False, analyse=False)
    finally:
        ray.shutdown()
    assert built == [tiny_base_path()]
    assert sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) == [
        tiny_base_path().name
    ]
    assert len(outcome.ran) == 4  # every cell loaded the base the driver built
    with (tmp_path / "study" / "results.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 4  # 2 runs x (zero-shot, Counting)
