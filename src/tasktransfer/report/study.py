"""``study.json``: what the report shows about the study an analysis came from.

A study folder (see :mod:`tasktransfer.study.store`) holds ``config.yaml``,
``environment.json``, ``results.csv`` (with an ``answer_counts`` JSON column) and one
``done.json`` per cell whose rows carry a ``collapsed`` flag. :func:`collect_study` gathers
them into one dict, written beside ``analysis.json``, so the page is rendered from the
analysis folder alone and ``tasktransfer report`` can re-render it later.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from tasktransfer.errors import InputError

STUDY_FILE = "study.json"


def collect_study(study_dir: str | Path) -> dict:
    """The configuration, environment and answer-letter counts of a study folder.

    Parameters
    ----------
    study_dir : str or Path
        A folder written by ``tasktransfer run``.

    Returns
    -------
    dict
        ``config`` (the text of ``config.yaml``, or None), ``environment`` (the content of
        ``environment.json``, or None) and ``answers``: per model label, one row per
        (run, source, target) with ``answer_counts`` (letter -> count), ``n_unparsed``,
        ``n_total`` and ``collapsed`` (True when the cell's predictions collapsed onto one
        letter, from the cell's ``done.json``).

    Raises
    ------
    InputError
        When ``results.csv`` is missing or a row's ``answer_counts`` is not a JSON object.
    """
    study_dir = Path(study_dir)
    results = study_dir / "results.csv"
    if not results.is_file():
        raise InputError(f"{study_dir} is not a study folder: {results} is missing")
    collapsed = {
        _key(row) for row in _done_rows(study_dir) if row.get("collapsed") and _has_key(row)
    }
    answers: dict[str, list[dict]] = {}
    with results.open(newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            counts = _counts(row.get("answer_counts"), f"{results}, line {line}")
            answers.setdefault(row["model"], []).append(
                {
                    "run": row["run"],
                    "source": row["source"],
                    "target": row["target"],
                    "answer_counts": counts,
                    "n_unparsed": _int(row.get("n_unparsed")),
                    "n_total": _int(row.get("n_total")),
                    "collapsed": _key(row) in collapsed,
                }
            )
    config = study_dir / "config.yaml"
    environment = study_dir / "environment.json"
    return {
        "config": config.read_text() if config.is_file() else None,
        "environment": json.loads(environment.read_text()) if environment.is_file() else None,
        "answers": answers,
    }


def _key(row: dict) -> tuple[str, str, str, str]:
    return (str(row["model"]), str(row["run"]), str(row["source"]), str(row["target"]))


def _has_key(row: dict) -> bool:
    return all(k in row for k in ("model", "run", "source", "target"))


def _done_rows(study_dir: Path) -> Iterator[dict]:
    for marker in sorted((study_dir / "cells").glob("**/done.json")):
        try:
            rows = json.loads(marker.read_text()).get("rows", [])
        except (json.JSONDecodeError, AttributeError) as err:
            raise InputError(f"{marker}: not a done marker ({err})") from err
        yield from (r for r in rows if isinstance(r, dict))


def _counts(text: str | None, where: str) -> dict[str, int]:
    if not text:
        return {}
    try:
        counts = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{where}, column 'answer_counts': not JSON ({err})") from err
    if not isinstance(counts, dict) or not all(isinstance(v, int) for v in counts.values()):
        raise InputError(
            f"{where}, column 'answer_counts': expected an object of letter -> count, got {text!r}"
        )
    return {str(k): v for k, v in counts.items()}


def _int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None
