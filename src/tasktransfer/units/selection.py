"""The selection experiment: PGF-guided training data against random and direct data.

Its table is computed by the study that trains the arms
(:func:`tasktransfer.analysis.experiment.compare_arms`, written as ``selection.json`` beside
``analysis.json``), so this unit has no ``compute``: it reads the entries that
:func:`tasktransfer.contracts.read_analysis` attaches to the analysis.
"""

from __future__ import annotations

from tasktransfer.contracts.analysis import Analysis
from tasktransfer.units.base import AnalysisUnit, ReportSection, fragment
from tasktransfer.units.text import fmt, plural

ARM_COLOURS = {
    "zero-shot": "#999999",
    "direct": "#7b3294",
    "guided": "#2166ac",
    "random": "#ef8a62",
}


def findings(analysis: Analysis) -> list[str]:
    """How often guided data beat random and direct, then each target's verdict."""
    entries = analysis.selection
    if not entries:
        return []
    several = len({e["model"] for e in entries}) > 1

    def count(key: str) -> str:
        measured = [e[key] for e in entries if e[key] is not None]
        return f"{sum(measured)} of {plural(len(measured), 'target')}"

    return [
        "## PGF-guided data selection",
        f"The PGF-guided mixture beat the mean of the random mixtures on "
        f"{count('guided_beats_random')} (mean accuracy on the target, over runs), and "
        f"direct finetuning on the target's own data on {count('guided_beats_direct')}.",
        "\n".join(f"- {e['model'] + ': ' if several else ''}{e['verdict']}" for e in entries),
    ]


def section(analysis: Analysis) -> ReportSection | None:
    entries = analysis.selection
    if not entries:
        return None
    html = fragment(
        """<p class="hint">Per target: the un-finetuned model (zero-shot), finetuning on the
target's own data (direct), on the PGF-guided mixture (guided) and on random mixtures of the
guided one's size (random). Accuracy on the target and PGF relative to zero-shot, mean ± std
over runs (and over the random mixtures). Guided wins when its mean accuracy is strictly
higher.</p>
<div class="figure" id="selection"></div>
<table>
<tr><th>model</th><th>target</th><th>arm</th><th>mixtures</th><th>n</th><th>accuracy</th><th>PGF</th></tr>
{% for e in entries %}{% for a in e.arms %}
<tr><td>{{ e.model }}</td><td>{{ e.target }}</td><td>{{ a.arm }}</td><td>{{ a.labels | join(" ") }}</td><td>{{ a.n }}</td>
<td>{{ fmt(a.acc_mean) }} ± {{ fmt(a.acc_std) }}</td><td>{{ fmt(a.pgf_mean) }} ± {{ fmt(a.pgf_std) }}</td></tr>
{% endfor %}{% endfor %}
</table>
<ul>
{% for e in entries %}<li{% if not e.guided_beats_random %} class="flag"{% endif %}>{{ e.verdict }}{% if e.notes %} Rule notes: {{ e.notes | join("; ") }}{% endif %}</li>
{% endfor %}
</ul>""",  # noqa: E501
        entries=entries,
        fmt=fmt,
    )
    return ReportSection(
        "Selection experiment",
        html,
        figures={"selection": selection_figure(entries)},
        nav="Selection",
    )


def selection_figure(entries: list[dict]) -> dict:
    """Accuracy of each arm on its target (``selection.json``): mean bars, std as error bars.

    One group of bars per (model, target), one colour per arm, in the order of the entries.
    """
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, text

    several = len({e["model"] for e in entries}) > 1
    groups = [
        f"{text(e['target'])} ({text(e['model'])})" if several else text(e["target"])
        for e in entries
    ]
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
        layout(
            title={"text": "Selection: accuracy on each target, by training data", "x": 0.02},
            barmode="group",
            height=420,
            margin={"l": 60, "r": 20, "t": 60, "b": 50},
            yaxis={"title": "accuracy (mean ± std)", "range": [0, 1], "gridcolor": "#eee"},
            legend={"orientation": "h", "y": -0.15},
        )
    )
    return figure.to_plotly_json()


UNIT = AnalysisUnit("selection", findings=findings, section=section)
