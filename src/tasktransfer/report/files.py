"""Atomic writes of the analysis artifacts: ``analysis.json`` and the CSV tables."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np

from tasktransfer.analysis import PERSONAS, TRANSFERABILITY_METRICS, ModelRuns
from tasktransfer.files import write_atomic

PGF_HEADER = ("seed", "ft_task", "task", "perfection_gap_factor")
# The selection experiment's table, beside analysis.json (see tasktransfer.study.selection).
SELECTION_CSV, SELECTION_JSON = "selection.csv", "selection.json"


def jsonable(value):
    """``value`` with NaN and infinities as ``None`` and numpy scalars as Python ones."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(analysis: dict, path: str | Path) -> Path:
    """Write the analysis as strict JSON (NaN becomes ``null``)."""
    return write_atomic(path, json.dumps(jsonable(analysis), indent=1, allow_nan=False) + "\n")


def _csv_text(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


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
    return write_atomic(path, _csv_text(PGF_HEADER, rows))


def write_pgf_mean_csv(entry: dict, path: str | Path) -> Path:
    """The run-mean PGF of one model from its ``analysis.json`` entry, one row per pair."""
    tasks, n_runs = entry["tasks"], len(entry["runs"])
    rows = [
        (source, target, _number(entry["pgf_mean"][i][j]), _number(entry["pgf_std"][i][j]), n_runs)
        for i, source in enumerate(tasks)
        for j, target in enumerate(tasks)
    ]
    return write_atomic(path, _csv_text(("ft_task", "task", "pgf_mean", "pgf_std", "n_runs"), rows))


def write_transferability_csv(entry: dict, path: str | Path) -> Path:
    """Delta/Theta of every task with its persona p-values, from an ``analysis.json`` entry."""
    header = ("task", *TRANSFERABILITY_METRICS, *(f"{p}_p" for p in PERSONAS))
    tests = entry["personas"]["tests"]
    rows = [
        (
            task,
            *(_number(entry["transferability"][task][m]) for m in TRANSFERABILITY_METRICS),
            *(_number(tests[task][f"{p}_p"]) for p in PERSONAS),
        )
        for task in entry["tasks"]
    ]
    return write_atomic(path, _csv_text(header, rows))


def read_pgf_csv(path: str | Path) -> dict[tuple[str, str, str], float | None]:
    """``(run, source, target) -> PGF`` of a file written by :func:`write_pgf_csv`.

    ``nan`` becomes None; a missing file gives an empty dict (the page then shows means only).
    """
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(newline="") as f:
        return {
            (row["seed"], row["ft_task"], row["task"]): _parse_number(row["perfection_gap_factor"])
            for row in csv.DictReader(f)
        }


def _parse_number(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None
