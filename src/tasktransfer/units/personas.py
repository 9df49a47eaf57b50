"""Personas: donors, pirates, sponges and sieves, per model and pooled across models.

Per model, by default a sign-flip test over the runs of each run's task minus the mean of
the other tasks (the run is the unit); with ``persona_test="paper"`` the paper's Wilcoxon
over every (task, run) pair. Across several models, each (model, run)'s task minus the mean
of the other tasks, on the tasks every model shares (``DESIGN.md``). Every task's p-value
and its Benjamini-Hochberg q-value are reported, not only the winners', with the test's
name and its number of independent units (:mod:`tasktransfer.analysis.personas`).
"""

from __future__ import annotations

from collections.abc import Sequence

from tasktransfer.analysis.metrics import TRANSFERABILITY_METRICS, transferability
from tasktransfer.analysis.personas import PERSONAS, personas, pooled_personas
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units import transferability as transferability_unit
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import SYMBOL, TOP, fmt, fmt_p, plural

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
        m.model: transferability(m.pgf, include_diagonal=options.include_diagonal, **m.roles)
        for m in models
    }
    out = Contribution(
        models={
            m.model: {
                KEY: personas(
                    per_run[m.model], m.tasks, alpha=options.alpha, test=options.persona_test
                )
            }
            for m in models
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


def describe(found: dict) -> str:
    """The test behind ``found`` (a :func:`of` value), with its independent units, in words.

    Results written before the test was recorded are the paper's Wilcoxon.

    Examples
    --------
    >>> describe({"test": "run", "n_units": 4})
    'one-sided sign-flip test over 4 runs, the run as the unit; smallest attainable p = 2^-4 = 0.062'
    >>> describe({"test": "paper", "n_units": 4, "tests": {"A": {"donor_n": 48}}})
    "the paper's test: one-sided Wilcoxon over 48 (task, run) pairs, treated as independent though from 4 runs"
    """  # noqa: E501
    test, runs = found.get("test", "paper"), found.get("n_units")
    if test == "run":
        return (
            f"one-sided sign-flip test over {plural(runs, 'run')}, the run as the unit; "
            f"smallest attainable p = 2^-{runs} = {fmt_p(2.0**-runs)}"
        )
    pairs = max((t.get("donor_n", 0) for t in found.get("tests", {}).values()), default=0)
    if not runs or not pairs:
        return "the paper's test: one-sided Wilcoxon over (task, run) pairs"
    return (
        f"the paper's test: one-sided Wilcoxon over {pairs} (task, run) pairs, treated as "
        f"independent though from {plural(runs, 'run')}"
    )


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    lines = [f"**Persona test**: {describe(found)}; α = {found['alpha']}, q = Benjamini-Hochberg."]
    if found.get("test") == "run" and 2.0 ** -found["n_units"] >= found["alpha"]:
        lines[0] += (
            f" With {plural(found['n_units'], 'run')} no task can reach p < α: "
            "nothing here is significant, whatever the data."
        )
    if not entry.is_square:
        # A task without Δ (only a target) or Θ (only a source) has no test of that side.
        lines[0] += (
            f" Donors and pirates are tested among the {plural(len(entry.sources), 'source')}, "
            f"sponges and sieves among the {plural(len(entry.targets), 'target')}."
        )
    return lines + [
        _sentence(entry, found, persona, metric) for persona, (metric, _) in PERSONAS.items()
    ]


def _sentence(entry: ModelEntry, found: dict, persona: str, metric: str) -> str:
    tests, winners = found["tests"], found[persona]
    values = transferability_unit.of(entry)
    head = f"**{PLURAL[persona]}** ({SYMBOL[metric]}):"

    def named(task):
        p = tests[task][f"{persona}_p"]
        return (
            f"{task} ({SYMBOL[metric]} = {fmt(values[task][metric])}, p = {fmt_p(p)}"
            f"{_q(tests[task], persona)})"
        )

    if not winners:
        ranked = [t for t in tests if tests[t][f"{persona}_p"] is not None]
        if not ranked:
            return f"{head} not testable (no finite values)."
        # Among equal p-values (with few runs, many tasks share the smallest), the largest
        # statistic in the persona's direction is the closest.
        side = 1.0 if PERSONAS[persona][1] == "greater" else -1.0
        best = min(
            ranked, key=lambda t: (tests[t][f"{persona}_p"], -side * tests[t][f"{persona}_stat"])
        )
        tied = sum(1 for t in ranked if tests[t][f"{persona}_p"] == tests[best][f"{persona}_p"])
        also = f"; {tied} tasks share that p" if tied > 1 else ""
        return f"{head} none is significant; the closest is {named(best)}{also}."
    more = f", and {len(winners) - TOP} more" if len(winners) > TOP else ""
    qs = [tests[t].get(f"{persona}_q") for t in winners]
    fdr = sum(1 for q in qs if q is not None and q < found["alpha"])
    return (
        f"{head} {', '.join(named(t) for t in winners[:TOP])}{more}: {MEANING[persona]} "
        f"({fdr} of {len(winners)} also at q < α)."
    )


def findings(analysis: Analysis) -> list[str]:
    pooled = pooled_of(analysis)
    if not pooled:
        return []
    found = pooled["personas"]
    items = []
    for persona in PERSONAS:
        listed = ", ".join(
            f"{t} (p = {fmt_p(found['tests'][t][persona + '_p'])}{_q(found['tests'][t], persona)})"
            for t in found[persona]
        )
        items.append(f"- {PLURAL[persona]}: {listed or 'none'}")
    units = f", {found['n_units']} (model, run) units" if "n_units" in found else ""
    return [
        "## Across models",
        f"Pooled over {', '.join(pooled['models'])} (each run's task minus the mean of the "
        f"other tasks, one-sided Wilcoxon{units}, α = {found['alpha']}):",
        "\n".join(items),
    ]


def _q(tests: dict, persona: str) -> str:
    """``", q = 0.012"``; empty for results written before q-values existed."""
    key = f"{persona}_q"
    return f", q = {fmt_p(tests[key])}" if key in tests else ""


def _pvalues(found: dict, task: str) -> list[tuple[str, bool]]:
    """Each persona's ``p / q`` of ``task``, and whether the task is that persona."""
    tests = found["tests"][task]
    return [
        (
            fmt_p(tests[f"{p}_p"])
            + ("" if f"{p}_q" not in tests else f" / {fmt_p(tests[f'{p}_q'])}"),
            task in found[p],
        )
        for p in PERSONAS
    ]


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
Each cell: p / q (q: Benjamini-Hochberg over the tasks). Highlighted: p &lt; α.</p>
<p class="meta">Test: {{ test }}.</p>
<p>{% for persona, found in winners %}<strong>{{ persona }}s:</strong> {{ found | join(", ") if found else "none" }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
<table>
<tr><th>task</th>{% for s in symbols %}<th>{{ s }}</th>{% endfor %}{% for p in personas %}<th>{{ p }} p / q</th>{% endfor %}</tr>
{% for task, abbrev, metrics, pvalues in rows %}
<tr><td><abbr title="{{ task }}">{{ abbrev }}</abbr> {{ task }}</td>{% for v in metrics %}<td>{{ v }}</td>{% endfor %}{% for p, sig in pvalues %}<td{% if sig %} class="sig"{% endif %}>{{ p }}</td>{% endfor %}</tr>
{% endfor %}
</table>""",  # noqa: E501
        test=describe(found),
        winners=[(p, found[p]) for p in PERSONAS],
        symbols=[SYMBOL[m] for m in TRANSFERABILITY_METRICS],
        personas=list(PERSONAS),
        rows=rows,
    )
    test = (
        "Wilcoxon over (task, run) pairs, as in the paper"
        if found.get("test", "paper") == "paper"
        else "sign-flip over runs"
    )
    return ReportSection(f"Personas ({test}, α = {found['alpha']})", html)


def section(analysis: Analysis) -> ReportSection | None:
    pooled = pooled_of(analysis)
    if not pooled:
        return None
    found = pooled["personas"]
    html = fragment(
        """<p class="meta">Pooled over {{ models | join(", ") }}: each run's task minus the
mean of the other tasks, one-sided Wilcoxon. Each cell: p / q (Benjamini-Hochberg).</p>
<table>
<tr><th>task</th>{% for p in personas %}<th>{{ p }} p / q</th>{% endfor %}</tr>
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
