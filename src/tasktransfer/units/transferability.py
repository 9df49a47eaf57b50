"""Transferability (Δ±, per source) and malleability (Θ±, per target), and each model's
summary row.

Computed per run on the off-diagonal entries, then averaged over runs (``DESIGN.md``); the
page shows the means as bars with every run as a dot. The summary (the task means of the
four metrics, the mean off-diagonal PGF and the mean in-task gain) is the model's row in
the scale comparison.

In a rectangular study Δ of a source is over the targets it reaches and Θ of a target over
the sources it receives from (a task that is only a target has no Δ); the breadth N of
every row and column is recorded (``transferability_n``) and stated in the summary.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.metrics import (
    TRANSFERABILITY_METRICS,
    breadth,
    finite_mean,
    mean_std,
    transferability,
)
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment

KEY, RUNS, SUMMARY = "transferability", "transferability_runs", "summary"
BREADTH = "transferability_n"


def of(entry: ModelEntry) -> dict[str, dict[str, float | None]]:
    """Task -> ``{"delta_pos": x, "delta_neg": x, "theta_pos": x, "theta_neg": x}``."""
    return entry.sections[KEY]


def runs_of(entry: ModelEntry) -> dict[str, list[list[float | None]]]:
    """Metric -> its values per run and task, shape (n_runs, n_tasks)."""
    return entry.sections[RUNS]


def breadth_of(entry: ModelEntry) -> dict[str, dict[str, int | None]]:
    """Task -> ``{"delta": N, "theta": N}``: the entries its row (as a source) and its column
    (as a target) could have; None where it is not a source (target)."""
    return entry.sections[BREADTH]


def summary_of(entry: ModelEntry) -> dict[str, float | None]:
    """The task mean of each metric, ``mean_pgf`` (off-diagonal) and ``in_task_gain``."""
    return entry.sections[SUMMARY]


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model: Δ±/Θ± per task averaged over runs, the per-run values, the summary row."""
    out = {}
    diagonal = {"include_diagonal": options.include_diagonal}
    for m in models:
        per_run = transferability(m.pgf, include_diagonal=options.include_diagonal, **m.roles)
        n_row, n_column = breadth(m.source_mask, m.target_mask, **diagonal)
        averaged = {k: mean_std(v)[0] for k, v in per_run.items()}
        mean = np.asarray(analysis.models[m.model].pgf_mean, dtype=float)
        summary = {k: finite_mean(v) for k, v in averaged.items()}
        summary["mean_pgf"] = finite_mean(mean[~np.eye(len(m.tasks), dtype=bool)])
        summary["in_task_gain"] = finite_mean(np.diag(mean))
        out[m.model] = {
            KEY: {
                task: {k: float(averaged[k][i]) for k in TRANSFERABILITY_METRICS}
                for i, task in enumerate(m.tasks)
            },
            RUNS: {k: v.tolist() for k, v in per_run.items()},
            BREADTH: {
                task: {
                    "delta": int(n_row[i]) if m.source_mask[i] else None,
                    "theta": int(n_column[i]) if m.target_mask[i] else None,
                }
                for i, task in enumerate(m.tasks)
            },
            SUMMARY: summary,
        }
    return Contribution(models=out)


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    """In a rectangular study, the breadth N behind each Δ and Θ (a square study's is the
    introduction's ``N = tasks - 1``)."""
    if entry.is_square:
        return []
    found = breadth_of(entry)
    return [
        "**Breadth.** Δ of a source is over the targets it reaches, Θ of a target over the "
        f"sources it receives from: Δ with {_breadths(found, 'delta')}; Θ with "
        f"{_breadths(found, 'theta')}."
    ]


def _breadths(found: dict[str, dict[str, int | None]], metric: str) -> str:
    """``N = 3 (A, B)`` for each distinct N of ``metric``, tasks named.

    Examples
    --------
    >>> _breadths({"A": {"delta": 3}, "B": {"delta": 3}, "V": {"delta": None}}, "delta")
    'N = 3 (A, B)'
    """
    by_n: dict[int, list[str]] = {}
    for task, n in found.items():
        if n[metric] is not None:
            by_n.setdefault(n[metric], []).append(task)
    return ", ".join(f"N = {n} ({', '.join(tasks)})" for n, tasks in sorted(by_n.items()))


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    div = f"{prefix}-bars"
    html = fragment(
        """<p class="hint">Bars are means over runs; each dot is one run, so the dots show the
spread.</p>
<div class="figure" id="{{ div }}"></div>""",
        div=div,
    )
    return ReportSection(
        "Transferability and malleability", html, figures={div: bars_figure(label, entry)}
    )


def bars_figure(label: str, entry: ModelEntry) -> dict:
    """Δ± (as a source) and Θ± (as a target) per task: mean bars with each run as a dot."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from tasktransfer.report.figures import METRIC_COLOURS, METRIC_NAMES, layout, task_axis, text
    from tasktransfer.units.text import SYMBOL

    tasks, runs, means, per_run = entry.tasks, entry.runs, of(entry), runs_of(entry)
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=(
            "Transferability Δ: what finetuning on the task does to the others",
            "Malleability Θ: what finetuning elsewhere does to the task",
        ),
    )
    x = list(range(len(tasks)))
    names = [text(t) for t in tasks]
    for row, metrics in ((1, ("delta_pos", "delta_neg")), (2, ("theta_pos", "theta_neg"))):
        for metric in metrics:
            figure.add_trace(
                go.Bar(
                    x=x,
                    y=[means[t][metric] for t in tasks],
                    name=f"{METRIC_NAMES[metric]}, mean over runs",
                    marker_color=METRIC_COLOURS[metric],
                    opacity=0.75,
                    customdata=names,
                    hovertemplate=f"%{{customdata}}<br>{SYMBOL[metric]} mean %{{y:.3f}}"
                    "<extra></extra>",
                    legendgroup=metric,
                    # One slot per sign in both rows, so the bars fill their group.
                    offsetgroup=metric.rsplit("_", 1)[1],
                ),
                row=row,
                col=1,
            )
            values = per_run[metric]
            figure.add_trace(
                go.Scatter(
                    x=[k for _ in values for k in x],
                    y=[v for run_values in values for v in run_values],
                    mode="markers",
                    marker={"size": 5, "color": "#222", "symbol": "circle-open"},
                    name="one run" if metric == "delta_pos" else None,
                    showlegend=metric == "delta_pos",
                    legendgroup="runs",
                    legendrank=2000,
                    offsetgroup=metric.rsplit("_", 1)[1],  # each dot on its metric's bar
                    customdata=[
                        f"{names[k]}, run {text(run)}" for run in runs[: len(values)] for k in x
                    ],
                    hovertemplate=f"%{{customdata}}<br>{SYMBOL[metric]} %{{y:.3f}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    figure.update_layout(
        layout(
            title={"text": f"{text(label)}: transferability and malleability", "x": 0.02},
            barmode="group",
            scattermode="group",
            height=560,
            margin={"l": 60, "r": 20, "t": 80, "b": 50},
            legend={"orientation": "h", "y": -0.08},
        )
    )
    figure.update_xaxes(task_axis(entry.abbrev, ""), row=1, col=1)
    figure.update_xaxes(task_axis(entry.abbrev, "task"), row=2, col=1)
    figure.update_yaxes(zeroline=True, zerolinecolor="#888", gridcolor="#eee")
    return figure.to_plotly_json()


UNIT = AnalysisUnit(
    "transferability", compute=compute, model_findings=model_findings, model_section=model_section
)
