"""Perfection gap factor (PGF), its run aggregates, and transferability/malleability.

Every function is pure: arrays in, arrays out, exactly as ``DESIGN.md`` defines the metric.
Arrays of PGF have shape ``(n_runs, n_tasks, n_tasks)``: rows are source tasks (finetuned
on), columns target tasks (evaluated on), both in the same task order. NaN marks a value
that is undefined (zero-shot accuracy at the ceiling) or missing; it is left out of every
aggregate, never replaced by an invented number. A rectangular study (targets that are
never sources) keeps this layout, the tasks being every source and every target: masks of
the sources and of the targets say which rows and columns are measured.
"""

from __future__ import annotations

import warnings

import numpy as np

TRANSFERABILITY_METRICS = ("delta_pos", "delta_neg", "theta_pos", "theta_neg")


class UndefinedPGFWarning(UserWarning):
    """A PGF is undefined because the zero-shot accuracy already equals the ceiling."""


def pgf(acc, acc0, *, ceiling=1.0, names=None):
    """Perfection gap factor of finetuned over zero-shot accuracy.

    ``PGF = (acc - acc0) / (ceiling - acc0)``, per run, source and target, with no epsilon.

    Parameters
    ----------
    acc : array-like of shape (n_runs, n_sources, n_targets)
        Accuracy in [0, 1] of the model finetuned on each source, on each target.
    acc0 : array-like of shape (n_runs, n_targets)
        Zero-shot accuracy of the same model in the same run.
    ceiling : float or array-like of shape (n_targets,), default=1.0
        Best reachable accuracy per target task.
    names : tuple of (sequence of str, sequence of str) or None, default=None
        Run and target labels, only to name undefined values in the warning.

    Returns
    -------
    ndarray of shape (n_runs, n_sources, n_targets)
        NaN, with an :class:`UndefinedPGFWarning`, where ``ceiling == acc0``.

    Examples
    --------
    >>> pgf(np.array([[[0.75]]]), np.array([[0.5]]))
    array([[[0.5]]])
    >>> pgf(np.array([[[0.25, 0.9]]]), np.array([[0.5, 0.8]]), ceiling=[1.0, 0.9])
    array([[[-0.5,  1. ]]])
    """
    acc = np.asarray(acc, dtype=float)
    acc0 = np.asarray(acc0, dtype=float)
    gap = np.broadcast_to(np.asarray(ceiling, dtype=float), acc0.shape[-1:]) - acc0
    undefined = gap == 0
    if undefined.any():
        runs, targets = names or (range(acc0.shape[0]), range(acc0.shape[1]))
        where = ", ".join(
            f"(run {runs[r]}, target {targets[t]})" for r, t in np.argwhere(undefined)[:5]
        )
        warnings.warn(
            f"PGF undefined where the zero-shot accuracy equals the ceiling: {where}"
            f"{' ...' if undefined.sum() > 5 else ''}; these values are NaN and left out "
            "of every aggregate.",
            UndefinedPGFWarning,
            stacklevel=2,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (acc - acc0[:, None, :]) / gap[:, None, :]
    out[np.broadcast_to(undefined[:, None, :], out.shape)] = np.nan
    return out


def mean_std(values, *, axis=0):
    """Mean and sample standard deviation over ``axis``, leaving NaN out.

    Parameters
    ----------
    values : array-like, e.g. of shape (n_runs, n_tasks, n_tasks)
    axis : int, default=0
        The run axis.

    Returns
    -------
    mean : ndarray
        NaN where no value is finite.
    std : ndarray
        Sample standard deviation (``ddof=1``, the spread of a run around the mean of the
        runs); NaN where fewer than two values are finite.

    Examples
    --------
    >>> mean, std = mean_std([[1.0, np.nan], [3.0, np.nan]])
    >>> mean, std
    (array([ 2., nan]), array([1.41421356,        nan]))
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    count = finite.sum(axis=axis)
    total = np.where(finite, values, 0.0).sum(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        dev = np.where(finite, values - np.expand_dims(mean, axis), 0.0)
        std = np.where(count > 1, np.sqrt((dev**2).sum(axis=axis) / (count - 1)), np.nan)
    return mean, std


def finite_mean(values) -> float:
    """Mean of the finite entries of ``values`` (any shape); NaN when there is none.

    Examples
    --------
    >>> finite_mean([[1.0, np.nan], [2.0, 6.0]])
    3.0
    """
    return float(mean_std(np.ravel(np.asarray(values, dtype=float)))[0])


def breadth_weighted_sums(values, *, axis, n):
    """Breadth-weighted mean of the positive and of the negative entries along ``axis``.

    For the ``p`` positive entries: ``(1 - exp(-p / n)) / p * sum(positive)``, 0 when
    ``p == 0``; the same for the negative entries (a result <= 0). NaN entries count as
    neither; a line with no finite entry gives NaN.

    Parameters
    ----------
    values : ndarray
    axis : int
    n : int or ndarray
        The breadth normaliser N, the number of entries a line could have: one for every
        line, or one per line (broadcast against the reduced shape).

    Returns
    -------
    pos, neg : ndarray
        ``values`` reduced along ``axis``.

    Examples
    --------
    >>> breadth_weighted_sums(np.array([[0.5, -0.2, np.nan]]), axis=1, n=2)
    (array([0.19673467]), array([-0.07869387]))
    """
    finite = np.isfinite(values)
    any_finite = finite.any(axis=axis)
    out = []
    for mask in (finite & (values > 0), finite & (values < 0)):
        count = mask.sum(axis=axis)
        total = np.where(mask, values, 0.0).sum(axis=axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(count > 0, (1 - np.exp(-count / n)) / count * total, 0.0)
        out.append(np.where(any_finite, term, np.nan))
    return out[0], out[1]


def breadth(sources, targets, *, include_diagonal=False):
    """The breadth normaliser N of each source's row and of each target's column.

    A source's row reaches every target but its own task (when that is a target too); a
    target's column receives from every source but its own task. With the in-task entry
    counted, N is the number of targets (a row) or of sources (a column).

    Parameters
    ----------
    sources, targets : array-like of bool, shape (n_tasks,)
        Which tasks are sources (rows) and which are targets (columns).
    include_diagonal : bool, default=False

    Returns
    -------
    n_row, n_column : ndarray of int, shape (n_tasks,)
        N of each task's row and column; 0 for a task that is not a source (row) or not
        a target (column), whose metric is NaN.

    Examples
    --------
    Two sources, both also targets, and two tasks that are only targets:

    >>> breadth([True, True, False, False], [True, True, True, True])
    (array([3, 3, 0, 0]), array([1, 1, 2, 2]))
    >>> breadth([True, True, True], [True, True, True])  # square: N = n_tasks - 1
    (array([2, 2, 2]), array([2, 2, 2]))
    """
    is_source, is_target = np.asarray(sources, dtype=bool), np.asarray(targets, dtype=bool)
    in_task = 0 if include_diagonal else (is_source & is_target).astype(int)
    n_row = np.where(is_source, is_target.sum() - in_task, 0)
    n_column = np.where(is_target, is_source.sum() - in_task, 0)
    return n_row, n_column


def transferability(pgf_runs, *, include_diagonal=False, sources=None, targets=None):
    """Transferability of each source and malleability of each target, per run.

    Parameters
    ----------
    pgf_runs : array-like of shape (n_runs, n_tasks, n_tasks)
        PGF per run; rows are sources, columns targets, in the same task order.
    include_diagonal : bool, default=False
        Count the in-task gain (i == j). Off by default, as in the paper: then in a
        square study ``N = n_tasks - 1``, else ``N = n_tasks`` (:func:`breadth`).
    sources, targets : array-like of bool, shape (n_tasks,), or None, default=None
        Which tasks are sources (rows) and targets (columns) of a rectangular study; None:
        every task. Entries outside the rectangle are left out, and N counts the targets
        a source reaches and the sources a target receives from (:func:`breadth`).

    Returns
    -------
    dict of str to ndarray of shape (n_runs, n_tasks)
        ``delta_pos``, ``delta_neg`` (over each source's row), ``theta_pos``,
        ``theta_neg`` (down each target's column). NaN for a task with no finite entry
        in that run (e.g. a task that was never finetuned on). Average over runs with
        :func:`mean_std`.

    Examples
    --------
    >>> m = transferability([[[9.0, 0.5, -0.2], [0.1, 9.0, 0.3], [-0.4, -0.1, 9.0]]])
    >>> m["delta_pos"].round(4)
    array([[0.1967, 0.1264, 0.    ]])
    >>> m["theta_neg"].round(4)
    array([[-0.1574, -0.0393, -0.0787]])

    Task C only a target: A's row has N = 2 (B, C), A's column N = 1 (B) and C's column
    N = 2 (A, B); so Δ+(A) = (1 - e^-1) / 2 * 0.9 and Θ+(C) = (1 - e^-1/2) * 0.4.

    >>> rect = [[[9.0, 0.5, 0.4], [0.1, 9.0, -0.2], [np.nan, np.nan, np.nan]]]
    >>> r = transferability(rect, sources=[True, True, False])
    >>> r["delta_pos"].round(4), r["theta_pos"].round(4)
    (array([[0.2845, 0.0393,    nan]]), array([[0.0632, 0.3161, 0.1574]]))
    """
    values = np.array(pgf_runs, dtype=float)
    n_tasks = values.shape[-1]
    if values.ndim != 3 or values.shape[1] != n_tasks:
        raise ValueError(f"pgf_runs must have shape (n_runs, n_tasks, n_tasks); got {values.shape}")
    every = np.ones(n_tasks, dtype=bool)
    is_source = every if sources is None else np.asarray(sources, dtype=bool)
    is_target = every if targets is None else np.asarray(targets, dtype=bool)
    values[:, ~is_source, :] = np.nan
    values[:, :, ~is_target] = np.nan
    if not include_diagonal:
        values[:, np.arange(n_tasks), np.arange(n_tasks)] = np.nan
    n_row, n_column = breadth(is_source, is_target, include_diagonal=include_diagonal)
    delta_pos, delta_neg = breadth_weighted_sums(values, axis=2, n=n_row)
    theta_pos, theta_neg = breadth_weighted_sums(values, axis=1, n=n_column)
    return {
        "delta_pos": delta_pos,
        "delta_neg": delta_neg,
        "theta_pos": theta_pos,
        "theta_neg": theta_neg,
    }
