"""What an analysis unit is: the record :data:`tasktransfer.units.UNITS` lists.

A unit's ``compute`` is pure (no I/O, no torch, no plotly); its findings are Markdown
lines; its sections are HTML fragments rendered with :func:`fragment` (jinja2, autoescape
on) plus plotly figures as dicts. jinja2 and plotly are imported inside the section
functions, so ``analyze`` runs without them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.contracts.results import Prediction
from tasktransfer.tasks import REGISTRY, Registry


@dataclass(frozen=True)
class Options:
    """The options of ``analyze`` that units read (see :func:`tasktransfer.analysis.analyze`)."""

    registry: Registry = field(default_factory=lambda: REGISTRY)
    include_diagonal: bool = False
    tau: float = 0.0
    alpha: float = 0.05
    persona_test: Literal["run", "paper"] = "run"
    pooled_alpha: float = 0.01
    threshold: float = 0.25
    ceilings: Mapping[str, float] = field(default_factory=dict)
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0
    # Per-question records by model label (a study's predictions.jsonl): input, not an option.
    predictions: Mapping[str, Sequence[Prediction]] = field(default_factory=dict)
    # Adapter folders by model label, then (run, source) (a study's cells): input too.
    adapters: Mapping[str, Mapping[tuple[str, str], Path]] = field(default_factory=dict)
    # Declared skills by task (the synthetic suite's generators), when the study used it.
    skills: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The options as ``analysis.json`` records them (the registry, the predictions,
        the adapters and the skills are not options)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("registry", "predictions", "adapters", "skills")
        }


@dataclass
class Contribution:
    """What a unit's ``compute`` adds to ``analysis.json``.

    Attributes
    ----------
    models : dict of str to dict
        Per model label, JSON key -> value, written beside the model's core keys.
    shared : dict
        JSON key -> value, written at the top level (sections across models).
    """

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReportSection:
    """One section of ``report.html``.

    Attributes
    ----------
    title : str
        Its heading (an ``h3`` inside a model's part, an ``h2`` across models).
    html : str
        The body, already escaped (from :func:`fragment`).
    figures : dict of str to dict
        Plotly figures by the id of their ``<div class="figure">`` in ``html``.
    graphs : dict of str to dict
        Transfer graphs for the page's script, by figure id (see ``report.js``).
    nav : str or None
        Its name in the page's navigation bar (sections across models); None: the title.
    """

    title: str
    html: str
    figures: dict[str, dict] = field(default_factory=dict)
    graphs: dict[str, dict] = field(default_factory=dict)
    nav: str | None = None


Compute = Callable[[Sequence[ModelRuns], Analysis, Options], Contribution]
ModelFindings = Callable[[str, ModelEntry, Analysis], list[str]]
Findings = Callable[[Analysis], list[str]]
ModelSection = Callable[[str, ModelEntry, Analysis, str], ReportSection | None]
Section = Callable[[Analysis], ReportSection | None]


@dataclass(frozen=True)
class AnalysisUnit:
    """One analysis: its computation, its findings and its report sections.

    Every part is optional; a unit that has nothing to say returns no lines or None.

    Attributes
    ----------
    name : str
        The unit's name (its top-level section's anchor in the page).
    compute : callable or None
        ``compute(models, analysis, options) -> Contribution``; ``analysis`` holds the
        core of every model and what the units before this one computed.
    model_findings : callable or None
        ``model_findings(label, entry, analysis) -> list of str``: Markdown paragraphs
        about one model, in ``summary.md`` under the model's heading.
    findings : callable or None
        ``findings(analysis) -> list of str``: Markdown after every model's part.
    model_section : callable or None
        ``model_section(label, entry, analysis, prefix) -> ReportSection or None``, in the
        model's part of the page; figure ids start with ``prefix`` (unique per model).
    section : callable or None
        ``section(analysis) -> ReportSection or None``, after every model's part.
    """

    name: str
    compute: Compute | None = None
    model_findings: ModelFindings | None = None
    findings: Findings | None = None
    model_section: ModelSection | None = None
    section: Section | None = None


def fragment(template: str, **values) -> str:
    """``template`` rendered by jinja2 with autoescape on: every value reaches HTML escaped.

    Examples
    --------
    >>> print(fragment("<p>{{ task }}</p>", task="<b>x</b>"))
    <p>&lt;b&gt;x&lt;/b&gt;</p>
    """
    return _template(template).render(**values)


@functools.cache
def _template(text: str):
    # Each unit's template text is compiled once per process.
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(text)


@dataclass(frozen=True)
class QuestionAnswers:
    """A model's answers per question, checked against its table (see :func:`answers_of`).

    ``correct``/``correct0``/``sizes`` are :func:`tasktransfer.analysis.bootstrap.question_tensors`'
    arrays; ``records`` the model's prediction records.
    """

    records: Sequence[Prediction]
    correct: Any
    correct0: Any
    sizes: Any


def answered_models(
    models: Sequence[ModelRuns], options: Options, key: str
) -> tuple[dict[str, dict], list[tuple[ModelRuns, QuestionAnswers]]]:
    """The models whose predictions reproduce their tables, with their answers.

    Returns ``(skipped, answered)``: ``skipped`` maps each model whose predictions do not
    match to ``{key: {"skipped": reason}}`` (the start of a unit's contribution), and
    ``answered`` pairs each usable model with its :class:`QuestionAnswers`. Models without
    predictions are in neither.
    """
    skipped, answered = {}, []
    for m in models:
        answers, reason = answers_of(m, options)
        if reason is not None:
            skipped[m.model] = {key: {"skipped": reason}}
        elif answers is not None:
            answered.append((m, answers))
    return skipped, answered


def answers_of(m: ModelRuns, options: Options) -> tuple[QuestionAnswers | None, str | None]:
    """The per-question answers of ``m`` when its predictions reproduce its table of counts.

    Returns ``(answers, None)`` when they do, ``(None, reason)`` when they do not (a sentence
    for the unit to report), and ``(None, None)`` without predictions or counts. Every unit
    that reads predictions goes through here, so they agree on which predictions count.
    """
    from tasktransfer.analysis.bootstrap import predictions_mismatch, question_tensors

    records = options.predictions.get(m.model)
    if not records or m.acc is None:
        return None, None
    correct, correct0, sizes = question_tensors(m, records)
    reason = predictions_mismatch(m, correct, correct0)
    if reason is not None:
        return None, f"predictions do not match the table: {reason}"
    return QuestionAnswers(records, correct, correct0, sizes), None
