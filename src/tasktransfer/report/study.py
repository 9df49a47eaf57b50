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
    config = layout.config.read_text() if layout.config.is_file() else None
    return Study(
        config=config,
        environment=read_json(layout.environment) if layout.environment.is_file() else None,
        answers=answers,
        protocol=None if config is None else protocol_statement(config),
    )


def protocol_statement(config_text: str) -> str:
    """One sentence on which questions the study trained and evaluated on.

    ``config_text`` is the study's ``config.yaml``; one written before protocols existed
    (no ``protocol`` section) ran the standard protocol.

    Examples
    --------
    >>> protocol_statement("protocol: {kind: crossfit, folds: 3}").split(".")[0]
    'Protocol: cross-fit, 3 folds'
    >>> protocol_statement("name: old-study").split(".")[0]
    'Protocol: standard'
    """
    import yaml

    try:
        config = yaml.safe_load(config_text)
    except yaml.YAMLError:
        config = None
    protocol = (config or {}).get("protocol") if isinstance(config, dict) else None
    protocol = protocol if isinstance(protocol, dict) else {}
    if protocol.get("kind") != "crossfit":
        targets = " and target_data" if (config or {}).get("target_data") else ""
        return (
            "Protocol: standard. Each source was finetuned on its training data "
            f"(train_data) and every model was evaluated on the evaluation split (eval_data"
            f"{targets})."
        )
    folds = protocol.get("folds", 2)
    return (
        f"Protocol: cross-fit, {folds} folds. Each task's evaluation split is cut into "
        f"{folds} folds by a hash of the question id; for each fold, the source is finetuned "
        "on its own questions outside the fold and answers every target's questions inside "
        "it. Counts are summed over the folds, so each accuracy covers the whole split and "
        "no question is answered by a model that trained on it; zero-shot is evaluated "
        "once on the whole split. The rows per fold are in the study's results-folds.csv."
    )
