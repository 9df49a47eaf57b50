"""Task personas: donors, pirates, sponges and sieves, by one-sided tests across runs.

A *donor* gives significantly more positive transfer (Delta+) than the other tasks, a
*pirate* significantly more negative transfer (Delta-), a *sponge* receives significantly
more (Theta+), a *sieve* loses significantly more (Theta-).

Which test (``test=``)
----------------------
``"run"`` (the default) takes the run as the unit. A persona is a claim that a task's
effect reproduces when the model is finetuned again, and the only independent replicate of
a finetuning is the run: the 12 other tasks of one run share its seed, its data order and
its baseline. So per run r the contrast ``d_r = m[r, i] - mean over k != i of m[r, k]``
is one observation, and an exact sign-flip permutation test asks whether the mean of the
``d_r`` exceeds zero (:func:`sign_flip_test`). Under the null each ``d_r`` is symmetric
about zero, so all ``2**R`` sign patterns are equally likely; the p-value is the share of
them whose mean reaches the observed one. With R runs the smallest attainable one-sided p
is ``2**-R``: with 4 runs 0.0625, so nothing is significant at alpha = 0.05, which is what
four runs can support. A permutation of task labels within runs was rejected: its
reference population is the other tasks of the same run, which are not exchangeable
(their levels and granularities differ by design), and its smallest p, ``n_tasks**-R``,
shrinks with the number of tasks rather than runs, the same overstatement in a new form.

``"paper"`` is the test of Sachdeva et al. (2026), kept to reproduce their lists: a
one-sided Wilcoxon signed-rank test over the paired differences ``m[r, i] - m[r, k]`` for
every other task k and run r, which treats 48 differences from 4 runs (13 tasks) as
independent (:func:`signed_rank_test`).

Zero differences in the Wilcoxon test (two tasks with the same value in a run, typically
both 0 because neither had a positive entry) are kept and their ranks split between the two
sides (``zero_method="zsplit"``): they count as evidence for neither side, which makes the
test more conservative than dropping them. A task whose differences are all zero gets
p = 1. p-values follow scipy's ``method="auto"``: the exact null distribution for up to 50
differences without ties or zeros; with ties or zeros, an exhaustive sign-flip permutation
up to 13 differences (where zeros then change nothing) and the tie-corrected normal
approximation beyond.

Every p-value comes with its Benjamini-Hochberg adjustment (``<persona>_q``), over the
tasks of one persona: each persona asks "which tasks are donors?", one family of
``n_tasks`` tests. The lists of winners use the raw p < alpha, as the paper does; the
q-values stand beside them.
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
PERSONA_TESTS = ("run", "paper")
# Exact enumeration holds 2**n sums in memory (8 MiB at 20); beyond, a seeded sample.
_EXACT_UNITS, _DRAWS = 20, 2**20


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


def sign_flip_test(values, *, alternative):
    """One-sided sign-flip permutation test of the mean of independent values against zero.

    Under the null each value is symmetric about zero, so its sign is a fair coin: the
    p-value is the share of the ``2**n`` sign patterns whose sum reaches the observed sum
    (exact up to 20 values; beyond, 2**20 patterns drawn with a fixed seed, p counted as
    ``(hits + 1) / (draws + 1)``). Zeros flip to themselves and change nothing.

    Parameters
    ----------
    values : array-like of shape (n,)
        One value per independent unit (run); NaN entries are left out.
    alternative : {"greater", "less"}

    Returns
    -------
    statistic : float
        The mean of the values; NaN when none is left.
    pvalue : float
        At least ``2**-n``; 1.0 when every value is zero, NaN when none is left.

    Examples
    --------
    Four positive runs: only "all positive" reaches the observed sum, p = 1/16.

    >>> sign_flip_test([1.0, 2.0, 3.0, 4.0], alternative="greater")
    (2.5, 0.0625)

    The sign patterns reaching a sum of 1 + 2 - 0.5 = 2.5 are (+ + +), (+ + -): p = 2/8.

    >>> sign_flip_test([1.0, 2.0, -0.5], alternative="greater")
    (0.8333333333333334, 0.25)
    >>> sign_flip_test([0.0, 0.0], alternative="less")
    (0.0, 1.0)
    """
    d = np.asarray(values, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan"), float("nan")
    mean = float(d.mean())
    if alternative == "less":  # the lower tail of d is the upper tail of -d
        d = -d
    observed = d.sum()
    # Sums of the same numbers in another order differ by rounding only: count them as ties.
    tolerance = 1e-12 * np.abs(d).sum()
    if d.size <= _EXACT_UNITS:
        sums = np.zeros(1)
        for value in np.abs(d):  # doubling: every pattern of the values so far, +v and -v
            sums = np.concatenate([sums + value, sums - value])
        pvalue = float(np.mean(sums >= observed - tolerance))
    else:
        rng = np.random.default_rng(0)
        signs = rng.choice([-1.0, 1.0], size=(_DRAWS, d.size))
        hits = int(np.sum(signs @ np.abs(d) >= observed - tolerance))
        pvalue = (hits + 1) / (_DRAWS + 1)
    return mean, pvalue


def fdr(pvalues):
    """Benjamini-Hochberg adjusted p-values (q-values) of one family of tests.

    Parameters
    ----------
    pvalues : array-like of shape (n,)
        NaN entries (tests that could not run) are left out of the family and stay NaN.

    Returns
    -------
    ndarray of shape (n,)
        ``q >= p``; a test is a discovery at false-discovery rate alpha when ``q < alpha``.

    Examples
    --------
    Sorted p = 0.01, 0.02, 0.5 of 3 tests: q = min over k >= rank of p_(k) * 3 / k.

    >>> fdr([0.02, np.nan, 0.01, 0.5])
    array([0.03,  nan, 0.03, 0.5 ])
    """
    from scipy.stats import false_discovery_control

    p = np.asarray(pvalues, dtype=float)
    q = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        q[finite] = false_discovery_control(p[finite], method="bh")
    return q


def _persona_table(test_of, tasks, metrics, *, alpha):
    """Run every persona test; ``test_of(values, i, alternative)`` gives ``(stat, p, n)``."""
    tests: dict[str, dict[str, float]] = {task: {} for task in tasks}
    found: dict[str, list[str]] = {}
    for persona, (metric, alternative) in PERSONAS.items():
        pvalues = {}
        for i, task in enumerate(tasks):
            stat, p, n = test_of(np.asarray(metrics[metric], dtype=float), i, alternative)
            tests[task][f"{persona}_stat"] = stat
            tests[task][f"{persona}_p"] = p
            tests[task][f"{persona}_n"] = n
            pvalues[task] = p
        for task, q in zip(tasks, fdr(list(pvalues.values())), strict=True):
            tests[task][f"{persona}_q"] = float(q)
        # Most significant first; NaN p-values never qualify.
        found[persona] = sorted((t for t, p in pvalues.items() if p < alpha), key=pvalues.get)
    return {**found, "tests": tests, "alpha": alpha}


def _minus_mean_of_others(values, i):
    """Per row, column i minus the mean of the other columns (NaN left out)."""
    mean_others, _ = mean_std(np.delete(values, i, axis=1), axis=1)
    return values[:, i] - mean_others


def personas(metrics: Mapping[str, np.ndarray], tasks: Sequence[str], *, alpha=0.05, test="run"):
    """Personas of one model from its per-run transferability metrics.

    Parameters
    ----------
    metrics : mapping of str to ndarray of shape (n_runs, n_tasks)
        ``delta_pos``, ``delta_neg``, ``theta_pos``, ``theta_neg`` per run, as returned by
        :func:`tasktransfer.analysis.metrics.transferability`.
    tasks : sequence of str of length n_tasks
    alpha : float, default=0.05
        Significance level of each one-sided test.
    test : {"run", "paper"}, default="run"
        ``"run"``: per run, task i minus the mean of the other tasks, an exact sign-flip
        test over the runs (:func:`sign_flip_test`). ``"paper"``: the paired differences
        ``m[r, i] - m[r, k]`` for every other task k and run r, one Wilcoxon test
        (:func:`signed_rank_test`). The module docstring says why the first is the default.

    Returns
    -------
    dict
        ``donor``, ``pirate``, ``sponge``, ``sieve``: the tasks with p < alpha, most
        significant first; ``tests``: for every task, ``<persona>_stat`` (the mean
        contrast over runs, or the Wilcoxon statistic), ``<persona>_p``, ``<persona>_q``
        (Benjamini-Hochberg over the tasks) and ``<persona>_n`` (the values the test
        treated as independent); ``alpha``; ``test``; ``n_units``: the independent units,
        the runs.

    Examples
    --------
    >>> m = {k: np.array([[3.0, 1.0, 2.0], [3.0, 2.0, 1.0]]) for k in PERSONAS_METRICS}
    >>> run = personas(m, ["A", "B", "C"], alpha=0.3)
    >>> run["donor"], run["tests"]["A"]["donor_p"], run["n_units"]
    (['A'], 0.25, 2)
    >>> paper = personas(m, ["A", "B", "C"], alpha=0.1, test="paper")
    >>> paper["donor"], round(paper["tests"]["A"]["donor_p"], 4), paper["tests"]["A"]["donor_n"]
    (['A'], 0.0625, 4)
    """
    _check_alpha(alpha)
    if test not in PERSONA_TESTS:
        raise InputError(f"persona test must be one of {', '.join(PERSONA_TESTS)}; got {test!r}")

    def run_level(values, i, alternative):
        d = _minus_mean_of_others(values, i)
        return (*sign_flip_test(d, alternative=alternative), int(np.isfinite(d).sum()))

    def paired(values, i, alternative):
        d = (values[:, [i]] - np.delete(values, i, axis=1)).ravel()
        return (*signed_rank_test(d, alternative=alternative), int(np.isfinite(d).sum()))

    table = _persona_table(
        run_level if test == "run" else paired, list(tasks), metrics, alpha=alpha
    )
    n_runs = max((np.shape(metrics[m])[0] for m in PERSONAS_METRICS), default=0)
    return {**table, "test": test, "n_units": int(n_runs)}


def pooled_personas(
    metrics_by_model: Sequence[Mapping[str, np.ndarray]], tasks: Sequence[str], *, alpha=0.01
):
    """Personas pooled across several models.

    For every (model, run), the difference between task i's metric and the mean of the
    other tasks' metric (NaN left out); one one-sided Wilcoxon test over all of them. The
    unit is already the run (of one model): ``n_units`` is the number of (model, run).

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
        Same keys as :func:`personas`, with ``test`` = ``"pooled"``.

    Examples
    --------
    >>> one = {k: np.array([[3.0, 1.0, 2.0], [3.0, 2.0, 1.0]]) for k in PERSONAS_METRICS}
    >>> out = pooled_personas([one, one, one], ["A", "B", "C"], alpha=0.05)
    >>> out["donor"], out["tests"]["A"]["donor_p"], out["n_units"]
    (['A'], 0.015625, 6)
    """
    _check_alpha(alpha)
    n_tasks = len(tasks)
    stacked = {
        metric: np.concatenate([np.asarray(m[metric], dtype=float) for m in metrics_by_model])
        for metric in PERSONAS_METRICS
    }

    def pooled(values, i, alternative):
        d = _minus_mean_of_others(values, i)
        return (*signed_rank_test(d, alternative=alternative), int(np.isfinite(d).sum()))

    for metric, values in stacked.items():
        if values.shape[1] != n_tasks:
            raise ValueError(f"{metric} has {values.shape[1]} task columns, expected {n_tasks}")
    table = _persona_table(pooled, list(tasks), stacked, alpha=alpha)
    return {**table, "test": "pooled", "n_units": int(stacked[PERSONAS_METRICS[0]].shape[0])}


def _check_alpha(alpha):
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be a float in (0, 1); got {alpha}")
