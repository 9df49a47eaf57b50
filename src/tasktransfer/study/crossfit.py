"""The cross-fit protocol: folds of the evaluation split, and rows summed over them.

Each task's evaluation questions are cut into K folds by a stable hash of their ``idx``
(:func:`fold_of`: SHA-256, so the same question falls in the same fold on every machine,
Python version and run). For fold k a cell finetunes on the source's questions outside k
and answers every target's questions inside k (:func:`split_fold`); a target's rows summed
over the folds (:func:`summed_rows`) cover its whole split, each question answered once, by
a model that never trained on it. Per-fold rows go to ``results-folds.csv``, the summed
rows to ``results.csv`` (:func:`tasktransfer.study.store.write_study_tables`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence

from tasktransfer.contracts import Prediction, ResultRow
from tasktransfer.data import Example
from tasktransfer.errors import InputError
from tasktransfer.model import EvalConfig


def fold_of(idx: str, folds: int) -> int:
    """The fold of the question ``idx`` among ``folds``: SHA-256 of the id, modulo K.

    Examples
    --------
    >>> fold_of("val_Counting_1", 2) == fold_of("val_Counting_1", 2)
    True
    >>> sorted({fold_of(f"q{i}", 3) for i in range(30)})
    [0, 1, 2]
    """
    return int.from_bytes(hashlib.sha256(idx.encode()).digest()[:8], "big") % folds


def split_fold(
    examples: Sequence[Example], fold: int, folds: int
) -> tuple[list[Example], list[Example]]:
    """``(outside, inside)``: the examples outside fold ``fold`` (to train on) and in it.

    Examples
    --------
    >>> from tasktransfer.data.synthetic import generate
    >>> questions = generate("Counting", "val", 10)
    >>> train, held_out = split_fold(questions, 0, 2)
    >>> len(train) + len(held_out), {e.idx for e in train} & {e.idx for e in held_out}
    (10, set())
    """
    inside = [ex for ex in examples if fold_of(ex.idx, folds) == fold]
    outside = [ex for ex in examples if fold_of(ex.idx, folds) != fold]
    return outside, inside


def check_training_sizes(
    evaluation: Mapping[str, Sequence[Example]],
    sources: Sequence[str],
    *,
    folds: int,
    min_train: int,
) -> None:
    """Refuse a (source, fold) that leaves fewer than ``min_train`` questions to train on.

    Raises
    ------
    InputError
        Naming the source, the fold and both counts.
    """
    for source in sources:
        for fold in range(folds):
            train, _ = split_fold(evaluation[source], fold, folds)
            if len(train) < min_train:
                raise InputError(
                    f"protocol crossfit: source {source} has {len(train)} training questions "
                    f"outside fold {fold} of {folds} ({len(evaluation[source])} in its "
                    f"evaluation split), fewer than protocol.min_train={min_train}: use fewer "
                    "folds, more questions (eval_data.limit) or a lower protocol.min_train."
                )


def summed_rows(
    predictions: Sequence[Prediction], evaluation: EvalConfig, *, targets: Sequence[str]
) -> list[ResultRow]:
    """One row per (model, run, source, step, target) over the predictions of every fold.

    The rows are summarised from the questions themselves
    (:func:`~tasktransfer.model.evaluate.summarize`, as one evaluation of the whole split
    would be), so the counts, answer letters, collapse flag and mean letter mass all cover
    the whole split; ``fold`` is None. Rows go by state (in order of first appearance),
    then by ``targets``.
    """
    from tasktransfer.model.evaluate import summarize

    def state(p: Prediction) -> tuple:
        return (p.model, p.run, p.source, p.step)

    states = {s: i for i, s in enumerate(dict.fromkeys(map(state, predictions)))}
    rank = {target: i for i, target in enumerate(targets)}
    # sorted is stable: within a (state, target) the questions keep their fold order.
    ordered = sorted(predictions, key=lambda p: (states[state(p)], rank[p.target]))
    # Every field of the record, so what summarize reads (a numeric question's score too)
    # is there; the state stands in for the evaluation's adapter label.
    records = [{**dataclasses.asdict(p), "adapter": state(p)} for p in ordered]
    rows = summarize(
        records,
        collapse_share=evaluation.collapse_share,
        format_mismatch_below=evaluation.format_mismatch_below,
    )
    out = []
    for row in rows:
        model, run, source, step = row.pop("adapter")
        out.append(ResultRow(model=model, run=run, source=source, step=step, **row))
    return out
