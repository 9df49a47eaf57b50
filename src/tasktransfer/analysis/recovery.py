"""Ground-truth recovery: does the measured transfer follow the skills the tasks share?

The synthetic suite's generators declare the latent skills a solver needs
(:mod:`tasktransfer.data.synthetic.skills`). Their overlap, the Jaccard index of two tasks'
skill sets, is a hypothesis stated before any study; :func:`recovery` correlates it with a
measured mean PGF over every ordered pair of different tasks (source -> target), with a
permutation p-value over task labels (:func:`tasktransfer.analysis.lora.mantel_test`,
``pairs="off-diagonal"``; one-sided, the hypothesis being that more overlap transfers more).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tasktransfer.analysis.lora import mantel_test


def skill_overlap(skills: Mapping[str, Sequence[str]], tasks: Sequence[str]) -> np.ndarray:
    """The Jaccard index of the declared skill sets of every two tasks.

    Parameters
    ----------
    skills : mapping of str to sequence of str
        Declared skills per task.
    tasks : sequence of str
        The tasks, in the order of the matrix; each must be in ``skills``.

    Returns
    -------
    ndarray of shape (n_tasks, n_tasks)
        ``|S_i & S_j| / |S_i | S_j|``; 0 for two tasks with no skill at all.

    Examples
    --------
    >>> skill_overlap({"A": ["x", "y"], "B": ["y", "z"], "C": ["w"]}, ["A", "B", "C"])
    array([[1.        , 0.33333333, 0.        ],
           [0.33333333, 1.        , 0.        ],
           [0.        , 0.        , 1.        ]])
    """
    sets = [set(skills[t]) for t in tasks]
    return np.array([[len(a & b) / max(len(a | b), 1) for b in sets] for a in sets], dtype=float)


def recovery(
    pgf_mean, overlap, *, n_permutations: int = 10_000, seed: int = 0
) -> dict[str, float | int | None]:
    """Spearman correlation of a mean PGF with the skill overlap, off the diagonal.

    Parameters
    ----------
    pgf_mean : array-like of shape (n_tasks, n_tasks)
        Mean PGF, source (row) -> target (column); NaN pairs are left out.
    overlap : array-like of shape (n_tasks, n_tasks)
        The tasks' skill overlap (:func:`skill_overlap`), in the same order; its task labels
        are permuted (rows and columns together).
    n_permutations : int, default=10000
        All relabellings when ``n!`` is at most this, else this many drawn with ``seed``
        (plus the observed one).
    seed : int, default=0

    Returns
    -------
    dict
        ``spearman`` (None when undefined: fewer than 3 pairs, or a constant overlap or
        PGF), ``p`` (one-sided, greater; None then), ``n_pairs`` (ordered pairs compared),
        ``n_permutations`` (relabellings compared, the observed one included), ``exact``.

    Examples
    --------
    A PGF that orders the pairs as the overlap does: Spearman 1, reached by the identity
    alone among the 3! = 6 relabellings:

    >>> overlap = np.array([[1, 0.5, 0.2], [0.5, 1, 0.0], [0.2, 0.0, 1]])
    >>> found = recovery(overlap, overlap)
    >>> found["spearman"], found["p"], found["n_pairs"], found["n_permutations"]
    (1.0, 0.16666666666666666, 6, 6)
    """
    found = mantel_test(
        overlap,
        pgf_mean,
        method="spearman",
        n_permutations=n_permutations,
        alternative="greater",
        seed=seed,
        pairs="off-diagonal",
    )
    r = found["r"]
    return {
        "spearman": round(float(r), 12) if np.isfinite(r) else None,
        "p": found["p"],
        "n_pairs": found["n_pairs"],
        "n_permutations": found["permutations"],
        "exact": found["exact"],
    }


def synthetic_skills() -> dict[str, list[str]]:
    """The skills each generator of the synthetic suite, image or video, declares.

    Examples
    --------
    >>> synthetic_skills()["Counting"]
    ['object_counting', 'shape_identity']
    """
    from tasktransfer.data.synthetic import TASKS, VIDEO_TASKS

    return {name: list(task.skills) for name, task in {**TASKS, **VIDEO_TASKS}.items()}
