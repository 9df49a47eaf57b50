"""The selection experiment: config, expansion into mixtures, the arms table, a tiny study."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tasktransfer.analysis.experiment import compare_arms
from tasktransfer.cli import app
from tasktransfer.data.mixture import read_mixture
from tasktransfer.errors import InputError
from tasktransfer.study import StudyConfig, load_study_config, run_study
from tasktransfer.study.selection import plan_selection, with_selection
from tasktransfer.units.selection import selection_figure

TASKS = ["Relative_Depth", "Counting", "Art_Style", "Jigsaw"]
# Mean PGF on Relative_Depth (the target): Counting 0.6, Art_Style 0.2, Jigsaw -0.1.
PGF_ON_RD = {"Counting": 0.6, "Art_Style": 0.2, "Jigsaw": -0.1, "Relative_Depth": 0.9}


def write_pgf_table(path: Path, tasks=TASKS, on_rd=PGF_ON_RD) -> Path:
    """A published-format PGF table, one run: on_rd into Relative_Depth, 0.05 elsewhere."""
    rows = [["seed", "ft_task", "task", "perfection_gap_factor"]]
    for source in tasks:
        for target in tasks:
            value = on_rd.get(source, 0.3) if target == "Relative_Depth" else 0.05
            rows.append(["0", source, target, str(value)])
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def config(pgf_from, **selection) -> StudyConfig:
    return StudyConfig.model_validate(
        {
            "name": "sel",
            "models": [{"name": "tiny"}],
            "tasks": TASKS,
            "seeds": [0, 1],
            "eval_data": {"split": "test"},
            "train_data": {"split": "train"},
            "selection": {
                "targets": ["Relative_Depth"],
                "budget": 8,
                "pgf_from": str(pgf_from),
                **selection,
            },
        }
    )


@pytest.fixture
def table(tmp_path):
    return write_pgf_table(tmp_path / "pgf.csv")


# -- expansion ---------------------------------------------------------------------------


def test_expansion_labels_and_counts(table):
    plan = plan_selection(config(table))
    assert list(plan.mixtures) == [
        "direct-RD", "guided-RD", "random-RD-0", "random-RD-1", "random-RD-2"
    ]  # fmt: skip
    assert plan.arms == {
        "Relative_Depth": {
            "direct": ["direct-RD"],
            "guided": ["guided-RD"],
            "random": ["random-RD-0", "random-RD-1", "random-RD-2"],
        }
    }
    assert plan.mixtures["direct-RD"].mixture == {"Relative_Depth": 8}
    # Threshold 0: Counting and Art_Style, 8 examples in proportion 0.6 : 0.2.
    assert plan.mixtures["guided-RD"].mixture == {"Counting": 6, "Art_Style": 2}
    assert plan.mixtures["guided-RD"].provenance.pgf_source == str(table)
    for k in range(3):
        mix = plan.mixtures[f"random-RD-{k}"].mixture
        assert sorted(mix.values()) == [2, 6]  # the guided counts, on other sources
        assert set(mix) <= {"Counting", "Art_Style", "Jigsaw"}  # never the target
    # The mixtures join the study's own and run as any other.
    expanded = with_selection(config(table), plan)
    assert {k: m.mixture for k, m in expanded.mixtures.items()} == {
        k: m.mixture for k, m in plan.mixtures.items()
    }


def test_random_mixtures_are_deterministic_and_follow_the_study_name(table):
    first, again = plan_selection(config(table)), plan_selection(config(table))
    assert {k: m.mixture for k, m in first.mixtures.items()} == {
        k: m.mixture for k, m in again.mixtures.items()
    }
    drawn = set()
    for name in [f"study{k}" for k in range(12)]:
        study = config(table).model_copy(update={"name": name})
        mix = plan_selection(study).mixtures["random-RD-0"].mixture
        drawn.add(tuple(sorted(mix.items())))
    assert len(drawn) > 1  # 6 possible draws; 12 names cannot all give the same one


@pytest.mark.parametrize(
    "options, args",
    [
        ({}, []),
        ({"rule": "topk", "k": 2}, ["--rule", "topk", "--k", "2"]),
        ({"rule": "optimal", "cap": 5}, ["--rule", "optimal", "--cap", "5"]),
        ({"include_target": True}, ["--include-target"]),
    ],
)
def test_guided_equals_the_select_command(table, tmp_path, options, args):
    out = tmp_path / "mix.yaml"
    cli = ["select", "--target", "RD", "--from", str(table), "--budget", "8", "--out", str(out)]
    result = CliRunner().invoke(app, cli + args)
    assert result.exit_code == 0, result.output
    plan = plan_selection(config(table, **options))
    assert plan.mixtures["guided-RD"].mixture == read_mixture(out).mixture


def test_guided_uses_only_the_study_tasks(tmp_path):
    # Spatial_Relation transfers best but is not a task of the study: never chosen.
    wide = write_pgf_table(
        tmp_path / "wide.csv", TASKS + ["Spatial_Relation"], {**PGF_ON_RD, "Spatial_Relation": 1}
    )
    assert plan_selection(config(wide)).mixtures["guided-RD"].mixture == {
        "Counting": 6, "Art_Style": 2
    }  # fmt: skip


def test_nothing_recommended_leaves_guided_and_random_empty(tmp_path):
    negative = write_pgf_table(tmp_path / "neg.csv", on_rd={"Relative_Depth": 0.5}, tasks=TASKS)
    plan = plan_selection(config(negative, threshold=0.5))  # every other source scores 0.3
    assert list(plan.mixtures) == ["direct-RD"]
    assert plan.arms["Relative_Depth"]["guided"] == []
    assert any("threshold" in note for note in plan.notes["Relative_Depth"])


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        ({"targets": ["Spatial_Relation"]}, "not among the study's tasks"),
        ({"rule": "budget"}, "threshold"),
        ({"random_mixtures": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_selection_sections_name_the_file(table, tmp_path, change, message):
    data = config(table).model_dump(mode="json")
    data["selection"] |= change
    path = write_yaml(tmp_path / "study.yaml", data)
    with pytest.raises(InputError) as err:
        load_study_config(path)
    assert str(path) in str(err.value) and "selection" in str(err.value)
    assert message in str(err.value)


def test_an_unknown_pgf_from_is_an_error_when_the_study_plans(tmp_path):
    study = config(tmp_path / "no-such-study")  # a config may name a study still to be run
    with pytest.raises(InputError, match=r"selection.pgf_from .*no-such-study.*run the study"):
        plan_selection(study)
    with pytest.raises(InputError, match="Unknown published table"):
        plan_selection(config("sachdeva2026:99B"))


def test_a_pgf_table_without_the_target_is_an_error(tmp_path):
    others = write_pgf_table(tmp_path / "others.csv", tasks=["Counting", "Art_Style"])
    with pytest.raises(InputError, match=r"selection.pgf_from .*Relative_Depth not in the PGF"):
        plan_selection(config(others))


def test_a_label_clash_with_the_study_mixtures_is_an_error(table):
    data = config(table).model_dump(mode="json")
    clash = StudyConfig.model_validate({**data, "mixtures": {"direct-RD": {"Counting": 1}}})
    with pytest.raises(InputError, match="direct-RD"):
        plan_selection(clash)


def test_the_shipped_config_loads_and_plans(tmp_path):
    tasks = [
        "Jigsaw", "Visual_Similarity", "Art_Style", "Object_Localization", "Relative_Depth",
        "Multi-view_Reasoning",
    ]  # fmt: skip
    fake = write_pgf_table(tmp_path / "pgf.csv", tasks, {"Art_Style": 0.4, "Relative_Depth": 0.9})
    study = load_study_config("selection-synthetic", [f"selection.pgf_from={fake}"])
    assert study.tasks == tasks
    assert study.eval_data.split == "test" and set(study.selection.targets) <= set(tasks)
    plan = plan_selection(study)
    assert set(plan.arms) == set(study.selection.targets) == {
        "Art_Style", "Visual_Similarity", "Jigsaw", "Object_Localization"
    }  # fmt: skip
    assert plan.mixtures["direct-OL"].mixture == {"Object_Localization": 500}
    # Every source gives 0.05 to every target but Relative_Depth: the threshold rule
    # spreads Object_Localization's budget evenly over the five other tasks.
    assert plan.mixtures["guided-OL"].mixture == {
        t: 100 for t in tasks if t != "Object_Localization"
    }
    assert all(sum(m.mixture.values()) == 500 for m in plan.mixtures.values())


# -- the arms table ----------------------------------------------------------------------


def row(run, source, n_correct, target="Relative_Depth", n_total=10):
    return {"model": "m", "run": run, "source": source, "target": target,
            "n_correct": n_correct, "n_total": n_total}  # fmt: skip


def test_compare_arms_against_hand_computed_values():
    rows = [
        row("seed_0", "zero-shot", 5), row("seed_1", "zero-shot", 6),
        row("seed_0", "d", 7), row("seed_1", "d", 8),
        row("seed_0", "g", 6), row("seed_1", "g", 6),
        row("seed_0", "x", 5), row("seed_1", "x", 8),
        row("seed_0", "y", 9), row("seed_1", "y", 6),
        row("seed_0", "Counting", 9), row("seed_0", "zero-shot", 1, target="Counting"),
    ]  # fmt: skip
    arms = {"Relative_Depth": {"direct": ["d"], "guided": ["g"], "random": ["x", "y"]}}
    (entry,) = compare_arms(rows, arms)
    got = {a["arm"]: a for a in entry["arms"]}
    # zero-shot 0.5, 0.6: PGF (acc - acc0) / (1 - acc0) per run.
    expected = {
        "zero-shot": ([0.5, 0.6], [0.0, 0.0]),
        "direct": ([0.7, 0.8], [0.2 / 0.5, 0.2 / 0.4]),
        "guided": ([0.6, 0.6], [0.1 / 0.5, 0.0]),
        "random": ([0.5, 0.9, 0.8, 0.6], [0.0, 0.4 / 0.5, 0.2 / 0.4, 0.0]),
    }
    for arm, (accs, pgfs) in expected.items():
        assert got[arm]["n"] == len(accs)
        assert got[arm]["acc_mean"] == pytest.approx(sum(accs) / len(accs))
        assert got[arm]["pgf_mean"] == pytest.approx(sum(pgfs) / len(pgfs))
        m = sum(pgfs) / len(pgfs)
        assert got[arm]["pgf_std"] == pytest.approx(
            math.sqrt(sum((v - m) ** 2 for v in pgfs) / (len(pgfs) - 1))
        )
    assert got["random"]["acc_std"] == pytest.approx(math.sqrt((0.04 + 0.04 + 0.01 + 0.01) / 3))
    # guided 0.6 < random 0.7 and < direct 0.75: both said plainly.
    assert entry["guided_beats_random"] is False and entry["guided_beats_direct"] is False
    assert "guided does NOT beat the random mean (0.600 vs 0.700)" in entry["verdict"]
    assert "it does NOT beat direct finetuning (0.750)" in entry["verdict"]


def test_compare_arms_says_when_guided_wins_inside_the_random_spread():
    rows = [row("r", "zero-shot", 5), row("r", "g", 7), row("r", "x", 5), row("r", "y", 7)]
    arms = {"Relative_Depth": {"guided": ["g"], "random": ["x", "y"]}}
    (close,) = compare_arms(rows, arms)
    # random 0.5 and 0.7: mean 0.6, sample std 0.141 >= the margin 0.1.
    assert close["guided_beats_random"] is True
    assert "by less than the random mixtures' std (0.141)" in close["verdict"]
    rows[1] = row("r", "g", 9)  # margin 0.3: a clear win
    (clear,) = compare_arms(rows, arms)
    assert "guided beats the random mean (0.900 vs 0.600);" in clear["verdict"]
    assert clear["verdict"].endswith("direct finetuning was not measured.")


def test_compare_arms_without_a_guided_mixture_says_so():
    rows = [row("r", "zero-shot", 5), row("r", "d", 7)]
    (entry,) = compare_arms(rows, {"Relative_Depth": {"direct": ["d"]}})
    assert (
        entry["guided_beats_random"] is None and "guided does NOT beat random" in entry["verdict"]
    )
    guided = next(a for a in entry["arms"] if a["arm"] == "guided")
    assert guided["n"] == 0 and math.isnan(guided["acc_mean"])


def test_compare_arms_needs_each_run_baseline():
    rows = [row("a", "zero-shot", 5), row("b", "zero-shot", 5), row("c", "d", 7)]
    with pytest.raises(InputError, match="run 'c': no zero-shot row on target 'Relative_Depth'"):
        compare_arms(rows, {"Relative_Depth": {"direct": ["d"]}})


def test_the_selection_figure_escapes_names():
    arm = {"arm": "guided", "labels": ["<i>"], "n": 1, "acc_mean": 0.5, "acc_std": None,
           "pgf_mean": 0.1, "pgf_std": None}  # fmt: skip
    figure = json.dumps(selection_figure([{"model": "m", "target": "<b>x</b>", "arms": [arm]}]))
    assert "<b>" not in figure and "<i>" not in figure and "&lt;b&gt;x" in figure


# -- end to end --------------------------------------------------------------------------


def test_a_tiny_selection_study_writes_its_table_and_report(random_model, tmp_path):
    pgf = write_pgf_table(tmp_path / "pgf.csv", ["Relative_Depth", "Counting"], {"Counting": 0.5})
    study = StudyConfig.model_validate(
        {
            "name": "tiny-selection",
            "models": [{"name": random_model}],
            "tasks": ["Relative_Depth", "Counting"],
            "seeds": [0],
            "eval_data": {"split": "test", "limit": 4},
            "train_data": {"split": "train", "limit": 4},
            "finetune": {"steps": 2, "batch_size": 4},
            "selection": {
                "targets": ["Relative_Depth"],
                "budget": 4,
                "pgf_from": str(pgf),
                "random_mixtures": 1,
            },  # fmt: skip
            "output": str(tmp_path / "study"),
        }
    )
    outcome = run_study(study, progress=False)
    assert [c.source_label for c in outcome.cells] == [
        "zero-shot", "Relative_Depth", "Counting", "direct-RD", "guided-RD", "random-RD-0"
    ]  # fmt: skip
    analysis = tmp_path / "study" / "analysis"
    with (analysis / "selection.csv").open(newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["arm"] for r in table] == ["zero-shot", "direct", "guided", "random"]
    assert {r["target"] for r in table} == {"Relative_Depth"}
    # Counting is the only other source: guided and random are the same mixture here.
    with (tmp_path / "study" / "results.csv").open(newline="") as f:
        results = {
            r["source"]: int(r["n_correct"]) / int(r["n_total"])
            for r in csv.DictReader(f)
            if r["target"] == "Relative_Depth"
        }
    for r in table:
        label = {"zero-shot": "zero-shot"}.get(r["arm"], r["mixtures"])
        assert float(r["acc_mean"]) == pytest.approx(results[label])
    saved = json.loads((analysis / "selection.json").read_text())
    assert saved["targets"][0]["verdict"].startswith("Relative_Depth: ")
    page = outcome.report.read_text()
    assert 'id="selection"' in page and "Selection experiment" in page
    summary = (analysis / "summary.md").read_text()
    entry = saved["targets"][0]
    beats = [entry[k] for k in ("guided_beats_random", "guided_beats_direct")]
    counts = [f"{int(b)} of 1 target" if b is not None else "0 of 0 targets" for b in beats]
    assert "## PGF-guided data selection" in summary
    assert f"random mixtures on {counts[0]}" in summary and f"own data on {counts[1]}" in summary
    assert f"- {entry['verdict']}" in summary
    assert saved["targets"][0]["verdict"].split(";")[0] in page
    plan = json.loads((tmp_path / "study" / "selection_plan.json").read_text())
    assert plan["mixtures"]["guided-RD"]["mixture"] == {"Counting": 4}

    # Without the section the done cells are reused and its table leaves the report.
    without = run_study(study.model_copy(update={"selection": None}), progress=False)
    assert without.ran == [] and len(without.skipped) == 3
    assert not (analysis / "selection.csv").exists() and not (analysis / "selection.json").exists()
    assert "Selection experiment" not in without.report.read_text()
    assert "PGF-guided data selection" not in (analysis / "summary.md").read_text()
