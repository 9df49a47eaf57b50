"""Confidence intervals of every PGF, Δ/Θ and in-task gain, from the questions themselves.

A study's ``predictions.jsonl`` says which questions each model state got right; the
bootstrap (:func:`tasktransfer.analysis.bootstrap.bootstrap_intervals`) resamples them per
target, paired across the zero-shot and finetuned answers, and gives each run-mean number a
percentile interval (``ci_low``, ``ci_high``). Published PGF tables and tables of counts
carry no questions, so they get no intervals, and the report says so. The predictions must
reproduce the table's accuracies exactly; when they do not (another run of the study, a
renamed model) the model gets no intervals and the section says why.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.bootstrap import (
    bootstrap_intervals,
)
from tasktransfer.analysis.metrics import TRANSFERABILITY_METRICS
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units import transferability
from tasktransfer.units.base import (
    AnalysisUnit,
    Contribution,
    Options,
    ReportSection,
    answered_models,
    fragment,
)
from tasktransfer.units.text import SYMBOL, fmt, plural

KEY, TITLE = "uncertainty", "Confidence intervals"
NEEDS = (
    "Confidence intervals need per-question predictions (a study folder's "
    "predictions.jsonl); a table of counts or of PGF alone cannot give them."
)


def of(entry: ModelEntry) -> dict | None:
    """The model's intervals (None without predictions): ``pgf`` (``ci_low``/``ci_high``
    matrices), ``transferability`` (task -> metric -> bounds), ``in_task_gain`` (task ->
    bounds), ``summary`` (``mean_pgf``, ``in_task_gain`` -> bounds), the settings and
    ``n_questions``; or ``{"skipped": reason}`` when the predictions do not match."""
    return entry.sections.get(KEY)


def cell_interval(entry: ModelEntry, i: int, j: int) -> tuple[float | None, float | None] | None:
    """``(ci_low, ci_high)`` of the mean PGF of source ``i`` on target ``j``, or None."""
    found = of(entry)
    if not found or "pgf" not in found:
        return None
    return found["pgf"]["ci_low"][i][j], found["pgf"]["ci_high"][i][j]


def hover_lines(entry: ModelEntry, i: int, j: int) -> list[str]:
    """The heatmap hover's line for the interval of cell ``(i, j)``; none without one."""
    interval = cell_interval(entry, i, j)
    if interval is None:
        return []
    low, high = interval
    return [f"{_level(of(entry))} interval over questions [{fmt(low)}, {fmt(high)}]"]


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model with predictions: the bootstrap intervals of its numbers."""
    out, answered = answered_models(models, options, KEY)
    for m, answers in answered:
        ceiling = np.array([options.ceilings.get(t, 1.0) for t in m.tasks])
        bounds = bootstrap_intervals(
            answers.correct,
            answers.correct0,
            ceiling=ceiling,
            include_diagonal=options.include_diagonal,
            n_resamples=options.n_resamples,
            confidence=options.confidence,
            seed=options.seed,
            **m.roles,
        )
        pair = functools.partial(_pair, bounds)
        out[m.model] = {
            KEY: {
                "method": "percentile bootstrap over questions, paired across model states",
                "n_resamples": options.n_resamples,
                "confidence": options.confidence,
                "seed": options.seed,
                "n_questions": {t: int(n) for t, n in zip(m.tasks, answers.sizes, strict=True)},
                "pgf": {"ci_low": bounds["pgf"][0].tolist(), "ci_high": bounds["pgf"][1].tolist()},
                "transferability": {
                    t: {metric: pair(metric, k) for metric in TRANSFERABILITY_METRICS}
                    for k, t in enumerate(m.tasks)
                },
                "in_task_gain": {
                    t: pair("pgf", k, k)
                    for k, t in enumerate(m.tasks)
                    if m.source_mask[k] and m.target_mask[k]
                },
                "summary": {name: pair(name) for name in ("mean_pgf", "in_task_gain")},
            }
        }
    return Contribution(models=out)


def _pair(bounds, name, *index) -> dict[str, float]:
    low, high = bounds[name]
    return {"ci_low": float(low[index]), "ci_high": float(high[index])}


def _level(found: dict) -> str:
    return f"{100 * found['confidence']:g} %"


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    if found is None:
        return [f"**Uncertainty.** {NEEDS}"]
    if "skipped" in found:
        return [f"**Uncertainty.** No confidence intervals: {found['skipped']}."]
    summary = transferability.summary_of(entry)
    low, high = np.array(found["pgf"]["ci_low"], float), np.array(found["pgf"]["ci_high"], float)
    off = ~np.eye(len(entry.tasks), dtype=bool) & np.isfinite(low) & np.isfinite(high)
    clear = int((off & ((low > 0) | (high < 0))).sum())
    sizes = [n for n in found["n_questions"].values() if n]
    span = f"{min(sizes)}–{max(sizes)}" if sizes and min(sizes) != max(sizes) else str(max(sizes))

    def shown(name):
        bounds = found["summary"][name]
        return f"{fmt(summary[name])} [{fmt(bounds['ci_low'])}, {fmt(bounds['ci_high'])}]"

    return [
        f"**Uncertainty.** {_level(found)} intervals from {found['n_resamples']} bootstrap "
        f"resamples of the questions ({span} per target), paired across the zero-shot and "
        f"finetuned answers: in-task gain {shown('in_task_gain')}, mean transfer PGF "
        f"{shown('mean_pgf')}; {clear} of {plural(int(off.sum()), 'transfer cell')} have an "
        "interval that excludes 0."
    ]


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    found = of(entry)
    if found is None or "skipped" in found:
        reason = NEEDS if found is None else f"No intervals: {found['skipped']}."
        return ReportSection(
            "Confidence intervals", fragment('<p class="hint">{{ r }}</p>', r=reason)
        )
    div = f"{prefix}-intervals"
    html = fragment(
        """<p class="hint">{{ level }} percentile intervals from {{ b }} resamples of each
target's questions (the same draw for the zero-shot and every finetuned model: paired).
The heatmap's hover gives each cell's interval; the CSVs hold every bound.</p>
<div class="figure" id="{{ div }}"></div>""",
        level=_level(found),
        b=found["n_resamples"],
        div=div,
    )
    return ReportSection(
        "Confidence intervals", html, figures={div: intervals_figure(label, entry)}
    )


def intervals_figure(label: str, entry: ModelEntry) -> dict:
    """Δ±, Θ± and the in-task gain per task: the run-mean with its interval as error bars."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import METRIC_COLOURS, METRIC_NAMES, layout, task_axis, text

    found, means = of(entry), transferability.of(entry)
    x = list(range(len(entry.tasks)))
    figure = go.Figure()
    series = [
        (METRIC_NAMES[m], METRIC_COLOURS[m], SYMBOL[m], [means[t][m] for t in entry.tasks],
         [found["transferability"][t][m] for t in entry.tasks])
        for m in TRANSFERABILITY_METRICS
    ]  # fmt: skip
    none = {"ci_low": None, "ci_high": None}  # a task that is not both source and target
    series.append(
        ("in-task gain", "#444", "in-task PGF", [entry.pgf_mean[k][k] for k in x],
         [found["in_task_gain"].get(t, none) for t in entry.tasks])
    )  # fmt: skip
    for name, colour, symbol, values, bounds in series:
        low = [b["ci_low"] for b in bounds]
        high = [b["ci_high"] for b in bounds]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=values,
                mode="markers",
                name=name,
                marker={"color": colour, "size": 8},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [_gap(h, v) for h, v in zip(high, values, strict=True)],
                    "arrayminus": [_gap(v, lo) for v, lo in zip(values, low, strict=True)],
                },
                customdata=[
                    f"{text(t)}<br>{symbol} {fmt(v)} [{fmt(lo)}, {fmt(h)}]"
                    for t, v, lo, h in zip(entry.tasks, values, low, high, strict=True)
                ],
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    figure.update_layout(
        layout(
            title={"text": f"{text(label)}: run means with {_level(found)} intervals", "x": 0.02},
            scattermode="group",
            xaxis=task_axis(entry.abbrev, "task"),
            yaxis={"title": {"text": "PGF-based metric"}, "zeroline": True},
            height=420,
            legend={"orientation": "h", "y": -0.2},
        )
    )
    return figure.to_plotly_json()


def _gap(upper, lower) -> float | None:
    # An error bar from lower to upper; none where either end is undefined.
    return None if upper is None or lower is None else max(upper - lower, 0.0)


UNIT = AnalysisUnit(
    "uncertainty", compute=compute, model_findings=model_findings, model_section=model_section
)
