"""Cliques of mutually helping (or hurting) tasks, and the thresholded transfer graph."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from tasktransfer.analysis.metrics import mean_std
from tasktransfer.errors import InputError


def question_sign_tests(correct, correct0):
    """Exact one-sided McNemar tests of the sign of every direction source -> target.

    For a direction i -> j, each question of target j answered both by a run's zero-shot
    model and by that run's finetune on source i is a pair; the discordant pairs are
    ``n_plus`` (the finetune right, zero-shot wrong) and ``n_minus`` (the reverse), pooled
    over runs. Under no change either is Binomial(n_plus + n_minus, 1/2), so the exact
    one-sided p of a positive direction is P(X >= n_plus) and of a negative one
    P(X >= n_minus). The null is *no change*, not a margin: unlike the edges themselves,
    these tests ignore ``tau``. Questions (and the same question in several runs) are
    treated as independent pairs, which they are not as draws of a skill: the test is
    conditional on the question set, and says whether the finetune changed the answers to
    these questions, not whether the transfer would recur for another training run.

    Parameters
    ----------
    correct : array-like of shape (n_runs, n_tasks, n_tasks, n_questions)
        Per run, source (rows) and target: 1 right, 0 wrong, NaN not asked
        (:func:`tasktransfer.analysis.bootstrap.question_tensors`).
    correct0 : array-like of shape (n_runs, n_tasks, n_questions)
        The zero-shot answers of each run, same question order.

    Returns
    -------
    dict
        ``n_plus``, ``n_minus`` (int arrays of shape (n_tasks, n_tasks)), ``n_pairs``
        (questions answered by both states, summed over runs), and ``positive`` /
        ``negative``: the one-sided p of each direction (NaN where ``n_pairs`` is 0; 1
        where no pair is discordant).

    Examples
    --------
    Target B: the finetune on A fixes 3 of 4 questions zero-shot got wrong and breaks none.

    >>> correct0 = np.array([[[1, 0, 0, 0], [0, 0, 0, 1]]], dtype=float)
    >>> correct = np.array([[[[1, 0, 0, 0], [1, 1, 1, 1]], [[1, 0, 0, 0], [0, 0, 0, 1]]]])
    >>> out = question_sign_tests(correct, correct0)
    >>> int(out["n_plus"][0, 1]), int(out["n_minus"][0, 1]), float(out["positive"][0, 1])
    (3, 0, 0.125)
    >>> float(out["negative"][0, 1]), float(out["positive"][1, 0])
    (1.0, 1.0)
    """
    from scipy.stats import binom

    correct = np.asarray(correct, dtype=float)
    correct0 = np.asarray(correct0, dtype=float)[:, None, :, :]  # the same for every source
    paired = np.isfinite(correct) & np.isfinite(correct0)
    n_plus = (paired & (correct == 1) & (correct0 == 0)).sum(axis=(0, 3))
    n_minus = (paired & (correct == 0) & (correct0 == 1)).sum(axis=(0, 3))
    n_pairs = paired.sum(axis=(0, 3))
    discordant = n_plus + n_minus
    out = {"n_plus": n_plus, "n_minus": n_minus, "n_pairs": n_pairs}
    for name, k in (("positive", n_plus), ("negative", n_minus)):
        # P(X >= k) for X ~ Binomial(discordant, 1/2); k = 0 gives 1, also when none differ.
        out[name] = np.where(n_pairs > 0, binom.sf(k - 1, discordant, 0.5), np.nan)
    return out


def cliques(pgf_runs, tasks: Sequence[str], *, tau=0.0, alpha=0.05, correct=None, correct0=None):
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

    With per-question predictions (``correct``, ``correct0``) each edge also carries a
    test across questions (:func:`question_sign_tests`): each direction's exact one-sided
    McNemar test of the edge's sign, pooled over runs, and the edge's p is the larger of
    its two directions' (an intersection-union test: the edge needs both). Its null is no
    change, not the margin ``tau``; its q-values are Benjamini-Hochberg adjusted over the
    same family as the run-level ones. It is secondary: questions within a target are not
    independent draws of a skill, so it is conditional on the question set and says
    nothing about another training run; the run-level test stays the primary one.

    Parameters
    ----------
    pgf_runs : array-like of shape (n_runs, n_tasks, n_tasks)
        PGF per run; rows are sources, columns targets.
    tasks : sequence of str of length n_tasks
    tau : float, default=0.0
        Margin a mean PGF must clear; non-negative.
    alpha : float, default=0.05
        Significance level of each edge's sign test.
    correct, correct0 : array-like or None, default=None
        Per-question answers, as :func:`question_sign_tests` takes them, in the task order
        of ``pgf_runs``; both or neither.

    Returns
    -------
    dict
        ``positive``, ``negative``: every maximal clique of size >= 3 as a list of task
        names in task order, largest first; ``edges``: for each sign, every edge as
        ``{"tasks": [a, b], "mean": [pgf a->b, pgf b->a], "support": s, "held": k,
        "n_runs": n, "p": p, "q": q, "significant": p < alpha}`` where ``s = k / n`` is
        the share of runs (with both values defined) in which both directions cleared the
        margin with that sign; ``significant``: for each sign, one bool per clique, in the
        order of the cliques; ``tau``; ``alpha``. With ``correct``, each edge also has
        ``question_p``, ``question_q``, ``question_significant`` (``question_p < alpha``)
        and ``discordant`` (``[[n_plus, n_minus] of a->b, [n_plus, n_minus] of b->a]``),
        and the result ``question_significant``: per sign, one bool per clique, every
        edge being so. Without it these keys are absent.

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
    if (correct is None) != (correct0 is None):
        raise InputError("correct and correct0 must be given together")
    runs = np.asarray(pgf_runs, dtype=float)
    mean, _ = mean_std(runs)
    questions = None if correct is None else question_sign_tests(correct, correct0)
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
        if questions is not None:
            # Intersection-union: the edge holds when both directions do.
            directed = questions[name]
            question_p = np.fmax(directed[rows, cols], directed[cols, rows])
            question_p[np.isnan(directed[rows, cols]) | np.isnan(directed[cols, rows])] = np.nan
            question_q = fdr(question_p)
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
            if questions is not None:
                plus, minus = questions["n_plus"], questions["n_minus"]
                edges[-1].update(
                    question_p=_value(question_p[k]),
                    question_q=_value(question_q[k]),
                    question_significant=bool(question_p[k] < alpha),
                    discordant=[
                        [int(plus[i, j]), int(minus[i, j])],
                        [int(plus[j, i]), int(minus[j, i])],
                    ],
                )
        found = [sorted(c, key=order.get) for c in nx.find_cliques(graph) if len(c) >= 3]
        out[name] = sorted(found, key=lambda c: (-len(c), [order[t] for t in c]))
        out["edges"][name] = edges
        significant = {frozenset(e["tasks"]) for e in edges if e["significant"]}
        out["significant"][name] = _all_edges(out[name], significant)
        if questions is not None:
            held = {frozenset(e["tasks"]) for e in edges if e["question_significant"]}
            out.setdefault("question_significant", {})[name] = _all_edges(out[name], held)
    return {**out, "tau": tau, "alpha": alpha}


def _all_edges(found, edges) -> list[bool]:
    """Per clique of ``found``, whether every pair of it is in ``edges`` (a set of pairs)."""
    return [all(frozenset((a, b)) in edges for a, b in combinations(c, 2)) for c in found]


def _value(x) -> float | None:
    """A float for JSON: None for NaN."""
    return None if not np.isfinite(x) else float(x)


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
