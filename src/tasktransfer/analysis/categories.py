"""Metric means per task category (perceptual level, granularity) and across model sizes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from tasktransfer.analysis.metrics import finite_mean
from tasktransfer.tasks import GRANULARITIES, LEVELS, REGISTRY, Registry

CATEGORY_FIELDS = ("level", "granularity")


def category_means(
    values: Mapping[str, Sequence[float]],
    tasks: Sequence[str],
    *,
    by: str = "level",
    registry: Registry = REGISTRY,
):
    """Mean of each per-task metric over the tasks of each category.

    Parameters
    ----------
    values : mapping of str to array-like of shape (n_tasks,)
        Metric name to one value per task (e.g. the run-averaged ``delta_pos``).
    tasks : sequence of str of length n_tasks
    by : {"level", "granularity"}, default="level"
    registry : Registry, default=REGISTRY
        Where the labels come from (see :func:`tasktransfer.tasks.load_registry`).

    Returns
    -------
    dict
        Category (in the registry's label order, present ones only) to
        ``{"tasks": [...], <metric>: mean}``; NaN values are left out.

    Examples
    --------
    >>> out = category_means({"x": [1.0, 3.0, 5.0]}, ["Relative_Depth", "Counting", "Jigsaw"])
    >>> out["low"], out["mid"]
    ({'tasks': ['Relative_Depth'], 'x': 1.0}, {'tasks': ['Counting', 'Jigsaw'], 'x': 4.0})
    """
    labels = _labels(tasks, by, registry)
    out = {}
    for category in _present(labels, by):
        members = [k for k, label in enumerate(labels) if label == category]
        entry: dict = {"tasks": [tasks[k] for k in members]}
        for metric, vals in values.items():
            entry[metric] = finite_mean(np.asarray(vals, dtype=float)[members])
        out[category] = entry
    return out


def block_means(pgf_mean, tasks: Sequence[str], *, by="level", registry: Registry = REGISTRY):
    """Mean off-diagonal PGF from the sources of one category to the targets of another.

    Parameters
    ----------
    pgf_mean : array-like of shape (n_tasks, n_tasks)
        Rows are sources, columns targets.
    tasks : sequence of str of length n_tasks
    by : {"level", "granularity"}, default="level"
    registry : Registry, default=REGISTRY

    Returns
    -------
    dict of str to dict of str to float
        ``out[source_category][target_category]``; NaN when the block has no off-diagonal
        value.

    Examples
    --------
    >>> block_means([[9, 1], [3, 9]], ["Relative_Depth", "Counting"])
    {'low': {'low': nan, 'mid': 1.0}, 'mid': {'low': 3.0, 'mid': nan}}
    """
    mean = np.array(pgf_mean, dtype=float)
    np.fill_diagonal(mean, np.nan)
    labels = np.array(_labels(tasks, by, registry))
    present = _present(list(labels), by)
    return {
        src: {tgt: finite_mean(mean[np.ix_(labels == src, labels == tgt)]) for tgt in present}
        for src in present
    }


_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([bBmM])(?![a-zA-Z])")


def parse_size(label: str) -> float | None:
    """Number of parameters, in billions, read from a model label; None if it names none.

    Examples
    --------
    >>> parse_size("qwen-2.5vl-32B-instruct"), parse_size("Qwen/Qwen2.5-VL-3B-Instruct")
    (32.0, 3.0)
    >>> parse_size("smolvlm-500M"), parse_size("tiny")
    (0.5, None)
    """
    for number, unit in _SIZE.findall(str(label).replace("_", "-")):
        return float(number) * (1.0 if unit in "bB" else 1e-3)
    return None


def scale_trend(
    summaries: Mapping[str, Mapping[str, float]],
    *,
    sizes: Mapping[str, float] | None = None,
):
    """Order models by size and describe how each summary metric moves with it.

    Parameters
    ----------
    summaries : mapping of str to mapping of str to float
        Model label to metric name to value (e.g. the mean Delta+ over tasks).
    sizes : mapping of str to float or None, default=None
        Model size in billions of parameters per label; labels not given are parsed with
        :func:`parse_size`. When any model still has no size, the input order is kept.

    Returns
    -------
    dict
        ``order`` (labels, smallest first), ``sizes`` (billions or None),
        ``ordered_by`` (``"size"`` or ``"input order"``) and ``metrics``: per metric, the
        ``values`` in that order and a ``direction``: ``"increasing"``,
        ``"decreasing"``, ``"flat"`` (fewer than two values or all equal) or ``"mixed"``.

    Examples
    --------
    >>> out = scale_trend({"m-7B": {"x": 2.0}, "m-3B": {"x": 1.0}, "m-32B": {"x": 1.5}})
    >>> out["order"], out["metrics"]["x"]
    (['m-3B', 'm-7B', 'm-32B'], {'values': [1.0, 2.0, 1.5], 'direction': 'mixed'})
    """
    sizes = dict(sizes or {})
    labels = list(summaries)
    resolved = {label: sizes.get(label, parse_size(label)) for label in labels}
    by_size = all(size is not None for size in resolved.values())
    order = sorted(labels, key=resolved.get) if by_size else labels
    metrics = {}
    for metric in dict.fromkeys(m for s in summaries.values() for m in s):
        vals = [summaries[label].get(metric, float("nan")) for label in order]
        metrics[metric] = {"values": vals, "direction": _direction(vals)}
    return {
        "order": order,
        "sizes": [resolved[label] for label in order],
        "ordered_by": "size" if by_size else "input order",
        "metrics": metrics,
    }


def _direction(values):
    steps = np.diff([v for v in values if v is not None and np.isfinite(v)])
    if steps.size == 0 or np.all(steps == 0):
        return "flat"
    if np.all(steps >= 0):
        return "increasing"
    if np.all(steps <= 0):
        return "decreasing"
    return "mixed"


def _labels(tasks, by, registry):
    if by not in CATEGORY_FIELDS:
        raise ValueError(f"by must be one of {CATEGORY_FIELDS}; got {by!r}")
    return [getattr(registry[t], by) for t in tasks]


def _present(labels, by):
    known = LEVELS if by == "level" else GRANULARITIES
    return [c for c in known if c in labels]
