"""The transfer graph: an edge source -> target where ``|mean PGF|`` reaches a threshold.

``analysis.json`` holds the edges at the analysis threshold; the page draws every edge
and lets the reader move the threshold and filter by sign (``report.js``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.graphs import transfer_graph
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import fmt

KEY = "graph"
# The graph's nodes lie on the unit circle; arrows stop this far from a node's centre.
NODE_RADIUS, PAIR_OFFSET = 0.085, 0.022


def of(entry: ModelEntry) -> dict:
    """``{"threshold": x, "edges": [{"source", "target", "pgf"}, ...]}``, strongest first."""
    return entry.sections[KEY]


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model: the edges of the mean matrix at the analysis threshold."""
    out = {}
    for label, entry in analysis.models.items():
        mean = np.asarray(entry.pgf_mean, dtype=float)
        edges = transfer_graph(mean, entry.tasks, threshold=options.threshold)
        out[label] = {KEY: {"threshold": options.threshold, "edges": edges}}
    return Contribution(models=out)


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    graph = of(entry)
    edges = graph["edges"]
    positive = sum(e["pgf"] > 0 for e in edges)
    text = (
        f"**Transfer graph.** At |PGF| ≥ {graph['threshold']} the transfer graph has "
        f"{len(edges)} edges ({positive} positive, {len(edges) - positive} negative)"
    )
    if edges:
        top = edges[0]
        text += f"; the strongest is {top['source']} → {top['target']} (PGF {fmt(top['pgf'], 2)})"
    only = [t for t in entry.targets if t not in entry.sources]
    if only:  # a rectangular study: these nodes have no row, so edges only reach them
        text += f"; {', '.join(only)}, never finetuned on, can only receive edges"
    return [text + "."]


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    div = f"{prefix}-graph"
    figure, edges = graph_figure(label, entry)
    threshold = of(entry)["threshold"]
    largest = max((abs(e["pgf"]) for e in edges), default=threshold)
    html = fragment(
        TEMPLATE,
        id=div,
        threshold=threshold,
        # The slider spans every edge; rounded up so the strongest edge can be isolated.
        slider_max=max(threshold, int(largest * 100 + 1) / 100),
    )
    return ReportSection(
        "Transfer graph",
        html,
        figures={div: figure},
        graphs={div: {"tasks": entry.tasks, "edges": edges}},
    )


TEMPLATE = """<div class="controls">
<label>|mean PGF| ≥ <span id="{{ id }}-threshold-value">{{ threshold }}</span><br>
<input type="range" id="{{ id }}-threshold" min="0" max="{{ slider_max }}" step="0.01" value="{{ threshold }}" aria-label="edge threshold"></label>
<span role="radiogroup" aria-label="edge sign">
<label><input type="radio" name="{{ id }}-sign" value="all" checked> all</label>
<label><input type="radio" name="{{ id }}-sign" value="positive"> positive</label>
<label><input type="radio" name="{{ id }}-sign" value="negative"> negative</label>
</span>
</div>
<p class="hint"><span id="{{ id }}-count"></span>.
Arrow source → target: <span class="swatch" style="background:#2166ac"></span>helps,
<span class="swatch" style="background:#b2182b"></span>hurts; width grows with |PGF|.</p>
<p class="hint" id="{{ id }}-selected"></p>
<div class="figure" id="{{ id }}"></div>"""  # noqa: E501 (one input element per line)


def circle_positions(n: int) -> list[tuple[float, float]]:
    """Node positions on the unit circle, the first at the top, clockwise.

    Examples
    --------
    >>> [(round(x, 6), round(y, 6)) for x, y in circle_positions(4)]
    [(0.0, 1.0), (1.0, 0.0), (0.0, -1.0), (-1.0, -0.0)]
    """
    return [(math.sin(2 * math.pi * k / n), math.cos(2 * math.pi * k / n)) for k in range(n)]


def graph_figure(label: str, entry: ModelEntry) -> tuple[dict, list[dict]]:
    """The transfer graph: task nodes on a circle; its edges are drawn by the page's script.

    Returns
    -------
    figure : dict
        Nodes only (trace 1) and an empty hover trace for edge midpoints (trace 0).
    edges : list of dict
        Every off-diagonal pair with a finite mean PGF: ``i``, ``j``, ``pgf``, the arrow's
        ends ``x0, y0, x1, y1``, its midpoint ``mx, my`` and its ``hover`` text. The
        script shows those with ``|pgf|`` at or above the slider's threshold.
    """
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, text
    from tasktransfer.units.text import SYMBOL
    from tasktransfer.units.transferability import of as transferability_of

    tasks, abbrev = entry.tasks, entry.abbrev
    positions = circle_positions(len(tasks))
    edges = []
    for i, source in enumerate(tasks):
        for j, target in enumerate(tasks):
            value = entry.pgf_mean[i][j]
            if i == j or value is None or not math.isfinite(value):
                continue
            edges.append(
                {
                    "i": i,
                    "j": j,
                    "pgf": value,
                    **_arrow(positions[i], positions[j]),
                    "hover": f"<b>{text(source)}</b> → <b>{text(target)}</b><br>mean PGF "
                    f"{fmt(value)}, std over runs {fmt(entry.pgf_std[i][j])}",
                }
            )
    transfer = transferability_of(entry)
    nodes = go.Scatter(
        x=[p[0] for p in positions],
        y=[p[1] for p in positions],
        mode="markers+text",
        text=[text(a) for a in abbrev],
        textfont={"size": 12, "color": "#111"},
        marker={"size": 36, "color": "#f2f2f2", "line": {"color": "#444", "width": 1.5}},
        hovertext=[
            f"<b>{text(t)}</b> ({text(a)})<br>{SYMBOL['delta_pos']} {fmt(transfer[t]['delta_pos'])}"
            f", {SYMBOL['theta_pos']} {fmt(transfer[t]['theta_pos'])}<br>click: highlight its edges"
            for t, a in zip(tasks, abbrev, strict=True)
        ],
        hoverinfo="text",
        name="tasks",
        showlegend=False,
        cliponaxis=False,
    )
    midpoints = go.Scatter(
        x=[],
        y=[],
        mode="markers",
        marker={"size": 7, "opacity": 0.0},
        hoverinfo="text",
        hovertext=[],
        name="edges",
        showlegend=False,
    )
    axis = {"visible": False, "range": [-1.25, 1.25], "fixedrange": True}
    figure = go.Figure(
        [midpoints, nodes],
        layout=layout(
            title={"text": f"{text(label)}: transfer graph", "x": 0.02},
            xaxis=axis,
            yaxis={**axis, "scaleanchor": "x"},
            height=560,
            width=560,
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
            hovermode="closest",
            dragmode=False,
        ),
    )
    return figure.to_plotly_json(), edges


def _arrow(start: tuple[float, float], end: tuple[float, float]) -> dict:
    # Stop at the nodes' rims, and shift sideways so that i -> j and j -> i stay apart.
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    nx, ny = uy * PAIR_OFFSET, -ux * PAIR_OFFSET
    x0, y0 = start[0] + ux * NODE_RADIUS + nx, start[1] + uy * NODE_RADIUS + ny
    x1, y1 = end[0] - ux * NODE_RADIUS + nx, end[1] - uy * NODE_RADIUS + ny
    return {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "mx": (x0 + x1) / 2, "my": (y0 + y1) / 2}


UNIT = AnalysisUnit(
    "graph", compute=compute, model_findings=model_findings, model_section=model_section
)
