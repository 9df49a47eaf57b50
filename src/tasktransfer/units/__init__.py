"""Analyses as units: each analysis is one module that owns its computation, its findings
and its report section, and :data:`UNITS` lists them in the order they run and appear.

``tasktransfer analyze`` (:func:`tasktransfer.analysis.analyze`) runs every unit's
``compute`` to fill ``analysis.json``; ``summary.md`` (:mod:`tasktransfer.report.summary`)
and ``report.html`` (:mod:`tasktransfer.report.html`) loop over the same list. A unit lives
here, beside neither layer, because it spans both: its ``compute`` is pure and built on the
metric functions of :mod:`tasktransfer.analysis` (numpy, scipy, networkx), while its
section imports plotly and jinja2 inside the function, so that analysing needs neither.

Adding an analysis
------------------
1. Write the pure metric functions in :mod:`tasktransfer.analysis`, with doctests.
2. Write ``units/<name>.py``: ``compute(models, analysis, options)`` returning a
   :class:`Contribution` (JSON keys per model and across models), accessors such as
   ``of(entry)`` that read those keys back (the only readers of them), and any of
   ``model_findings``, ``findings``, ``model_section``, ``section``; end with
   ``UNIT = AnalysisUnit(...)``.
3. Add ``<name>.UNIT`` to :data:`UNITS`. Nothing else changes: ``analysis.json``,
   ``summary.md`` and ``report.html`` pick the unit up from the list.

Units compute in order, so a ``compute`` may read what the units before it added (the
scale trend reads every model's summary and category means); findings and sections run
after every unit has computed and may read any unit's keys (the graph's nodes show Δ+).
Either way through the owning unit's accessors.
"""

from tasktransfer.units import (
    categories,
    cliques,
    format_control,
    graph,
    lora_similarity,
    personas,
    pgf,
    recovery,
    scale,
    selection,
    steps,
    transferability,
    uncertainty,
    views,
)
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment

# The order of the findings in summary.md and of the sections in report.html.
UNITS: list[AnalysisUnit] = [
    pgf.UNIT,
    graph.UNIT,
    transferability.UNIT,
    steps.UNIT,
    personas.UNIT,
    cliques.UNIT,
    format_control.UNIT,
    categories.UNIT,
    lora_similarity.UNIT,
    recovery.UNIT,
    scale.UNIT,
    selection.UNIT,
    uncertainty.UNIT,
    views.UNIT,
]

__all__ = ["UNITS", "AnalysisUnit", "Contribution", "Options", "ReportSection", "fragment"]
