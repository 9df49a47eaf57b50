"""``summary.md``: the findings of an analysis in plain words, like a paper's.

The introduction is written here; every finding after it comes from an analysis unit
(:data:`tasktransfer.units.UNITS`): each model's part from ``model_findings``, then the
findings across models. A unit's lines are Markdown blocks (a paragraph, a list or a
heading), separated here by blank lines. When the analysis came from a study
(``study.json``) whose rows flag a format mismatch, a last section says where.
"""

from __future__ import annotations

from collections.abc import Sequence

from tasktransfer.contracts.analysis import Analysis, Study
from tasktransfer.units.text import TOP, matrix_shape, plural


def render_summary(
    analysis: Analysis, *, units: Sequence | None = None, study: Study | None = None
) -> str:
    """The text of ``summary.md``.

    Parameters
    ----------
    analysis : Analysis
        As read by :func:`tasktransfer.contracts.read_analysis`.
    units : sequence of AnalysisUnit or None, default=None
        None means :data:`tasktransfer.units.UNITS`.
    study : Study or None, default=None
        ``study.json``: its protocol is stated, and its format-mismatch rows are named
        (:func:`format_findings`).
    """
    from tasktransfer.units import UNITS

    units = UNITS if units is None else units
    blocks = ["# Task transfer: findings"]
    if not analysis.models:
        return _join([*blocks, "No model was analysed: the input held no results."])
    described = ", ".join(
        f"{label} ({plural(len(m.runs), 'run')}, {matrix_shape(m.sources, m.targets)})"
        for label, m in analysis.models.items()
    )
    diagonal = "including" if analysis.options.get("include_diagonal") else "excluding"
    blocks.append(
        f"Analysed {described}. PGF is the share of the gap to perfect accuracy that "
        "finetuning on a source task closes on a target task (negative: accuracy lost). "
        f"Transferability (Δ) and malleability (Θ) are computed per run, {diagonal} the "
        "in-task diagonal, then averaged over runs."
    )
    if study is not None and study.get("protocol"):
        blocks.append(study["protocol"])
    for label, entry in analysis.models.items():
        blocks.append(f"## {label}")
        for unit in units:
            if unit.model_findings is not None:
                blocks += unit.model_findings(label, entry, analysis)
    for unit in units:
        if unit.findings is not None:
            blocks += unit.findings(analysis)
    if study is not None:
        blocks += format_findings(study)
    return _join(blocks)


def format_findings(study: Study) -> list[str]:
    """Markdown blocks naming the rows of ``study`` flagged as a format mismatch; none if none.

    Examples
    --------
    >>> row = {"run": "seed_0", "source": "zero-shot", "target": "Counting",
    ...        "letter_mass": 0.31, "format_mismatch": True}
    >>> print(format_findings({"answers": {"m": [row]}})[1])  # doctest: +NORMALIZE_WHITESPACE
    Format mismatch in 1 row of m: zero-shot → Counting (seed_0, letter mass 0.31). ...
    """
    blocks = []
    for label, rows in study["answers"].items():
        flagged = [r for r in rows if r.get("format_mismatch")]
        if not flagged:
            continue
        named = "; ".join(
            f"{r['source']} → {r['target']} ({r['run']}, letter mass {r['letter_mass']:.2f})"
            for r in flagged[:TOP]
        )
        more = f" and {len(flagged) - TOP} more" if len(flagged) > TOP else ""
        blocks.append(
            f"Format mismatch in {plural(len(flagged), 'row')} of {label}: {named}{more}. "
            "In these rows the mean letter mass (the probability the model puts on the "
            "offered options, in every form the scores read) is below the evaluation's "
            "threshold: their accuracy is read from leftover probability, and a PGF between "
            "such a row and one without the mismatch mixes answer format with skill. The "
            "page's answer letters outline them."
        )
    return ["## Answer format", *blocks] if blocks else []


def _join(blocks: list[str]) -> str:
    return "\n\n".join(blocks) + "\n"
