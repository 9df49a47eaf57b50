"""The CSV tables of an analysis folder: every run's PGF, the mean matrix, Δ/Θ per task."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from tasktransfer.analysis import PERSONAS, TRANSFERABILITY_METRICS, ModelRuns
from tasktransfer.contracts import PGF_COLUMNS
from tasktransfer.contracts.analysis import ModelEntry
from tasktransfer.files import write_atomic
from tasktransfer.units import format_control, personas, transferability, uncertainty

CI = ("ci_low", "ci_high")

__all__ = [
    "write_pgf_csv",
    "write_pgf_mean_csv",
    "write_transferability_csv",
]


def _csv_text(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


# Each persona's raw p and its Benjamini-Hochberg q; an analysis.json written before the
# q-values existed has none, written "nan".
PQ = ("p", "q")


def _number(value) -> str:
    # repr round-trips a float exactly; NaN (undefined at the ceiling) is written "nan".
    return "nan" if value is None or not math.isfinite(value) else repr(float(value))


def write_pgf_csv(model: ModelRuns, path: str | Path) -> Path:
    """Every run's PGF in the published format ``seed,ft_task,task,perfection_gap_factor``.

    Missing cells are left out; a measured but undefined value (zero-shot accuracy at the
    ceiling) is written ``nan``.
    """
    measured = np.isfinite(model.acc if model.acc is not None else model.pgf)
    rows = [
        (run, source, target, _number(model.pgf[r, i, j]))
        for r, run in enumerate(model.runs)
        for i, source in enumerate(model.tasks)
        for j, target in enumerate(model.tasks)
        if measured[r, i, j]
    ]
    return write_atomic(path, _csv_text(PGF_COLUMNS, rows))


def write_pgf_mean_csv(entry: ModelEntry, path: str | Path) -> Path:
    """The run-mean PGF of one model, one row per (source, target) pair (a rectangular
    study's sources x targets, in task order); with per-question
    predictions, also its interval (``ci_low``, ``ci_high``); with option scores, the
    format-controlled mean and the part of the raw PGF the letter prior explains
    (``pgf_mean_controlled``, ``prior_explained``)."""
    n_runs = len(entry.runs)
    header = ("ft_task", "task", "pgf_mean", "pgf_std", "n_runs")
    with_ci = uncertainty.cell_interval(entry, 0, 0) is not None
    if with_ci:
        header += CI
    with_control = format_control.cell(entry, 0, 0) is not None
    if with_control:
        header += (format_control.MEAN, format_control.EXPLAINED)
    rows = [
        (
            source,
            target,
            _number(entry.pgf_mean[i][j]),
            _number(entry.pgf_std[i][j]),
            n_runs,
            *(map(_number, uncertainty.cell_interval(entry, i, j) if with_ci else ())),
            *(map(_number, format_control.cell(entry, i, j) if with_control else ())),
        )
        for i, source in enumerate(entry.tasks)
        for j, target in enumerate(entry.tasks)
        if source in entry.sources and target in entry.targets
    ]
    return write_atomic(path, _csv_text(header, rows))


def write_transferability_csv(entry: ModelEntry, path: str | Path) -> Path:
    """Delta/Theta of every task with its persona p-values; with per-question predictions,
    each metric's interval (``<metric>_ci_low``, ``<metric>_ci_high``)."""
    found = uncertainty.of(entry) or {}
    bounds = found.get("transferability")
    header = ("task", *TRANSFERABILITY_METRICS, *(f"{p}_{k}" for p in PERSONAS for k in PQ))
    if bounds:
        header += tuple(f"{m}_{c}" for m in TRANSFERABILITY_METRICS for c in CI)
    values, tests = transferability.of(entry), personas.of(entry)["tests"]
    rows = [
        (
            task,
            *(_number(values[task][m]) for m in TRANSFERABILITY_METRICS),
            *(_number(tests[task].get(f"{p}_{k}")) for p in PERSONAS for k in PQ),
            *(_number(bounds[task][m][c]) for m in TRANSFERABILITY_METRICS for c in CI if bounds),
        )
        for task in entry.tasks
    ]
    return write_atomic(path, _csv_text(header, rows))
