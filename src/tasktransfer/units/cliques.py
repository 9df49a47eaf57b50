"""Cliques: groups of three or more tasks that help (or hurt) each other both ways.

An edge joins two tasks when the mean PGF passes ``tau`` in both directions; every maximal
clique is reported, largest first, with the share of runs in which each edge held, each
edge's sign test across runs (p, and q after Benjamini-Hochberg) and whether the clique is
significant, every edge being so (:func:`tasktransfer.analysis.cliques`). A clique none of
whose edges holds in most runs is always named as such.

Where the study's per-question predictions are given (and reproduce the table), each edge
also carries a test across questions: an exact one-sided McNemar test of each direction's
sign, pooled over runs, the edge's p being the larger of its two directions'. It is tested
against no change (not the margin tau) and is conditional on the questions asked, which
are not independent draws of a skill; the run-level test stays the primary one. Published
PGF tables carry no questions: the fields are absent and the summary says what is needed.
Nor can predictions scored in [0, 1] per question (numeric answers): McNemar needs right or
wrong, and the summary says so.

An edge needs both directions, so in a rectangular study (targets beyond its sources) the
cliques are found among the tasks that are both a source and a target (``tasks`` records
them); the summary says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from tasktransfer.analysis.graphs import cliques
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units.base import (
    AnalysisUnit,
    Contribution,
    Options,
    ReportSection,
    answers_of,
    fragment,
)
from tasktransfer.units.text import TOP, fmt_p, plural

KEY = "cliques"
SIGNS = (("positive", "help"), ("negative", "hurt"))


def of(entry: ModelEntry) -> dict:
    """``positive``/``negative`` (lists of cliques), their ``edges`` with ``support`` and
    sign tests, ``significant`` (per clique), ``tau``, ``alpha``; with predictions, the
    edges' ``question_p``/``question_q``/``question_significant`` and the cliques'
    ``question_significant``, or ``question_skipped`` when the predictions do not match."""
    return entry.sections[KEY]


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model: the positive and negative cliques with each edge's run support and tests
    (across questions too where ``options.predictions`` has the model's)."""
    out = {}
    for m in models:
        answers, skipped = answers_of(m, options)
        questions = {} if answers is None else {
            "correct": answers.correct, "correct0": answers.correct0
        }  # fmt: skip
        found = square_cliques(m, m.pgf, options, **questions)
        if skipped is not None:
            found["question_skipped"] = skipped
        out[m.model] = {KEY: found}
    return Contribution(models=out)


SCORED = (
    "predictions score questions between 0 and 1 (numeric answers), and the McNemar test "
    "needs each question right or wrong"
)


def _right_or_wrong(*answers) -> bool:
    """Whether every answered question is scored 0 or 1."""
    return all(np.isin(a[np.isfinite(a)], (0.0, 1.0)).all() for a in answers)


def square_cliques(m: ModelRuns, pgf_runs, options: Options, *, correct=None, correct0=None):
    """:func:`~tasktransfer.analysis.cliques` of ``pgf_runs`` (on the axes of ``m``) among the
    tasks that are both a source and a target: every task in a square study; ``tasks``
    records them in a rectangular one. The per-question answers, when given, are tested
    if those tasks' questions are all right or wrong (else ``question_skipped`` says so)."""
    keep = np.flatnonzero(m.source_mask & m.target_mask)
    questions, skipped = {}, None
    if correct is not None:
        questions = {"correct": correct[:, keep][:, :, keep], "correct0": correct0[:, keep]}
        if not _right_or_wrong(*questions.values()):
            questions, skipped = {}, SCORED
    found = cliques(
        np.asarray(pgf_runs)[:, keep][:, :, keep],
        [m.tasks[k] for k in keep],
        tau=options.tau,
        alpha=options.alpha,
        **questions,
    )
    if not m.is_square:
        found["tasks"] = [m.tasks[k] for k in keep]
    if skipped is not None:
        found["question_skipped"] = skipped
    return found


def describe(found: dict, sign: str, k: int) -> str:
    """Clique ``k`` of ``sign`` with the range of its edges' run support and its verdict.

    Examples
    --------
    >>> edge = lambda a, b, s: {"tasks": [a, b], "support": s, "p": 0.5, "q": 0.9}
    >>> found = {"positive": [["A", "B", "C"]], "significant": {"positive": [False]},
    ...          "edges": {"positive": [edge("A", "B", 0.25), edge("A", "C", 0.5),
    ...                                 edge("B", "C", 0.0)]}}
    >>> describe(found, "positive", 0)
    '{A, B, C} (edges hold in 0%–50% of runs; no edge holds in most runs; not significant)'
    """
    clique = found[sign][k]
    support = _clique_support(found, sign, clique)
    parts = [f"edges hold in {_span(support)} of runs"] if support else []
    weak = sum(1 for x in support if x <= 0.5)
    if support and weak == len(support):
        parts.append("no edge holds in most runs")
    elif weak:
        parts.append(f"{weak} of {len(support)} edges hold in at most half of the runs")
    significant = found.get("significant", {}).get(sign)
    if significant is not None:
        parts.append("significant" if significant[k] else "not significant")
    by_questions = found.get("question_significant", {}).get(sign)
    if by_questions is not None:
        parts.append(f"{'' if by_questions[k] else 'not '}significant across questions")
    return "{" + ", ".join(clique) + "}" + (f" ({'; '.join(parts)})" if parts else "")


def _clique_support(found: dict, sign: str, clique: list[str]) -> list[float]:
    """The run support of each edge of ``clique`` (undefined ones left out)."""
    support = {frozenset(e["tasks"]): e["support"] for e in found["edges"][sign]}
    shares = (support.get(frozenset(pair)) for pair in combinations(clique, 2))
    return [s for s in shares if s is not None]


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    parts = []
    for sign, word in SIGNS:
        listed = found[sign]
        if not listed:
            parts.append(f"no {sign} clique of three or more tasks")
            continue
        named = "; ".join(describe(found, sign, k) for k in range(min(TOP, len(listed))))
        more = f" and {len(listed) - TOP} more" if len(listed) > TOP else ""
        weak = sum(1 for c in listed if (s := _clique_support(found, sign, c)) and max(s) <= 0.5)
        counts = []
        if "significant" in found:
            counts.append(f"{sum(found['significant'][sign])} significant")
        if "question_significant" in found:
            by_questions = sum(found["question_significant"][sign])
            counts.append(f"{by_questions} significant across questions")
        if weak:
            counts.append(f"{weak} with no edge holding in most runs")
        parts.append(
            f"{len(listed)} {sign} clique(s) of tasks that {word} each other both ways, "
            f"largest first: {named}{more}" + (f" ({', '.join(counts)})" if counts else "")
        )
    among = f" among {_among(found)}" if "tasks" in found else ""
    return [f"**Cliques**{among} ({_test(found)}): " + "; ".join(parts) + "."]


def _among(found: dict) -> str:
    """The tasks a rectangular study's cliques were looked for among, in words.

    Examples
    --------
    >>> _among({"tasks": ["A", "B"]})
    'the 2 tasks that are both a source and a target (A, B)'
    """
    tasks = found["tasks"]
    return (
        f"the {plural(len(tasks), 'task')} that {'is' if len(tasks) == 1 else 'are'} both "
        f"a source and a target ({', '.join(tasks)})"
    )


def _test(found: dict) -> str:
    """How the edges were drawn and tested, in words."""
    drawn = f"mean PGF beyond ±{found.get('tau', 0)} in both directions"
    if "alpha" not in found:  # written before the edges were tested
        return drawn
    runs = max((e["n_runs"] for es in found["edges"].values() for e in es), default=0)
    if not runs:
        return f"{drawn}; each edge's sign tested across runs, α = {found['alpha']}"
    floor = 2.0**-runs
    cannot = "; no edge can be significant" if floor >= found["alpha"] else ""
    return (
        f"{drawn}; each edge's sign tested across {plural(runs, 'run')} by a one-sided "
        f"sign test, α = {found['alpha']}, q = Benjamini-Hochberg; smallest attainable "
        f"p = 2^-{runs} = {fmt_p(floor)}{cannot}; {_question_test(found)}"
    )


def _question_test(found: dict) -> str:
    """The per-question test of the edges in words, or why there is none.

    Examples
    --------
    >>> _question_test({})
    'no test across questions: it needs per-question predictions (a study folder)'
    """
    if "question_skipped" in found:
        return f"no test across questions: the {found['question_skipped']}"
    if "question_significant" not in found:
        return "no test across questions: it needs per-question predictions (a study folder)"
    return (
        "secondary, across questions: each direction's exact one-sided McNemar test of the "
        "edge's sign (discordant questions pooled over runs), the edge's p the larger of "
        "its two directions', against no change rather than the margin, conditional on "
        "the questions asked (they are not independent draws of a skill)"
    )


def _span(support: list[float]) -> str:
    """The range of the edges' run shares, as percentages.

    Examples
    --------
    >>> _span([0.5, 1.0, 0.75]), _span([1.0, 1.0])
    ('50%–100%', '100%')
    """
    low, high = f"{min(support):.0%}", f"{max(support):.0%}"
    return low if low == high else f"{low}–{high}"


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    found = of(entry)
    listed = []
    for sign, _ in SIGNS:
        edges = found.get("edges", {}).get(sign, [])
        rows = [
            (
                " – ".join(e["tasks"]),
                f"{e['support']:.0%}" if e["support"] is not None else "n/a",
                fmt_p(e.get("p")),
                fmt_p(e.get("q")),
                bool(e.get("significant")),
                fmt_p(e.get("question_p")),
                fmt_p(e.get("question_q")),
                bool(e.get("question_significant")),
            )
            for e in edges
        ]
        described = [describe(found, sign, k) for k in range(len(found[sign]))]
        listed.append((sign, described, rows))
    html = fragment(
        """<p class="meta">{% if among %}Among {{ among }}: {% endif %}{{ test }}.</p>
<ul>
{% for sign, found, rows in listed %}
<li>{{ found | length }} {{ sign }}{% if found %}:
<ul>{% for c in found %}<li>{{ c }}</li>{% endfor %}</ul>{% endif %}
{% if rows and tested %}<details><summary>{{ rows | length }} {{ sign }} edges: run support and sign test</summary>
<table><tr><th>edge</th><th>runs held</th><th>p</th><th>q</th>{% if questions %}<th>p, questions</th><th>q, questions</th>{% endif %}</tr>
{% for edge, support, p, q, sig, qp, qq, qsig in rows %}<tr><td>{{ edge }}</td><td>{{ support }}</td><td{% if sig %} class="sig"{% endif %}>{{ p }}</td><td>{{ q }}</td>{% if questions %}<td{% if qsig %} class="sig"{% endif %}>{{ qp }}</td><td>{{ qq }}</td>{% endif %}</tr>
{% endfor %}</table></details>{% endif %}</li>
{% endfor %}
</ul>""",  # noqa: E501
        test=_test(found),
        among=_among(found) if "tasks" in found else "",
        tested="alpha" in found,
        questions="question_significant" in found,
        listed=listed,
    )
    title = (
        f"Cliques (mean PGF beyond ±{found.get('tau', 0)} in both directions, three or more tasks)"
    )
    return ReportSection(title, html)


UNIT = AnalysisUnit(
    "cliques", compute=compute, model_findings=model_findings, model_section=model_section
)
