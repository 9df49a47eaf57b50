"""The report's intervals (from a study's predictions) and the paper's two explanatory views."""

import csv
import json

import numpy as np
import pytest

from tasktransfer.analysis.views import pgf_floor, pgf_ranges, rank_agreement
from tasktransfer.contracts import (
    Prediction,
    StudyLayout,
    predictions_jsonl_text,
    read_analysis,
    read_results,
)
from tasktransfer.report import analyze_to_folder

from .conftest import MODEL, TASKS


def _write_predictions(study):
    """Per-question records that reproduce every row of the study's results table."""
    layout = StudyLayout(study)
    records = [
        Prediction(row.model, row.run, row.source, row.target, f"q{k}", "(A)", "(A)", True)
        if k < row.n_correct
        else Prediction(row.model, row.run, row.source, row.target, f"q{k}", "(A)", "(B)", False)
        for row in read_results(layout.results)
        for k in range(row.n_total)
    ]
    layout.predictions.write_text(predictions_jsonl_text(records))


def _csv_header(path):
    with path.open() as f:
        return next(csv.reader(f))


@pytest.fixture
def analysed(study_dir, tmp_path):
    _write_predictions(study_dir)
    out = tmp_path / "analysis"
    analyze_to_folder([study_dir / "results.csv"], out, study_dir=study_dir)
    return out


def test_a_study_with_predictions_gets_intervals_everywhere(analysed):
    analysis = read_analysis(analysed)
    entry = analysis.models[MODEL]
    found = entry.sections["uncertainty"]
    assert found["n_questions"] == dict.fromkeys(TASKS, 20)
    assert found["n_resamples"] == 1000 and found["confidence"] == 0.95
    low, high = np.array(found["pgf"]["ci_low"]), np.array(found["pgf"]["ci_high"])
    assert (low < np.array(entry.pgf_mean)).all() and (np.array(entry.pgf_mean) < high).all()
    assert _csv_header(analysed / entry.files["pgf_mean"])[-2:] == ["ci_low", "ci_high"]
    header = _csv_header(analysed / entry.files["transferability"])
    assert {"delta_pos_ci_low", "theta_neg_ci_high"} <= set(header)
    page = (analysed / "report.html").read_text()
    assert "95 % interval over questions [" in page  # the heatmap's hover
    assert "Confidence intervals" in page and "PGF, raw gain and the floor" in page
    summary = (analysed / "summary.md").read_text()
    assert "95 % intervals from 1000 bootstrap resamples" in summary
    assert "(here m ≤ 20: PGF ≥ −19)" in summary


def test_the_same_study_gives_the_same_intervals(analysed, study_dir, tmp_path):
    again = tmp_path / "again"
    analyze_to_folder([study_dir / "results.csv"], again, study_dir=study_dir)
    first = json.loads((analysed / "analysis.json").read_text())["models"][MODEL]
    second = json.loads((again / "analysis.json").read_text())["models"][MODEL]
    assert first["uncertainty"] == second["uncertainty"]


def test_without_predictions_the_report_says_what_intervals_need(study_dir, tmp_path):
    out = tmp_path / "analysis"
    analyze_to_folder([study_dir / "results.csv"], out, study_dir=study_dir)
    entry = read_analysis(out).models[MODEL]
    assert "uncertainty" not in entry.sections
    assert "ci_low" not in _csv_header(out / entry.files["pgf_mean"])
    assert "Confidence intervals need per-question predictions" in (out / "summary.md").read_text()


def test_views_of_a_study_are_the_accuracies_by_hand(analysed):
    entry = read_analysis(analysed).models[MODEL]
    views = entry.sections["views"]
    acc = np.array(entry.accuracy["finetuned"], dtype=float)
    acc0 = np.array(entry.accuracy["zero_shot"], dtype=float)
    change = (acc - acc0[:, None, :]).mean(axis=0)
    np.testing.assert_allclose(views["accuracy_change"], change)
    np.testing.assert_allclose(views["ranges"]["floor"], -acc0 / (1 - acc0))
    off = ~np.eye(len(TASKS), dtype=bool)
    pgf_runs = np.array(entry.pgf_runs, dtype=float)
    np.testing.assert_allclose(views["ranges"]["pgf_min"], np.where(off, pgf_runs, 9).min(axis=1))
    # Every PGF lies above the floor of its run and target.
    assert (pgf_runs >= np.array(views["ranges"]["floor"])[:, None, :] - 1e-12).all()
    ranking = rank_agreement(np.array(entry.pgf_mean)[off], change[off])
    assert views["ranking"] == pytest.approx(ranking) and ranking["n"] == 6


def test_pgf_ranks_differently_from_raw_gain():
    # +0.10 on a target at 0.5 (PGF 0.2) against +0.05 on one at 0.9 (PGF 0.5): the raw change
    # prefers the first, PGF the second; a third cell agrees on both.
    acc0 = np.array([0.5, 0.9, 0.5])
    raw = np.array([0.10, 0.05, -0.2])
    pgf = raw / (1 - acc0)
    found = rank_agreement(pgf, raw)
    assert found["discordant"] == pytest.approx(1 / 3)
    assert found["spearman"] == pytest.approx(0.5)
    assert found["kendall"] == pytest.approx(1 / 3)


def test_the_floor_is_at_least_minus_m_minus_one():
    for m in (2, 5, 20, 150):
        accs = np.arange(m) / m  # every zero-shot accuracy at which PGF is defined
        assert pgf_floor(accs).min() == pytest.approx(-(m - 1))
    assert np.isnan(pgf_floor(1.0))
    low, high = pgf_ranges([[[0.0, np.nan], [np.nan, 0.0]]])
    assert np.isnan(low).all() and np.isnan(high).all()


def test_a_published_table_has_neither_view(report32):
    summary = (report32.parent / "summary.md").read_text()
    assert "need the accuracies behind the PGF" in summary
    assert "Confidence intervals need per-question predictions" in summary
