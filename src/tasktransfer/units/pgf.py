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
from tasktransfer.units.text import fmt, plural

IN_TASK_GAIN = "in_task_gain"


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """The diagonal of the mean matrix: each task's gain from finetuning on itself (the
    sources that are also targets, in a rectangular study)."""
    gains = {}
    for label, entry in analysis.models.items():
        shared = set(entry.square_part)
        gains[label] = {
            IN_TASK_GAIN: {
                task: entry.pgf_mean[i][i] for i, task in enumerate(entry.tasks) if task in shared
            }
        }
    return Contribution(models=gains)


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    summary = transferability.summary_of(entry)
    lines = [] if entry.is_square else [shape_sentence(entry)]
    return lines + [
        f"**Overall.** Finetuning on one task moves the others by a mean PGF of "
        f"{fmt(summary['mean_pgf'])}, against an in-task gain of "
        f"{fmt(summary['in_task_gain'])}."
    ]


def shape_sentence(entry: ModelEntry) -> str:
    """What a rectangular study measured: its sources, its targets, its in-task entries.

    Examples
    --------
    >>> entry = ModelEntry(["A", "B", "V"], ["A", "B"], ["A", "B", "V"], ["r"],
    ...                    [], [], [], ["A", "B", "V"])
    >>> print(shape_sentence(entry))  # doctest: +NORMALIZE_WHITESPACE
    **Rectangular study.** 2 sources x 3 targets: V is evaluated but never finetuned on,
    so it has a column and no row; the in-task gain exists for the 2 sources that are
    also targets.
    """
    only = [t for t in entry.targets if t not in entry.sources]
    unevaluated = [t for t in entry.sources if t not in entry.targets]
    text = (
        f"**Rectangular study.** {plural(len(entry.sources), 'source')} x "
        f"{plural(len(entry.targets), 'target')}: "
    )
    if only:
        verb = "is" if len(only) == 1 else "are"
        pronoun = "it has a column and no row" if len(only) == 1 else "they have columns, no rows"
        text += f"{', '.join(only)} {verb} evaluated but never finetuned on, so {pronoun}; "
    if unevaluated:
        text += f"{', '.join(unevaluated)} never evaluated (rows, no columns); "
    shared = len(entry.square_part)
    return (
        text + f"the in-task gain exists for the {plural(shared, 'source')} that "
        f"{'is' if shared == 1 else 'are'} also {'a target' if shared == 1 else 'targets'}."
    )


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    div = f"{prefix}-heatmap"
    html = fragment(
        """<p class="hint">PGF is the share of the gap to perfect accuracy that finetuning on
the source (row) closes on the target (column); negative values are accuracy lost. Blue
cells help, red ones hurt. Hover a cell for the spread over runs and each run's value.</p>
<div class="figure" id="{{ div }}" data-rows="{{ n }}"></div>""",
        div=div,
        n=len(entry.rows),
    )
    return ReportSection("Transfer matrix", html, figures={div: heatmap_figure(label, entry)})


def heatmap_figure(label: str, entry: ModelEntry) -> dict:
    """The mean PGF, sources as rows and targets as columns, centred on 0; in a
    rectangular study the targets that are only targets stand apart on the right."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, matrix_axes, pgf_heatmap, text

    rows, columns = entry.rows, entry.columns
    hover = [[_cell_hover(entry, i, j) for j in columns] for i in rows]
    figure = go.Figure(
        pgf_heatmap(entry.rectangle(entry.pgf_mean), hover),
        layout=layout(
            title={"text": f"{text(label)}: mean PGF over {len(entry.runs)} run(s)", "x": 0.02},
            **matrix_axes(entry),
            height=max(380, 120 + 38 * len(rows)),
            width=max(460, 170 + 40 * len(columns)),
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
