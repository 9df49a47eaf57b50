"""Confidence intervals by a bootstrap over questions, paired across model states.

The uncertainty of an accuracy measured on a few hundred questions is mostly which
questions were asked. Each resample draws, for every target task, as many questions as it
has, with replacement, and applies that one draw to every model state evaluated on the
target: the zero-shot model and each source's finetuned model, in every run (they all
answered the same questions). The PGF, Δ/Θ and the in-task gain of the resample are then
computed exactly as for the data (:mod:`tasktransfer.analysis.metrics`), and the interval
of each number is the percentile interval of its resampled run-mean.

Vectorised: a resample is a vector of counts per question, so every accuracy of every
resample is one matrix product per target (counts x correctness).

:func:`question_tensors` turns a study's per-question predictions into the arrays every
question-level analysis takes (here, and the cliques' per-question sign test).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.metrics import (
    TRANSFERABILITY_METRICS,
    UndefinedPGFWarning,
    mean_std,
    pgf,
    transferability,
)
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.results import ZERO_SHOT, Prediction

STATISTICS = ("pgf", *TRANSFERABILITY_METRICS, "mean_pgf", "in_task_gain")


def resample_indices(n_questions, *, n_resamples, seed):
    """The questions drawn in each resample, for every target: the bootstrap's one random draw.

    Parameters
    ----------
    n_questions : array-like of int, shape (n_targets,)
        Questions of each target (0 for a target without any).
    n_resamples : int
    seed : int
        Seeds :func:`numpy.random.default_rng`; the same seed gives the same draw.

    Returns
    -------
    ndarray of int, shape (n_resamples, n_targets, max(n_questions))
        ``[b, t, k]`` is the index of the k-th question drawn for target ``t`` in resample
        ``b``, in ``0..n_questions[t] - 1``; only ``k < n_questions[t]`` is meaningful
        (the rest is padding).

    Examples
    --------
    >>> draws = resample_indices([2, 3], n_resamples=4, seed=0)
    >>> draws.shape, bool((draws[:, 0, :2] < 2).all())
    ((4, 2, 3), True)
    """
    sizes = np.asarray(n_questions, dtype=int)
    rng = np.random.default_rng(seed)
    width = max(int(sizes.max(initial=0)), 1)
    # One call: every target draws from its own range (a target of 0 questions from {0}).
    high = np.broadcast_to(np.maximum(sizes, 1)[None, :, None], (n_resamples, len(sizes), width))
    return rng.integers(0, high)


def resample_counts(n_questions, *, n_resamples, seed):
    """How many times each question is drawn in each resample (:func:`resample_indices`).

    Returns
    -------
    ndarray of float, shape (n_resamples, n_targets, max(n_questions))
        Each ``[b, t]`` sums to ``n_questions[t]``.

    Examples
    --------
    >>> resample_counts([2, 3], n_resamples=5, seed=0).sum(axis=2)[0]
    array([2., 3.])
    """
    sizes = np.asarray(n_questions, dtype=int)
    draws = resample_indices(sizes, n_resamples=n_resamples, seed=seed)
    n_b, n_t, width = draws.shape
    drawn = np.arange(width)[None, :] < sizes[:, None]  # (n_targets, width)
    slot = (np.arange(n_b)[:, None, None] * n_t + np.arange(n_t)[None, :, None]) * width + draws
    counts = np.bincount(slot[:, drawn].ravel(), minlength=n_b * n_t * width)
    return counts.reshape(n_b, n_t, width).astype(float)


def resampled_accuracy(correct, counts):
    """Accuracy of every model state in every resample.

    Parameters
    ----------
    correct : array-like of shape (..., n_targets, n_questions)
        1 where the state answered the question right, 0 wrong, NaN not asked.
    counts : ndarray of shape (n_resamples, n_targets, n_questions)
        From :func:`resample_counts`.

    Returns
    -------
    ndarray of shape (n_resamples, ..., n_targets)
        The count-weighted share correct over the questions asked; NaN where no drawn
        question was asked.

    Examples
    --------
    >>> resampled_accuracy([[1.0, 0.0, np.nan]], np.array([[[2.0, 1.0, 0.0]]]))
    array([[0.66666667]])
    """
    correct = np.asarray(correct, dtype=float)
    lead, (n_t, n_q) = correct.shape[:-2], correct.shape[-2:]
    asked = np.isfinite(correct)
    # Targets first, so each target is one (n_resamples, n_q) @ (n_q, states) product.
    states = int(np.prod(lead))
    right = np.moveaxis(np.where(asked, correct, 0.0).reshape(states, n_t, n_q), 0, -1)
    weight = np.moveaxis(asked.reshape(states, n_t, n_q), 0, -1).astype(float)
    drawn = np.moveaxis(counts, 1, 0)  # (n_t, n_resamples, n_q)
    hits, total = drawn @ right, drawn @ weight  # (n_t, n_resamples, states)
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(total > 0, hits / total, np.nan)
    return np.moveaxis(acc, 0, -1).reshape(len(counts), *lead, n_t)


def transfer_statistics(
    acc, acc0, *, ceiling=1.0, include_diagonal=False, sources=None, targets=None
):
    """The run-mean PGF, Δ/Θ and their summaries, for a leading axis of resamples.

    Parameters
    ----------
    acc : ndarray of shape (n_resamples, n_runs, n_tasks, n_tasks)
        Finetuned accuracies; sources as rows, targets as columns, one task order.
    acc0 : ndarray of shape (n_resamples, n_runs, n_tasks)
        Zero-shot accuracies of the same runs.
    ceiling : float or array-like of shape (n_tasks,), default=1.0
    include_diagonal : bool, default=False
        As in :func:`tasktransfer.analysis.transferability`.
    sources, targets : array-like of bool, shape (n_tasks,), or None, default=None
        The rows and columns of a rectangular study, as in
        :func:`tasktransfer.analysis.transferability`; None: every task.

    Returns
    -------
    dict of str to ndarray
        ``pgf`` (n_resamples, n_tasks, n_tasks), the four metrics of
        :data:`~tasktransfer.analysis.metrics.TRANSFERABILITY_METRICS` (n_resamples,
        n_tasks), ``mean_pgf`` (off-diagonal) and ``in_task_gain`` (n_resamples,): each
        the mean over runs (over tasks for the last two), NaN left out as everywhere.
        An undefined PGF (zero-shot at the ceiling in that resample) warns nothing here.

    Examples
    --------
    >>> acc = np.array([[[[0.75, 0.25], [0.5, 1.0]]]])
    >>> stats = transfer_statistics(acc, np.array([[[0.5, 0.5]]]))
    >>> stats["pgf"], stats["in_task_gain"]
    (array([[[ 0.5, -0.5],
            [ 0. ,  1. ]]]), array([0.75]))
    """
    acc, acc0 = np.asarray(acc, dtype=float), np.asarray(acc0, dtype=float)
    n_b, n_r, n_s, n_t = acc.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedPGFWarning)
        # Resamples and runs as one axis of "runs": the metric functions stay as they are.
        values = pgf(
            acc.reshape(n_b * n_r, n_s, n_t), acc0.reshape(n_b * n_r, n_t), ceiling=ceiling
        )
    per_run = transferability(
        values, include_diagonal=include_diagonal, sources=sources, targets=targets
    )
    values = values.reshape(n_b, n_r, n_s, n_t)
    out = {"pgf": mean_std(values, axis=1)[0]}
    for metric in TRANSFERABILITY_METRICS:
        out[metric] = mean_std(per_run[metric].reshape(n_b, n_r, n_t), axis=1)[0]
    diagonal = np.eye(n_t, dtype=bool)
    out["mean_pgf"] = mean_std(out["pgf"][:, ~diagonal], axis=1)[0]
    out["in_task_gain"] = mean_std(out["pgf"][:, diagonal], axis=1)[0]
    return out


def percentile_interval(samples, *, confidence=0.95):
    """The central percentile interval over the first axis, NaN left out.

    Parameters
    ----------
    samples : array-like of shape (n_resamples, ...)
    confidence : float in (0, 1), default=0.95

    Returns
    -------
    low, high : ndarray of shape samples.shape[1:]
        NaN where no resample is finite.

    Examples
    --------
    >>> low, high = percentile_interval(np.arange(101.0), confidence=0.9)
    >>> round(float(low), 6), round(float(high), 6)
    (5.0, 95.0)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be a float in (0, 1); got {confidence}")
    tail = (1 - confidence) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN slice is NaN, as meant
        low, high = np.nanquantile(np.asarray(samples, dtype=float), [tail, 1 - tail], axis=0)
    return np.asarray(low), np.asarray(high)


def bootstrap_intervals(
    correct,
    correct0,
    *,
    ceiling=1.0,
    include_diagonal=False,
    n_resamples=1000,
    confidence=0.95,
    seed=0,
    sources=None,
    targets=None,
):
    """Percentile intervals of the run-mean PGF, Δ/Θ and in-task gain, over questions.

    Parameters
    ----------
    correct : array-like of shape (n_runs, n_tasks, n_tasks, n_questions)
        Per run, source (rows) and target: 1 right, 0 wrong (or a score in [0, 1], for
        answers scored by closeness), NaN not asked (questions padded to the largest
        target; a state never evaluated is all NaN).
    correct0 : array-like of shape (n_runs, n_tasks, n_questions)
        The zero-shot answers each run's PGF is measured against, same question order.
    ceiling : float or array-like of shape (n_tasks,), default=1.0
    include_diagonal : bool, default=False
    n_resamples : int, default=1000
    confidence : float in (0, 1), default=0.95
    seed : int, default=0
        The same seed gives the same intervals.
    sources, targets : array-like of bool, shape (n_tasks,), or None, default=None
        The rows and columns of a rectangular study (:func:`transfer_statistics`).

    Returns
    -------
    dict of str to (ndarray, ndarray)
        For each name of :data:`STATISTICS`, the ``(low, high)`` bounds, shaped as in
        :func:`transfer_statistics` without the resample axis.

    Examples
    --------
    >>> correct0 = np.array([[[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]])
    >>> correct = np.array([[[[1, 1, 0, 0], [1, 1, 1, 0]], [[1, 0, 0, 0], [1, 1, 1, 1]]]])
    >>> low, high = bootstrap_intervals(correct, correct0, n_resamples=200)["pgf"]
    >>> bool((low <= high).all())
    True
    """
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive int; got {n_resamples!r}")
    correct, correct0 = np.asarray(correct, dtype=float), np.asarray(correct0, dtype=float)
    asked = np.isfinite(correct).any(axis=(0, 1)) | np.isfinite(correct0).any(axis=0)
    # Questions are the first n of each target (padding last), so a target's size is a count.
    sizes = asked.sum(axis=1)
    if not (asked == (np.arange(asked.shape[1]) < sizes[:, None])).all():
        raise ValueError("each target's questions must come first along the last axis")
    counts = resample_counts(sizes, n_resamples=n_resamples, seed=seed)
    stats = transfer_statistics(
        resampled_accuracy(correct, counts),
        resampled_accuracy(correct0, counts),
        ceiling=ceiling,
        include_diagonal=include_diagonal,
        sources=sources,
        targets=targets,
    )
    return {name: percentile_interval(stats[name], confidence=confidence) for name in STATISTICS}


def question_tensors(m: ModelRuns, predictions: Sequence[Prediction]):
    """The answers of every state of ``m`` to every question, as the bootstrap takes them.

    Only final adapters (``step`` None or 1) of the model's own sources count; a run
    without its own zero-shot answers borrows the model's only baseline, as the tables do.

    Returns
    -------
    correct : ndarray of shape (n_runs, n_tasks, n_tasks, n_questions)
    correct0 : ndarray of shape (n_runs, n_tasks, n_questions)
        1 right, 0 wrong (a numeric question: its score in [0, 1], what it adds to the
        table's ``n_correct``), NaN not asked; each target's questions first, in the order
        seen.
    sizes : ndarray of int, shape (n_tasks,)

    Raises
    ------
    ValueError
        When a question is recorded twice for one state.
    """
    tasks = {t: k for k, t in enumerate(m.tasks)}
    runs = {r: k for k, r in enumerate(m.runs)}
    states = {*tasks, ZERO_SHOT}
    records = [
        p for p in predictions if p.target in tasks and p.source in states and p.step in (None, 1)
    ]
    questions: list[dict[str, int]] = [{} for _ in m.tasks]
    for p in records:
        questions[tasks[p.target]].setdefault(p.idx, len(questions[tasks[p.target]]))
    sizes = np.array([len(q) for q in questions], dtype=int)
    width = max(int(sizes.max(initial=0)), 1)
    correct = np.full((len(runs), len(tasks), len(tasks), width), np.nan)
    baselines: dict[str, np.ndarray] = {}
    for p in records:
        if p.source == ZERO_SHOT:
            row = baselines.setdefault(p.run, np.full((len(tasks), width), np.nan))
        elif p.run in runs:
            row = correct[runs[p.run], tasks[p.source]]
        else:
            continue
        t, q = tasks[p.target], questions[tasks[p.target]][p.idx]
        if not np.isnan(row[t, q]):
            raise ValueError(
                f"question {p.idx!r} of {p.target} recorded twice for run {p.run!r}, "
                f"source {p.source!r}"
            )
        row[t, q] = p.credit  # 0 or 1, or a numeric answer's score in [0, 1]
    only = next(iter(baselines.values())) if len(baselines) == 1 else None
    empty = np.full((len(tasks), width), np.nan)
    correct0 = np.stack([baselines.get(run, only if only is not None else empty) for run in runs])
    return correct, correct0, sizes


def predictions_mismatch(m: ModelRuns, correct, correct0) -> str | None:
    """Why the predictions are not the table's (first cell only), or None when they are.

    ``correct`` and ``correct0`` are from :func:`question_tensors`; the accuracies they give
    must equal ``m.acc`` and ``m.acc0`` wherever the table has a value.
    """
    with np.errstate(invalid="ignore"):
        acc, acc0 = np.nanmean(correct, axis=-1), np.nanmean(correct0, axis=-1)
    for label, ours, table in (("finetuned", acc, m.acc), ("zero-shot", acc0, m.acc0)):
        measured = np.isfinite(table)
        off = measured & ~np.isclose(np.nan_to_num(ours, nan=-1.0), table, rtol=0, atol=1e-9)
        if off.any():
            where = tuple(int(k) for k in np.argwhere(off)[0])
            return (
                f"the {label} accuracy at {where} (run, [source,] target) is "
                f"{table[where]:.3f} in the table but {float(ours[where]):.3f} in the "
                "predictions"
            )
    return None
