"""The format control's report section and CSV columns."""

import csv
import json

from tasktransfer.analysis.analyze import analyze
from tasktransfer.contracts import (
    Prediction,
    StudyLayout,
    predictions_jsonl_text,
    read_analysis,
    read_results,
)
from tasktransfer.contracts.analysis import Analysis
from tasktransfer.report import analyze_to_folder
from tasktransfer.report.files import write_pgf_mean_csv
from tasktransfer.units import format_control as unit

from ..analysis.test_format_control import _records
from .conftest import MODEL


def _entry(result):
    return Analysis.from_json(json.loads(json.dumps(result))).models["m"]


def test_section_shows_raw_controlled_and_explained_heatmaps(tmp_path):
    model, records = _records()
    entry = _entry(analyze([model], predictions={"m": records}))
    section = unit.model_section("m", entry, None, "m0")
    assert section.title == "Format-controlled PGF"
    assert "letter prior" in section.html and 'id="m0-controlled"' in section.html
    figure = section.figures["m0-controlled"]
    heatmaps = [t for t in figure["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 3
    raw, controlled, explained = (list(map(list, t["z"])) for t in heatmaps)
    assert raw == [[0.5] * 3] * 3 and controlled == [[0.0] * 3] * 3
    assert explained == [[0.5] * 3] * 3
    assert heatmaps[0]["zmax"] == heatmaps[1]["zmax"]  # one colour scale, raw and controlled
    rows = list(csv.DictReader(open(write_pgf_mean_csv(entry, tmp_path / "m.csv"))))
    assert float(rows[1]["pgf_mean_controlled"]) == 0.0
    assert float(rows[1]["prior_explained"]) == 0.5


def test_without_scores_the_section_says_why_and_the_csv_is_as_before(tmp_path):
    model, records = _records(scored=False)
    entry = _entry(analyze([model], predictions={"m": records}))
    assert "generation mode" in unit.model_section("m", entry, None, "m0").html
    plain = _entry(analyze([model]))
    assert "option scores" in unit.model_section("m", plain, None, "m0").html
    header = open(write_pgf_mean_csv(plain, tmp_path / "m.csv")).readline().strip()
    assert header == "ft_task,task,pgf_mean,pgf_std,n_runs"


def test_a_study_with_scores_shows_the_control_everywhere(study_dir, tmp_path):
    layout = StudyLayout(study_dir)
    records = []
    for row in read_results(layout.results):
        for k in range(row.n_total):
            right, margin = k < row.n_correct, 0.1 + 0.05 * k  # margins differ per question
            scores = {"(A)": -margin, "(B)": -1.0} if right else {"(A)": -1.0, "(B)": -margin}
            predicted = "(A)" if right else "(B)"
            records.append(
                Prediction(row.model, row.run, row.source, row.target, f"q{k}", "(A)",
                           predicted, right, scores=scores)
            )  # fmt: skip
    layout.predictions.write_text(predictions_jsonl_text(records))
    out = tmp_path / "analysis"
    analyze_to_folder([study_dir / "results.csv"], out, study_dir=study_dir)
    entry = read_analysis(out).models[MODEL]
    assert {"pgf_mean_controlled", "prior_explained", "cliques_controlled"} <= set(entry.sections)
    header = open(out / entry.files["pgf_mean"]).readline().strip().split(",")
    assert header[-2:] == ["pgf_mean_controlled", "prior_explained"]
    assert (
        "**Format control.** With each model state's letter prior removed"
        in (out / "summary.md").read_text()
    )
    assert "Format-controlled PGF" in (out / "report.html").read_text()
