"""Transfer along training: the matrices and Δ/Θ at each checkpoint fraction of the steps.

A study with ``finetune.checkpoints`` evaluates each source's model at those fractions of
its training steps (results rows with a ``step``; :attr:`ModelRuns.steps`). Per fraction
this unit gives the mean PGF matrix, Δ±/Θ± per task (as :mod:`tasktransfer.units.
transferability` computes them for the final adapters) and their task means, and the
stability of the pattern: the rank correlation of the fraction's off-diagonal mean matrix
with the final one (:func:`tasktransfer.analysis.steps.pattern_correlation`). The final
fraction, 1.0, is the analysis every other unit shows. Models without checkpoints get
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.metrics import (
    TRANSFERABILITY_METRICS,
    finite_mean,
    mean_std,
    transferability,
)
from tasktransfer.analysis.steps import pattern_correlation
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import SYMBOL, fmt

KEY = "steps"


def of(entry: ModelEntry) -> dict | None:
    """The model's checkpoints, or None when it has none.

    ``fractions`` (ascending, ending with 1.0, the final adapters), and one item per
    fraction in each of: ``pgf_mean``, ``pgf_std`` (matrices, sources as rows),
    ``transferability`` (task -> the four metrics, averaged over runs), ``summary`` (the
    task means of the four metrics, ``mean_pgf`` off the diagonal, ``in_task_gain``) and
    ``rank_correlation`` (Spearman, off-diagonal mean PGF against the final one's).
    """
    return entry.sections.get(KEY)


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model with checkpoints: matrices, Δ/Θ and pattern stability per fraction."""
    out = {}
    for m in models:
        if not m.steps:
            continue
        fractions = [*sorted(m.steps), 1.0]
        values = [m.steps[f] for f in fractions[:-1]] + [m.pgf]
        off_diagonal = ~np.eye(len(m.tasks), dtype=bool)
        final_mean = mean_std(m.pgf)[0]
        means, stds, metrics, summaries, correlations = [], [], [], [], []
        for pgf_runs in values:
            mean, std = mean_std(pgf_runs)
            per_run = transferability(
                pgf_runs, include_diagonal=options.include_diagonal, **m.roles
            )
            averaged = {k: mean_std(v)[0] for k, v in per_run.items()}
            means.append(mean.tolist())
            stds.append(std.tolist())
            metrics.append(
                {
                    task: {k: float(averaged[k][i]) for k in TRANSFERABILITY_METRICS}
                    for i, task in enumerate(m.tasks)
                }
            )
            summary = {k: finite_mean(v) for k, v in averaged.items()}
            summary["mean_pgf"] = finite_mean(mean[off_diagonal])
            summary["in_task_gain"] = finite_mean(np.diag(mean))
            summaries.append(summary)
            correlations.append(pattern_correlation(mean, final_mean))
        out[m.model] = {
            KEY: {
                "fractions": fractions,
                "pgf_mean": means,
                "pgf_std": stds,
                "transferability": metrics,
                "summary": summaries,
                "rank_correlation": correlations,
            }
        }
    return Contribution(models=out)


def _percent(fraction: float) -> str:
    return f"{fraction:.0%}"


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    steps = of(entry)
    if steps is None:
        return []
    at = ", ".join(_percent(f) for f in steps["fractions"])
    delta = ", ".join(fmt(s["delta_pos"]) for s in steps["summary"])
    rho = ", ".join(fmt(r, 2) for r in steps["rank_correlation"][:-1])
    return [
        f"**Along training.** At {at} of the steps, the mean {SYMBOL['delta_pos']} is "
        f"{delta}; the rank correlation of each checkpoint's off-diagonal mean PGF with the "
        f"final one is {rho}."
    ]


def model_section(
    label: str, entry: ModelEntry, analysis: Analysis, prefix: str
) -> ReportSection | None:
    steps = of(entry)
    if steps is None:
        return None
    heatmap, lines = f"{prefix}-steps-heatmap", f"{prefix}-steps-lines"
    html = fragment(
        """<p class="hint">Each source's model evaluated at fractions of its training steps.
Move the slider to see the mean PGF at each fraction; the lines show the task means of Δ and
Θ, and the rank correlation of each fraction's off-diagonal mean PGF with the final one
(1 at 100 %: how much of the final pattern is already there).</p>
<div class="figure" id="{{ heatmap }}" data-rows="{{ n }}"></div>
<div class="figure" id="{{ lines }}"></div>""",
        heatmap=heatmap,
        lines=lines,
        n=len(entry.rows),
    )
    figures = {heatmap: heatmap_figure(label, entry), lines: lines_figure(label, entry)}
    return ReportSection("Along training", html, figures=figures)


def heatmap_figure(label: str, entry: ModelEntry) -> dict:
    """The mean PGF at each fraction, one heatmap shown at a time, chosen by a slider."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, limit, matrix_axes, pgf_heatmap, text

    steps = of(entry)
    rows, columns, fractions = entry.rows, entry.columns, steps["fractions"]
    largest = max(limit(matrix) for matrix in steps["pgf_mean"])
    figure = go.Figure()
    for k, (fraction, mean, std) in enumerate(
        zip(fractions, steps["pgf_mean"], steps["pgf_std"], strict=True)
    ):
        hover = [
            [
                f"<b>{text(entry.tasks[i])}</b> → <b>{text(entry.tasks[j])}</b> at "
                f"{_percent(fraction)} of the steps<br>mean PGF {fmt(mean[i][j])}, "
                f"std over runs {fmt(std[i][j])}"
                for j in columns
            ]
            for i in rows
        ]
        figure.add_trace(
            pgf_heatmap(
                entry.rectangle(mean),
                hover,
                largest=largest,
                visible=k == len(fractions) - 1,
                name=_percent(fraction),
            )
        )
    slider = {
        "active": len(fractions) - 1,
        "currentvalue": {"prefix": "share of the training steps: "},
        "pad": {"t": 50},
        "steps": [
            {
                "label": _percent(fraction),
                "method": "restyle",
                "args": [{"visible": [j == k for j in range(len(fractions))]}],
            }
            for k, fraction in enumerate(fractions)
        ],
    }
    figure.update_layout(
        layout(
            title={"text": f"{text(label)}: mean PGF along training", "x": 0.02},
            **matrix_axes(entry),
            height=max(460, 200 + 38 * len(rows)),
            width=max(460, 170 + 40 * len(columns)),
            margin={"l": 70, "r": 20, "t": 50, "b": 60},
            sliders=[slider],
        )
    )
    return figure.to_plotly_json()


def lines_figure(label: str, entry: ModelEntry) -> dict:
    """Task means of Δ±/Θ± and the pattern's rank correlation, by fraction of the steps."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from tasktransfer.report.figures import METRIC_COLOURS, METRIC_NAMES, layout, text

    steps = of(entry)
    x = [100 * f for f in steps["fractions"]]
    figure = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=("Task means of Δ and Θ", "Rank correlation with the final pattern"),
    )
    for metric in TRANSFERABILITY_METRICS:
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[s[metric] for s in steps["summary"]],
                mode="lines+markers",
                name=METRIC_NAMES[metric],
                line={"color": METRIC_COLOURS[metric]},
                hovertemplate=f"{SYMBOL[metric]} %{{y:.3f}} at %{{x:.0f}} %<extra></extra>",
            ),
            row=1,
            col=1,
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=steps["rank_correlation"],
            mode="lines+markers",
            name="Spearman ρ, off-diagonal mean PGF",
            line={"color": "#444"},
            hovertemplate="ρ %{y:.2f} at %{x:.0f} %<extra></extra>",
        ),
        row=1,
        col=2,
    )
    figure.update_layout(
        layout(
            title={"text": f"{text(label)}: transfer along training", "x": 0.02},
            height=380,
            margin={"l": 60, "r": 20, "t": 80, "b": 50},
            legend={"orientation": "h", "y": -0.2},
        )
    )
    figure.update_xaxes(title_text="% of the training steps", ticksuffix="", gridcolor="#eee")
    figure.update_yaxes(zeroline=True, zerolinecolor="#888", gridcolor="#eee")
    figure.update_yaxes(range=[-1.05, 1.05], row=1, col=2)
    return figure.to_plotly_json()


UNIT = AnalysisUnit(
    "steps", compute=compute, model_findings=model_findings, model_section=model_section
)
