"""Training-step checkpoints: saving them leaves training as it was, and a checkpointed study
gives the unchecked study's final rows plus rows with a ``step``."""

from __future__ import annotations

import dataclasses
import json

import pytest
from pydantic import ValidationError

from tasktransfer.contracts import StudyLayout, read_predictions, read_results
from tasktransfer.data.synthetic import generic_examples
from tasktransfer.model import FinetuneConfig, finetune
from tasktransfer.model.finetune import checkpoint_dir, checkpoint_steps
from tasktransfer.study import load_study_config, run_study


def test_checkpoints_are_sorted_fractions_ending_with_the_final_state():
    assert FinetuneConfig(checkpoints=[0.75, 0.25, 0.25]).checkpoints == (0.25, 0.75, 1.0)
    assert FinetuneConfig(checkpoints=[1.0]).checkpoints == (1.0,)
    with pytest.raises(ValidationError, match=r"fractions of the steps in \(0, 1\]; got \[0.0"):
        FinetuneConfig(checkpoints=[0, 0.5, 1.5])
    # Left out of dumps when unset: the cell keys of existing studies stay.
    assert "checkpoints" not in FinetuneConfig().model_dump()
    assert checkpoint_steps((0.25, 0.5, 0.75, 1.0), 40) == {10: [0.25], 20: [0.5], 30: [0.75]}
    assert checkpoint_steps((0.01, 1.0), 40) == {1: [0.01]}  # never step 0


def _bytes(folder, name):
    return (folder / name).read_bytes()


@pytest.mark.parametrize(
    ("method", "weights"), [("lora", "adapter_model.safetensors"), ("full", "model.safetensors")]
)
def test_checkpoint_saves_leave_the_final_model_bit_for_bit(
    random_model, tmp_path, method, weights
):
    # Dropout on, so that a save drawing a random number would change every later step.
    config = FinetuneConfig.from_preset(
        "tiny", method=method, lora_dropout=0.1, steps=4, batch_size=4
    )
    examples = generic_examples(16, seed=7)
    run = dict(seed=3, progress=False)
    plain = finetune(random_model, examples, tmp_path / "plain", config=config, **run)
    checked_config = config.model_copy(update={"checkpoints": (0.5, 1.0)})
    checked = finetune(random_model, examples, tmp_path / "checked", config=checked_config, **run)
    half = finetune(
        random_model,
        examples,
        tmp_path / "half",
        config=config.model_copy(update={"steps": 2}),
        **run,
    )

    assert _bytes(checked, weights) == _bytes(plain, weights)
    assert _bytes(checked, "loss_log.jsonl").count(b"\n") == 4
    losses = [json.loads(line)["loss"] for line in _bytes(checked, "loss_log.jsonl").splitlines()]
    assert losses == [
        json.loads(line)["loss"] for line in _bytes(plain, "loss_log.jsonl").splitlines()
    ]
    # The checkpoint at half of 4 steps is the model after 2 steps, bit for bit.
    folder = checkpoint_dir(checked, 0.5)
    assert folder == checked / "step-0.5"
    assert _bytes(folder, weights) == _bytes(half, weights)
    assert _bytes(folder, weights) != _bytes(checked, weights)
    meta = json.loads(_bytes(folder, "meta.json"))
    assert meta["steps"] == 2 and meta["fraction"] == 0.5 and meta["final_loss"] == losses[1]
    assert json.loads(_bytes(checked, "meta.json"))["steps"] == 4
    assert not checkpoint_dir(plain, 0.5).exists() and not (checked / "step-1").exists()


SMALL = [
    "tasks=[Relative_Depth, Counting]",
    "seeds=[0]",
    "eval_data.limit=16",
    "train_data.limit=48",
    "finetune.steps=20",
    "finetune.batch_size=8",
    "executor.cpus_per_cell=1",
]


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    out = {}
    for name, extra in (("plain", []), ("checked", ["finetune.checkpoints=[0.5, 1.0]"])):
        folder = tmp_path_factory.mktemp(name)
        config = load_study_config("quickstart", [*SMALL, *extra], output=folder)
        out[name] = (folder, run_study(config, progress=False))
    return out


def _final(items):
    return [item for item in items if item.step is None]


def test_a_checkpointed_study_gives_the_unchecked_final_rows(studies):
    (plain, _), (checked, _) = studies["plain"], studies["checked"]
    plain_rows = read_results(StudyLayout(plain).results)
    checked_rows = read_results(StudyLayout(checked).results)
    as_dicts = [dataclasses.asdict(row) for row in plain_rows]
    assert [dataclasses.asdict(row) for row in _final(checked_rows)] == as_dicts
    plain_predictions = read_predictions(StudyLayout(plain).predictions)
    checked_predictions = read_predictions(StudyLayout(checked).predictions)
    assert _final(checked_predictions) == plain_predictions

    # 2 sources x 2 targets at half of the steps, each with its 16 questions.
    steps = [row for row in checked_rows if row.step is not None]
    assert sorted((r.source, r.target, r.step) for r in steps) == sorted(
        (s, t, 0.5) for s in ("Relative_Depth", "Counting") for t in ("Relative_Depth", "Counting")
    )
    at_half = [p for p in checked_predictions if p.step is not None]
    assert len(at_half) == 4 * 16 and {p.step for p in at_half} == {0.5}
    # Counts agree with the predictions, and the checkpoint is not the final model.
    for row in steps:
        mine = [p for p in at_half if (p.source, p.target) == (row.source, row.target)]
        assert row.n_correct == sum(p.correct for p in mine) and row.n_total == len(mine)
    final_scores = {(p.source, p.target, p.idx): p.scores for p in plain_predictions}
    assert any(final_scores[(p.source, p.target, p.idx)] != p.scores for p in at_half)


def test_only_the_finetune_cells_change_key(studies):
    (_, plain), (_, checked) = studies["plain"], studies["checked"]
    keys = {c.name: c.key for c in plain.cells}
    for cell in checked.cells:
        assert (keys[cell.name] == cell.key) == (cell.source is None)


def test_the_analysis_of_the_final_step_is_unchanged(studies):
    (plain, _), (checked, _) = studies["plain"], studies["checked"]
    analyses = [
        json.loads((folder / "analysis" / "analysis.json").read_text())
        for folder in (plain, checked)
    ]
    steps = analyses[1]["models"]["tiny"].pop("steps")
    for analysis in analyses:
        analysis["models"]["tiny"].pop("origin")
    assert analyses[0] == analyses[1]
    assert steps["fractions"] == [0.5, 1.0]
    assert steps["pgf_mean"][1] == analyses[0]["models"]["tiny"]["pgf_mean"]
    assert "Along training" in (checked / "analysis" / "report.html").read_text()
    # The page's answer letters are the final adapters' too.
    answers = [
        json.loads((folder / "analysis" / "study.json").read_text())["answers"]
        for folder in (plain, checked)
    ]
    assert answers[0] == answers[1]
