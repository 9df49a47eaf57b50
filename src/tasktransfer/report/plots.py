"""PNG figures of one model of ``analysis.json``: the PGF heatmap and the transfer graph.

Figures are built with matplotlib's object API (no pyplot state, no GUI backend), so they
can be drawn from any thread or process without touching the user's matplotlib settings.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from tasktransfer.contracts.analysis import ModelEntry
from tasktransfer.files import write_atomic
from tasktransfer.units import graph as graph_unit

POSITIVE, NEGATIVE = "#2166ac", "#b2182b"  # the ends of the heatmap's RdBu map


def _save(fig, path) -> Path:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return write_atomic(path, buffer.getvalue())


def heatmap_png(label: str, entry: ModelEntry, path: str | Path) -> Path:
    """Mean PGF matrix, sources down, targets across, each cell annotated; in a rectangular
    study a dashed line parts off the targets that are only targets (on the right)."""
    from matplotlib.figure import Figure

    # None (NaN in JSON) becomes nan.
    mean = np.array(entry.rectangle(entry.pgf_mean), dtype=float).reshape(
        len(entry.rows), len(entry.columns)
    )
    sources = [entry.abbrev[i] for i in entry.rows]
    targets = [entry.abbrev[j] for j in entry.columns]
    limit = float(np.nanmax(np.abs(mean))) if np.isfinite(mean).any() else 1.0
    fig = Figure(figsize=(1.0 + 0.6 * len(targets), 0.6 * len(sources) + 0.8))
    ax = fig.add_subplot()
    image = ax.imshow(mean, cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set_xticks(range(len(targets)), targets)
    ax.set_yticks(range(len(sources)), sources)
    ax.set_xlabel("target (evaluated on)")
    ax.set_ylabel("source (finetuned on)")
    shared = len(entry.square_part)
    if shared < len(targets):
        ax.axvline(shared - 0.5, color="black", linewidth=2, linestyle="--")
        ax.set_xlabel("target (evaluated on); right of the dashed line: targets only")
    ax.set_title(f"{label}: mean PGF over {len(entry.runs)} runs")
    for (i, j), value in np.ndenumerate(mean):
        if np.isfinite(value):
            dark = abs(value) > 0.6 * limit
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")  # fmt: skip
    fig.colorbar(image, ax=ax, shrink=0.8, label="PGF")
    return _save(fig, path)


def graph_png(label: str, entry: ModelEntry, path: str | Path) -> Path:
    """Transfer graph: an arrow source -> target per edge, width by |PGF|, colour by sign."""
    import networkx as nx
    from matplotlib.figure import Figure

    names = dict(zip(entry.tasks, entry.abbrev, strict=True))
    found = graph_unit.of(entry)
    edges = found["edges"]
    graph = nx.DiGraph()
    graph.add_nodes_from(names.values())
    for e in edges:
        graph.add_edge(names[e["source"]], names[e["target"]], pgf=e["pgf"])
    fig = Figure(figsize=(7, 7))
    ax = fig.add_subplot()
    ax.set_axis_off()
    pos = nx.circular_layout(graph)
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color="#eeeeee", edgecolors="#444444",
                           node_size=900)  # fmt: skip
    nx.draw_networkx_labels(graph, pos, ax=ax, font_size=10)
    if edges:
        drawn = list(graph.edges(data="pgf"))
        nx.draw_networkx_edges(
            graph,
            pos,
            ax=ax,
            edgelist=[(u, v) for u, v, _ in drawn],
            edge_color=[POSITIVE if w > 0 else NEGATIVE for _, _, w in drawn],
            width=[0.5 + 3 * min(abs(w), 1.5) for _, _, w in drawn],
            arrowsize=14,
            node_size=900,
            connectionstyle="arc3,rad=0.12",  # a pair with edges both ways stays readable
        )
    threshold = found["threshold"]
    ax.set_title(f"{label}: |mean PGF| ≥ {threshold}, {len(edges)} edges (blue helps, red hurts)")
    return _save(fig, path)
