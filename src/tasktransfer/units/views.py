"""The paper's two explanatory views: PGF against the raw accuracy change (Table 1), and
the range of PGF on each target against its zero-shot accuracy with the floor (Fig. 9).

Both need the accuracies behind the PGF (:attr:`ModelEntry.accuracy`, results tables of
counts); a published PGF table gets a sentence saying so. The pure functions are in
:mod:`tasktransfer.analysis.views`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.metrics import mean_std
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.analysis.views import pgf_floor, pgf_ranges, rank_agreement
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.contracts.results import ZERO_SHOT
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import fmt, plural

KEY, TITLE = "views", "PGF, raw gain and the floor"
NEEDS = (
    "PGF against the raw accuracy change, and its range against zero-shot accuracy, need "
    "the accuracies behind the PGF: a results table of counts, not a published PGF table."
)


def of(entry: ModelEntry) -> dict | None:
    """``accuracy_change`` (run-mean finetuned minus zero-shot accuracy, a matrix),
    ``ranking`` (:func:`~tasktransfer.analysis.views.rank_agreement` of the off-diagonal
    cells), ``ranges`` (per run and target: ``zero_shot``, ``pgf_min``, ``pgf_max``,
    ``floor``, each shape (n_runs, n_tasks)), ``n_questions`` (task -> count, or None
    without predictions) and, where predictions score numeric answers, ``scored`` (those
    targets, left out of ``n_questions``); None without accuracies."""
    return entry.sections.get(KEY)


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model with accuracies: the accuracy change, the rank agreement, the ranges."""
    out = {}
    for m in models:
        if m.acc is None:
            continue
        change = mean_std(m.acc - m.acc0[:, None, :])[0]
        mean = np.asarray(analysis.models[m.model].pgf_mean, dtype=float)
        off = ~np.eye(len(m.tasks), dtype=bool)
        low, high = pgf_ranges(m.pgf, include_diagonal=options.include_diagonal)
        ceiling = np.array([options.ceilings.get(t, 1.0) for t in m.tasks])
        asked: dict[str, set[str]] = {}
        scored: set[str] = set()  # numeric targets: a question scores in [0, 1]
        for p in options.predictions.get(m.model, ()):
            if p.source == ZERO_SHOT:
                asked.setdefault(p.target, set()).add(p.idx)
            if p.score is not None:
                scored.add(p.target)
        out[m.model] = {
            KEY: {
                "accuracy_change": change.tolist(),
                "ranking": rank_agreement(mean[off], change[off]),
                "ranges": {
                    "zero_shot": m.acc0.tolist(),
                    "pgf_min": low.tolist(),
                    "pgf_max": high.tolist(),
                    "floor": pgf_floor(m.acc0, ceiling=ceiling).tolist(),
                },
                "n_questions": {t: len(asked[t]) for t in m.tasks if t in asked and t not in scored}
                or None,
            }
        }
        if scored:
            out[m.model][KEY]["scored"] = [t for t in m.tasks if t in scored]
    return Contribution(models=out)


def _floor_sentence(found: dict) -> str:
    sizes = found["n_questions"]
    bound = (
        "−acc0/(1 − acc0) (finetuned accuracy 0), so at least −(m − 1) on a target of m questions"
    )
    if sizes:
        # The largest target allows the most negative PGF: its bound holds for all.
        m = max(sizes.values())
        bound += f" (here m ≤ {m}: PGF ≥ −{m - 1})"
    if found.get("scored"):
        # A score in [0, 1] per question lets acc0 come as close to 1 as it likes.
        bound += (
            f"; on targets scored between 0 and 1 per question ({', '.join(found['scored'])}) "
            "no such bound holds"
        )
    return bound


def _percent(rank: dict) -> str:
    # The JSON turns a NaN share (fewer than 3 cells) into None.
    share = rank["discordant"]
    return "n/a" if share is None or share != share else f"{100 * share:.1f} %"


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    if found is None:
        return [f"**PGF and raw gain.** {NEEDS}"]
    rank = found["ranking"]
    lines = [
        f"**PGF and raw gain.** Over {plural(rank['n'], 'transfer cell')}, PGF and the raw "
        f"accuracy change rank the cells with Spearman ρ = {fmt(rank['spearman'], 2)} "
        f"(Kendall τ = {fmt(rank['kendall'], 2)}); {_percent(rank)} of cell pairs are "
        "ordered oppositely."
    ]
    ranges = found["ranges"]
    low = np.array(ranges["pgf_min"], dtype=float)
    if np.isfinite(low).any():
        r, t = np.unravel_index(np.nanargmin(low), low.shape)
        lines.append(
            f"**PGF range.** The floor of PGF is {_floor_sentence(found)}. The most negative "
            f"transfer is {fmt(low[r, t])} on {entry.tasks[t]} (run {entry.runs[r]}), whose "
            f"zero-shot accuracy {fmt(ranges['zero_shot'][r][t])} puts the floor at "
            f"{fmt(ranges['floor'][r][t])}."
        )
    return lines


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    found = of(entry)
    if found is None:
        return ReportSection(
            "PGF, raw gain and the floor", fragment('<p class="hint">{{ r }}</p>', r=NEEDS)
        )
    rank = found["ranking"]
    html = fragment(
        """<p class="hint">Left: each transfer cell's mean PGF against its mean raw accuracy
change; PGF divides the change by the gap to the ceiling, so the two rank the cells
differently (Spearman ρ = {{ rho }}, {{ disc }} of pairs ordered oppositely). Right: on each
target and run, the range of PGF over the sources against the zero-shot accuracy; the curve
is the floor {{ floor }}.</p>
<div class="figure" id="{{ a }}"></div><div class="figure" id="{{ b }}"></div>""",
        rho=fmt(rank["spearman"], 2),
        disc=_percent(rank),
        floor=_floor_sentence(found),
        a=f"{prefix}-raw",
        b=f"{prefix}-range",
    )
    return ReportSection(
        TITLE,
        html,
        figures={
            f"{prefix}-raw": raw_gain_figure(label, entry),
            f"{prefix}-range": range_figure(label, entry),
        },
    )


def raw_gain_figure(label: str, entry: ModelEntry) -> dict:
    """Mean PGF (y) against mean raw accuracy change (x), one point per transfer cell."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, text

    change = of(entry)["accuracy_change"]
    cells = [
        (i, j)
        for i in range(len(entry.tasks))
        for j in range(len(entry.tasks))
        if i != j and entry.pgf_mean[i][j] is not None and change[i][j] is not None
    ]
    figure = go.Figure(
        go.Scatter(
            x=[change[i][j] for i, j in cells],
            y=[entry.pgf_mean[i][j] for i, j in cells],
            mode="markers",
            marker={"size": 7, "color": "#3366aa", "opacity": 0.75},
            customdata=[
                f"{text(entry.tasks[i])} → {text(entry.tasks[j])}<br>raw change "
                f"{fmt(change[i][j])}, PGF {fmt(entry.pgf_mean[i][j])}"
                for i, j in cells
            ],
            hovertemplate="%{customdata}<extra></extra>",
        ),
        layout=layout(
            title={"text": f"{text(label)}: PGF against raw accuracy change", "x": 0.02},
            xaxis={"title": {"text": "mean accuracy change (finetuned − zero-shot)"},
                   "zeroline": True},
            yaxis={"title": {"text": "mean PGF"}, "zeroline": True},
            height=420,
        ),
    )  # fmt: skip
    return figure.to_plotly_json()


def range_figure(label: str, entry: ModelEntry) -> dict:
    """Per target and run, the PGF range over sources at its zero-shot accuracy, and the
    floor curve ``-x / (1 - x)``."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, text

    ranges = of(entry)["ranges"]
    figure = go.Figure()
    xs, ys, hover = [], [], []
    for r, run in enumerate(entry.runs):
        for t, task in enumerate(entry.tasks):
            x, low, high = (ranges[k][r][t] for k in ("zero_shot", "pgf_min", "pgf_max"))
            if x is None or low is None:
                continue
            xs += [x, x, None]
            ys += [low, high, None]
            line = (
                f"{text(task)}, run {text(run)}<br>zero-shot {fmt(x)}: PGF {fmt(low)} to "
                f"{fmt(high)}, floor {fmt(ranges['floor'][r][t])}"
            )
            hover += [line, line, None]
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers",
            name="PGF over sources (a target, a run)",
            line={"color": "#3366aa"},
            marker={"size": 6},
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    finite = [v for v in ys if v is not None]
    lowest = min([*finite, -1.0])
    grid = np.linspace(0, 1, 201)[:-1]
    floor = pgf_floor(grid)
    shown = floor >= 1.2 * lowest  # the curve runs to −∞ at 1; draw the part in view
    figure.add_trace(
        go.Scatter(
            x=grid[shown].tolist(),
            y=floor[shown].tolist(),
            mode="lines",
            name="floor −x / (1 − x)",
            line={"color": "#aa3333", "dash": "dash"},
            hoverinfo="skip",
        )
    )
    figure.update_layout(
        layout(
            title={"text": f"{text(label)}: PGF range against zero-shot accuracy", "x": 0.02},
            xaxis={"title": {"text": "zero-shot accuracy"}, "range": [0, 1]},
            yaxis={"title": {"text": "PGF"}, "zeroline": True},
            height=420,
            legend={"orientation": "h", "y": -0.2},
        )
    )
    return figure.to_plotly_json()


UNIT = AnalysisUnit(
    "views", compute=compute, model_findings=model_findings, model_section=model_section
)
