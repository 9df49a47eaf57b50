"""The study folder on disk: atomic writes, cell markers, and the results table.

Layout of a study folder::

    config.yaml              the resolved configuration
    environment.json         package versions, git commit, device
    cells/<model>/<run>/<source>/
        running.json         written when the cell starts (pid, host, time)
        failed.json          written when the cell raised (error, traceback)
        adapter/             the finetuned adapter (finetune cells)
        predictions.jsonl    one line per evaluated question
        rows.csv             this cell's rows of the results table
        done.json            written LAST, atomically: the cell's key and rows
    results.csv              every done cell's rows (DESIGN.md format)
    task_results.csv         results.csv without the mixture sources (studies with mixtures)
    predictions.jsonl        every done cell's predictions
    selection_plan.json      the selection section's mixtures and arms (studies with one)
    analysis/                analyze outputs and report.html (and selection.csv/.json)

A cell counts as done only when ``done.json`` exists and holds the cell's current key, so a
killed cell (no marker) or a cell whose inputs changed (another key) is redone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from tasktransfer.files import write_atomic

RESULTS_COLUMNS = (
    "model",
    "run",
    "source",
    "target",
    "n_correct",
    "n_total",
    "answer_counts",
    "n_unparsed",
)
DONE, RUNNING, FAILED, PENDING, STALE = "done", "running", "failed", "pending", "stale"


def read_json(path: Path) -> Any:
    """The JSON content of ``path``, or None when the file is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def results_csv_text(rows: Iterable[dict[str, Any]]) -> str:
    """Rows of the results table as CSV text (``answer_counts`` as a JSON object)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESULTS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        out = {column: row.get(column, "") for column in RESULTS_COLUMNS}
        out["answer_counts"] = json.dumps(row.get("answer_counts") or {}, sort_keys=True)
        writer.writerow(out)
    return buffer.getvalue()


def cell_state(folder: Path, key: str) -> str:
    """One of ``done``, ``stale`` (done for other inputs), ``failed``, ``running``, ``pending``."""
    done = read_json(folder / "done.json")
    if done is not None:
        return DONE if done.get("key") == key else STALE
    if (folder / "failed.json").exists():
        return FAILED
    if (folder / "running.json").exists():
        return RUNNING
    return PENDING


def done_rows(folder: Path) -> list[dict[str, Any]]:
    """The results rows recorded in a done cell's marker."""
    return read_json(folder / "done.json")["rows"]


def write_study_tables(study_dir: Path, cell_folders: Sequence[Path]) -> int:
    """Rewrite ``results.csv`` and ``predictions.jsonl`` from the done cells, in plan order.

    Returns the number of result rows written.
    """
    rows: list[dict[str, Any]] = []
    predictions: list[str] = []
    for folder in cell_folders:
        if not (folder / "done.json").exists():
            continue
        rows.extend(done_rows(folder))
        predictions.extend(
            line for line in (folder / "predictions.jsonl").read_text().splitlines() if line
        )
    write_atomic(study_dir / "results.csv", results_csv_text(rows))
    write_atomic(study_dir / "predictions.jsonl", "".join(p + "\n" for p in predictions))
    return len(rows)


def write_task_results(study_dir: Path, *, exclude: Collection[str]) -> Path:
    """Write ``task_results.csv``: the rows of ``results.csv`` whose source is not excluded.

    The analysis reads a task-by-task transfer table, so a study with mixtures analyses
    its rows without the mixture labels (``exclude``); ``results.csv`` keeps every row.
    """
    with (study_dir / "results.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or RESULTS_COLUMNS
        rows = [row for row in reader if row["source"] not in exclude]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_atomic(study_dir / "task_results.csv", buffer.getvalue())
