"""The results table and the per-question prediction record: what a study measures.

These two records are the contract between the layers (``DESIGN.md``, "The results table"):
the study writes them, the analysis and the report read them, each only through this module.
A new column is one field here; the CSV header, the parser and the writer follow from it.

Public API
----------
ZERO_SHOT
    The ``source`` of a row measured on the un-finetuned model.
ResultRow
    One evaluation of one model state on one target: counts plus optional diagnostics.
Prediction
    One question answered by one model state, with the score of every offered option.
    ``credit`` is what the question adds to its row's ``n_correct``.
REQUIRED_COLUMNS, OPTIONAL_COLUMNS, PGF_COLUMNS
    Column names of the results table and of the published PGF table.
results_csv_text(rows) / write_results(path, rows) / read_results(path)
    The results table as CSV, written atomically and read back with row-level errors.
predictions_jsonl_text(predictions) / read_predictions(path)
    The prediction records as JSON lines.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasktransfer.errors import InputError
from tasktransfer.files import write_atomic

ZERO_SHOT = "zero-shot"
PGF_COLUMNS = ("seed", "ft_task", "task", "perfection_gap_factor")


@dataclass(frozen=True)
class ResultRow:
    """One row of ``results.csv``: one model state evaluated on one target task.

    Attributes
    ----------
    model : str
        Model label, e.g. ``Qwen/Qwen2.5-VL-3B-Instruct`` or ``tiny``.
    run : str
        Run label (one per seed), e.g. ``seed_0``.
    source : str
        The task (or mixture label) finetuned on, or :data:`ZERO_SHOT`.
    target : str
        The task evaluated.
    n_correct : int or float
        Questions answered correctly (an integer) for a multiple-choice target; for a
        numeric target (answers scored by mean relative accuracy,
        :mod:`tasktransfer.scoring`) the sum of the questions' scores, a float in
        ``[0, n_total]``. Accuracy is ``n_correct / n_total`` either way (PGF's ceiling 1).
    n_total : int
        Questions evaluated.
    answer_counts : dict of str to int or None
        Predicted letter -> count (every letter offered or predicted, zeros included).
    n_unparsed : int or None
        Questions whose answer named no single offered letter (generation mode).
    collapsed : bool or None
        Whether the predictions collapsed onto one letter while the gold letters did not.
    letter_mass : float or None
        Mean over the questions of the probability on all forms of all offered options.
    format_mismatch : bool or None
        Whether ``letter_mass`` is below the evaluation's threshold: the scores read less
        than the model's answer, so its accuracy may mix answer format with skill.
    fold : int or None
        Cross-fit fold (cross-fit protocol only).
    step : float or None
        Fraction of the training steps at a checkpoint; None is the final adapter.
    """

    model: str
    run: str
    source: str
    target: str
    n_correct: int | float
    n_total: int
    answer_counts: dict[str, int] | None = field(default=None, compare=False)
    n_unparsed: int | None = None
    collapsed: bool | None = None
    letter_mass: float | None = None
    format_mismatch: bool | None = None
    fold: int | None = None
    step: float | None = None

    @property
    def accuracy(self) -> float:
        return self.n_correct / self.n_total

    @property
    def key(self) -> tuple[str, str, str, str]:
        """``(model, run, source, target)``: what identifies a row (with fold and step)."""
        return (self.model, self.run, self.source, self.target)


COLUMNS = tuple(f.name for f in dataclasses.fields(ResultRow))
REQUIRED_COLUMNS = COLUMNS[:6]
OPTIONAL_COLUMNS = COLUMNS[6:]
# How an optional column's text becomes its value (an empty cell is None).
_PARSE = {
    "answer_counts": "json",
    "n_unparsed": int,
    "collapsed": "bool",
    "letter_mass": float,
    "format_mismatch": "bool",
    "fold": int,
    "step": float,
}


def results_csv_text(rows: Iterable[ResultRow]) -> str:
    """The results table as CSV text.

    The required columns always appear; an optional column appears when any row has a
    value for it (``answer_counts`` as a JSON object, ``collapsed`` as ``true``/``false``).
    An integer ``n_correct`` is written as one (``3``), a float one as Python writes it
    (``2.7``, ``3.0``): the shortest text that reads back as the same float.

    Examples
    --------
    >>> print(results_csv_text([ResultRow("tiny", "seed_0", "zero-shot", "Counting", 3, 4,
    ...                                   collapsed=False)]), end="")
    model,run,source,target,n_correct,n_total,collapsed
    tiny,seed_0,zero-shot,Counting,3,4,false
    """
    rows = list(rows)
    present = [c for c in OPTIONAL_COLUMNS if any(getattr(r, c) is not None for r in rows)]
    columns = (*REQUIRED_COLUMNS, *present)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_cell_text(getattr(row, c)) for c in columns)
    return buffer.getvalue()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def write_results(path: str | Path, rows: Iterable[ResultRow]) -> Path:
    """Write ``rows`` as a results table at ``path``, atomically."""
    return write_atomic(path, results_csv_text(rows))


def read_results(
    path: str | Path, *, model: str | None = None, default_model: str | None = None
) -> list[ResultRow]:
    """Read a results table, checking every row.

    Parameters
    ----------
    path : str or Path
    model : str or None, default=None
        A label that replaces the ``model`` column (which may then be absent).
    default_model : str or None, default=None
        The label of rows without a ``model`` value (the column may then be absent).

    Raises
    ------
    InputError
        Naming the file, the 1-based line and the column: a missing column, an empty or
        malformed value, ``n_correct`` outside ``0..n_total``. A file that is not UTF-8
        text is one sentence too.
    """
    path = Path(path)
    rows, header = read_csv(path)
    labelled = model is not None or default_model is not None
    required = REQUIRED_COLUMNS[1:] if labelled else REQUIRED_COLUMNS
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{path}, line 1: missing column(s) {', '.join(missing)}; a results table needs "
            f"{','.join(required)}"
        )
    return [
        parse_row(raw, f"{path}, line {line}", model=model, default_model=default_model)
        for line, raw in rows
    ]


def read_csv(path: str | Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """The rows (with their 1-based line numbers) and the stripped header of a CSV file.

    Raises
    ------
    InputError
        When the file is missing, is not UTF-8 text, or has a header but no rows.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = [c.strip() for c in reader.fieldnames or []]
            reader.fieldnames = header
            rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise InputError(
            f"{path} is not a UTF-8 CSV text file ({err.__class__.__name__}): give a results "
            "table or a published PGF table"
        ) from None
    if not header:
        raise InputError(f"{path} is empty: a table needs a header line and rows")
    if not rows:
        raise InputError(f"{path}: the table has a header but no rows")
    return rows, header


def parse_row(
    raw: Mapping[str, str | None],
    where: str,
    *,
    model: str | None = None,
    default_model: str | None = None,
) -> ResultRow:
    """A :class:`ResultRow` from one CSV row's text, every value checked.

    ``where`` names the row in errors (``"results.csv, line 3"``); ``model`` and
    ``default_model`` as in :func:`read_results`.
    """
    values: dict[str, Any] = {}
    for column in ("model", "run", "source", "target"):
        text = (raw.get(column) or "").strip()
        if column == "model":
            text = model or text or default_model or ""
        if not text:
            raise InputError(f"{where}, column {column!r}: empty value")
        values[column] = text
    values["n_correct"] = _correct_count(raw.get("n_correct"), where)
    values["n_total"] = _number(raw.get("n_total"), int, where, "n_total")
    if values["n_total"] <= 0:
        raise InputError(f"{where}, column 'n_total': must be positive, got {values['n_total']}")
    if not 0 <= values["n_correct"] <= values["n_total"]:
        raise InputError(
            f"{where}, column 'n_correct': {values['n_correct']} is not within "
            f"0..n_total={values['n_total']}"
        )
    for column, kind in _PARSE.items():
        text = (raw.get(column) or "").strip()
        if text:
            values[column] = _optional(text, kind, where, column)
    return ResultRow(**values)


def _correct_count(text: str | None, where: str) -> int | float:
    """``n_correct``: an integer, or a float (a numeric target's sum of scores)."""
    text = (text or "").strip()
    try:
        return int(text)
    except ValueError:
        value = _number(text, float, where, "n_correct")
    if math.isnan(value):
        raise InputError(f"{where}, column 'n_correct': expected a number, got {text!r}")
    return value


def _number(text: str | None, kind: type, where: str, column: str):
    try:
        value = kind((text or "").strip())
    except ValueError:
        raise InputError(
            f"{where}, column {column!r}: expected {'an integer' if kind is int else 'a number'}, "
            f"got {text!r}"
        ) from None
    if isinstance(value, float) and math.isinf(value):
        raise InputError(f"{where}, column {column!r}: infinite value")
    return value


def _optional(text: str, kind, where: str, column: str):
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise InputError(f"{where}, column {column!r}: expected true or false, got {text!r}")
        return text.lower() == "true"
    if kind == "json":
        try:
            counts = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}, column {column!r}: not JSON ({err})") from None
        if not isinstance(counts, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in counts.values()
        ):
            raise InputError(
                f"{where}, column {column!r}: expected an object of letter -> count, got {text!r}"
            )
        return {str(k): v for k, v in counts.items()}
    return _number(text, kind, where, column)


@dataclass(frozen=True)
class Prediction:
    """One question answered by one model state: a line of ``predictions.jsonl``.

    Attributes
    ----------
    model, run, source, target : str
        As in :class:`ResultRow`.
    idx : str
        The question's id in its task.
    answer : str
        The gold letter; for a numeric question the ground-truth number as its example
        writes it (``"2.45"``).
    predicted : str or None
        The predicted letter; None when a generated answer named no single offered letter.
        For a numeric question the number parsed from ``output``
        (:func:`tasktransfer.scoring.parse_number`), as Python writes the float (``"3.0"``,
        ``"2.45"``); None when the output is not one number.
    correct : bool
        For a numeric question: whether ``score`` is 1 (within 5 % of the ground truth).
    scores : dict of str to float
        Offered letter -> log-probability of that option (empty in generation mode and for
        numeric questions).
    letter_mass : float or None
        Probability on all forms of all offered options at the answer position, in (0, 1].
    output : str or None
        The generated text (generation mode, and every numeric question).
    score : float or None
        A numeric question's mean relative accuracy (:mod:`tasktransfer.scoring`), in
        [0, 1]; None for a multiple-choice question.
    video_route : str or None
        How a video question's video reached the model: ``"processor_video"`` (the
        processor's video path) or ``"frames_as_images"``
        (:func:`tasktransfer.model.prompting.video_route`); None for an image question.
    fold, step
        As in :class:`ResultRow`.
    """

    model: str
    run: str
    source: str
    target: str
    idx: str
    answer: str
    predicted: str | None
    correct: bool
    scores: dict[str, float] = field(default_factory=dict)
    letter_mass: float | None = None
    output: str | None = None
    score: float | None = None
    video_route: str | None = None
    fold: int | None = None
    step: float | None = None

    @property
    def credit(self) -> float:
        """What the question adds to its row's ``n_correct``: ``score``, else ``correct``.

        Examples
        --------
        >>> Prediction("m", "r", "s", "T", "0", "2", "2.2", False, score=0.9).credit
        0.9
        >>> Prediction("m", "r", "s", "T", "0", "A", "A", True).credit
        1.0
        """
        return float(self.correct) if self.score is None else self.score

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object; optional fields left out when None."""
        out = dataclasses.asdict(self)
        for name in ("letter_mass", "output", "score", "video_route", "fold", "step"):
            if out[name] is None:
                del out[name]
        return out


PREDICTION_FIELDS = frozenset(f.name for f in dataclasses.fields(Prediction))


def predictions_jsonl_text(predictions: Iterable[Prediction]) -> str:
    """The records as JSON lines, keys sorted."""
    return "".join(json.dumps(p.to_json(), sort_keys=True) + "\n" for p in predictions)


def read_predictions(path: str | Path) -> list[Prediction]:
    """Read ``predictions.jsonl``; a malformed line is an error naming it."""
    path = Path(path)
    out = []
    for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
            unknown = set(record) - PREDICTION_FIELDS
            if unknown:
                raise TypeError(f"unknown field(s) {', '.join(sorted(unknown))}")
            out.append(Prediction(**record))
        except (json.JSONDecodeError, TypeError) as err:
            raise InputError(f"{path}, line {line}: not a prediction record ({err})") from None
    return out
