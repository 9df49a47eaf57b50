"""``tasktransfer select`` through typer's CliRunner: sources, options, the file it writes."""

import math

import pytest
from typer.testing import CliRunner

from tasktransfer.analysis import read_inputs
from tasktransfer.analysis.selection import select_sources
from tasktransfer.cli import app
from tasktransfer.data.mixture import read_mixture

runner = CliRunner()

# Correct answers out of 10 per (run, source, target); zero-shot: Counting 5, Jigsaw 5,
# Relative_Depth 2. PGF on Relative_Depth = (n/10 - 0.2) / 0.8:
#   Counting -> RD: 6, 4 -> 0.5, 0.25 (mean 0.375);
#   Jigsaw -> RD:   5, 1 -> 0.375, -0.125 (mean 0.125, crosses zero);
#   RD -> RD:       10, 10 -> 1.
TASKS = ("Counting", "Jigsaw", "Relative_Depth")
ZERO_SHOT = {"Counting": 5, "Jigsaw": 5, "Relative_Depth": 2}
ON_RD = {"Counting": (6, 4), "Jigsaw": (5, 1), "Relative_Depth": (10, 10)}


@pytest.fixture
def study(tmp_path):
    """A study folder whose results.csv holds two runs over three tasks."""
    rows = ["model,run,source,target,n_correct,n_total"]
    for r, run in enumerate(("seed_0", "seed_1")):
        rows += [f"tiny,{run},zero-shot,{t},{n},10" for t, n in ZERO_SHOT.items()]
        for source in TASKS:
            for target in TASKS:
                n = ON_RD[source][r] if target == "Relative_Depth" else 7
                rows.append(f"tiny,{run},{source},{target},{n},10")
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "results.csv").write_text("\n".join(rows) + "\n")
    return folder


def invoke(*args):
    return runner.invoke(app, ["select", *map(str, args)])


def test_study_folder_threshold_rule(study, tmp_path):
    out = tmp_path / "mix.yaml"
    result = invoke("--target", "Relative_Depth", "--from", study, "--budget", 100, "--out", out)
    assert result.exit_code == 0, result.output
    got = read_mixture(out)
    # Shares of 100 in proportion 0.375 : 0.125.
    assert got.mixture == {"Counting": 75, "Jigsaw": 25}
    p = got.provenance
    assert (p.rule, p.targets, p.budget, p.model, p.threshold) == (
        "threshold",
        ["Relative_Depth"],
        100,
        "tiny",
        0.0,
    )
    assert p.pgf_source == str(study)
    jigsaw = p.pgf["Jigsaw"]["Relative_Depth"]
    assert (jigsaw.mean, jigsaw.min, jigsaw.max, jigsaw.n_runs) == pytest.approx(
        (0.125, -0.125, 0.375, 2)
    )
    assert jigsaw.std == pytest.approx(math.sqrt(2) * 0.25)
    assert any("PGF(Jigsaw -> Relative_Depth)" in n for n in p.notes)
    assert "crosses zero" in result.output
    assert "Counting" in result.output and "Wrote" in result.output


def test_include_target_abbreviations_and_availability(study, tmp_path):
    out = tmp_path / "mix.yaml"
    args = ["--target", "RD", "--from", study, "--budget", 100, "--out", out]
    result = invoke(*args, "--include-target", "--available", "Jigsaw=0")
    assert result.exit_code == 0, result.output
    # 100 in proportion 1 : 0.375 -> 72.7 and 27.3, rounded by largest remainder.
    got = read_mixture(out)
    assert got.mixture == {"Counting": 27, "Relative_Depth": 73}
    assert got.provenance.include_target and got.provenance.available == {"Jigsaw": 0}


def test_published_alias_matches_the_library_call(tmp_path, reference_dir):
    out = tmp_path / "mix.yaml"
    result = invoke(
        "--target", "Jigsaw", "--target", "Counting", "--from", "sachdeva2026:7B",
        "--budget", 500, "--rule", "optimal", "--cap", 200,
        "--reference-dir", reference_dir, "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (runs,) = read_inputs(["sachdeva2026:7B"], reference_dir=reference_dir)
    expected = select_sources(
        runs.pgf, runs.tasks, ["Jigsaw", "Counting"], 500, rule="optimal", cap=200
    )
    got = read_mixture(out)
    assert got.mixture == expected.mixture and expected.mixture
    assert got.provenance.cap == 200 and got.provenance.k is None
    assert got.provenance.predicted_gain == pytest.approx(expected.predicted_gain)
    assert set(got.provenance.pgf) == set(expected.mixture)


def test_nothing_recommended_writes_nothing(study, tmp_path):
    out = tmp_path / "mix.yaml"
    args = ["--target", "Relative_Depth", "--from", study, "--budget", 10, "--out", out]
    result = invoke(*args, "--threshold", 0.9)
    assert result.exit_code == 1
    assert "Nothing recommended" in result.output and "above the threshold 0.9" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--rule", "best"], "rule must be one of threshold, topk, optimal"),
        (["--available", "Jigsaw"], "--available expects KEY=VALUE"),
        (["--available", "Jigsaw=x"], "cannot read the value"),
        (["--model", "other"], "no model 'other'"),
        (["--budget", "0"], "budget must be an integer >= 1"),
    ],
)
def test_bad_options(study, tmp_path, extra, message):
    args = ["--target", "Relative_Depth", "--from", study, "--budget", 10]
    result = invoke(*args, "--out", tmp_path / "m.yaml", *extra)
    assert result.exit_code != 0 and message in str(result.exception)


def test_folder_without_results(tmp_path):
    result = invoke("--target", "Jigsaw", "--from", tmp_path, "--budget", 5, "--out", "m.yaml")
    assert result.exit_code != 0 and "without results.csv" in str(result.exception)
