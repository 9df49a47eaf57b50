"""A study's state on disk: cell markers, and the study tables gathered from done cells.

File names come from :class:`tasktransfer.contracts.StudyLayout` and the tables' format from
:mod:`tasktransfer.contracts.results`. A cell counts as done only when its ``done.json``
exists and holds the cell's current key, so a killed cell (no marker) or a cell whose inputs
changed (another key) is redone. ``done.json`` is written last and atomically, after the
cell's predictions.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from tasktransfer.contracts import (
    CellLayout,
    Prediction,
    ResultRow,
    StudyLayout,
    predictions_jsonl_text,
    read_predictions,
    read_results,
    write_results,
)
from tasktransfer.files import write_atomic, write_json_atomic

DONE, RUNNING, FAILED, PENDING, STALE = "done", "running", "failed", "pending", "stale"


def read_json(path: Path) -> Any:
    """The JSON content of ``path``, or None when the file is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def cell_state(cell: CellLayout, key: str) -> str:
    """One of ``done``, ``stale`` (done for other inputs), ``failed``, ``running``, ``pending``."""
    done = read_json(cell.done)
    if done is not None:
        return DONE if done.get("key") == key else STALE
    if cell.failed.exists():
        return FAILED
    if cell.running.exists():
        return RUNNING
    return PENDING


def write_done(
    cell: CellLayout,
    *,
    name: str,
    key: str,
    rows: Sequence[ResultRow],
    predictions: Sequence[Prediction],
    timing: dict[str, float],
) -> None:
    """Record a finished cell: its predictions, then (last) its marker with its rows."""
    write_atomic(cell.predictions, predictions_jsonl_text(predictions))
    marker = {"cell": name, "key": key, "rows": [dataclasses.asdict(r) for r in rows]}
    write_json_atomic(cell.done, {**marker, "timing": timing})


def done_rows(cell: CellLayout) -> list[ResultRow]:
    """The results rows recorded in a done cell's marker."""
    return [ResultRow(**row) for row in read_json(cell.done)["rows"]]


def write_study_tables(
    layout: StudyLayout,
    cells: Sequence[CellLayout],
    *,
    fold_groups: Sequence[Sequence[CellLayout]] = (),
    sum_folds: Callable[[list[Prediction]], list[ResultRow]] | None = None,
) -> int:
    """Rewrite ``results.csv`` and ``predictions.jsonl`` from the done cells, in plan order.

    Parameters
    ----------
    layout : StudyLayout
    cells : sequence of CellLayout
        Every planned cell, in plan order.
    fold_groups : sequence of sequence of CellLayout, default=()
        Cross-fit studies: the fold cells of each (model, run, source). Their rows are
        written to ``results-folds.csv``; ``results.csv`` holds, once every fold of a group
        is done, ``sum_folds`` of the group's predictions in their place.
    sum_folds : callable or None, default=None
        The predictions of a group's folds -> its rows over the whole split
        (:func:`tasktransfer.study.crossfit.summed_rows`); needed with ``fold_groups``.

    Returns
    -------
    int
        The number of rows written to ``results.csv``.
    """
    group_of = {cell: tuple(group) for group in fold_groups for cell in group}
    rows: list[ResultRow] = []
    fold_rows: list[ResultRow] = []
    predictions: list[str] = []
    for cell in cells:
        if not cell.done.exists():
            continue
        predictions.extend(line for line in cell.predictions.read_text().splitlines() if line)
        group = group_of.get(cell)
        if group is None:
            rows.extend(done_rows(cell))
            continue
        fold_rows.extend(done_rows(cell))
        if cell == group[-1] and all(c.done.exists() for c in group):
            rows.extend(sum_folds([p for c in group for p in read_predictions(c.predictions)]))
    write_results(layout.results, rows)
    if fold_rows:
        write_results(layout.results_folds, fold_rows)
    write_atomic(layout.predictions, "".join(p + "\n" for p in predictions))
    return len(rows)


def write_task_results(layout: StudyLayout, *, exclude: Collection[str]) -> Path:
    """Write ``task_results.csv``: the rows of ``results.csv`` whose source is not excluded.

    The analysis reads a task-by-task transfer table, so a study with mixtures analyses
    its rows without the mixture labels (``exclude``); ``results.csv`` keeps every row.
    """
    rows = [row for row in read_results(layout.results) if row.source not in exclude]
    return write_results(layout.task_results, rows)
