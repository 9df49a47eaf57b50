"""``summary.md``: the findings of an ``analysis.json`` in plain words, like a paper's."""

from __future__ import annotations

from tasktransfer.analysis import PERSONAS

SYMBOL = {"delta_pos": "Δ+", "delta_neg": "Δ−", "theta_pos": "Θ+", "theta_neg": "Θ−"}
MEANING = {
    "donor": "finetuning on them helps the other tasks more than finetuning on the rest does",
    "pirate": "finetuning on them hurts the other tasks more than the rest does",
    "sponge": "they gain more than the other tasks from finetuning elsewhere",
    "sieve": "they lose more than the other tasks from finetuning elsewhere",
}
PLURAL = {"donor": "Donors", "pirate": "Pirates", "sponge": "Sponges", "sieve": "Sieves"}
TOP = 3  # tasks named per persona; the CSV and the report list them all


def fmt(x, digits=3) -> str:
    """A number for prose: ``n/a`` for None (NaN), otherwise ``digits`` decimals."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def plural(n: int, word: str) -> str:
    """``1 run``, ``4 runs``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def fmt_p(p) -> str:
    """A p-value: scientific below 0.001."""
    if p is None:
        return "n/a"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def render_summary(analysis: dict, *, selection: list[dict] | None = None) -> str:
    """The text of ``summary.md`` for an ``analysis.json`` already loaded as a dict.

    ``selection``, the entries of a study's ``selection.json``
    (:func:`tasktransfer.analysis.experiment.compare_arms`), adds the selection experiment's
    verdicts.
    """
    models = analysis["models"]
    options = analysis.get("options", {})
    lines = ["# Task transfer: findings", ""]
    if not models:
        return "\n".join([*lines, "No model was analysed: the input held no results.", ""])
    described = ", ".join(
        f"{label} ({plural(len(m['runs']), 'run')}, {plural(len(m['tasks']), 'task')})"
        for label, m in models.items()
    )
    diagonal = "including" if options.get("include_diagonal") else "excluding"
    lines += [
        f"Analysed {described}. PGF is the share of the gap to perfect accuracy that "
        "finetuning on a source task closes on a target task (negative: accuracy lost). "
        f"Transferability (Δ) and malleability (Θ) are computed per run, {diagonal} the "
        "in-task diagonal, then averaged over runs.",
        "",
    ]
    for label, m in models.items():
        lines += [f"## {label}", "", *_model_paragraphs(m, options), ""]
    if "pooled" in analysis:
        lines += ["## Across models", "", *_pooled(analysis["pooled"]), ""]
    lines += [*_scale(analysis), ""]
    if selection:
        lines += ["## PGF-guided data selection", "", *_selection(selection), ""]
    return "\n".join(lines)


def _selection(entries: list[dict]) -> list[str]:
    """How often guided data beat random and direct, then each target's verdict."""
    several = len({e["model"] for e in entries}) > 1

    def count(key: str) -> str:
        measured = [e[key] for e in entries if e[key] is not None]
        return f"{sum(measured)} of {plural(len(measured), 'target')}"

    lines = [
        f"The PGF-guided mixture beat the mean of the random mixtures on "
        f"{count('guided_beats_random')} (mean accuracy on the target, over runs), and "
        f"direct finetuning on the target's own data on {count('guided_beats_direct')}.",
        "",
    ]
    for e in entries:
        lines.append(f"- {e['model'] + ': ' if several else ''}{e['verdict']}")
    return lines


def _model_paragraphs(m: dict, options: dict) -> list[str]:
    summary, edges = m["summary"], m["graph"]["edges"]
    positive = sum(e["pgf"] > 0 for e in edges)
    overall = (
        f"**Overall.** Finetuning on one task moves the others by a mean PGF of "
        f"{fmt(summary['mean_pgf'])}, against an in-task gain of {fmt(summary['in_task_gain'])}. "
        f"At |PGF| ≥ {m['graph']['threshold']} the transfer graph has {len(edges)} edges "
        f"({positive} positive, {len(edges) - positive} negative)"
    )
    if edges:
        top = edges[0]
        overall += (
            f"; the strongest is {top['source']} → {top['target']} (PGF {fmt(top['pgf'], 2)})"
        )
    out = [overall + ".", ""]
    alpha = m["personas"]["alpha"]
    for persona, (metric, _) in PERSONAS.items():
        out += [_persona_sentence(m, persona, metric, alpha), ""]
    out += [_cliques(m["cliques"]), ""]
    out += [_categories(m["categories"]), ""]
    return out


def _persona_sentence(m: dict, persona: str, metric: str, alpha: float) -> str:
    tests, found = m["personas"]["tests"], m["personas"][persona]
    head = f"**{PLURAL[persona]}** ({SYMBOL[metric]}, one-sided Wilcoxon, α = {alpha}):"

    def named(task):
        value = m["transferability"][task][metric]
        return f"{task} ({SYMBOL[metric]} = {fmt(value)}, p = {fmt_p(tests[task][persona + '_p'])})"

    if not found:
        ranked = [t for t in tests if tests[t][f"{persona}_p"] is not None]
        if not ranked:
            return f"{head} not testable (no finite values)."
        best = min(ranked, key=lambda t: tests[t][f"{persona}_p"])
        return f"{head} none is significant; the closest is {named(best)}."
    more = f", and {len(found) - TOP} more" if len(found) > TOP else ""
    return f"{head} {', '.join(named(t) for t in found[:TOP])}{more}: {MEANING[persona]}."


def _cliques(cliques: dict) -> str:
    parts = []
    for sign, word in (("positive", "help"), ("negative", "hurt")):
        found = cliques[sign]
        if not found:
            parts.append(f"no {sign} clique of three or more tasks")
            continue
        support = [e["support"] for e in cliques["edges"][sign] if e["support"] is not None]
        listed = "; ".join("{" + ", ".join(c) + "}" for c in found[:TOP])
        more = f" and {len(found) - TOP} more" if len(found) > TOP else ""
        held = (
            f", each edge holding in {min(support):.0%}–{max(support):.0%} of runs"
            if support
            else ""
        )
        parts.append(
            f"{len(found)} {sign} clique(s) of tasks that {word} each other both ways, "
            f"largest first: {listed}{more}{held}"
        )
    return f"**Cliques** (mean PGF beyond ±{cliques.get('tau', 0)} in both directions): " + (
        "; ".join(parts) + "."
    )


def _categories(categories: dict) -> str:
    parts = []
    for by, unit in (("level", "-level"), ("granularity", "-granularity")):
        means = categories[by]["means"]
        for metric, role in (("delta_pos", "give"), ("theta_pos", "receive")):
            ranked = [(c, v[metric]) for c, v in means.items() if v[metric] is not None]
            if len(ranked) < 2:
                continue
            best = max(ranked, key=lambda cv: cv[1])
            listed = ", ".join(f"{c} {fmt(v)}" for c, v in ranked)
            parts.append(f"{best[0]}{unit} tasks {role} the most ({SYMBOL[metric]}: {listed})")
    if not parts:
        return "**Categories.** Too few categories among these tasks to compare."
    text = "; ".join(parts)
    return (
        f"**Categories.** {text[0].upper()}{text[1:]}. (Labels from the task registry; "
        "`tasktransfer tasks ls` shows which are the paper's and which are inferred.)"
    )


def _pooled(pooled: dict) -> list[str]:
    personas = pooled["personas"]
    out = [
        f"Pooled over {', '.join(pooled['models'])} (each run's task minus the mean of the "
        f"other tasks, one-sided Wilcoxon, α = {personas['alpha']}):",
        "",
    ]
    for persona in PERSONAS:
        found = personas[persona]
        listed = (
            ", ".join(f"{t} (p = {fmt_p(personas['tests'][t][persona + '_p'])})" for t in found)
            if found
            else "none"
        )
        out.append(f"- {PLURAL[persona]}: {listed}")
    return out


def _scale(analysis: dict) -> list[str]:
    trend = analysis["scale_trend"]
    if len(trend["order"]) < 2:
        return []
    order = " < ".join(trend["order"])
    out = [f"**Scale.** With the models ordered by {trend['ordered_by']} ({order}):", ""]
    words = {"increasing": "rises", "decreasing": "falls", "flat": "stays flat", "mixed": "moves"}
    names = {k: f"mean {v}" for k, v in SYMBOL.items()}
    names |= {"mean_pgf": "mean off-diagonal PGF", "in_task_gain": "mean in-task gain"}
    for metric, entry in trend["metrics"].items():
        values = " → ".join(fmt(v) for v in entry["values"])
        direction = entry["direction"]
        tail = " (no monotone trend)" if direction == "mixed" else ""
        out.append(f"- {names.get(metric, metric)} {words[direction]}: {values}{tail}")
    for by, categories in trend.get("categories", {}).items():
        for category, metrics in categories.items():
            moves = [
                f"{SYMBOL[m]} {words[metrics[m]['direction']]} "
                f"({' → '.join(fmt(v) for v in metrics[m]['values'])})"
                for m in ("delta_pos", "theta_pos")
            ]
            out.append(f"- {category}-{by} tasks: mean {' and mean '.join(moves)}")
    return out
