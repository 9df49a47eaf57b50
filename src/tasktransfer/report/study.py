"""``study.json``: what the report shows about the study an analysis came from.

:func:`collect_study` gathers a study folder's configuration, environment and answer
letters with their letter mass (from ``results.csv``, read through
:mod:`tasktransfer.contracts`) into one dict, written beside ``analysis.json``, so the page
is rendered from the analysis folder alone and ``tasktransfer report`` can re-render it
later. It never opens the study's ``cells/``.
"""

from __future__ import annotations

from pathlib import Path

from tasktransfer.contracts import StudyLayout, read_results
from tasktransfer.contracts.analysis import AnswerRow, Study, read_json
from tasktransfer.errors import InputError


def collect_study(study_dir: str | Path) -> Study:
    """The configuration, environment and answer-letter counts of a study folder.

    Parameters
    ----------
    study_dir : str or Path
        A folder written by ``tasktransfer run``.

    Returns
    -------
    Study
        ``config`` (the text of ``config.yaml``, or None), ``environment`` (the content of
        ``environment.json``, or None) and ``answers``: per model label, one
        :class:`~tasktransfer.contracts.analysis.AnswerRow` per results row of a final
        adapter (rows of training-step checkpoints are left out).

    Raises
    ------
    InputError
        When ``results.csv`` is missing or one of its rows is malformed.
    """
    layout = StudyLayout(Path(study_dir))
    if not layout.is_study():
        raise InputError(f"{layout.root} is not a study folder: {layout.results} is missing")
    answers: dict[str, list[AnswerRow]] = {}
    for row in read_results(layout.results):
        if row.step not in (None, 1.0):  # a training-step checkpoint: the final rows only
            continue
        answers.setdefault(row.model, []).append(
            AnswerRow(
                run=row.run,
                source=row.source,
                target=row.target,
                answer_counts=row.answer_counts or {},
                n_unparsed=row.n_unparsed,
                n_total=row.n_total,
                collapsed=bool(row.collapsed),
                letter_mass=row.letter_mass,
                format_mismatch=bool(row.format_mismatch),
            )
        )
    return Study(
        config=layout.config.read_text() if layout.config.is_file() else None,
        environment=read_json(layout.environment) if layout.environment.is_file() else None,
        answers=answers,
    )
