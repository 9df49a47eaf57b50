"""Reports of an analysis: ``analysis.json``, CSV tables, ``summary.md``, PNGs, ``report.html``.

:func:`analyze_to_folder` is the one call from tables to a finished folder. Everything but
``analysis.json`` and the CSVs is rendered from ``analysis.json`` by :func:`render_folder`,
so the summary, the figures and the page always show one set of numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tasktransfer.contracts.analysis import (
    Analysis,
    AnalysisLayout,
    read_analysis,
    read_json,
    write_json,
)
from tasktransfer.contracts.layout import StudyLayout
from tasktransfer.files import slugs, write_atomic
from tasktransfer.report.files import (
    write_pgf_csv,
    write_pgf_mean_csv,
    write_transferability_csv,
)

__all__ = [
    "analyze_to_folder",
    "render_folder",
    "write_json",
    "write_pgf_csv",
]


def analyze_to_folder(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    models: Sequence[str | None] | None = None,
    labels: str | Path | None = None,
    reference_dir: str | Path | None = None,
    ceilings: Mapping[str, float] | None = None,
    sizes: Mapping[str, float] | None = None,
    include_diagonal: bool = False,
    tau: float = 0.0,
    alpha: float = 0.05,
    persona_test: str = "run",
    pooled_alpha: float = 0.01,
    threshold: float = 0.25,
    study_dir: str | Path | None = None,
    units: Sequence | None = None,
    skills: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Read the tables, analyse them, and write every output into ``out_dir``.

    Parameters
    ----------
    inputs : sequence of str or Path
        Results tables, published PGF tables, or ``sachdeva2026:SIZE`` aliases.
    out_dir : str or Path
        Created if needed; existing outputs of the same names are replaced.
    models : sequence of (str or None) or None, default=None
        One label per input (see :func:`tasktransfer.analysis.read_inputs`).
    labels : str or Path or None, default=None
        YAML file overriding task labels (see :func:`tasktransfer.tasks.load_registry`).
    reference_dir : str or Path or None, default=None
        Folder holding the published tables (else ``TASKTRANSFER_REFERENCE_DIR``, else
        download).
    ceilings, sizes, include_diagonal, tau, alpha, persona_test, pooled_alpha, threshold
        See :func:`tasktransfer.analysis.analyze` and
        :func:`tasktransfer.analysis.read_inputs`.
    study_dir : str or Path or None, default=None
        The study folder the inputs came from; the page then shows its answer letters,
        configuration and environment (see :func:`render_folder`), and its
        ``predictions.jsonl`` gives every number a confidence interval, and its LoRA
        adapters the similarity of the sources' weight updates.
    units : sequence of AnalysisUnit or None, default=None
        The analyses to run and show; None means :data:`tasktransfer.units.UNITS`.
    skills : mapping of str to sequence of str, or None, default=None
        Declared skills by task (ground-truth recovery); None: the synthetic suite's when
        the study's ``config.yaml`` evaluates on it (``eval_data.source: synthetic``),
        else none.

    Returns
    -------
    Path
        The path of ``report.html``.
    """
    from tasktransfer.analysis import analyze, read_inputs
    from tasktransfer.tasks import load_registry

    registry = load_registry(labels)
    read = read_inputs(
        inputs, models=models, registry=registry, ceilings=ceilings, reference_dir=reference_dir
    )
    predictions = _predictions(study_dir)
    adapters = StudyLayout(Path(study_dir)).adapters() if study_dir is not None else {}
    if skills is None:
        skills = _study_skills(study_dir)
    result = analyze(
        read,
        registry=registry,
        include_diagonal=include_diagonal,
        tau=tau,
        alpha=alpha,
        persona_test=persona_test,
        pooled_alpha=pooled_alpha,
        threshold=threshold,
        sizes=sizes,
        units=units,
        ceilings=ceilings,
        predictions=predictions,
        adapters=adapters,
        skills=skills,
    )
    analysis = Analysis.from_json(result)
    layout = AnalysisLayout(Path(out_dir))
    names = slugs([m.model for m in read])
    for m in read:
        files = layout.model(names[m.model])
        analysis.models[m.model].files = files.as_json()
        write_pgf_csv(m, files.pgf)
    write_json(analysis.to_json(), layout.analysis_json)
    return render_folder(layout.root, study_dir=study_dir, units=units)


def _study_skills(study_dir: str | Path | None) -> dict[str, list[str]]:
    """The synthetic suite's declared skills when the study evaluated on it, else none.

    Only a ``config.yaml`` that names the synthetic source counts: BLINK tasks bear the
    same names and declare no skills.
    """
    if study_dir is None or not StudyLayout(Path(study_dir)).config.is_file():
        return {}
    import yaml

    try:
        config = yaml.safe_load(StudyLayout(Path(study_dir)).config.read_text())
    except yaml.YAMLError:
        return {}
    eval_data = config.get("eval_data") if isinstance(config, dict) else None
    if not isinstance(eval_data, dict) or eval_data.get("source") != "synthetic":
        return {}
    from tasktransfer.analysis.recovery import synthetic_skills

    return synthetic_skills()


def _predictions(study_dir: str | Path | None) -> dict[str, list]:
    """A study's per-question records by model label; none without a study or the file."""
    from tasktransfer.contracts import StudyLayout, read_predictions

    if study_dir is None or not StudyLayout(Path(study_dir)).predictions.is_file():
        return {}
    out: dict[str, list] = {}
    for record in read_predictions(StudyLayout(Path(study_dir)).predictions):
        out.setdefault(record.model, []).append(record)
    return out


def render_folder(
    out_dir: str | Path,
    *,
    study_dir: str | Path | None = None,
    units: Sequence | None = None,
) -> Path:
    """Write the tables, ``summary.md``, the PNGs and ``report.html`` from ``analysis.json``.

    Parameters
    ----------
    out_dir : str or Path
        The analysis folder (holding ``analysis.json``).
    study_dir : str or Path or None, default=None
        The study folder the analysis came from: its configuration, environment and
        answer-letter counts are (re)written to ``study.json`` and shown in the page. Without
        it, an existing ``study.json`` in ``out_dir`` is shown (and ``summary.md`` names
        its format-mismatch rows). A ``selection.json`` in
        ``out_dir`` (a study with a selection section) adds the selection experiment.
    units : sequence of AnalysisUnit or None, default=None
        Whose findings and sections to show; None means :data:`tasktransfer.units.UNITS`.

    Returns
    -------
    Path
        The path of ``report.html``.
    """
    from tasktransfer.report.html import render_html
    from tasktransfer.report.plots import graph_png, heatmap_png
    from tasktransfer.report.study import collect_study
    from tasktransfer.report.summary import render_summary

    layout = AnalysisLayout(Path(out_dir))
    analysis = read_analysis(layout.root)
    if study_dir is not None:
        write_json(collect_study(study_dir), layout.study)
    study = read_json(layout.study) if layout.study.is_file() else None
    # File names are derived again from the labels, never taken from the JSON.
    names = slugs(list(analysis.models))
    for label, entry in analysis.models.items():
        files = layout.model(names[label])
        write_pgf_mean_csv(entry, files.pgf_mean)
        write_transferability_csv(entry, files.transferability)
        heatmap_png(label, entry, files.heatmap)
        graph_png(label, entry, files.graph)
    summary = render_summary(analysis, units=units, study=study)
    write_atomic(layout.summary, summary)
    return write_atomic(layout.report, render_html(analysis, summary, study=study, units=units))
