"""Cliques: groups of three or more tasks that help (or hurt) each other both ways.

An edge joins two tasks when the mean PGF passes ``tau`` in both directions; every maximal
clique is reported, largest first, with the share of runs in which each edge held
(:func:`tasktransfer.analysis.cliques`).
"""

from __future__ import annotations

from collections.abc import Sequence

from tasktransfer.analysis.graphs import cliques
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import TOP

KEY = "cliques"
SIGNS = (("positive", "help"), ("negative", "hurt"))


def of(entry: ModelEntry) -> dict:
    """``positive``/``negative`` (lists of cliques), their ``edges`` with ``support``, ``tau``."""
    return entry.sections[KEY]


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model: the positive and negative cliques with each edge's run support."""
    return Contribution(
        models={m.model: {KEY: cliques(m.pgf, m.tasks, tau=options.tau)} for m in models}
    )


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    parts = []
    for sign, word in SIGNS:
        listed = found[sign]
        if not listed:
            parts.append(f"no {sign} clique of three or more tasks")
            continue
        support = [e["support"] for e in found["edges"][sign] if e["support"] is not None]
        named = "; ".join("{" + ", ".join(c) + "}" for c in listed[:TOP])
        more = f" and {len(listed) - TOP} more" if len(listed) > TOP else ""
        held = f", each edge holding in {_span(support)} of runs" if support else ""
        parts.append(
            f"{len(listed)} {sign} clique(s) of tasks that {word} each other both ways, "
            f"largest first: {named}{more}{held}"
        )
    return [
        f"**Cliques** (mean PGF beyond ±{found.get('tau', 0)} in both directions): "
        + "; ".join(parts)
        + "."
    ]


def _span(support: list[float]) -> str:
    """The range of the edges' run shares, as percentages.

    Examples
    --------
    >>> _span([0.5, 1.0, 0.75])
    '50%–100%'
    """
    return f"{min(support):.0%}–{max(support):.0%}"


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    found = of(entry)
    listed = []
    for sign, _ in SIGNS:
        support = [e["support"] for e in found.get("edges", {}).get(sign, [])]
        support = [s for s in support if s is not None]
        listed.append((sign, found[sign], _span(support) if support else None))
    html = fragment(
        """<ul>
{% for sign, found, support in listed %}
<li>{{ found | length }} {{ sign }}{% if support %} (each edge held in {{ support }} of runs){% endif %}{% if found %}:
<ul>{% for c in found %}<li>{{ c | join(", ") }}</li>{% endfor %}</ul>{% endif %}</li>
{% endfor %}
</ul>""",  # noqa: E501
        listed=listed,
    )
    title = (
        f"Cliques (mean PGF beyond ±{found.get('tau', 0)} in both directions, three or more tasks)"
    )
    return ReportSection(title, html)


UNIT = AnalysisUnit(
    "cliques", compute=compute, model_findings=model_findings, model_section=model_section
)
