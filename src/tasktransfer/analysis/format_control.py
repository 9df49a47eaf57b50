"""Format-controlled accuracy: each model state's answers with its letter prior removed.

A finetune can raise a target's accuracy only by shifting which letter it prefers (a
format effect, not a skill). ``DESIGN.md`` defines the control, per (model, run, source,
target): normalise each question's option scores over the offered letters,
``l_q(a) = log softmax(scores_q)(a)``; the letter prior is ``pi(a)``, the mean of ``l_q(a)``
over the questions offering ``a``; the controlled prediction is ``argmax_a l_q(a) - pi(a)``
and the controlled accuracy its share correct. It needs no labels, so a finetuned model and
its zero-shot baseline are each controlled by their own prior. A model whose only change is
a constant shift of each letter's score gets the zero-shot's controlled answers exactly.

Ties are broken deterministically: the first letter in the order of the letters axis wins
(:func:`numpy.argmax`); :func:`controlled_tensors` orders letters by sorting their names.

Arrays: ``scores`` is ``(..., n_questions, n_letters)`` with NaN for a letter not offered
and a whole NaN row for a question not asked (padding); ``answer`` is the index of the gold
letter, ``-1`` where no question was asked.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.results import ZERO_SHOT, Prediction

TIE_RULE = "ties go to the first letter in sorted order"


def letter_log_softmax(scores):
    """``log softmax`` of each question's scores over its offered (finite) letters.

    Parameters
    ----------
    scores : array-like of shape (..., n_questions, n_letters)
        NaN where a letter is not offered.

    Returns
    -------
    ndarray of the same shape; NaN where the letter is not offered.

    Examples
    --------
    >>> out = letter_log_softmax([[0.0, 0.0, np.nan]])
    >>> np.round(np.exp(out), 3)
    array([[0.5, 0.5, nan]])
    """
    scores = np.asarray(scores, dtype=float)
    offered = np.isfinite(scores)
    top = np.max(np.where(offered, scores, -np.inf), axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    shifted = scores - top
    total = np.sum(np.where(offered, np.exp(np.where(offered, shifted, 0.0)), 0.0), axis=-1)
    with np.errstate(divide="ignore"):
        log_total = np.log(total)[..., None]
    return np.where(offered, shifted - log_total, np.nan)


def letter_prior(log_probs):
    """The letter prior ``pi(a)``: the mean of ``l_q(a)`` over the questions offering ``a``.

    Parameters
    ----------
    log_probs : array-like of shape (..., n_questions, n_letters)
        From :func:`letter_log_softmax` (NaN: not offered).

    Returns
    -------
    ndarray of shape (..., n_letters); NaN for a letter no question offers.

    Examples
    --------
    >>> letter_prior(np.log([[0.8, 0.2], [0.4, 0.6]])).round(4)
    array([-0.5697, -1.0601])
    """
    log_probs = np.asarray(log_probs, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a letter never offered: NaN
        return np.nanmean(log_probs, axis=-2)


def controlled_predictions(scores):
    """The controlled prediction of every question: ``argmax_a l_q(a) - pi(a)``.

    Parameters
    ----------
    scores : array-like of shape (..., n_questions, n_letters)
        One model state's option scores (log-probabilities or any logits); the prior is
        taken over the question axis, so the leading axes are separate states.

    Returns
    -------
    ndarray of int, shape (..., n_questions)
        Index of the controlled letter; ties go to the first index; ``-1`` for a question
        not asked (all NaN).

    Examples
    --------
    Two letters, three questions; the raw scores always prefer A (index 0):

    >>> p = np.array([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3]])
    >>> controlled_predictions(np.log(p))
    array([0, 1, 1])

    The prior is ``pi = mean_q log p_q = (-0.3243, -1.4743)``, so question 2 compares
    ``log 0.6 + 0.3243 = -0.1865`` with ``log 0.4 + 1.4743 = 0.5580``: B wins.
    """
    log_probs = letter_log_softmax(scores)
    centred = log_probs - letter_prior(log_probs)[..., None, :]
    asked = np.isfinite(log_probs).any(axis=-1)
    choice = np.argmax(np.where(np.isfinite(centred), centred, -np.inf), axis=-1)
    return np.where(asked, choice, -1)


def controlled_accuracy(scores, answer):
    """The share of questions whose controlled prediction is the gold letter.

    Parameters
    ----------
    scores : array-like of shape (..., n_questions, n_letters)
    answer : array-like of int, broadcastable to (..., n_questions)
        Index of the gold letter; ``-1`` where no question was asked.

    Returns
    -------
    ndarray of shape (...); NaN where no question was asked.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3]])
    >>> float(controlled_accuracy(np.log(p), [0, 1, 0]))
    0.6666666666666666
    """
    choice = controlled_predictions(scores)
    answer = np.broadcast_to(np.asarray(answer, dtype=int), choice.shape)
    asked = (choice >= 0) & (answer >= 0)
    hits = np.sum(asked & (choice == answer), axis=-1)
    total = np.sum(asked, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, hits / total, np.nan)


def controlled_tensors(m: ModelRuns, predictions: Sequence[Prediction]):
    """The controlled accuracies of every state of ``m`` from its predictions' scores.

    As :func:`tasktransfer.analysis.bootstrap.question_tensors`: only final adapters (``step``
    None or 1) of the model's own sources count, and a run without its own zero-shot
    answers borrows the model's only baseline. Letters are every score key seen, sorted.

    Returns
    -------
    acc : ndarray of shape (n_runs, n_tasks, n_tasks)
    acc0 : ndarray of shape (n_runs, n_tasks)
        Controlled accuracies; NaN for a state without scored questions.
    missing : int
        How many of the model's relevant predictions carry no scores (generation mode);
        they are left out. Numeric answers (a ``score``, no letters) have no letter prior:
        they are neither controlled nor missing, and their targets' accuracies are NaN.
    """
    tasks = {t: k for k, t in enumerate(m.tasks)}
    runs = {r: k for k, r in enumerate(m.runs)}
    states = {*tasks, ZERO_SHOT}
    records = [
        p
        for p in predictions
        if p.target in tasks and p.source in states and p.step in (None, 1) and p.score is None
    ]
    scored = [p for p in records if p.scores]
    letters = {a: k for k, a in enumerate(sorted({a for p in scored for a in p.scores}))}
    questions: list[dict[str, int]] = [{} for _ in m.tasks]
    for p in scored:
        questions[tasks[p.target]].setdefault(p.idx, len(questions[tasks[p.target]]))
    width = max((len(q) for q in questions), default=0) or 1
    n_t, n_l = len(tasks), max(len(letters), 1)
    scores = np.full((len(runs), n_t, n_t, width, n_l), np.nan)
    answer = np.full((len(runs), n_t, n_t, width), -1)
    baselines: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for p in scored:
        if p.source == ZERO_SHOT:
            shape = (n_t, width)
            row, gold = baselines.setdefault(
                p.run, (np.full((*shape, n_l), np.nan), np.full(shape, -1))
            )
        elif p.run in runs:
            row, gold = scores[runs[p.run], tasks[p.source]], answer[runs[p.run], tasks[p.source]]
        else:
            continue
        t, q = tasks[p.target], questions[tasks[p.target]][p.idx]
        for a, value in p.scores.items():
            row[t, q, letters[a]] = value
        gold[t, q] = letters.get(p.answer, n_l)  # a gold letter never scored is never hit
    acc = controlled_accuracy(scores, answer)
    only = next(iter(baselines.values())) if len(baselines) == 1 else None
    empty = (np.full((n_t, width, n_l), np.nan), np.full((n_t, width), -1))
    base = [baselines.get(run, only if only is not None else empty) for run in runs]
    acc0 = controlled_accuracy(np.stack([b[0] for b in base]), np.stack([b[1] for b in base]))
    return acc, acc0, len(records) - len(scored)
