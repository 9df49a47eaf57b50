"""Personas: donors, pirates, sponges and sieves, per model and pooled across models.

Per model, one-sided Wilcoxon tests of each task's per-run Δ/Θ against every other task's;
across several models, each (model, run)'s task minus the mean of the other tasks, on the
tasks every model shares (``DESIGN.md``). Every task's p-value is reported, not only the
winners'.
"""

from __future__ import annotations

from collections.abc import Sequence

from tasktransfer.analysis.metrics import TRANSFERABILITY_METRICS, transferability
from tasktransfer.analysis.personas import PERSONAS, personas, pooled_personas
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units import transferability as transferability_unit
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import SYMBOL, TOP, fmt, fmt_p

KEY, POOLED = "personas", "pooled"
MEANING = {
    "donor": "finetuning on them helps the other tasks more than finetuning on the rest does",
    "pirate": "finetuning on them hurts the other tasks more than the rest does",
    "sponge": "they gain more than the other tasks from finetuning elsewhere",
    "sieve": "they lose more than the other tasks from finetuning elsewhere",
}
PLURAL = {"donor": "Donors", "pirate": "Pirates", "sponge": "Sponges", "sieve": "Sieves"}


def of(entry: ModelEntry) -> dict:
    """:func:`tasktransfer.analysis.personas` of one model: the winners, ``tests``, ``alpha``."""
    return entry.sections[KEY]


def pooled_of(analysis: Analysis) -> dict | None:
    """``{"personas", "models", "tasks"}`` of the pooled test; None for a single model."""
    return analysis.sections.get(POOLED)


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model: the persona tests; with several models, the pooled tests too."""
    per_run = {
        m.model: transferability(m.pgf, include_diagonal=options.include_diagonal) for m in models
    }
    out = Contribution(
        models={
            m.model: {KEY: personas(per_run[m.model], m.tasks, alpha=options.alpha)} for m in models
        }
    )
    if len(models) > 1:
        common = [t for t in options.registry if all(t in m.tasks for m in models)]
        columns = []
        for m in models:
            keep = [m.tasks.index(t) for t in common]
            columns.append({k: v[:, keep] for k, v in per_run[m.model].items()})
        out.shared[POOLED] = {
            "personas": pooled_personas(columns, common, alpha=options.pooled_alpha),
            "models": [m.model for m in models],
            "tasks": common,
        }
    return out


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    return [
        _sentence(entry, found, persona, metric, found["alpha"])
        for persona, (metric, _) in PERSONAS.items()
    ]


def _sentence(entry: ModelEntry, found: dict, persona: str, metric: str, alpha: float) -> str:
    tests, winners = found["tests"], found[persona]
    values = transferability_unit.of(entry)
    head = f"**{PLURAL[persona]}** ({SYMBOL[metric]}, one-sided Wilcoxon, α = {alpha}):"

    def named(task):
        p = tests[task][f"{persona}_p"]
        return f"{task} ({SYMBOL[metric]} = {fmt(values[task][metric])}, p = {fmt_p(p)})"

    if not winners:
        ranked = [t for t in tests if tests[t][f"{persona}_p"] is not None]
        if not ranked:
            return f"{head} not testable (no finite values)."
        best = min(ranked, key=lambda t: tests[t][f"{persona}_p"])
        return f"{head} none is significant; the closest is {named(best)}."
    more = f", and {len(winners) - TOP} more" if len(winners) > TOP else ""
    return f"{head} {', '.join(named(t) for t in winners[:TOP])}{more}: {MEANING[persona]}."


def findings(analysis: Analysis) -> list[str]:
    pooled = pooled_of(analysis)
    if not pooled:
        return []
    found = pooled["personas"]
    items = []
    for persona in PERSONAS:
        listed = ", ".join(
            f"{t} (p = {fmt_p(found['tests'][t][persona + '_p'])})" for t in found[persona]
        )
        items.append(f"- {PLURAL[persona]}: {listed or 'none'}")
    return [
        "## Across models",
        f"Pooled over {', '.join(pooled['models'])} (each run's task minus the mean of the "
        f"other tasks, one-sided Wilcoxon, α = {found['alpha']}):",
        "\n".join(items),
    ]


def _pvalues(found: dict, task: str) -> list[tuple[str, bool]]:
    """Each persona's p-value of ``task``, and whether the task is that persona."""
    return [(fmt_p(found["tests"][task][f"{p}_p"]), task in found[p]) for p in PERSONAS]


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    found, values = of(entry), transferability_unit.of(entry)
    rows = [
        (
            task,
            abbrev,
            [fmt(values[task][m]) for m in TRANSFERABILITY_METRICS],
            _pvalues(found, task),
        )
        for task, abbrev in zip(entry.tasks, entry.abbrev, strict=True)
    ]
    html = fragment(
        """<p class="hint">A donor helps the others more than the rest do (Δ+), a pirate hurts
them more (Δ−), a sponge gains more from the others (Θ+), a sieve loses more (Θ−).
Highlighted: p &lt; α.</p>
<p>{% for persona, found in winners %}<strong>{{ persona }}s:</strong> {{ found | join(", ") if found else "none" }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
<table>
<tr><th>task</th>{% for s in symbols %}<th>{{ s }}</th>{% endfor %}{% for p in personas %}<th>{{ p }} p</th>{% endfor %}</tr>
{% for task, abbrev, metrics, pvalues in rows %}
<tr><td><abbr title="{{ task }}">{{ abbrev }}</abbr> {{ task }}</td>{% for v in metrics %}<td>{{ v }}</td>{% endfor %}{% for p, sig in pvalues %}<td{% if sig %} class="sig"{% endif %}>{{ p }}</td>{% endfor %}</tr>
{% endfor %}
</table>""",  # noqa: E501
        winners=[(p, found[p]) for p in PERSONAS],
        symbols=[SYMBOL[m] for m in TRANSFERABILITY_METRICS],
        personas=list(PERSONAS),
        rows=rows,
    )
    return ReportSection(f"Personas (one-sided Wilcoxon over runs, α = {found['alpha']})", html)


def section(analysis: Analysis) -> ReportSection | None:
    pooled = pooled_of(analysis)
    if not pooled:
        return None
    found = pooled["personas"]
    html = fragment(
        """<p class="meta">Pooled over {{ models | join(", ") }}: each run's task minus the
mean of the other tasks.</p>
<table>
<tr><th>task</th>{% for p in personas %}<th>{{ p }} p</th>{% endfor %}</tr>
{% for task, pvalues in rows %}
<tr><td>{{ task }}</td>{% for p, sig in pvalues %}<td{% if sig %} class="sig"{% endif %}>{{ p }}</td>{% endfor %}</tr>
{% endfor %}
</table>""",  # noqa: E501
        models=pooled["models"],
        personas=list(PERSONAS),
        rows=[(task, _pvalues(found, task)) for task in pooled["tasks"]],
    )
    return ReportSection(
        f"Across models: pooled personas (α = {found['alpha']})", html, nav="Across models"
    )


UNIT = AnalysisUnit(
    "personas",
    compute=compute,
    model_findings=model_findings,
    findings=findings,
    model_section=model_section,
    section=section,
)
