"""Every analysis of the paper for one or more models, as one JSON-ready dict.

:func:`analyze` is the recipe that wires the metric functions together; the structure of
its result is the ``analysis.json`` of ``DESIGN.md`` (with extra keys, never changed ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tasktransfer.analysis.categories import (
    CATEGORY_FIELDS,
    block_means,
    category_means,
    parse_size,
    scale_trend,
)
from tasktransfer.analysis.graphs import cliques, transfer_graph
from tasktransfer.analysis.metrics import (
    TRANSFERABILITY_METRICS,
    finite_mean,
    mean_std,
    transferability,
)
from tasktransfer.analysis.personas import personas, pooled_personas
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.tasks import REGISTRY, Registry


def analyze(
    models: Sequence[ModelRuns],
    *,
    registry: Registry = REGISTRY,
    include_diagonal: bool = False,
    tau: float = 0.0,
    alpha: float = 0.05,
    pooled_alpha: float = 0.01,
    threshold: float = 0.25,
    sizes: Mapping[str, float] | None = None,
) -> dict:
    """Analyse the PGF of each model, pool personas across models, and trace scale.

    Parameters
    ----------
    models : sequence of ModelRuns
        As returned by :func:`tasktransfer.analysis.read_inputs`; labels unique.
    registry : Registry, default=REGISTRY
        Level and granularity labels of the tasks.
    include_diagonal : bool, default=False
        Count the in-task gain in Delta and Theta.
    tau : float, default=0.0
        Clique margin (see :func:`tasktransfer.analysis.cliques`).
    alpha : float, default=0.05
        Significance level of the per-model persona tests.
    pooled_alpha : float, default=0.01
        Significance level of the pooled persona tests (several models only).
    threshold : float, default=0.25
        Smallest ``|mean PGF|`` drawn in the transfer graph.
    sizes : mapping of str to float or None, default=None
        Model size in billions per label, for labels that do not name their size.

    Returns
    -------
    dict
        ``models`` (per model: ``tasks``, ``runs``, ``pgf_mean``, ``pgf_std``,
        ``transferability``, ``personas``, ``cliques``, plus ``graph``, ``categories``,
        ``in_task_gain``, ``summary``, ``size_b``, ``origin``), ``pooled`` (when several
        models are given), ``scale`` (per model, smallest first: the task means of the
        four metrics), ``scale_trend`` (see :func:`scale_trend`; its ``categories`` hold
        the trend of each level's and granularity's metric means) and ``options``. Floats
        may be NaN; arrays are lists.
    """
    if not models:
        raise ValueError("analyze needs at least one model")
    sizes = dict(sizes or {})
    out: dict = {"models": {}}
    per_run_metrics = {}
    for m in models:
        per_run = transferability(m.pgf, include_diagonal=include_diagonal)
        per_run_metrics[m.model] = per_run
        out["models"][m.model] = _one_model(
            m, per_run, registry=registry, tau=tau, alpha=alpha, threshold=threshold
        )
        out["models"][m.model]["size_b"] = sizes.get(m.model, parse_size(m.model))
    if len(models) > 1:
        common = [t for t in registry if all(t in m.tasks for m in models)]
        columns = []
        for m in models:
            keep = [m.tasks.index(t) for t in common]
            columns.append({k: v[:, keep] for k, v in per_run_metrics[m.model].items()})
        out["pooled"] = {
            "personas": pooled_personas(columns, common, alpha=pooled_alpha),
            "models": [m.model for m in models],
            "tasks": common,
        }
    summaries = {label: entry["summary"] for label, entry in out["models"].items()}
    known = {k: v["size_b"] for k, v in out["models"].items() if v["size_b"] is not None}
    trend = scale_trend(summaries, sizes=known)
    trend["categories"] = _category_trends(out["models"], known)
    out["scale"] = {label: summaries[label] for label in trend["order"]}
    out["scale_trend"] = trend
    out["options"] = {
        "include_diagonal": include_diagonal,
        "tau": tau,
        "alpha": alpha,
        "pooled_alpha": pooled_alpha,
        "threshold": threshold,
    }
    return out


def _category_trends(models: dict, sizes: dict) -> dict:
    """For each level and granularity present in every model, the trend of its metric means."""
    out: dict = {}
    for by in CATEGORY_FIELDS:
        means = [entry["categories"][by]["means"] for entry in models.values()]
        shared = [c for c in means[0] if all(c in m for m in means)]
        out[by] = {
            category: scale_trend(
                {
                    label: {
                        k: entry["categories"][by]["means"][category][k]
                        for k in TRANSFERABILITY_METRICS
                    }
                    for label, entry in models.items()
                },
                sizes=sizes,
            )["metrics"]
            for category in shared
        }
    return out


def _one_model(m: ModelRuns, per_run, *, registry, tau, alpha, threshold) -> dict:
    mean, std = mean_std(m.pgf)
    averaged = {k: mean_std(v)[0] for k, v in per_run.items()}
    off_diagonal = mean[~np.eye(len(m.tasks), dtype=bool)]
    summary = {k: finite_mean(v) for k, v in averaged.items()}
    summary["mean_pgf"] = finite_mean(off_diagonal)
    summary["in_task_gain"] = finite_mean(np.diag(mean))
    return {
        "tasks": list(m.tasks),
        "runs": list(m.runs),
        "pgf_mean": mean.tolist(),
        "pgf_std": std.tolist(),
        "transferability": {
            task: {k: float(averaged[k][i]) for k in TRANSFERABILITY_METRICS}
            for i, task in enumerate(m.tasks)
        },
        "personas": personas(per_run, m.tasks, alpha=alpha),
        "cliques": cliques(m.pgf, m.tasks, tau=tau),
        "graph": {
            "threshold": threshold,
            "edges": transfer_graph(mean, m.tasks, threshold=threshold),
        },
        "in_task_gain": {task: float(mean[i, i]) for i, task in enumerate(m.tasks)},
        "categories": {
            by: {
                "means": category_means(averaged, m.tasks, by=by, registry=registry),
                "pgf_blocks": block_means(mean, m.tasks, by=by, registry=registry),
            }
            for by in CATEGORY_FIELDS
        },
        "summary": summary,
        "origin": m.origin,
    }
