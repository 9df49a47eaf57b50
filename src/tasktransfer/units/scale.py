"""Scale: each model's summary across models ordered by size, and the trend of each metric.

The trend is also traced per perceptual level and granularity present in every model
(:func:`tasktransfer.analysis.scale_trend`); the page shows it for two or more models.
"""

from __future__ import annotations

from collections.abc import Sequence

from tasktransfer.analysis.categories import CATEGORY_FIELDS, scale_trend
from tasktransfer.analysis.metrics import TRANSFERABILITY_METRICS
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis
from tasktransfer.units import categories, transferability
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import SYMBOL, fmt

KEY, TREND = "scale", "scale_trend"
WORDS = {"increasing": "rises", "decreasing": "falls", "flat": "stays flat", "mixed": "moves"}
NAMES = {k: f"mean {v}" for k, v in SYMBOL.items()} | {
    "mean_pgf": "mean off-diagonal PGF",
    "in_task_gain": "mean in-task gain",
}


def trend_of(analysis: Analysis) -> dict:
    """:func:`scale_trend` of the models' summaries, with ``categories`` (field -> category
    -> metric -> values and direction)."""
    return analysis.sections[TREND]


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Across models: each model's summary in size order, and the trend of each metric."""
    summaries = {label: transferability.summary_of(e) for label, e in analysis.models.items()}
    known = {label: e.size_b for label, e in analysis.models.items() if e.size_b is not None}
    trend = scale_trend(summaries, sizes=known)
    trend["categories"] = _category_trends(analysis, known)
    scale = {label: summaries[label] for label in trend["order"]}
    return Contribution(shared={KEY: scale, TREND: trend})


def _category_trends(analysis: Analysis, sizes: dict) -> dict:
    """For each level and granularity present in every model, the trend of its metric means."""
    out: dict = {}
    for by in CATEGORY_FIELDS:
        means = {label: categories.of(e)[by]["means"] for label, e in analysis.models.items()}
        first = next(iter(means.values()))
        shared = [c for c in first if all(c in m for m in means.values())]
        out[by] = {
            category: scale_trend(
                {
                    label: {k: m[category][k] for k in TRANSFERABILITY_METRICS}
                    for label, m in means.items()
                },
                sizes=sizes,
            )["metrics"]
            for category in shared
        }
    return out


def findings(analysis: Analysis) -> list[str]:
    trend = trend_of(analysis)
    if len(trend["order"]) < 2:
        return []
    lines = []
    for metric, entry in trend["metrics"].items():
        values = " → ".join(fmt(v) for v in entry["values"])
        tail = " (no monotone trend)" if entry["direction"] == "mixed" else ""
        lines.append(f"- {NAMES.get(metric, metric)} {WORDS[entry['direction']]}: {values}{tail}")
    for by, found in trend.get("categories", {}).items():
        for category, metrics in found.items():
            moves = [
                f"{SYMBOL[m]} {WORDS[metrics[m]['direction']]} "
                f"({' → '.join(fmt(v) for v in metrics[m]['values'])})"
                for m in ("delta_pos", "theta_pos")
            ]
            lines.append(f"- {category}-{by} tasks: mean {' and mean '.join(moves)}")
    order = " < ".join(trend["order"])
    return [
        f"**Scale.** With the models ordered by {trend['ordered_by']} ({order}):",
        "\n".join(lines),
    ]


def section(analysis: Analysis) -> ReportSection | None:
    trend = trend_of(analysis)
    if len(trend["order"]) < 2:
        return None
    html = fragment(
        """<div class="figure" id="scale"></div>
<table>
<tr><th>metric</th>{% for label in trend.order %}<th>{{ label }}</th>{% endfor %}<th>trend</th></tr>
{% for metric, entry in trend.metrics.items() %}
<tr><td>{{ metric }}</td>{% for v in entry["values"] %}<td>{{ fmt(v) }}</td>{% endfor %}<td>{{ entry.direction }}</td></tr>
{% endfor %}
</table>""",  # noqa: E501
        trend=trend,
        fmt=fmt,
    )
    return ReportSection("Scale", html, figures={"scale": scale_figure(trend)})


def scale_figure(trend: dict) -> dict:
    """Each task-mean metric across the models, ordered by size (or by input order)."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import METRIC_COLOURS, METRIC_NAMES, layout, text

    order = [text(m) for m in trend["order"]]
    figure = go.Figure()
    for metric, values in trend["metrics"].items():
        name = METRIC_NAMES.get(metric, text(metric))
        figure.add_trace(
            go.Scatter(
                x=order,
                y=values["values"],
                mode="lines+markers",
                name=f"{name}: {values['direction']}",
                line={
                    "color": METRIC_COLOURS.get(metric),
                    "width": 2,
                    "dash": "solid" if metric in SYMBOL else "dash",
                },
                marker={"size": 8},
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.3f}}<extra></extra>",
            )
        )
    figure.update_layout(
        layout(
            title={"text": f"Across models, ordered by {text(trend['ordered_by'])}", "x": 0.02},
            height=420,
            margin={"l": 60, "r": 20, "t": 60, "b": 60},
            xaxis={"title": {"text": "model"}},
            yaxis={"title": {"text": "task mean"}, "zerolinecolor": "#888", "gridcolor": "#eee"},
        )
    )
    return figure.to_plotly_json()


UNIT = AnalysisUnit("scale", compute=compute, findings=findings, section=section)
