"""What the page's plotly figures share: escaped text, layout, task axes, colours.

The figures themselves belong to the analysis units (:mod:`tasktransfer.units`), except
the study's answer letters (:func:`answers_figure`), which no analysis computes. Every
builder returns ``fig.to_plotly_json()`` and computes no statistic. Every task or model
name is passed through :func:`text` first: plotly draws labels and hover text as a small
HTML subset, so a name must reach it as escaped text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import plotly.colors
import plotly.graph_objects as go

from tasktransfer.contracts.analysis import AnswerRow, ModelEntry

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


def layout(**kwargs) -> dict:
    """The page's common plotly layout, updated with ``kwargs``."""
    return {
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"align": "left", "font": {"size": 12}},
        **kwargs,
    }


def task_axis(abbrev: Sequence[str], title: str) -> dict:
    """An axis of tasks, labelled by their (escaped) abbreviations."""
    # Numeric positions with tick text: two tasks sharing an abbreviation stay apart.
    return {
        "title": {"text": title},
        "tickmode": "array",
        "tickvals": list(range(len(abbrev))),
        "ticktext": [text(a) for a in abbrev],
        "showgrid": False,
        "zeroline": False,
    }


def transfer_axes(
    abbrev: Sequence[str],
    targets: Sequence[str] | None = None,
    *,
    shared: int | None = None,
    axis: str = "",
) -> dict:
    """The axes of a source x target matrix: targets along the bottom, sources down the side.

    Parameters
    ----------
    abbrev : sequence of str
        The sources (rows), top to bottom.
    targets : sequence of str or None, default=None
        The targets (columns), left to right; None: the same as the sources (square).
    shared : int or None, default=None
        How many leading columns are targets that are also sources. When fewer than the
        columns (a rectangular study), a dashed line parts off the targets that were never
        finetuned on, labelled above the matrix.
    axis : str, default=""
        The subplot's axis suffix (``"2"`` for ``xaxis2``/``yaxis2``).

    Examples
    --------
    >>> axes = transfer_axes(["RD", "CN"])
    >>> axes["xaxis"]["side"], axes["yaxis"]["autorange"], "shapes" in axes
    ('bottom', 'reversed', False)
    >>> rect = transfer_axes(["RD"], ["RD", "VS"], shared=1)
    >>> rect["shapes"][0]["x0"], rect["annotations"][0]["text"]
    (0.5, 'targets only →')
    >>> transfer_axes(["RD"], ["RD", "VS"], shared=1, axis="2")["shapes"][0]["yref"]
    'y2 domain'
    """
    targets = abbrev if targets is None else targets
    axes = {
        f"xaxis{axis}": {**task_axis(targets, "target (evaluated on)"), "side": "bottom"},
        f"yaxis{axis}": {**task_axis(abbrev, "source (finetuned on)"), "autorange": "reversed"},
    }
    if shared is None or shared >= len(targets):
        return axes
    divider = shared - 0.5
    axes["shapes"] = [
        {
            "type": "line",
            "xref": f"x{axis}",
            "yref": f"y{axis} domain",
            "x0": divider,
            "x1": divider,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#222", "width": 2, "dash": "dash"},
        }
    ]
    axes["annotations"] = [
        {
            "xref": f"x{axis}",
            "yref": f"y{axis} domain",
            "x": divider,
            "y": 1,
            "xanchor": "left",
            "yanchor": "bottom",
            "text": "targets only →",
            "showarrow": False,
            "font": {"size": 11},
        }
    ]
    return axes


def matrix_axes(entry: ModelEntry, axis: str = "") -> dict:
    """:func:`transfer_axes` of a model's sources x targets (:meth:`ModelEntry.rectangle`)."""
    return transfer_axes(
        [entry.abbrev[i] for i in entry.rows],
        [entry.abbrev[j] for j in entry.columns],
        shared=len(entry.square_part),
        axis=axis,
    )


def limit(matrix) -> float:
    """The largest finite ``|value|`` of a matrix (1 when none), for a symmetric colour scale.

    Examples
    --------
    >>> limit([[0.5, None], [-0.75, float("nan")]]), limit([[None]])
    (0.75, 1.0)
    """
    finite = [abs(v) for row in matrix for v in row if v is not None and math.isfinite(v)]
    return max(finite, default=0.0) or 1.0


def pgf_heatmap(matrix, hover, *, largest: float | None = None, **extra) -> dict:
    """A source x target PGF heatmap trace: diverging around 0, values printed, hover per cell.

    ``largest`` fixes the colour range (default: :func:`limit` of ``matrix``), so that
    several heatmaps can share one scale; ``extra`` goes to the trace as it is.

    Examples
    --------
    >>> trace = pgf_heatmap([[0.5, -0.25], [0.0, None]], [["a", "b"], ["c", "d"]])
    >>> trace["zmin"], trace["zmax"], trace["x"]
    (-0.5, 0.5, (0, 1))
    >>> pgf_heatmap([[0.5, -0.25, 0.1]], [["a", "b", "c"]])["x"]  # one source, three targets
    (0, 1, 2)
    """
    import plotly.graph_objects as go

    largest = limit(matrix) if largest is None else largest
    return go.Heatmap(
        z=matrix,
        x=list(range(len(matrix[0]) if len(matrix) else 0)),
        y=list(range(len(matrix))),
        customdata=hover,
        hovertemplate="%{customdata}<extra></extra>",
        colorscale=DIVERGING,
        zmid=0,
        zmin=-largest,
        zmax=largest,
        xgap=1,
        ygap=1,
        texttemplate="%{z:.2f}",
        textfont={"size": 10},
        colorbar={"title": {"text": "mean PGF", "side": "right"}, "thickness": 14},
        **extra,
    )


def answers_figure(
    label: str, rows: Sequence[AnswerRow], tasks: Sequence[str], abbrev: dict
) -> dict:
    """Answer letters per (source, target), summed over runs; flagged cells outlined.

    A cell collapsed in some run has a thick black outline; a cell with a format mismatch in
    some run (low letter mass: the scores read little of the model's answer) a dashed red
    one inside it, so a cell with both shows both.

    Parameters
    ----------
    label : str
        Model label.
    rows : sequence of AnswerRow
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
    cells: dict[tuple[str, str], list[AnswerRow]] = {}
    for row in rows:
        cells.setdefault((row["source"], row["target"]), []).append(row)
    z, labels, hover, flagged, mismatched = [], [], [], [], []
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
            if any(r.get("format_mismatch") for r in found):
                mismatched.append((x, y))
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
        layout=layout(
            title={"text": f"{text(label)}: answer letters per (source, target)", "x": 0.02},
            xaxis=task_axis([abbrev.get(t, t) for t in targets], "target (evaluated on)"),
            yaxis={
                **task_axis([abbrev.get(s, s) for s in sources], "source (finetuned on)"),
                "autorange": "reversed",
            },
            height=max(380, 160 + 38 * len(sources)),
            width=max(520, 240 + 52 * len(targets)),
            margin={"l": 90, "r": 20, "t": 50, "b": 60},
            # A thick outline around each collapsed cell, exactly on the cell's edges; a
            # dashed one just inside each mismatched cell.
            shapes=[_outline(x, y, 0.5, {"color": "#000", "width": 3}) for x, y in flagged]
            + [
                _outline(x, y, 0.42, {"color": "#b2182b", "width": 2, "dash": "dash"})
                for x, y in mismatched
            ],
        ),
    )
    return figure.to_plotly_json()


def _outline(x: int, y: int, half: float, line: dict) -> dict:
    """A rectangle of half-side ``half`` around cell ``(x, y)`` of a heatmap."""
    return {
        "type": "rect",
        "x0": x - half,
        "x1": x + half,
        "y0": y - half,
        "y1": y + half,
        "line": line,
    }


def _answers_hover(source: str, target: str, found: list[AnswerRow], totals: dict) -> str:
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
        mass = row.get("letter_mass")
        mass_text = "" if mass is None else f", letter mass {mass:.2f}"
        if row.get("format_mismatch"):
            mass_text += " <b>FORMAT MISMATCH</b>"
        lines.append(f"{text(row['run'])}: {counts or 'no answers'}{unparsed}{mass_text}{flag}")
    return "<br>".join(lines)
