"""A rectangular study through `tasktransfer analyze`: every file, the heatmaps' axes."""

import csv
import json

import pytest
from typer.testing import CliRunner

from tasktransfer.cli import app
from tasktransfer.contracts import (
    Prediction,
    ResultRow,
    StudyLayout,
    predictions_jsonl_text,
    read_analysis,
    write_results,
)
from tasktransfer.contracts.analysis import Analysis
from tasktransfer.units import pgf as pgf_unit

SOURCES = ("Counting", "Jigsaw")
TARGETS = ("Counting", "Jigsaw", "Relative_Depth", "Spatial_Relation")
RUNS = ("seed_0", "seed_1")
N = 12


def _correct(run: int, source: str, target: str) -> int:
    """Some transfer helps, some hurts, and the runs differ."""
    if source == "zero-shot":
        return 5 + run
    return 3 + (3 * SOURCES.index(source) + 2 * TARGETS.index(target) + run) % 8


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """A study folder (results and scored predictions, 2 sources x 4 targets) analysed by
    the command line."""
    study = tmp_path_factory.mktemp("rect") / "study"
    study.mkdir()
    layout = StudyLayout(study)
    rows, records = [], []
    for r, run in enumerate(RUNS):
        for source in ("zero-shot", *SOURCES):
            for target in TARGETS:
                right = _correct(r, source, target)
                rows.append(ResultRow("tiny", run, source, target, right, N))
                for k in range(N):
                    ok, margin = k < right, 0.1 + 0.05 * k
                    scores = {"(A)": -margin, "(B)": -1.0} if ok else {"(A)": -1.0, "(B)": -margin}
                    records.append(
                        Prediction("tiny", run, source, target, f"q{k}", "(A)",
                                   "(A)" if ok else "(B)", ok, scores=scores)
                    )  # fmt: skip
    write_results(layout.results, rows)
    layout.predictions.write_text(predictions_jsonl_text(records))
    out = study.parent / "analysis"
    result = CliRunner().invoke(app, ["analyze", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_every_file_is_written_and_the_summary_states_the_shape_and_n(analysed):
    for name in ("analysis.json", "summary.md", "report.html", "heatmap_tiny.png"):
        assert (analysed / name).is_file(), name
    summary = (analysed / "summary.md").read_text()
    assert "2 sources x 4 targets" in summary
    assert "Relative_Depth, Spatial_Relation are evaluated but never finetuned on" in summary
    # Δ over the 3 targets other than itself; Θ of a source-target from the other source
    # (N = 1), of a target only from both (N = 2).
    assert "Δ with N = 3 (Jigsaw, Counting)" in summary
    assert "Θ with N = 1 (Jigsaw, Counting), N = 2 (Relative_Depth, Spatial_Relation)" in summary
    assert "**Cliques** among the 2 tasks that are both a source and a target" in summary
    data = json.loads((analysed / "analysis.json").read_text())["models"]["tiny"]
    assert data["sources"] == ["Jigsaw", "Counting"]
    assert data["targets"] == ["Relative_Depth", "Spatial_Relation", "Jigsaw", "Counting"]


def test_the_mean_csv_holds_the_measured_pairs_only(analysed):
    with open(analysed / "pgf_mean_tiny.csv") as f:
        pairs = {(row["ft_task"], row["task"]) for row in csv.DictReader(f)}
    assert pairs == {(s, t) for s in SOURCES for t in TARGETS}


def test_the_heatmap_has_sources_as_rows_and_the_targets_only_apart(analysed):
    entry = read_analysis(analysed).models["tiny"]
    figure = pgf_unit.heatmap_figure("tiny", entry)
    (trace,) = figure["data"]
    assert len(trace["z"]) == 2 and all(len(row) == 4 for row in trace["z"])
    layout = figure["layout"]
    assert list(layout["yaxis"]["ticktext"]) == ["JG", "CN"]
    assert list(layout["xaxis"]["ticktext"]) == ["JG", "CN", "RD", "SR"]
    # Jigsaw -> Spatial_Relation, by hand: seed_0 (3 + (3 + 6) % 8 = 4) - 5 over 12 - 5,
    # seed_1 (3 + (3 + 6 + 1) % 8 = 5) - 6 over 12 - 6.
    assert trace["z"][0][3] == pytest.approx(((4 - 5) / 7 + (5 - 6) / 6) / 2)
    (divider,) = layout["shapes"]
    assert divider["x0"] == divider["x1"] == 1.5  # between CN and RD
    assert layout["annotations"][0]["text"] == "targets only →"
    html = (analysed / "report.html").read_text()
    assert "targets only" in html  # the figure JSON escapes the arrow


def test_an_analysis_written_before_rectangles_reads_as_square(analysed):
    data = json.loads((analysed / "analysis.json").read_text())
    for model in data["models"].values():
        del model["sources"], model["targets"]
    entry = Analysis.from_json(data).models["tiny"]
    assert entry.sources == entry.targets == entry.tasks and entry.is_square
    assert entry.rows == entry.columns == [0, 1, 2, 3]
