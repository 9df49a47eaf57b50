"""Ground-truth recovery: on the synthetic suite, does transfer follow the declared skills?

Each synthetic generator declares the latent skills a solver needs; two tasks' skill
overlap (the Jaccard index of their skill sets) is the transfer expected before any study.
Per model, the Spearman correlation of the off-diagonal mean PGF (every ordered pair
source -> target) with that overlap, with a one-sided permutation p-value over task labels
(:func:`tasktransfer.analysis.recovery.recovery`; all relabellings up to 10,000, else
10,000 drawn with the analysis's ``seed``); and the same for the format-controlled mean
PGF (``pgf_mean_controlled``, added by the format-control unit where per-question option
scores exist).

The unit runs only when the analysis knows the tasks' declared skills
(``Options.skills``): a study whose ``config.yaml`` reads ``eval_data.source: synthetic``,
or ``tasktransfer analyze --skills synthetic``. BLINK tasks bear the same names and declare
nothing: without the synthetic source the unit adds nothing.

The relabellings permute tasks that play the same part, so in a rectangular study (targets
beyond its sources) the test runs on the tasks that are both a source and a target, and
the summary says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.recovery import recovery, skill_overlap
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import fmt, fmt_p, plural

KEY = "recovery"
CONTROLLED = "pgf_mean_controlled"  # the format-control unit's per-model key
N_PERMUTATIONS = 10_000


def of(entry: ModelEntry) -> dict | None:
    """The model's ground-truth recovery, or None when the tasks' skills are not known.

    ``tasks`` (the model's tasks with declared skills, in its order), ``skills`` (task ->
    declared skills), ``overlap`` (Jaccard, task x task), ``spearman`` (None when
    undefined), ``p`` (one-sided: more overlap, more transfer), ``n_pairs``,
    ``n_permutations`` (relabellings compared, the observed one included), ``exact``, and
    ``controlled`` (``{spearman, p, n_pairs}`` for the format-controlled mean PGF, None
    without it).
    """
    return entry.sections.get(KEY)


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model, when ``options.skills`` declares its tasks' skills."""
    if not options.skills:
        return Contribution()
    out = {}
    for label, entry in analysis.models.items():
        tasks = [t for t in entry.square_part if t in options.skills]
        if tasks:
            out[label] = {KEY: _recovery(entry, tasks, options)}
    return Contribution(models=out)


def _recovery(entry: ModelEntry, tasks: list[str], options: Options) -> dict:
    index = [entry.tasks.index(t) for t in tasks]
    overlap = skill_overlap(options.skills, tasks)

    def correlate(matrix):
        pgf = np.array(matrix, dtype=float)[np.ix_(index, index)]
        return recovery(pgf, overlap, n_permutations=N_PERMUTATIONS, seed=options.seed)

    controlled = entry.sections.get(CONTROLLED)
    if controlled is not None:
        found = correlate(controlled)
        controlled = {k: found[k] for k in ("spearman", "p", "n_pairs")}
    return {
        "tasks": tasks,
        "skills": {t: list(options.skills[t]) for t in tasks},
        **correlate(entry.pgf_mean),
        "controlled": controlled,
        "overlap": overlap.tolist(),
    }


def _how(found: dict) -> str:
    if found["exact"]:
        return f"all {found['n_permutations']:,} relabellings"
    return f"{found['n_permutations'] - 1:,} random relabellings"


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    if found is None:
        return []
    text = "**Ground-truth recovery** (synthetic suite, declared skills): "
    if not entry.is_square:
        text += (
            f"on the {plural(len(found['tasks']), 'task')} that are both a source and a target "
            f"({', '.join(found['tasks'])}), "
        )
    if found["spearman"] is None:
        text += (
            f"no correlation over {plural(found['n_pairs'], 'ordered pair')} of "
            f"{plural(len(found['tasks']), 'task')}: too few pairs, or the skill overlap "
            "(or the PGF) is the same for every pair."
        )
        return [text]
    text += (
        f"the off-diagonal mean PGF follows the skill overlap (Jaccard) with Spearman "
        f"{fmt(found['spearman'])} over {plural(found['n_pairs'], 'ordered pair')} "
        f"(one-sided permutation p {fmt_p(found['p'])}, {_how(found)} of the tasks)."
    )
    controlled = found["controlled"]
    if controlled is None:
        text += " The format-controlled PGF is not available (it needs per-question option scores)."
    else:
        text += (
            f" Format-controlled: Spearman {fmt(controlled['spearman'])} "
            f"(p {fmt_p(controlled['p'])})."
        )
    return [text]


def model_section(
    label: str, entry: ModelEntry, analysis: Analysis, prefix: str
) -> ReportSection | None:
    found = of(entry)
    if found is None:
        return None
    rows = [("raw mean PGF", found)]
    if found["controlled"] is not None:
        rows.append(("format-controlled mean PGF", found["controlled"]))
    div = f"{prefix}-recovery"
    html = fragment(
        """<p class="hint">Skill overlap: the Jaccard index of the skills the synthetic
generators declare (a hypothesis fixed before any study). Spearman over every ordered pair
of different tasks (source → target); p: one-sided, from relabellings of the tasks ({{ how
}}).{% if not controlled %} The format-controlled PGF needs per-question option scores.{%
endif %}</p>
<table>
<thead><tr><th>PGF</th><th>Spearman</th><th>p</th><th>pairs</th></tr></thead>
<tbody>
{% for name, r in rows %}<tr><td>{{ name }}</td><td>{{ fmt(r.spearman) }}</td>
<td>{{ fmt_p(r.p) }}</td><td>{{ r.n_pairs }}</td></tr>
{% endfor %}</tbody>
</table>
<div class="figure" id="{{ div }}"></div>""",
        rows=rows,
        how=_how(found),
        controlled=found["controlled"] is not None,
        fmt=fmt,
        fmt_p=fmt_p,
        div=div,
    )
    return ReportSection("Ground-truth recovery", html, figures={div: scatter_figure(label, entry)})


def scatter_figure(label: str, entry: ModelEntry) -> dict:
    """Mean PGF against skill overlap, one point per ordered pair (raw, and controlled)."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, text

    found = of(entry)
    tasks = found["tasks"]
    index = [entry.tasks.index(t) for t in tasks]
    pairs = [(i, j) for i in range(len(tasks)) for j in range(len(tasks)) if i != j]
    matrices = [("raw", entry.pgf_mean)]
    if found["controlled"] is not None:
        matrices.append(("format-controlled", entry.sections[CONTROLLED]))
    traces = []
    for name, matrix in matrices:
        pgf = np.array(matrix, dtype=float)[np.ix_(index, index)]
        shown = [(i, j) for i, j in pairs if np.isfinite(pgf[i, j])]
        traces.append(
            go.Scatter(
                x=[found["overlap"][i][j] for i, j in shown],
                y=[float(pgf[i, j]) for i, j in shown],
                mode="markers",
                name=name,
                customdata=[f"{text(tasks[i])} → {text(tasks[j])}" for i, j in shown],
                hovertemplate="%{customdata}<br>overlap %{x:.2f}<br>PGF %{y:.3f}<extra></extra>",
            )
        )
    figure = go.Figure(
        traces,
        layout=layout(
            title={"text": f"{text(label)}: mean PGF against skill overlap", "x": 0.02},
            xaxis={"title": {"text": "skill overlap (Jaccard)"}, "zeroline": False},
            yaxis={"title": {"text": "mean PGF (source → target)"}},
            height=420,
            width=560,
        ),
    )
    return figure.to_plotly_json()


UNIT = AnalysisUnit(
    KEY, compute=compute, model_findings=model_findings, model_section=model_section
)
