"""The paper's two explanatory views of PGF: its ranking against the raw accuracy change,
and its range against zero-shot accuracy.

PGF divides the accuracy change by the gap to the ceiling, so a small loss on a task the
model already does well reads as a large negative PGF, and the two measures rank the
transfer cells differently (the paper's Table 1). The division also bounds PGF from below:
a finetuned accuracy of 0 gives ``PGF = -acc0 / (U - acc0)``, and with ``m`` questions a
defined PGF has ``acc0 <= (m - 1) / m`` (with ``U = 1``), so ``PGF >= -(m - 1)`` (Fig. 9).
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def pgf_floor(acc0, *, ceiling=1.0):
    """The most negative PGF reachable at zero-shot accuracy ``acc0``: finetuned accuracy 0.

    Parameters
    ----------
    acc0 : array-like
        Zero-shot accuracies in [0, ceiling).
    ceiling : float or array-like broadcasting with ``acc0``, default=1.0

    Returns
    -------
    ndarray
        ``-acc0 / (ceiling - acc0)``; NaN where ``acc0 >= ceiling`` (PGF undefined).

    Examples
    --------
    >>> pgf_floor([0.0, 0.5, 0.95])
    array([ -0.,  -1., -19.])
    >>> m = 20  # at the highest defined zero-shot accuracy, (m - 1) / m, the floor is -(m - 1)
    >>> round(float(pgf_floor((m - 1) / m)), 9)
    -19.0
    """
    acc0 = np.asarray(acc0, dtype=float)
    gap = np.asarray(ceiling, dtype=float) - acc0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap > 0, -acc0 / gap, np.nan)


def rank_agreement(x, y):
    """How alike two measures rank the same items: Spearman ρ, Kendall τ-b, discordant pairs.

    Parameters
    ----------
    x, y : array-like of the same shape
        Items where either is NaN are left out.

    Returns
    -------
    dict
        ``spearman``, ``kendall``, ``discordant`` (the share of item pairs the two order
        oppositely, ties in either counting as agreement) and ``n`` (items compared); the
        statistics are NaN with fewer than 3 items.

    Examples
    --------
    >>> out = rank_agreement([0.1, 0.2, 0.3, 0.4], [0.5, 0.1, 0.7, 0.9])
    >>> round(out["spearman"], 9), round(out["discordant"], 9), out["n"]
    (0.8, 0.166666667, 4)
    """
    x, y = np.ravel(np.asarray(x, dtype=float)), np.ravel(np.asarray(y, dtype=float))
    keep = np.isfinite(x) & np.isfinite(y)
    x, y, n = x[keep], y[keep], int(keep.sum())
    if n < 3:
        return {"spearman": np.nan, "kendall": np.nan, "discordant": np.nan, "n": n}
    upper = np.triu_indices(n, k=1)
    opposite = (np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :]))[upper] < 0
    return {
        "spearman": float(stats.spearmanr(x, y).statistic),
        "kendall": float(stats.kendalltau(x, y).statistic),
        "discordant": float(opposite.mean()),
        "n": n,
    }


def pgf_ranges(pgf_runs, *, include_diagonal=False):
    """The lowest and highest PGF on each target over the sources, per run.

    Parameters
    ----------
    pgf_runs : array-like of shape (n_runs, n_tasks, n_tasks)
        Sources as rows, targets as columns.
    include_diagonal : bool, default=False
        Count the in-task entry.

    Returns
    -------
    low, high : ndarray of shape (n_runs, n_tasks)
        NaN where a target has no finite entry in that run.

    Examples
    --------
    >>> low, high = pgf_ranges([[[9.0, 0.5], [-2.0, 9.0]]])
    >>> low, high
    (array([[-2. ,  0.5]]), array([[-2. ,  0.5]]))
    """
    values = np.array(pgf_runs, dtype=float)
    if not include_diagonal:
        n = values.shape[-1]
        values[:, np.arange(n), np.arange(n)] = np.nan
    finite = np.isfinite(values)
    low = np.where(finite, values, np.inf).min(axis=1)
    high = np.where(finite, values, -np.inf).max(axis=1)
    empty = ~finite.any(axis=1)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)
