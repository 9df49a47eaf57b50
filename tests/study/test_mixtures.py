"""Mixture sources in studies: config validation, cell planning and keys, a tiny end-to-end run."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tasktransfer.contracts import StudyLayout
from tasktransfer.data.mixture import MixtureFile, write_mixture
from tasktransfer.errors import InputError
from tasktransfer.study import StudyConfig, load_study_config, run_study
from tasktransfer.study.cells import plan_cells
from tasktransfer.study.config import DataConfig
from tasktransfer.study.runner import plan_study
from tasktransfer.study.store import write_task_results

BASE = {
    "name": "mix",
    "models": [{"name": "tiny"}],
    "tasks": ["Relative_Depth", "Counting"],
    "seeds": [0, 1],
    "eval_data": {"split": "val"},
    "train_data": {"split": "train"},
}
MIX = {"Relative_Depth": 3, "Counting": 2}


def config(**changes) -> StudyConfig:
    return StudyConfig.model_validate({**BASE, **changes})


def plan(study: StudyConfig, mixture_fingerprints=None):
    fingerprints = mixture_fingerprints or {("mixA", seed): f"m{seed}" for seed in study.seeds}
    return plan_cells(
        study,
        eval_fingerprint="e",
        train_fingerprints={"Relative_Depth": "rd", "Counting": "cn"},
        mixture_fingerprints=fingerprints,
    )


# -- configuration -----------------------------------------------------------------------


def test_inline_and_file_mixtures_read_the_same_and_survive_config_yaml(tmp_path):
    path = write_mixture(MixtureFile(mixture=MIX), tmp_path / "m.yaml")
    inline, from_file = config(mixtures={"mixA": MIX}), config(mixtures={"mixA": str(path)})
    assert inline == from_file
    assert inline.mixtures["mixA"].mixture == MIX
    # run_study writes config.model_dump as config.yaml; reading it back gives the same study.
    dumped = yaml.safe_load(yaml.safe_dump(inline.model_dump(mode="json")))
    assert StudyConfig.model_validate(dumped) == inline
    assert config().mixtures == {}


@pytest.mark.parametrize(
    "mixtures, message",
    [
        ({"Counting": MIX}, "taken by a task or the zero-shot baseline"),
        ({"RD": MIX}, "taken by a task or the zero-shot baseline"),  # an abbreviation
        ({"zero-shot": MIX}, "taken by a task or the zero-shot baseline"),
        ({"..": MIX}, "use letters, digits"),
        ({"a/b": MIX}, "use letters, digits"),
        ({"mixA": {"Countng": 2}}, "Did you mean: Counting"),
        ({"mixA": {"Counting": 1.5}}, "positive integer count"),
        ({"mixA": "no-such-file.yaml"}, "no mixture file 'no-such-file.yaml'"),
    ],
)
def test_bad_mixtures_are_reported_with_the_file(tmp_path, mixtures, message):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump({**BASE, "mixtures": mixtures}))
    with pytest.raises(InputError) as err:
        load_study_config(path)
    assert str(path) in str(err.value) and "mixtures" in str(err.value)
    assert message in str(err.value)


# -- planning ----------------------------------------------------------------------------


def test_each_mixture_adds_one_finetune_cell_per_run():
    cells = plan(config(mixtures={"mixA": MIX}))
    assert [c.name for c in cells] == [
        f"tiny/{run}/{source}"
        for run in ("seed_0", "seed_1")
        for source in ("zero-shot", "Relative_Depth", "Counting", "mixA")
    ]
    mixture_cells = [c for c in cells if c.source == "mixA"]
    assert [c.seed for c in mixture_cells] == [0, 1]
    assert all(c.mixture == MIX for c in mixture_cells)
    assert all(c.mixture is None for c in cells if c.source != "mixA")
    folder = mixture_cells[0].files(StudyLayout(Path("s"))).folder
    assert folder == Path("s/cells/tiny/seed_0/mixA")
    assert len({c.key for c in cells}) == len(cells)


def test_mixture_keys_are_stable_and_follow_counts_and_sampled_data():
    keys = {c.name: c.key for c in plan(config(mixtures={"mixA": MIX}))}
    assert keys == {c.name: c.key for c in plan(config(mixtures={"mixA": MIX}))}
    # Adding a mixture leaves every other cell's key (and so its done results) alone.
    without = {c.name: c.key for c in plan(config())}
    assert without == {name: key for name, key in keys.items() if not name.endswith("mixA")}

    def changed(cells):
        return sorted(c.name for c in cells if keys[c.name] != c.key)

    other_counts = config(mixtures={"mixA": {**MIX, "Counting": 4}})
    assert changed(plan(other_counts)) == ["tiny/seed_0/mixA", "tiny/seed_1/mixA"]
    other_sample = {("mixA", 0): "m0", ("mixA", 1): "changed"}
    assert changed(plan(config(mixtures={"mixA": MIX}), other_sample)) == ["tiny/seed_1/mixA"]


def test_planning_derives_mixture_keys_without_sampling_a_mixture(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("planning sampled a mixture")

    limited = {"split": "train", "limit": 20}
    study = config(mixtures={"mixA": MIX}, train_data=limited)
    monkeypatch.setattr(DataConfig, "sample", refuse)
    keys = {c.name: c.key for c in plan_study(study)}
    # A harder Counting pool changes what mixA samples (and the Counting cells), nothing else.
    harder = config(mixtures={"mixA": MIX}, train_data={**limited, "difficulty": {"CN": 0.5}})
    changed = sorted(c.name for c in plan_study(harder) if keys[c.name] != c.key)
    assert changed == [f"tiny/seed_{s}/{src}" for s in (0, 1) for src in ("Counting", "mixA")]


def test_task_results_leave_out_the_mixture_rows(tmp_path):
    rows = [
        ["model", "run", "source", "target", "n_correct", "n_total", "answer_counts"],
        ["tiny", "seed_0", "zero-shot", "Counting", "1", "4", '{"A": 4}'],
        ["tiny", "seed_0", "mixA", "Counting", "2", "4", '{"A": 2, "B": 2}'],
        ["tiny", "seed_0", "Counting", "Counting", "3", "4", '{"A": 1, "B": 3}'],
    ]
    with (tmp_path / "results.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    path = write_task_results(StudyLayout(tmp_path), exclude={"mixA"})
    with path.open(newline="") as f:
        assert list(csv.reader(f)) == [rows[0], rows[1], rows[3]]


# -- end to end --------------------------------------------------------------------------


def read_results(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_a_study_with_a_mixture_reports_it_as_a_source(random_model, tmp_path):
    def tiny_study(mixture):
        return config(
            models=[{"name": random_model}],
            seeds=[0],
            eval_data={"split": "val", "limit": 6},
            train_data={"split": "train", "limit": 4},
            finetune={"steps": 2, "batch_size": 4},
            mixtures={"mixA": mixture},
            output=str(tmp_path),
        )

    outcome = run_study(tiny_study(MIX), progress=False)
    results = read_results(tmp_path / "results.csv")
    assert Counter(r["source"] for r in results) == {
        "zero-shot": 2, "Relative_Depth": 2, "Counting": 2, "mixA": 2
    }  # fmt: skip
    assert {r["target"] for r in results if r["source"] == "mixA"} == set(BASE["tasks"])
    assert all(int(r["n_total"]) == 6 for r in results)

    (cell,) = [c for c in outcome.cells if c.source == "mixA"]
    meta = json.loads((cell.files(StudyLayout(tmp_path)).adapter / "meta.json").read_text())
    assert meta["mixture"] == MIX and meta["data"]["n_examples"] == sum(MIX.values())

    # The transfer analysis sees the tasks only; the mixture rows stay in results.csv.
    assert {r["source"] for r in read_results(tmp_path / "task_results.csv")} == {
        "zero-shot", "Relative_Depth", "Counting"
    }  # fmt: skip
    analysis = json.loads((tmp_path / "analysis" / "analysis.json").read_text())
    (model,) = analysis["models"].values()
    assert sorted(model["tasks"]) == sorted(BASE["tasks"])
    assert outcome.report is not None and outcome.report.exists()

    # A changed mixture reruns its own cell only.
    again = run_study(tiny_study({**MIX, "Counting": 1}), progress=False)
    assert again.ran == [cell.name] and len(again.skipped) == 3
