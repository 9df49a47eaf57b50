"""Choose training data for target tasks from a PGF matrix: which sources, how many examples.

Three rules, all over the mean PGF of each source on each target (rows of ``pgf_runs`` are
sources, columns targets, as everywhere in the analysis):

``threshold``
    The paper's rule. A source's score is its mean PGF on the targets (averaged over the
    targets when there are several); sources scoring above ``threshold`` share the budget
    in proportion to their score.
``topk``
    The ``k`` best-scoring sources with a positive score share the budget equally (an odd
    example goes to the better-ranked).
``optimal``
    Maximise the predicted gain summed over the targets, subject to the budget and to each
    source's availability, solved exactly as a mixed-integer linear program
    (:func:`scipy.optimize.milp`, HiGHS).

The predicted-gain model (:func:`predicted_gain`) is deliberately simple and stated in
full. Let ``m[s, t]`` be the mean PGF of source ``s`` on target ``t``, measured after
finetuning on ``cap`` examples of ``s``. Then ``n`` examples of ``s`` are predicted to give
``m[s, t] * min(n, cap) / cap``: a straight line from zero-shot (no examples, PGF 0) to
the measured point, and no extrapolation beyond what was measured. Gains of different
sources add up (an independence assumption), and a target's predicted PGF is capped at 1,
the ceiling that PGF cannot exceed::

    gain(n) = sum over targets t of min(1, sum over sources s of m[s, t] * min(n_s, cap) / cap)

The model is concave in ``n``, so it is an exact MILP with integer counts (see
:func:`optimal_counts`). Every rule reports this gain, so rules can be compared.

The target's own data is never a candidate unless ``include_target``. Example counts are
integers: the proportional and equal splits are rounded by largest remainder
(:func:`apportion`), so they sum exactly to the budget unless availability runs out.
Sources with equal scores (or equal shares) are ordered by task order, in every rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tasktransfer.analysis.metrics import mean_std
from tasktransfer.errors import InputError

RULES = ("threshold", "topk", "optimal")
# A study folder's task-by-task table (results.csv without mixture rows), else its results.
STUDY_TABLES = ("task_results.csv", "results.csv")


@dataclass(frozen=True)
class Evidence:
    """The PGF behind one recommendation: source ``source`` measured on target ``target``.

    Attributes
    ----------
    source, target : str
    mean, std : float
        Over runs (sample std; NaN with a single run).
    min, max : float
        The lowest and highest run.
    n_runs : int
        Runs with a defined value.
    """

    source: str
    target: str
    mean: float
    std: float
    min: float
    max: float
    n_runs: int

    @property
    def crosses_zero(self) -> bool:
        """Whether the runs disagree in sign (some helped, some hurt)."""
        return self.min < 0 < self.max


@dataclass(frozen=True)
class Selection:
    """A recommended training mixture and the evidence for it.

    Attributes
    ----------
    rule : str
        One of :data:`RULES`.
    targets : tuple of str
    budget : int
        Examples asked for; ``sum(mixture.values())`` equals it unless a note says why not.
    mixture : dict of str to int
        Source task -> number of examples, in task order; only positive counts. Empty when
        nothing is recommended (the notes say why).
    scores : dict of str to float
        Every candidate source's score: its mean PGF averaged over the targets.
    evidence : tuple of Evidence
        One per (source in the mixture, target).
    predicted_gain : float
        :func:`predicted_gain` of the mixture.
    cap : int
        Examples per source the PGF was measured with (the gain model's saturation point).
    notes : tuple of str
        Warnings for the reader: spreads that cross zero, targets no source helps, budget
        left unspent, sources without a PGF.
    """

    rule: str
    targets: tuple[str, ...]
    budget: int
    mixture: dict[str, int]
    scores: dict[str, float]
    evidence: tuple[Evidence, ...]
    predicted_gain: float
    cap: int
    notes: tuple[str, ...]


def apportion(weights, budget, *, caps=None):
    """Split an integer budget in proportion to non-negative weights, within caps.

    Shares above a cap are cut to it and the excess is shared again among the others
    (water-filling); the real-valued shares are then rounded by largest remainder, ties
    going to the lower index. The result sums to ``min(budget, sum of the caps of the
    positive weights)``.

    Parameters
    ----------
    weights : array-like of shape (n,)
        Non-negative; a zero weight gets nothing.
    budget : int
        Non-negative.
    caps : array-like of shape (n,) or None, default=None
        Most each entry may get (``inf`` for no limit); None means no limits.

    Returns
    -------
    ndarray of int of shape (n,)

    Examples
    --------
    >>> apportion([0.5, 0.3, 0.2], 7)
    array([4, 2, 1])
    >>> apportion([1, 1, 1], 2)
    array([1, 1, 0])
    >>> apportion([3, 1], 8, caps=[2, 100])
    array([2, 6])
    """
    weights = np.asarray(weights, dtype=float)
    caps = np.full(weights.shape, np.inf) if caps is None else np.asarray(caps, dtype=float)
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise InputError(f"weights must be finite and non-negative; got {weights.tolist()}")
    active = weights > 0
    total = int(min(budget, caps[active].sum())) if active.any() else 0
    share = np.zeros_like(weights)
    remaining = float(total)
    while active.any():
        share[active] = remaining * weights[active] / weights[active].sum()
        over = active & (share >= caps)
        if not over.any():
            break
        share[over] = caps[over]
        remaining -= caps[over].sum()
        active &= ~over
    counts = np.floor(share + 1e-9).astype(int)
    short = total - counts.sum()
    room = counts < caps
    fraction = np.where(room, share - counts, -np.inf)
    # A stable sort keeps equal remainders in index (task) order.
    counts[np.argsort(-fraction, kind="stable")[:short]] += 1
    return counts


def predicted_gain(pgf_mean, counts, *, cap):
    """Predicted PGF summed over targets of a mixture, by the model in the module docstring.

    Parameters
    ----------
    pgf_mean : array-like of shape (n_sources, n_targets)
        Mean PGF of each source on each target.
    counts : array-like of shape (n_sources,)
        Examples of each source.
    cap : int
        Examples per source the PGF was measured with.

    Returns
    -------
    float

    Examples
    --------
    >>> predicted_gain([[0.4, -0.2], [0.8, 0.0]], [50, 100], cap=100)  # min(1, 1.0) - 0.1
    0.9
    >>> predicted_gain([[0.4, -0.2], [0.8, 0.0]], [200, 0], cap=100)
    0.2
    """
    mean = np.asarray(pgf_mean, dtype=float)
    used = np.minimum(np.asarray(counts, dtype=float), cap) / cap
    return float(np.minimum(1.0, used @ mean).sum())


def optimal_counts(pgf_mean, budget, *, cap, upper=None):
    """Integer counts that maximise :func:`predicted_gain` within a budget.

    The MILP, over integer counts ``n_s`` and one continuous ``z_t`` per target::

        maximise    sum_t z_t
        subject to  cap * z_t <= sum_s m[s, t] * n_s      (each target t)
                    z_t <= 1
                    sum_s n_s <= budget
                    0 <= n_s <= min(cap, upper_s)

    The ``min(n, cap)`` of the model becomes the bound ``n_s <= cap`` (more examples are
    predicted to add nothing); ``min(1, .)`` becomes ``z_t <= 1``, exact because ``z_t``
    is maximised. Among optimal allocations a second solve returns the one with the least
    ``sum_s (s + 1) * n_s``: no examples spent without predicted gain, earlier tasks first.

    Parameters
    ----------
    pgf_mean : array-like of shape (n_sources, n_targets)
    budget : int
    cap : int
    upper : array-like of shape (n_sources,) or None, default=None
        Examples available per source (``inf`` for no limit).

    Returns
    -------
    ndarray of int of shape (n_sources,)

    Examples
    --------
    Two targets; the first saturates at 1, so one example of the first source is traded
    for one of the third (gain 1 + 0.85, against 1 + 0.6 for ``[2, 2, 0]``):

    >>> optimal_counts([[0.9, 0.0], [0.6, 0.6], [0.0, 0.5]], 4, cap=2)
    array([1, 2, 1])
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    mean = np.asarray(pgf_mean, dtype=float)
    n_sources, n_targets = mean.shape
    upper = np.full(n_sources, np.inf) if upper is None else np.asarray(upper, dtype=float)
    n_max = np.minimum(upper, cap)
    # Rows: one per target (cap * z_t - sum_s m[s, t] n_s <= 0), then the budget.
    rows = np.zeros((n_targets + 1, n_sources + n_targets))
    rows[:n_targets, :n_sources] = -mean.T
    rows[:n_targets, n_sources:] = cap * np.eye(n_targets)
    rows[n_targets, :n_sources] = 1.0
    upper_rows = np.r_[np.zeros(n_targets), budget]
    bounds = Bounds(
        np.r_[np.zeros(n_sources), np.full(n_targets, -np.inf)], np.r_[n_max, np.ones(n_targets)]
    )
    integrality = np.r_[np.ones(n_sources), np.zeros(n_targets)]
    constraints = [LinearConstraint(rows, -np.inf, upper_rows)]
    gain = np.r_[np.zeros(n_sources), np.ones(n_targets)]
    first = milp(-gain, constraints=constraints, bounds=bounds, integrality=integrality)
    if not first.success:  # n = 0 is always feasible, so this is a solver failure
        raise RuntimeError(f"MILP solver failed: {first.message}")
    best = gain @ first.x
    floor = best - 1e-9 * max(1.0, abs(best))
    constraints.append(LinearConstraint(gain, floor, np.inf))
    tie_break = np.r_[np.arange(1, n_sources + 1), np.zeros(n_targets)]
    second = milp(tie_break, constraints=constraints, bounds=bounds, integrality=integrality)
    x = second.x if second.success else first.x
    return np.rint(x[:n_sources]).astype(int)


def select_sources(
    pgf_runs,
    tasks: Sequence[str],
    targets: Sequence[str],
    budget: int,
    *,
    rule: str = "threshold",
    threshold: float = 0.0,
    k: int = 3,
    cap: int | None = None,
    available: Mapping[str, int] | None = None,
    include_target: bool = False,
) -> Selection:
    """Recommend a training mixture for ``targets`` from per-run PGF.

    Parameters
    ----------
    pgf_runs : array-like of shape (n_runs, n_tasks, n_tasks)
        PGF per run; rows are sources, columns targets, both in ``tasks`` order.
    tasks : sequence of str of length n_tasks
    targets : sequence of str
        One or more tasks to train for.
    budget : int
        Total number of training examples, at least 1.
    rule : {"threshold", "topk", "optimal"}, default="threshold"
        See the module docstring.
    threshold : float, default=0.0
        ``threshold`` rule: smallest score (exclusive); non-negative, since examples are
        shared in proportion to the score.
    k : int, default=3
        ``topk`` rule: how many sources (fewer when fewer have a positive score, or when
        the budget is smaller than ``k``).
    cap : int or None, default=None
        Examples per source the PGF was measured with; None means ``budget``.
    available : mapping of str to int or None, default=None
        Examples available per source task; unlisted tasks are unlimited, 0 rules a source
        out.
    include_target : bool, default=False
        Let a target's own data be a source.

    Returns
    -------
    Selection

    Examples
    --------
    >>> runs = [[[0.9, 0.5, 0.2], [0.1, 0.8, 0.0], [0.3, -0.1, 0.7]]]
    >>> sel = select_sources(runs, ["A", "B", "C"], ["B"], 100, threshold=0.0)
    >>> sel.mixture
    {'A': 100}
    >>> sel.notes
    ()
    """
    values = np.asarray(pgf_runs, dtype=float)
    tasks = list(tasks)
    if values.ndim != 3 or values.shape[1:] != (len(tasks), len(tasks)):
        raise InputError(
            f"pgf_runs must have shape (n_runs, {len(tasks)}, {len(tasks)}) for {len(tasks)} "
            f"tasks; got {values.shape}"
        )
    cols = _target_columns(tasks, targets)
    budget = _count(budget, "budget", minimum=1)
    cap = budget if cap is None else _count(cap, "cap", minimum=1)
    if rule not in RULES:
        raise InputError(f"rule must be one of {', '.join(RULES)}; got {rule!r}")
    if rule == "threshold" and not threshold >= 0:
        raise InputError(
            f"threshold must be a non-negative float (examples are shared in proportion to "
            f"PGF); got {threshold}"
        )
    if rule == "topk":
        k = _count(k, "k", minimum=1)
    upper = _availability(tasks, available)

    mean, std = mean_std(values)
    finite = np.isfinite(values)
    lo = np.where(finite, values, np.inf).min(axis=0)
    hi = np.where(finite, values, -np.inf).max(axis=0)
    n_runs = finite.sum(axis=0)
    for t in cols:
        if not np.isfinite(mean[:, t]).any():
            raise InputError(f"no PGF is defined on target {tasks[t]}; it cannot be selected for")

    notes: list[str] = []
    measured = np.isfinite(mean[:, cols]).all(axis=1)
    # A source measured on other tasks but not on every target (an unmeasured row is
    # simply a task that was never finetuned on).
    partial = [
        tasks[s]
        for s in range(len(tasks))
        if not measured[s] and np.isfinite(mean[s]).any() and (include_target or s not in cols)
    ]
    if partial:
        notes.append(f"left out for lack of a PGF on every target: {', '.join(partial)}")
    candidate = measured & (upper > 0)
    if not include_target:
        candidate[cols] = False
    score = np.where(candidate, mean[:, cols].mean(axis=1), np.nan)
    cand = np.flatnonzero(candidate)

    for t in cols:
        if not (mean[cand, t] > 0).any():
            notes.append(
                f"no available source has a positive mean PGF on {tasks[t]}; "
                "none is predicted to help it"
            )

    counts = np.zeros(len(tasks), dtype=int)
    if rule == "threshold":
        chosen = cand[score[cand] > threshold]
        counts[chosen] = apportion(score[chosen], budget, caps=upper[chosen])
        if chosen.size == 0:
            notes.append(f"no source scores above the threshold {threshold:g}")
    elif rule == "topk":
        positive = cand[score[cand] > 0]
        ranked = positive[np.argsort(-score[positive], kind="stable")]
        chosen = ranked[: min(k, budget)]
        counts[chosen] = apportion(np.ones(chosen.size), budget, caps=upper[chosen])
        if chosen.size < k:
            notes.append(
                f"only {chosen.size} source(s) chosen of k={k}: "
                + (
                    "the budget is smaller than k"
                    if budget < k and positive.size >= budget
                    else f"{positive.size} have a positive score"
                )
            )
    else:
        counts[cand] = optimal_counts(mean[np.ix_(cand, cols)], budget, cap=cap, upper=upper[cand])
        chosen = cand[counts[cand] > 0]

    if rule == "threshold" and 0 < chosen.size and (counts[chosen] == 0).any():
        left = [tasks[s] for s in chosen if counts[s] == 0]
        notes.append(
            f"the budget of {budget} is too small to give every chosen source an example; "
            f"left without: {', '.join(left)}"
        )
    spent = int(counts.sum())
    if counts.any() and spent < budget:
        why = (
            "no further example is predicted to add gain (each helpful source is at its cap "
            "or out of examples)"
            if rule == "optimal"
            else "the chosen sources have no more examples available"
        )
        notes.append(f"{spent} of the budget of {budget} examples allocated: {why}")
    if not counts.any():
        notes.append("nothing recommended: no source is predicted to help")

    in_mix = np.flatnonzero(counts)
    evidence = tuple(
        Evidence(
            tasks[s],
            tasks[t],
            float(mean[s, t]),
            float(std[s, t]),
            float(lo[s, t]),
            float(hi[s, t]),
            int(n_runs[s, t]),
        )
        for s in in_mix
        for t in cols
    )
    for e in evidence:
        if e.crosses_zero:
            notes.append(
                f"PGF({e.source} -> {e.target}) = {e.mean:.3f} ± {e.std:.3f} crosses zero "
                f"over runs (min {e.min:.3f}, max {e.max:.3f}): its sign is uncertain"
            )
    return Selection(
        rule=rule,
        targets=tuple(tasks[t] for t in cols),
        budget=budget,
        mixture={tasks[s]: int(counts[s]) for s in in_mix},
        scores={tasks[s]: float(score[s]) for s in cand},
        evidence=evidence,
        predicted_gain=predicted_gain(mean[np.ix_(in_mix, cols)], counts[in_mix], cap=cap),
        cap=cap,
        notes=tuple(notes),
    )


def load_pgf(source, *, model=None, reference_dir=None, registry=None):
    """Read the per-run PGF of one model from a study folder, a table or a published alias.

    Parameters
    ----------
    source : str or Path
        A study folder (its ``task_results.csv`` when it has mixtures, else its
        ``results.csv``), a results table, a published PGF table, or ``sachdeva2026:SIZE``.
    model : str or None, default=None
        The model to use when the table holds several.
    reference_dir : str or Path or None, default=None
        See :func:`tasktransfer.analysis.read_inputs`.
    registry : Registry or None, default=None
        The tasks the table may name; None means the built-in registry.

    Returns
    -------
    ModelRuns
        Warnings raised while reading (incomplete tables, undefined PGF) propagate.

    Raises
    ------
    InputError
        When ``source`` is a folder without a results table, or the model is missing or
        ambiguous.
    """
    from tasktransfer.analysis.tables import read_inputs

    path = Path(source)
    if path.is_dir():
        found = [path / name for name in STUDY_TABLES if (path / name).is_file()]
        if not found:
            raise InputError(f"{source} is a folder without {STUDY_TABLES[-1]}; is it a study?")
        path = found[0]
    known = {} if registry is None else {"registry": registry}
    tables = read_inputs([str(path)], reference_dir=reference_dir, **known)
    names = [t.model for t in tables]
    chosen = [t for t in tables if model in (None, t.model)]
    if not chosen:
        raise InputError(f"{source}: no model {model!r}; it holds {', '.join(names)}")
    if len(chosen) > 1:
        raise InputError(
            f"{source} holds {len(names)} models ({', '.join(names)}); choose one with --model"
        )
    return chosen[0]


def _target_columns(tasks, targets):
    if isinstance(targets, str):
        targets = [targets]
    if not targets:
        raise InputError("give at least one target task")
    missing = [t for t in targets if t not in tasks]
    if missing:
        raise InputError(
            f"target(s) {', '.join(missing)} not in the PGF table; its tasks are {', '.join(tasks)}"
        )
    if len(set(targets)) != len(targets):
        raise InputError(f"targets are listed twice: {', '.join(targets)}")
    return [tasks.index(t) for t in targets]


def _count(value, name, *, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _availability(tasks, available):
    upper = np.full(len(tasks), np.inf)
    for task, n in (available or {}).items():
        if task not in tasks:
            raise InputError(
                f"availability given for {task!r}, which is not in the PGF table; its tasks "
                f"are {', '.join(tasks)}"
            )
        upper[tasks.index(task)] = _count(n, f"available examples of {task}", minimum=0)
    return upper
