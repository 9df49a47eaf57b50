"""Ground-truth recovery through analyze, analysis.json, the summary and the page.

The study is the hand-made one of ``conftest.py`` (Counting, Jigsaw, Relative_Depth).
"""

import json

import numpy as np
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from tasktransfer.analysis import analyze, read_inputs
from tasktransfer.cli import app
from tasktransfer.contracts import StudyLayout
from tasktransfer.report import analyze_to_folder
from tasktransfer.units import pgf, recovery
from tasktransfer.units.base import AnalysisUnit, Contribution

from .conftest import TASKS

# Chosen skills: CN·JG 1/3, CN·RD 0, JG·RD 1/2 (three different overlaps).
SKILLS = {"Counting": ["x", "y"], "Jigsaw": ["y", "z"], "Relative_Depth": ["z"]}
JACCARD = {("Counting", "Jigsaw"): 1 / 3, ("Counting", "Relative_Depth"): 0.0}
JACCARD[("Jigsaw", "Relative_Depth")] = 0.5


def _entry(out):
    (entry,) = json.loads((out / "analysis.json").read_text())["models"].values()
    return entry


def _config(study, source):
    StudyLayout(study).config.write_text(
        f"name: s\ntasks: [{', '.join(TASKS)}]\neval_data:\n  source: {source}\n  split: val\n"
    )
    return study


def test_analyze_with_declared_skills(study_dir):
    (model,) = analyze(read_inputs([study_dir / "results.csv"]), skills=SKILLS)["models"].values()
    found = model["recovery"]
    tasks = model["tasks"]
    assert found["tasks"] == tasks and found["skills"] == {t: SKILLS[t] for t in tasks}
    expected = [
        [1.0 if a == b else JACCARD.get((a, b), JACCARD.get((b, a))) for b in tasks] for a in tasks
    ]
    np.testing.assert_allclose(found["overlap"], expected)
    pairs = [(i, j) for i in range(3) for j in range(3) if i != j]
    r = spearmanr([expected[i][j] for i, j in pairs], [model["pgf_mean"][i][j] for i, j in pairs])
    assert found["spearman"] == pytest.approx(r.statistic)
    assert found["n_pairs"] == 6 and found["n_permutations"] == 6 and found["exact"]
    assert round(found["p"] * 6, 9) in range(1, 7)  # a count of the six relabellings
    assert found["controlled"] is None  # no predictions: no format-controlled PGF


def test_the_controlled_pgf_is_correlated_when_a_unit_before_adds_it(study_dir):
    """A stand-in for the format control: its matrix equals the overlap, so Spearman 1
    and p 1/6, the identity alone among the six relabellings."""
    order = list(read_inputs([study_dir / "results.csv"])[0].tasks)
    overlap = [
        [1.0 if a == b else JACCARD.get((a, b), JACCARD.get((b, a))) for b in order] for a in order
    ]

    def add(models, analysis, options):
        return Contribution(models={m.model: {recovery.CONTROLLED: overlap} for m in models})

    units = [pgf.UNIT, AnalysisUnit("toy", compute=add), recovery.UNIT]
    out = analyze(read_inputs([study_dir / "results.csv"]), skills=SKILLS, units=units)
    (model,) = out["models"].values()
    controlled = model["recovery"]["controlled"]
    assert controlled == {"spearman": 1.0, "p": pytest.approx(1 / 6), "n_pairs": 6}


def test_the_summary_and_the_page_show_it(study_dir, tmp_path):
    out = tmp_path / "out"
    page = analyze_to_folder([study_dir / "results.csv"], out, skills=SKILLS)
    found = _entry(out)["recovery"]
    summary = (out / "summary.md").read_text()
    assert "**Ground-truth recovery** (synthetic suite, declared skills)" in summary
    assert f"Spearman {found['spearman']:.3f} over 6 ordered pairs" in summary
    assert "all 6 relabellings of the tasks" in summary
    assert "format-controlled PGF is not available" in summary
    html = page.read_text()
    assert "<h3>Ground-truth recovery</h3>" in html and 'id="m0-recovery"' in html
    assert '"m0-recovery":' in html  # the scatter travels with the page's figures


def test_a_synthetic_study_reads_the_suite_s_skills(study_dir, tmp_path):
    """These three synthetic tasks share no declared skill: the overlap is constant, and
    the summary says there is nothing to correlate."""
    study = _config(study_dir, "synthetic")
    out = tmp_path / "out"
    analyze_to_folder([study / "results.csv"], out, study_dir=study)
    found = _entry(out)["recovery"]
    assert found["skills"]["Counting"] == ["object_counting", "shape_identity"]
    np.testing.assert_allclose(found["overlap"], np.eye(3))
    assert found["spearman"] is None and found["p"] is None
    assert "no correlation over 6 ordered pairs of 3 tasks" in (out / "summary.md").read_text()


@pytest.mark.parametrize("source", ["lmms-lab/BLINK", None])
def test_blink_tasks_of_the_same_names_declare_nothing(study_dir, tmp_path, source):
    study = _config(study_dir, source) if source else study_dir  # conftest: no eval_data
    out = tmp_path / "out"
    page = analyze_to_folder([study / "results.csv"], out, study_dir=study)
    assert "recovery" not in _entry(out)
    assert "Ground-truth recovery" not in page.read_text()
    assert "Ground-truth recovery" not in (out / "summary.md").read_text()


def test_tables_alone_need_the_skills_option(study_dir, tmp_path):
    table = str(study_dir / "results.csv")
    result = CliRunner().invoke(app, ["analyze", table, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "recovery" not in _entry(tmp_path / "a")
    args = ["analyze", table, "--skills", "synthetic", "--out", str(tmp_path / "b")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _entry(tmp_path / "b")["recovery"]["skills"]["Jigsaw"] == [
        "boundary_continuity",
        "texture_statistics",
    ]
    result = CliRunner().invoke(app, [*args[:3], "blink", "--out", str(tmp_path / "c")])
    assert "--skills takes 'synthetic'" in str(result.exception)
