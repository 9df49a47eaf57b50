"""``summary.md``: the findings of an analysis in plain words, like a paper's.

The introduction is written here; every finding after it comes from an analysis unit
(:data:`tasktransfer.units.UNITS`): each model's part from ``model_findings``, then the
findings across models. A unit's lines are Markdown blocks (a paragraph, a list or a
heading), separated here by blank lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from tasktransfer.contracts.analysis import Analysis
from tasktransfer.units.text import plural


def render_summary(analysis: Analysis, *, units: Sequence | None = None) -> str:
    """The text of ``summary.md``.

    Parameters
    ----------
    analysis : Analysis
        As read by :func:`tasktransfer.contracts.read_analysis`.
    units : sequence of AnalysisUnit or None, default=None
        None means :data:`tasktransfer.units.UNITS`.
    """
    from tasktransfer.units import UNITS

    units = UNITS if units is None else units
    blocks = ["# Task transfer: findings"]
    if not analysis.models:
        return _join([*blocks, "No model was analysed: the input held no results."])
    described = ", ".join(
        f"{label} ({plural(len(m.runs), 'run')}, {plural(len(m.tasks), 'task')})"
        for label, m in analysis.models.items()
    )
    diagonal = "including" if analysis.options.get("include_diagonal") else "excluding"
    blocks.append(
        f"Analysed {described}. PGF is the share of the gap to perfect accuracy that "
        "finetuning on a source task closes on a target task (negative: accuracy lost). "
        f"Transferability (Δ) and malleability (Θ) are computed per run, {diagonal} the "
        "in-task diagonal, then averaged over runs."
    )
    for label, entry in analysis.models.items():
        blocks.append(f"## {label}")
        for unit in units:
            if unit.model_findings is not None:
                blocks += unit.model_findings(label, entry, analysis)
    for unit in units:
        if unit.findings is not None:
            blocks += unit.findings(analysis)
    return _join(blocks)


def _join(blocks: list[str]) -> str:
    return "\n\n".join(blocks) + "\n"
