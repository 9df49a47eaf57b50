"""Every analysis of the paper for one or more models, as one JSON-ready dict.

:func:`analyze` builds each model's core (tasks, runs, the PGF matrices; see
:class:`tasktransfer.contracts.ModelEntry`) and lets every analysis unit of
:data:`tasktransfer.units.UNITS` add its sections, in order. The structure of its result
is the ``analysis.json`` of ``DESIGN.md`` (with extra keys, never changed ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tasktransfer.analysis.categories import parse_size
from tasktransfer.analysis.metrics import mean_std
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.contracts.results import Prediction
from tasktransfer.tasks import REGISTRY, Registry, UnknownTaskError


def analyze(
    models: Sequence[ModelRuns],
    *,
    registry: Registry = REGISTRY,
    include_diagonal: bool = False,
    tau: float = 0.0,
    alpha: float = 0.05,
    persona_test: str = "run",
    pooled_alpha: float = 0.01,
    threshold: float = 0.25,
    sizes: Mapping[str, float] | None = None,
    units: Sequence | None = None,
    ceilings: Mapping[str, float] | None = None,
    predictions: Mapping[str, Sequence[Prediction]] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    adapters: Mapping[str, Mapping[tuple[str, str], Path]] | None = None,
    skills: Mapping[str, Sequence[str]] | None = None,
) -> dict:
    """Analyse the PGF of each model, pool personas across models, and trace scale.

    Parameters
    ----------
    models : sequence of ModelRuns
        As returned by :func:`tasktransfer.analysis.read_inputs`; labels unique.
    registry : Registry, default=REGISTRY
        Abbreviations, level and granularity labels of the tasks.
    include_diagonal : bool, default=False
        Count the in-task gain in Delta and Theta.
    tau : float, default=0.0
        Clique margin (see :func:`tasktransfer.analysis.cliques`).
    alpha : float, default=0.05
        Significance level of the per-model persona tests and of the clique edges' tests.
    persona_test : {"run", "paper"}, default="run"
        The per-model persona test: ``"run"``, a sign-flip test whose unit is the run;
        ``"paper"``, the paper's Wilcoxon over (task, run) pairs (see
        :func:`tasktransfer.analysis.personas`).
    pooled_alpha : float, default=0.01
        Significance level of the pooled persona tests (several models only).
    threshold : float, default=0.25
        Smallest ``|mean PGF|`` drawn in the transfer graph.
    sizes : mapping of str to float or None, default=None
        Model size in billions per label, for labels that do not name their size.
    units : sequence of AnalysisUnit or None, default=None
        The analyses to run, in order; None means :data:`tasktransfer.units.UNITS`.
    ceilings : mapping of str to float or None, default=None
        The per-task ceilings the tables were read with (recorded; the bootstrap uses them).
    predictions : mapping of str to sequence of Prediction or None, default=None
        Per-question records by model label (a study's ``predictions.jsonl``): with them,
        every PGF, Δ/Θ and in-task gain gets a confidence interval
        (:func:`tasktransfer.analysis.bootstrap.bootstrap_intervals`).
    n_resamples, confidence, seed
        The bootstrap's resamples, interval level and random seed.
    adapters : mapping of str to mapping of (str, str) to Path, or None, default=None
        Adapter folders by model label, then (run, source) (a study's
        :meth:`~tasktransfer.contracts.StudyLayout.adapters`): with LoRA adapters, the
        similarity of the sources' weight updates (:mod:`tasktransfer.analysis.lora`).
    skills : mapping of str to sequence of str, or None, default=None
        Declared skills by task (a synthetic-suite study's; see
        :func:`tasktransfer.analysis.recovery.synthetic_skills`): with them, how well the
        mean PGF recovers the tasks' skill overlap (:mod:`tasktransfer.analysis.recovery`).

    Returns
    -------
    dict
        ``models`` (per model: the core ``tasks``, ``sources``, ``targets``, ``runs``,
        ``pgf_mean``, ``pgf_std``, ``pgf_runs``, ``abbrev``, ``origin``, ``size_b``,
        ``accuracy``, then the units' sections: ``in_task_gain``, ``graph``,
        ``transferability``, ``transferability_runs``, ``transferability_n``, ``summary``,
        ``personas``, ``cliques``, ``categories``), the units' top-level
        sections (``pooled`` when several models are given; ``scale``, per model smallest
        first, the task means of the four metrics; ``scale_trend``, see
        :func:`tasktransfer.analysis.scale_trend`) and ``options``. Floats may be NaN;
        arrays are lists.
    """
    # The units are built on this layer's functions, so they are imported when called.
    from tasktransfer.units import UNITS, Options

    if not models:
        raise ValueError("analyze needs at least one model")
    options = Options(
        registry=registry,
        include_diagonal=include_diagonal,
        tau=tau,
        alpha=alpha,
        persona_test=persona_test,
        pooled_alpha=pooled_alpha,
        threshold=threshold,
        ceilings=dict(ceilings or {}),
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
        predictions=dict(predictions or {}),
        adapters=dict(adapters or {}),
        skills=dict(skills or {}),
    )
    sizes = dict(sizes or {})
    analysis = Analysis(
        models={m.model: _core(m, registry, sizes.get(m.model)) for m in models},
        options=options.to_json(),
    )
    for unit in UNITS if units is None else units:
        if unit.compute is None:
            continue
        added = unit.compute(models, analysis, options)
        for label, sections in added.models.items():
            analysis.models[label].sections.update(sections)
        analysis.sections.update(added.shared)
    return analysis.to_json()


def _core(m: ModelRuns, registry: Registry, size: float | None) -> ModelEntry:
    mean, std = mean_std(m.pgf)
    return ModelEntry(
        tasks=list(m.tasks),
        sources=list(m.sources),
        targets=list(m.targets),
        runs=list(m.runs),
        pgf_mean=mean.tolist(),
        pgf_std=std.tolist(),
        pgf_runs=m.pgf.tolist(),
        abbrev=abbreviations(m.tasks, registry),
        origin=m.origin,
        size_b=size if size is not None else parse_size(m.model),
        accuracy=None
        if m.acc is None
        else {"finetuned": m.acc.tolist(), "zero_shot": m.acc0.tolist()},
    )


def abbreviations(tasks: Sequence[str], registry: Registry = REGISTRY) -> list[str]:
    """The registry's abbreviation of each task, or its name when it is not registered.

    Examples
    --------
    >>> abbreviations(["Counting", "My_Task"])
    ['CN', 'My_Task']
    """
    out = []
    for task in tasks:
        try:
            out.append(registry[task].abbrev)
        except UnknownTaskError:
            out.append(task)
    return out
