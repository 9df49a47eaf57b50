"""Task personas: donors, pirates, sponges and sieves, by one-sided Wilcoxon tests.

A *donor* gives significantly more positive transfer (Delta+) than the other tasks, a
*pirate* significantly more negative transfer (Delta-), a *sponge* receives significantly
more (Theta+), a *sieve* loses significantly more (Theta-).

Zero differences (two tasks with the same value in a run, typically both 0 because neither
had a positive entry) are kept and their ranks split between the two sides
(``zero_method="zsplit"``): they count as evidence for neither side, which makes the test
more conservative than dropping them. A task whose differences are all zero gets p = 1.
p-values follow scipy's ``method="auto"``: the exact null distribution for up to 50
differences without ties or zeros; with ties or zeros, an exhaustive sign-flip permutation
up to 13 differences (where zeros then change nothing) and the tie-corrected normal
approximation beyond (a model with 13 tasks and 4 runs has 48 differences per task).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tasktransfer.analysis.metrics import mean_std
from tasktransfer.errors import InputError

# persona -> (metric, alternative of "task minus the others")
PERSONAS: dict[str, tuple[str, str]] = {
    "donor": ("delta_pos", "greater"),
    "pirate": ("delta_neg", "less"),
    "sponge": ("theta_pos", "greater"),
    "sieve": ("theta_neg", "less"),
}
PERSONAS_METRICS = tuple(metric for metric, _ in PERSONAS.values())


def signed_rank_test(differences, *, alternative):
    """One-sided Wilcoxon signed-rank test of paired differences against zero.

    Parameters
    ----------
    differences : array-like of shape (n,)
        NaN entries are left out.
    alternative : {"greater", "less"}

    Returns
    -------
    statistic : float
        Sum of the ranks of the positive differences; NaN when no difference is left.
    pvalue : float
        1.0 when every difference is zero, NaN when none is left.

    Examples
    --------
    >>> signed_rank_test([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], alternative="greater")
    (21.0, 0.015625)
    >>> signed_rank_test([0.0, 0.0, 0.0], alternative="less")
    (3.0, 1.0)

    A single difference (two tasks, one run) has the exact p-value 1/2 in its own direction:

    >>> signed_rank_test([0.3], alternative="greater"), signed_rank_test([0.3], alternative="less")
    ((1.0, 0.5), (1.0, 1.0))
    """
    from scipy.stats import wilcoxon

    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan"), float("nan")
    if d.size == 1:  # scipy needs two observations; the exact null is a fair coin on the sign
        if d[0] == 0:
            return 0.5, 1.0
        statistic = float(d[0] > 0)
        return statistic, 0.5 if (statistic == 1.0) == (alternative == "greater") else 1.0
    result = wilcoxon(d, zero_method="zsplit", alternative=alternative)
    return float(result.statistic), float(result.pvalue)


def _persona_table(differences_of, tasks, metrics, *, alpha):
    """Run every persona test; ``differences_of(metric, i)`` gives task i's differences."""
    tests: dict[str, dict[str, float]] = {task: {} for task in tasks}
    found: dict[str, list[str]] = {}
    for persona, (metric, alternative) in PERSONAS.items():
        pvalues = {}
        for i, task in enumerate(tasks):
            stat, p = signed_rank_test(differences_of(metrics[metric], i), alternative=alternative)
            tests[task][f"{persona}_stat"] = stat
            tests[task][f"{persona}_p"] = p
            pvalues[task] = p
        # Most significant first; NaN p-values never qualify.
        found[persona] = sorted((t for t, p in pvalues.items() if p < alpha), key=pvalues.get)
    return {**found, "tests": tests, "alpha": alpha}


def personas(metrics: Mapping[str, np.ndarray], tasks: Sequence[str], *, alpha=0.05):
    """Personas of one model from its per-run transferability metrics.

    For task i and metric m, the test runs over the paired differences
    ``m[r, i] - m[r, k]`` for every other task k and every run r.

    Parameters
    ----------
    metrics : mapping of str to ndarray of shape (n_runs, n_tasks)
        ``delta_pos``, ``delta_neg``, ``theta_pos``, ``theta_neg`` per run, as returned by
        :func:`tasktransfer.analysis.metrics.transferability`.
    tasks : sequence of str of length n_tasks
    alpha : float, default=0.05
        Significance level of each one-sided test.

    Returns
    -------
    dict
        ``donor``, ``pirate``, ``sponge``, ``sieve``: the significant tasks, most
        significant first; ``tests``: for every task, ``<persona>_stat`` and
        ``<persona>_p``; ``alpha``.

    Examples
    --------
    >>> m = {k: np.array([[3.0, 1.0, 2.0], [3.0, 2.0, 1.0]]) for k in PERSONAS_METRICS}
    >>> out = personas(m, ["A", "B", "C"], alpha=0.1)
    >>> out["donor"], round(out["tests"]["A"]["donor_p"], 4)
    (['A'], 0.0625)
    """
    _check_alpha(alpha)

    def differences(values, i):
        others = np.delete(values, i, axis=1)
        return (values[:, [i]] - others).ravel()

    return _persona_table(differences, list(tasks), metrics, alpha=alpha)


def pooled_personas(
    metrics_by_model: Sequence[Mapping[str, np.ndarray]], tasks: Sequence[str], *, alpha=0.01
):
    """Personas pooled across several models.

    For every (model, run), the difference between task i's metric and the mean of the
    other tasks' metric (NaN left out); one one-sided Wilcoxon test over all of them.

    Parameters
    ----------
    metrics_by_model : sequence of mappings of str to ndarray of shape (n_runs, n_tasks)
        Per-run metrics of each model, every model's columns in the order of ``tasks``
        (the number of runs may differ between models).
    tasks : sequence of str of length n_tasks
    alpha : float, default=0.01

    Returns
    -------
    dict
        Same keys as :func:`personas`.

    Examples
    --------
    >>> one = {k: np.array([[3.0, 1.0, 2.0], [3.0, 2.0, 1.0]]) for k in PERSONAS_METRICS}
    >>> out = pooled_personas([one, one, one], ["A", "B", "C"], alpha=0.05)
    >>> out["donor"], out["tests"]["A"]["donor_p"]
    (['A'], 0.015625)
    """
    _check_alpha(alpha)
    n_tasks = len(tasks)
    stacked = {
        metric: np.concatenate([np.asarray(m[metric], dtype=float) for m in metrics_by_model])
        for metric in PERSONAS_METRICS
    }

    def differences(values, i):
        mean_others, _ = mean_std(np.delete(values, i, axis=1), axis=1)
        return values[:, i] - mean_others

    for metric, values in stacked.items():
        if values.shape[1] != n_tasks:
            raise ValueError(f"{metric} has {values.shape[1]} task columns, expected {n_tasks}")
    return _persona_table(differences, list(tasks), stacked, alpha=alpha)


def _check_alpha(alpha):
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be a float in (0, 1); got {alpha}")
