"""Perfection gap factor (PGF), its run aggregates, and transferability/malleability.

Every function is pure: arrays in, arrays out, exactly as ``DESIGN.md`` defines the metric.
Arrays of PGF have shape ``(n_runs, n_tasks, n_tasks)``: rows are source tasks (finetuned
on), columns target tasks (evaluated on), both in the same task order. NaN marks a value
that is undefined (zero-shot accuracy at the ceiling) or missing; it is left out of every
aggregate, never replaced by an invented number.
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
    n : int
        The breadth normaliser N, the number of entries a line could have.

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


def transferability(pgf_runs, *, include_diagonal=False):
    """Transferability of each source and malleability of each target, per run.

    Parameters
    ----------
    pgf_runs : array-like of shape (n_runs, n_tasks, n_tasks)
        PGF per run; rows are sources, columns targets, in the same task order.
    include_diagonal : bool, default=False
        Count the in-task gain (i == j). Off by default, as in the paper: then
        ``N = n_tasks - 1``, else ``N = n_tasks``.

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
    """
    values = np.array(pgf_runs, dtype=float)
    n_tasks = values.shape[-1]
    if values.ndim != 3 or values.shape[1] != n_tasks:
        raise ValueError(f"pgf_runs must have shape (n_runs, n_tasks, n_tasks); got {values.shape}")
    if not include_diagonal:
        values[:, np.arange(n_tasks), np.arange(n_tasks)] = np.nan
    n = n_tasks if include_diagonal else n_tasks - 1
    delta_pos, delta_neg = breadth_weighted_sums(values, axis=2, n=n)
    theta_pos, theta_neg = breadth_weighted_sums(values, axis=1, n=n)
    return {
        "delta_pos": delta_pos,
        "delta_neg": delta_neg,
        "theta_pos": theta_pos,
        "theta_neg": theta_neg,
    }
