"""Interactive plotly figures of an ``analysis.json``, as plain dicts for the page.

Every builder takes parts of ``analysis.json`` (and, for hover details, the per-run PGF
of ``pgf_<model>.csv``) and returns ``fig.to_plotly_json()``; nothing here computes a
statistic. Every task or model name is passed through :func:`text` first: plotly draws
labels and hover text as a small HTML subset, so a name must reach it as escaped text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tasktransfer.analysis import TRANSFERABILITY_METRICS
from tasktransfer.report.summary import SYMBOL, fmt

POSITIVE, NEGATIVE = "#2166ac", "#b2182b"  # the ends of the heatmap's diverging scale
DIVERGING = plotly.colors.diverging.RdBu  # red (negative) .. white .. blue (positive)
METRIC_COLOURS = {
    "delta_pos": "#2166ac",
    "delta_neg": "#b2182b",
    "theta_pos": "#67a9cf",
    "theta_neg": "#ef8a62",
    "mean_pgf": "#444444",
    "in_task_gain": "#7b3294",
}
METRIC_NAMES = {
    "delta_pos": "Δ+ gives (helps others)",
    "delta_neg": "Δ− gives (hurts others)",
    "theta_pos": "Θ+ receives (helped)",
    "theta_neg": "Θ− receives (hurt)",
    "mean_pgf": "mean off-diagonal PGF",
    "in_task_gain": "mean in-task gain",
}
FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13}
# The graph's nodes lie on the unit circle; arrows stop this far from a node's centre.
NODE_RADIUS, PAIR_OFFSET = 0.085, 0.022


def text(value) -> str:
    """``value`` as escaped text for a plotly label (``<`` shows as ``<``, never a tag).

    Quotes stay as they are: plotly puts the text into SVG text nodes, and it decodes
    only a few entities (``&lt;``, ``&gt;``, ``&amp;`` among them, not ``&quot;``).

    Examples
    --------
    >>> print(text('<script>alert("x")</script> & co'))
    &lt;script&gt;alert("x")&lt;/script&gt; &amp; co
    """
    return html.escape(str(value), quote=False)


def _layout(**kwargs) -> dict:
    return {
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"align": "left", "font": {"size": 12}},
        **kwargs,
    }


def _task_axis(abbrev: Sequence[str], title: str) -> dict:
    # Numeric positions with tick text: two tasks sharing an abbreviation stay apart.
    return {
        "title": {"text": title},
        "tickmode": "array",
        "tickvals": list(range(len(abbrev))),
        "ticktext": [text(a) for a in abbrev],
        "showgrid": False,
        "zeroline": False,
    }


def _limit(matrix) -> float:
    finite = [abs(v) for row in matrix for v in row if v is not None and math.isfinite(v)]
    return max(finite, default=0.0) or 1.0


def heatmap_figure(label: str, entry: dict, runs_pgf: dict | None = None) -> dict:
    """The mean PGF, sources as rows and targets as columns, centred on 0.

    Parameters
    ----------
    label : str
        Model label.
    entry : dict
        The model's ``analysis.json`` entry (``tasks``, ``abbrev``, ``runs``, ``pgf_mean``,
        ``pgf_std``, optionally ``accuracy``).
    runs_pgf : dict or None
        ``(run, source, target) -> PGF`` read from ``pgf_<model>.csv``, for the hover.
    """
    tasks, runs, abbrev = entry["tasks"], entry["runs"], entry["abbrev"]
    mean = entry["pgf_mean"]
    hover = [
        [_cell_hover(entry, i, j, runs_pgf or {}) for j in range(len(tasks))]
        for i in range(len(tasks))
    ]
    limit = _limit(mean)
    figure = go.Figure(
        go.Heatmap(
            z=mean,
            x=list(range(len(tasks))),
            y=list(range(len(tasks))),
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            colorscale=DIVERGING,
            zmid=0,
            zmin=-limit,
            zmax=limit,
            xgap=1,
            ygap=1,
            texttemplate="%{z:.2f}",
            textfont={"size": 10},
            colorbar={"title": {"text": "mean PGF", "side": "right"}, "thickness": 14},
        ),
        layout=_layout(
            title={"text": f"{text(label)}: mean PGF over {len(runs)} run(s)", "x": 0.02},
            xaxis={**_task_axis(abbrev, "target (evaluated on)"), "side": "bottom"},
            yaxis={**_task_axis(abbrev, "source (finetuned on)"), "autorange": "reversed"},
            height=max(380, 120 + 38 * len(tasks)),
            width=max(460, 170 + 40 * len(tasks)),
            margin={"l": 70, "r": 20, "t": 50, "b": 60},
        ),
    )
    return figure.to_plotly_json()


def _cell_hover(entry: dict, i: int, j: int, runs_pgf: dict) -> str:
    tasks, runs = entry["tasks"], entry["runs"]
    source, target = tasks[i], tasks[j]
    lines = [
        f"<b>{text(source)}</b> → <b>{text(target)}</b>" + (" (in-task)" if i == j else ""),
        f"mean PGF {fmt(entry['pgf_mean'][i][j])}, std over runs {fmt(entry['pgf_std'][i][j])}",
    ]
    per_run = [
        f"{text(run)}: {fmt(runs_pgf[(run, source, target)])}"
        for run in runs
        if (run, source, target) in runs_pgf
    ]
    if per_run:
        lines.append("per run: " + ", ".join(per_run))
    accuracy = entry.get("accuracy")
    if accuracy:
        zero_shot, finetuned = accuracy["zero_shot"], accuracy["finetuned"]
        lines.append(f"accuracy on {text(target)}, zero-shot → finetuned:")
        lines += [
            f"{text(run)}: {fmt(zero_shot[r][j])} → {fmt(finetuned[r][i][j])}"
            for r, run in enumerate(runs)
        ]
    return "<br>".join(lines)


def circle_positions(n: int) -> list[tuple[float, float]]:
    """Node positions on the unit circle, the first at the top, clockwise.

    Examples
    --------
    >>> [(round(x, 6), round(y, 6)) for x, y in circle_positions(4)]
    [(0.0, 1.0), (1.0, 0.0), (0.0, -1.0), (-1.0, -0.0)]
    """
    return [(math.sin(2 * math.pi * k / n), math.cos(2 * math.pi * k / n)) for k in range(n)]


def graph_figure(label: str, entry: dict) -> tuple[dict, list[dict]]:
    """The transfer graph: task nodes on a circle; its edges are drawn by the page's script.

    Returns
    -------
    figure : dict
        Nodes only (trace 0) and an empty hover trace for edge midpoints (trace 1).
    edges : list of dict
        Every off-diagonal pair with a finite mean PGF: ``i``, ``j``, ``pgf``, the arrow's
        ends ``x0, y0, x1, y1``, its midpoint ``mx, my`` and its ``hover`` text. The
        script shows those with ``|pgf|`` at or above the slider's threshold.
    """
    tasks, abbrev = entry["tasks"], entry["abbrev"]
    positions = circle_positions(len(tasks))
    edges = []
    for i, source in enumerate(tasks):
        for j, target in enumerate(tasks):
            value = entry["pgf_mean"][i][j]
            if i == j or value is None or not math.isfinite(value):
                continue
            edges.append(
                {
                    "i": i,
                    "j": j,
                    "pgf": value,
                    **_arrow(positions[i], positions[j]),
                    "hover": f"<b>{text(source)}</b> → <b>{text(target)}</b><br>mean PGF "
                    f"{fmt(value)}, std over runs {fmt(entry['pgf_std'][i][j])}",
                }
            )
    transfer = entry["transferability"]
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
        layout=_layout(
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


def metric_bars_figure(label: str, entry: dict) -> dict:
    """Δ± (as a source) and Θ± (as a target) per task: mean bars with each run as a dot."""
    tasks, abbrev, runs = entry["tasks"], entry["abbrev"], entry["runs"]
    per_run = entry.get("transferability_runs") or {}
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
            colour = METRIC_COLOURS[metric]
            figure.add_trace(
                go.Bar(
                    x=x,
                    y=[entry["transferability"][t][metric] for t in tasks],
                    name=f"{METRIC_NAMES[metric]}, mean over runs",
                    marker_color=colour,
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
            values = per_run.get(metric, [])
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
        _layout(
            title={"text": f"{text(label)}: transferability and malleability", "x": 0.02},
            barmode="group",
            scattermode="group",
            height=560,
            margin={"l": 60, "r": 20, "t": 80, "b": 50},
            legend={"orientation": "h", "y": -0.08},
        )
    )
    figure.update_xaxes(_task_axis(abbrev, ""), row=1, col=1)
    figure.update_xaxes(_task_axis(abbrev, "task"), row=2, col=1)
    figure.update_yaxes(zeroline=True, zerolinecolor="#888", gridcolor="#eee")
    return figure.to_plotly_json()


def category_figure(label: str, entry: dict) -> dict:
    """Mean Δ± and Θ± of the tasks of each perceptual level and granularity."""
    by_fields = [by for by in ("level", "granularity") if entry["categories"][by]["means"]]
    figure = make_subplots(
        rows=1,
        cols=max(len(by_fields), 1),
        subplot_titles=[f"by {by}" for by in by_fields],
        shared_yaxes=True,
    )
    for col, by in enumerate(by_fields, start=1):
        means = entry["categories"][by]["means"]
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
        _layout(
            title={"text": f"{text(label)}: category means", "x": 0.02},
            barmode="group",
            height=380,
            margin={"l": 60, "r": 20, "t": 80, "b": 40},
            legend={"orientation": "h", "y": -0.15},
        )
    )
    figure.update_yaxes(zeroline=True, zerolinecolor="#888", gridcolor="#eee")
    return figure.to_plotly_json()


def scale_figure(trend: dict) -> dict:
    """Each task-mean metric across the models, ordered by size (or by input order)."""
    order = [text(m) for m in trend["order"]]
    figure = go.Figure()
    for metric, values in trend["metrics"].items():
        figure.add_trace(
            go.Scatter(
                x=order,
                y=values["values"],
                mode="lines+markers",
                name=f"{METRIC_NAMES.get(metric, text(metric))}: {values['direction']}",
                line={
                    "color": METRIC_COLOURS.get(metric),
                    "width": 2,
                    "dash": "solid" if metric in SYMBOL else "dash",
                },
                marker={"size": 8},
                hovertemplate=f"{METRIC_NAMES.get(metric, text(metric))}<br>%{{x}}: %{{y:.3f}}"
                "<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            title={"text": f"Across models, ordered by {text(trend['ordered_by'])}", "x": 0.02},
            height=420,
            margin={"l": 60, "r": 20, "t": 60, "b": 60},
            xaxis={"title": {"text": "model"}},
            yaxis={"title": {"text": "task mean"}, "zerolinecolor": "#888", "gridcolor": "#eee"},
        )
    )
    return figure.to_plotly_json()


def answers_figure(label: str, rows: list[dict], tasks: Sequence[str], abbrev: dict) -> dict:
    """Answer letters per (source, target), summed over runs; collapsed cells outlined.

    Parameters
    ----------
    label : str
        Model label.
    rows : list of dict
        The model's rows of ``study.json``'s ``answers``.
    tasks : sequence of str
        Target (column) order; sources follow it, with ``zero-shot`` (any source not in
        ``tasks``) first.
    abbrev : dict of str to str
        Abbreviation of each task.
    """
    sources = [s for s in dict.fromkeys(r["source"] for r in rows) if s not in tasks]
    sources += [t for t in tasks if any(r["source"] == t for r in rows)]
    targets = [t for t in tasks if any(r["target"] == t for r in rows)]
    cells: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        cells.setdefault((row["source"], row["target"]), []).append(row)
    z, labels, hover, flagged = [], [], [], []
    for y, source in enumerate(sources):
        z_row, label_row, hover_row = [], [], []
        for x, target in enumerate(targets):
            found = cells.get((source, target), [])
            totals: dict[str, int] = {}
            for row in found:
                for letter, count in row["answer_counts"].items():
                    totals[letter] = totals.get(letter, 0) + count
            answered = sum(totals.values())
            top = max(sorted(totals), key=totals.get) if totals else None
            z_row.append(totals[top] / answered if top else None)
            label_row.append(f"{text(top)} {totals[top] / answered:.0%}" if top else "")
            hover_row.append(_answers_hover(source, target, found, totals))
            if any(r["collapsed"] for r in found):
                flagged.append((x, y))
        z.append(z_row)
        labels.append(label_row)
        hover.append(hover_row)
    figure = go.Figure(
        [
            go.Heatmap(
                z=z,
                x=list(range(len(targets))),
                y=list(range(len(sources))),
                text=labels,
                texttemplate="%{text}",
                textfont={"size": 10},
                customdata=hover,
                hovertemplate="%{customdata}<extra></extra>",
                colorscale="Oranges",
                zmin=0,
                zmax=1,
                xgap=1,
                ygap=1,
                colorbar={
                    "title": {"text": "share of the<br>most frequent<br>letter"},
                    "thickness": 14,
                    "tickformat": ".0%",
                },
            ),
        ],
        layout=_layout(
            title={"text": f"{text(label)}: answer letters per (source, target)", "x": 0.02},
            xaxis=_task_axis([abbrev.get(t, t) for t in targets], "target (evaluated on)"),
            yaxis={
                **_task_axis([abbrev.get(s, s) for s in sources], "source (finetuned on)"),
                "autorange": "reversed",
            },
            height=max(380, 160 + 38 * len(sources)),
            width=max(520, 240 + 52 * len(targets)),
            margin={"l": 90, "r": 20, "t": 50, "b": 60},
            # A thick outline around each collapsed cell, exactly on the cell's edges.
            shapes=[
                {
                    "type": "rect",
                    "x0": x - 0.5,
                    "x1": x + 0.5,
                    "y0": y - 0.5,
                    "y1": y + 0.5,
                    "line": {"color": "#000", "width": 3},
                }
                for x, y in flagged
            ],
        ),
    )
    return figure.to_plotly_json()


def _answers_hover(source: str, target: str, found: list[dict], totals: dict) -> str:
    lines = [f"<b>{text(source)}</b> → <b>{text(target)}</b>"]
    answered = sum(totals.values())
    if answered:
        lines.append(
            "all runs: "
            + ", ".join(f"{text(k)} {v} ({v / answered:.0%})" for k, v in sorted(totals.items()))
        )
    for row in found:
        counts = ", ".join(f"{text(k)} {v}" for k, v in sorted(row["answer_counts"].items()))
        unparsed = f", unparsed {row['n_unparsed']}" if row.get("n_unparsed") else ""
        flag = " <b>COLLAPSED</b>" if row["collapsed"] else ""
        lines.append(f"{text(row['run'])}: {counts or 'no answers'}{unparsed}{flag}")
    return "<br>".join(lines)


ARM_COLOURS = {"zero-shot": "#999999", "direct": "#7b3294", "guided": POSITIVE, "random": "#ef8a62"}


def selection_figure(entries: list[dict]) -> dict:
    """Accuracy of each arm on its target (``selection.json``): mean bars, std as error bars.

    One group of bars per (model, target), one colour per arm, in the order of the entries.
    """
    groups = [
        text(e["target"]) if len({x["model"] for x in entries}) == 1 else
        f"{text(e['target'])} ({text(e['model'])})"
        for e in entries
    ]  # fmt: skip
    figure = go.Figure()
    arms = [a["arm"] for a in entries[0]["arms"]] if entries else []
    for k, arm in enumerate(arms):
        found = [e["arms"][k] for e in entries]
        figure.add_trace(
            go.Bar(
                x=groups,
                y=[a["acc_mean"] for a in found],
                error_y={"type": "data", "array": [a["acc_std"] for a in found], "visible": True},
                name=text(arm),
                marker_color=ARM_COLOURS.get(arm, "#444444"),
                customdata=[
                    [fmt(a["pgf_mean"]), fmt(a["pgf_std"]), a["n"], text(" ".join(a["labels"]))]
                    for a in found
                ],
                hovertemplate=f"{text(arm)}: accuracy %{{y:.3f}}<br>PGF %{{customdata[0]}} "
                "± %{customdata[1]}<br>%{customdata[2]} value(s): %{customdata[3]}"
                "<extra></extra>",
            )
        )
    figure.update_layout(
        _layout(
            title={"text": "Selection: accuracy on each target, by training data", "x": 0.02},
            barmode="group",
            height=420,
            margin={"l": 60, "r": 20, "t": 60, "b": 50},
            yaxis={"title": "accuracy (mean ± std)", "range": [0, 1], "gridcolor": "#eee"},
            legend={"orientation": "h", "y": -0.15},
        )
    )
    return figure.to_plotly_json()
