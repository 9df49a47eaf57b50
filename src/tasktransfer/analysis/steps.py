"""Transfer along training: how the pattern at a checkpoint compares with the final one.

The paper measures transfer at 25, 50, 75 and 100 % of the training steps and finds the
average positive transferability rising while the pattern stays. The size of each
fraction's numbers is read with the metrics of :mod:`tasktransfer.analysis.metrics`; this
module gives the stability of the pattern: the Spearman rank correlation of a fraction's
off-diagonal mean PGF with the final one's.
"""

from __future__ import annotations

import numpy as np


def pattern_correlation(pgf_mean, final_mean):
    """Spearman rank correlation of the off-diagonal entries of two mean PGF matrices.

    Parameters
    ----------
    pgf_mean : array-like of shape (n_tasks, n_tasks)
        Mean PGF at a checkpoint; rows are sources, columns targets.
    final_mean : array-like of shape (n_tasks, n_tasks)
        Mean PGF of the final adapters, in the same task order.

    Returns
    -------
    float
        Over the (source, target) pairs with ``source != target`` finite in both; NaN
        when fewer than three pairs are, or when either side is constant on them (no
        ranking to compare).

    Examples
    --------
    >>> early = [[0.9, 0.1, 0.2], [0.0, 0.8, 0.3], [-0.1, 0.4, 0.7]]
    >>> final = [[0.9, 0.2, 0.3], [0.1, 0.9, 0.5], [-0.3, 0.6, 0.8]]
    >>> pattern_correlation(early, final)
    1.0
    >>> pattern_correlation(np.zeros((3, 3)), final)
    nan
    """
    from scipy.stats import spearmanr

    a = np.asarray(pgf_mean, dtype=float)
    b = np.asarray(final_mean, dtype=float)
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(
            f"both matrices must be square and of one shape; got {a.shape} and {b.shape}"
        )
    keep = ~np.eye(len(a), dtype=bool) & np.isfinite(a) & np.isfinite(b)
    x, y = a[keep], b[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)
