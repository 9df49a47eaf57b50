"""Cliques of mutually helping (or hurting) tasks, and the thresholded transfer graph."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from tasktransfer.analysis.metrics import mean_std
from tasktransfer.errors import InputError


def cliques(pgf_runs, tasks: Sequence[str], *, tau=0.0, alpha=0.05):
    """Maximal cliques of tasks that transfer to each other in both directions.

    A positive edge {i, j} exists when the mean PGF of i -> j and of j -> i are both
    ``> tau``; a negative edge when both are ``< -tau``. Each edge's sign is then tested
    across runs, the run being the independent unit: an exact one-sided sign test of
    "both directions clear the margin with the edge's sign in more than half of the runs"
    (``held`` of ``n_runs`` runs, p = P(Binomial(n_runs, 1/2) >= held)). A run in which a
    value sits exactly on the margin counts against the edge, which keeps the test
    conservative; with R runs the smallest attainable p is ``2**-R``. The q-values are
    Benjamini-Hochberg adjusted over every pair of tasks for that sign (any pair could
    have been an edge). A clique is significant when every one of its edges is (p < alpha).
    Only run-level PGF enters: per-question predictions are not used.

    Parameters
    ----------
    pgf_runs : array-like of shape (n_runs, n_tasks, n_tasks)
        PGF per run; rows are sources, columns targets.
    tasks : sequence of str of length n_tasks
    tau : float, default=0.0
        Margin a mean PGF must clear; non-negative.
    alpha : float, default=0.05
        Significance level of each edge's sign test.

    Returns
    -------
    dict
        ``positive``, ``negative``: every maximal clique of size >= 3 as a list of task
        names in task order, largest first; ``edges``: for each sign, every edge as
        ``{"tasks": [a, b], "mean": [pgf a->b, pgf b->a], "support": s, "held": k,
        "n_runs": n, "p": p, "q": q, "significant": p < alpha}`` where ``s = k / n`` is
        the share of runs (with both values defined) in which both directions cleared the
        margin with that sign; ``significant``: for each sign, one bool per clique, in the
        order of the cliques; ``tau``; ``alpha``.

    Examples
    --------
    >>> m = np.full((1, 4, 4), 0.5); m[0, 3, :3] = -0.5; m[0, :3, 3] = -0.5
    >>> out = cliques(m, ["A", "B", "C", "D"])
    >>> out["positive"], out["negative"], len(out["edges"]["negative"])
    ([['A', 'B', 'C']], [], 3)

    One run can never make an edge significant (p = 1/2):

    >>> out["edges"]["positive"][0]["p"], out["significant"]["positive"]
    (0.5, [False])
    """
    import networkx as nx
    from scipy.stats import binom

    from tasktransfer.analysis.personas import fdr

    if tau < 0:
        raise InputError(f"tau must be a non-negative float; got {tau}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be a float in (0, 1); got {alpha}")
    runs = np.asarray(pgf_runs, dtype=float)
    mean, _ = mean_std(runs)
    tasks = list(tasks)
    order = {t: k for k, t in enumerate(tasks)}
    pairs = list(combinations(range(len(tasks)), 2))
    rows, cols = [i for i, _ in pairs], [j for _, j in pairs]
    out: dict = {"positive": [], "negative": [], "edges": {}, "significant": {}}
    for sign, name in ((1.0, "positive"), (-1.0, "negative")):
        both = sign * runs[:, rows, cols], sign * runs[:, cols, rows]
        defined = (np.isfinite(both[0]) & np.isfinite(both[1])).sum(axis=0)
        held = ((both[0] > tau) & (both[1] > tau)).sum(axis=0)
        pvalues = np.where(defined > 0, binom.sf(held - 1, defined, 0.5), np.nan)
        qvalues = fdr(pvalues)
        graph = nx.Graph()
        graph.add_nodes_from(tasks)
        edges = []
        for k, (i, j) in enumerate(pairs):
            if not (sign * mean[i, j] > tau and sign * mean[j, i] > tau):
                continue
            graph.add_edge(tasks[i], tasks[j])
            n = int(defined[k])
            edges.append(
                {
                    "tasks": [tasks[i], tasks[j]],
                    "mean": [float(mean[i, j]), float(mean[j, i])],
                    "support": float(held[k] / n) if n else None,
                    "held": int(held[k]),
                    "n_runs": n,
                    "p": float(pvalues[k]),
                    "q": float(qvalues[k]),
                    "significant": bool(pvalues[k] < alpha),
                }
            )
        found = [sorted(c, key=order.get) for c in nx.find_cliques(graph) if len(c) >= 3]
        out[name] = sorted(found, key=lambda c: (-len(c), [order[t] for t in c]))
        out["edges"][name] = edges
        significant = {frozenset(e["tasks"]) for e in edges if e["significant"]}
        out["significant"][name] = [
            all(frozenset((a, b)) in significant for a, b in combinations(c, 2)) for c in out[name]
        ]
    return {**out, "tau": tau, "alpha": alpha}


def transfer_graph(pgf_mean, tasks: Sequence[str], *, threshold=0.25):
    """Directed edges source -> target whose mean PGF reaches ``threshold`` in magnitude.

    Parameters
    ----------
    pgf_mean : array-like of shape (n_tasks, n_tasks)
        Mean PGF; rows are sources, columns targets. NaN entries give no edge.
    tasks : sequence of str of length n_tasks
    threshold : float, default=0.25
        Smallest ``|mean PGF|`` drawn; non-negative.

    Returns
    -------
    list of dict
        ``{"source", "target", "pgf"}`` for every off-diagonal pair with
        ``|pgf| >= threshold``, strongest first.

    Examples
    --------
    >>> transfer_graph([[0.9, 0.3], [-0.1, 0.8]], ["A", "B"])
    [{'source': 'A', 'target': 'B', 'pgf': 0.3}]
    """
    if threshold < 0:
        raise InputError(f"threshold must be a non-negative float; got {threshold}")
    mean = np.asarray(pgf_mean, dtype=float)
    edges = [
        {"source": tasks[i], "target": tasks[j], "pgf": float(mean[i, j])}
        for i in range(len(tasks))
        for j in range(len(tasks))
        if i != j and np.isfinite(mean[i, j]) and abs(mean[i, j]) >= threshold
    ]
    return sorted(edges, key=lambda e: -abs(e["pgf"]))
