"""Cliques of mutually helping (or hurting) tasks, and the thresholded transfer graph."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.metrics import mean_std
from tasktransfer.errors import InputError


def cliques(pgf_runs, tasks: Sequence[str], *, tau=0.0):
    """Maximal cliques of tasks that transfer to each other in both directions.

    A positive edge {i, j} exists when the mean PGF of i -> j and of j -> i are both
    ``> tau``; a negative edge when both are ``< -tau``.

    Parameters
    ----------
    pgf_runs : array-like of shape (n_runs, n_tasks, n_tasks)
        PGF per run; rows are sources, columns targets.
    tasks : sequence of str of length n_tasks
    tau : float, default=0.0
        Margin a mean PGF must clear; non-negative.

    Returns
    -------
    dict
        ``positive``, ``negative``: every maximal clique of size >= 3 as a list of task
        names in task order, largest first; ``edges``: for each sign, every edge as
        ``{"tasks": [a, b], "mean": [pgf a->b, pgf b->a], "support": s}`` where ``s`` is
        the share of runs (with both values defined) in which both directions cleared the
        margin with that sign.

    Examples
    --------
    >>> m = np.full((1, 4, 4), 0.5); m[0, 3, :3] = -0.5; m[0, :3, 3] = -0.5
    >>> out = cliques(m, ["A", "B", "C", "D"])
    >>> out["positive"], out["negative"], len(out["edges"]["negative"])
    ([['A', 'B', 'C']], [], 3)
    """
    import networkx as nx

    if tau < 0:
        raise InputError(f"tau must be a non-negative float; got {tau}")
    runs = np.asarray(pgf_runs, dtype=float)
    mean, _ = mean_std(runs)
    tasks = list(tasks)
    order = {t: k for k, t in enumerate(tasks)}
    out: dict = {"positive": [], "negative": [], "edges": {}, "tau": tau}
    for sign, name in ((1.0, "positive"), (-1.0, "negative")):
        graph = nx.Graph()
        graph.add_nodes_from(tasks)
        edges = []
        for i in range(len(tasks)):
            for j in range(i + 1, len(tasks)):
                if sign * mean[i, j] > tau and sign * mean[j, i] > tau:
                    graph.add_edge(tasks[i], tasks[j])
                    both = sign * runs[:, i, j], sign * runs[:, j, i]
                    defined = np.isfinite(both[0]) & np.isfinite(both[1])
                    held = (both[0] > tau) & (both[1] > tau) & defined
                    edges.append(
                        {
                            "tasks": [tasks[i], tasks[j]],
                            "mean": [float(mean[i, j]), float(mean[j, i])],
                            "support": (
                                float(held.sum() / defined.sum()) if defined.any() else None
                            ),
                        }
                    )
        found = [sorted(c, key=order.get) for c in nx.find_cliques(graph) if len(c) >= 3]
        out[name] = sorted(found, key=lambda c: (-len(c), [order[t] for t in c]))
        out["edges"][name] = edges
    return out


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
