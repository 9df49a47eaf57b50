"""PGF and its matrices: the in-task gain, the overall finding and the heatmap.

The matrices themselves (``pgf_mean``, ``pgf_std``, ``pgf_runs``) are the core of every
model entry (:class:`tasktransfer.contracts.ModelEntry`), since every unit reads them;
this unit adds the in-task gain and shows the mean matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units import transferability
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import fmt

IN_TASK_GAIN = "in_task_gain"


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """The diagonal of the mean matrix: each task's gain from finetuning on itself."""
    gains = {}
    for label, entry in analysis.models.items():
        gains[label] = {
            IN_TASK_GAIN: {task: entry.pgf_mean[i][i] for i, task in enumerate(entry.tasks)}
        }
    return Contribution(models=gains)


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    summary = transferability.summary_of(entry)
    return [
        f"**Overall.** Finetuning on one task moves the others by a mean PGF of "
        f"{fmt(summary['mean_pgf'])}, against an in-task gain of "
        f"{fmt(summary['in_task_gain'])}."
    ]


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    div = f"{prefix}-heatmap"
    html = fragment(
        """<p class="hint">PGF is the share of the gap to perfect accuracy that finetuning on
the source (row) closes on the target (column); negative values are accuracy lost. Blue
cells help, red ones hurt. Hover a cell for the spread over runs and each run's value.</p>
<div class="figure" id="{{ div }}" data-rows="{{ n }}"></div>""",
        div=div,
        n=len(entry.tasks),
    )
    return ReportSection("Transfer matrix", html, figures={div: heatmap_figure(label, entry)})


def heatmap_figure(label: str, entry: ModelEntry) -> dict:
    """The mean PGF, sources as rows and targets as columns, centred on 0."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, pgf_heatmap, text, transfer_axes

    n = len(entry.tasks)
    hover = [[_cell_hover(entry, i, j) for j in range(n)] for i in range(n)]
    figure = go.Figure(
        pgf_heatmap(entry.pgf_mean, hover),
        layout=layout(
            title={"text": f"{text(label)}: mean PGF over {len(entry.runs)} run(s)", "x": 0.02},
            **transfer_axes(entry.abbrev),
            height=max(380, 120 + 38 * n),
            width=max(460, 170 + 40 * n),
            margin={"l": 70, "r": 20, "t": 50, "b": 60},
        ),
    )
    return figure.to_plotly_json()


def _cell_hover(entry: ModelEntry, i: int, j: int) -> str:
    from tasktransfer.report.figures import text
    from tasktransfer.units import uncertainty

    source, target = entry.tasks[i], entry.tasks[j]
    lines = [
        f"<b>{text(source)}</b> → <b>{text(target)}</b>" + (" (in-task)" if i == j else ""),
        f"mean PGF {fmt(entry.pgf_mean[i][j])}, std over runs {fmt(entry.pgf_std[i][j])}",
    ]
    lines += uncertainty.hover_lines(entry, i, j)
    if entry.pgf_runs:
        lines.append(
            "per run: "
            + ", ".join(
                f"{text(run)}: {fmt(values[i][j])}"
                for run, values in zip(entry.runs, entry.pgf_runs, strict=True)
            )
        )
    if entry.accuracy:
        zero_shot, finetuned = entry.accuracy["zero_shot"], entry.accuracy["finetuned"]
        lines.append(f"accuracy on {text(target)}, zero-shot → finetuned:")
        lines += [
            f"{text(run)}: {fmt(zero_shot[r][j])} → {fmt(finetuned[r][i][j])}"
            for r, run in enumerate(entry.runs)
        ]
    return "<br>".join(lines)


UNIT = AnalysisUnit(
    "pgf", compute=compute, model_findings=model_findings, model_section=model_section
)
