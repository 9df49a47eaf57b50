"""Categories: the mean Δ± and Θ± of the tasks of each perceptual level and granularity.

Labels come from the task registry (a ``--labels`` file may override them); the section
also holds the mean off-diagonal PGF between categories (:func:`block_means`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.categories import CATEGORY_FIELDS, block_means, category_means
from tasktransfer.analysis.metrics import TRANSFERABILITY_METRICS
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units import transferability
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import SYMBOL, fmt

KEY = "categories"


def of(entry: ModelEntry) -> dict:
    """Per field (``level``, ``granularity``): ``means`` (category -> metric means and
    ``tasks``) and ``pgf_blocks``."""
    return entry.sections[KEY]


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model and field: each category's metric means and the between-category PGF."""
    out = {}
    for label, entry in analysis.models.items():
        means = transferability.of(entry)
        averaged = {
            k: np.array([means[t][k] for t in entry.tasks]) for k in TRANSFERABILITY_METRICS
        }
        mean = np.asarray(entry.pgf_mean, dtype=float)
        out[label] = {
            KEY: {
                by: {
                    "means": category_means(
                        averaged, entry.tasks, by=by, registry=options.registry
                    ),
                    "pgf_blocks": block_means(mean, entry.tasks, by=by, registry=options.registry),
                }
                for by in CATEGORY_FIELDS
            }
        }
    return Contribution(models=out)


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    parts = []
    for by, suffix in (("level", "-level"), ("granularity", "-granularity")):
        means = of(entry)[by]["means"]
        for metric, role in (("delta_pos", "give"), ("theta_pos", "receive")):
            ranked = [(c, v[metric]) for c, v in means.items() if v[metric] is not None]
            if len(ranked) < 2:
                continue
            best = max(ranked, key=lambda cv: cv[1])
            listed = ", ".join(f"{c} {fmt(v)}" for c, v in ranked)
            parts.append(f"{best[0]}{suffix} tasks {role} the most ({SYMBOL[metric]}: {listed})")
    if not parts:
        return ["**Categories.** Too few categories among these tasks to compare."]
    text = "; ".join(parts)
    return [
        f"**Categories.** {text[0].upper()}{text[1:]}. (Labels from the task registry; "
        "`tasktransfer tasks ls` shows which are the paper's and which are inferred.)"
    ]


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    div = f"{prefix}-categories"
    html = fragment('<div class="figure" id="{{ div }}"></div>', div=div)
    return ReportSection("Categories", html, figures={div: category_figure(label, entry)})


def category_figure(label: str, entry: ModelEntry) -> dict:
    """Mean Δ± and Θ± of the tasks of each perceptual level and granularity."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from tasktransfer.report.figures import METRIC_COLOURS, METRIC_NAMES, layout, text

    found = of(entry)
    by_fields = [by for by in CATEGORY_FIELDS if found[by]["means"]]
    figure = make_subplots(
        rows=1,
        cols=max(len(by_fields), 1),
        subplot_titles=[f"by {by}" for by in by_fields],
        shared_yaxes=True,
    )
    for col, by in enumerate(by_fields, start=1):
        means = found[by]["means"]
        categories = list(means)
        for metric in TRANSFERABILITY_METRICS:
            figure.add_trace(
                go.Bar(
                    x=[text(c) for c in categories],
                    y=[means[c][metric] for c in categories],
                    name=METRIC_NAMES[metric],
                    marker_color=METRIC_COLOURS[metric],
                    showlegend=col == 1,
                    legendgroup=metric,
                    customdata=[
                        f"{text(c)}: {len(means[c]['tasks'])} task(s)<br>"
                        + ", ".join(text(t) for t in means[c]["tasks"])
                        for c in categories
                    ],
                    hovertemplate=f"%{{customdata}}<br>{SYMBOL[metric]} %{{y:.3f}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
    figure.update_layout(
        layout(
            title={"text": f"{text(label)}: category means", "x": 0.02},
            barmode="group",
            height=380,
            margin={"l": 60, "r": 20, "t": 80, "b": 40},
            legend={"orientation": "h", "y": -0.15},
        )
    )
    figure.update_yaxes(zeroline=True, zerolinecolor="#888", gridcolor="#eee")
    return figure.to_plotly_json()


UNIT = AnalysisUnit(
    "categories", compute=compute, model_findings=model_findings, model_section=model_section
)
