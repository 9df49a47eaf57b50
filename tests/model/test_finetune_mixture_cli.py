"""`tasktransfer finetune --mixture`: sampled counts, the meta.json record, option errors."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

import tasktransfer.model
from tasktransfer.cli import app
from tasktransfer.data import fingerprint
from tasktransfer.data.mixture import MixtureFile, Provenance, sample_mixture, write_mixture

COUNTS = {"Counting": 3, "Jigsaw": 2}


@pytest.fixture
def mixture_file(tmp_path):
    provenance = Provenance(
        rule="topk", targets=["Relative_Depth"], budget=5, pgf_source="hand", model="tiny", k=2
    )
    return write_mixture(MixtureFile(mixture=COUNTS, provenance=provenance), tmp_path / "mix.yaml")


def test_mixture_examples_have_the_file_counts_and_follow_the_run_seed(
    monkeypatch, mixture_file, tmp_path
):
    seen = []

    def fake_finetune(model, examples, out, *, config, seed, overwrite, progress, extra_meta):
        seen.append((seed, [e.sub_task for e in examples], fingerprint(examples), extra_meta))
        return out

    monkeypatch.setattr(tasktransfer.model, "finetune", fake_finetune)
    no_build = lambda models, progress: None  # noqa: E731
    monkeypatch.setattr(tasktransfer.model, "prepare_models", no_build)
    for run in ("seed_0", "seed_0", "seed_1"):
        args = ["finetune", "--mixture", str(mixture_file), "--run", run]
        result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / run)])
        assert result.exit_code == 0, result.output
    (s0, tasks, fp0, meta), (_, _, fp0_again, _), (s1, _, fp1, _) = seen
    assert (s0, s1) == (0, 1)
    assert Counter(tasks) == COUNTS
    assert fp0 == fp0_again != fp1  # deterministic by seed, and the seed matters
    assert meta["mixture"] == COUNTS and "task" not in meta
    assert meta["provenance"]["rule"] == "topk" and meta["provenance"]["k"] == 2


def test_meta_json_records_the_mixture(random_model, mixture_file, tmp_path):
    out = tmp_path / "ft"
    args = ["finetune", "--mixture", str(mixture_file), "--model", random_model, "--run", "seed_2"]
    args += ["--steps", "2", "--batch-size", "4", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text())
    expected = sample_mixture("synthetic", COUNTS, "train", seed=2)
    assert meta["data"]["n_examples"] == sum(COUNTS.values())
    assert meta["data"]["fingerprint"] == fingerprint(expected)
    assert meta["data"]["tasks"] == sorted(COUNTS)
    assert meta["mixture"] == COUNTS and meta["mixture_file"] == str(mixture_file)
    assert meta["provenance"]["targets"] == ["Relative_Depth"]
    assert meta["run"] == "seed_2" and meta["seed"] == 2 and meta["steps"] == 2


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "exactly one of --task and --mixture"),
        (["--task", "Counting", "--mixture", "MIX"], "exactly one of --task and --mixture"),
        (["--mixture", "MIX", "--limit", "3"], "--limit applies to --task"),
    ],
)
def test_task_and_mixture_are_exclusive(monkeypatch, mixture_file, tmp_path, extra, message):
    monkeypatch.setattr(tasktransfer.model, "finetune", lambda *a, **k: pytest.fail("ran"))
    extra = [str(mixture_file) if arg == "MIX" else arg for arg in extra]
    result = CliRunner().invoke(app, ["finetune", *extra, "--out", str(tmp_path / "ft")])
    assert result.exit_code != 0
    assert message in str(result.exception)
