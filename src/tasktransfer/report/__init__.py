"""Reports of an analysis: ``analysis.json``, CSV tables, ``summary.md``, PNGs, ``report.html``.

:func:`analyze_to_folder` is the one call from tables to a finished folder. Everything but
``analysis.json`` and the CSVs is rendered from ``analysis.json`` by :func:`render_folder`,
so the summary, the figures and the page always show one set of numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from tasktransfer.errors import InputError
from tasktransfer.files import slugs, write_atomic
from tasktransfer.report.files import (
    SELECTION_JSON,
    read_pgf_csv,
    write_json,
    write_pgf_csv,
    write_pgf_mean_csv,
    write_transferability_csv,
)

__all__ = [
    "analyze_to_folder",
    "load_labels",
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
    pooled_alpha: float = 0.01,
    threshold: float = 0.25,
    study_dir: str | Path | None = None,
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
    ceilings, sizes, include_diagonal, tau, alpha, pooled_alpha, threshold
        See :func:`tasktransfer.analysis.analyze` and
        :func:`tasktransfer.analysis.read_inputs`.
    study_dir : str or Path or None, default=None
        The study folder the inputs came from; the page then shows its answer letters,
        configuration and environment (see :func:`render_folder`).

    Returns
    -------
    Path
        The path of ``report.html``.
    """
    from tasktransfer.analysis import analyze, read_inputs

    registry = load_labels(labels)
    read = read_inputs(
        inputs, models=models, registry=registry, ceilings=ceilings, reference_dir=reference_dir
    )
    analysis = analyze(
        read,
        registry=registry,
        include_diagonal=include_diagonal,
        tau=tau,
        alpha=alpha,
        pooled_alpha=pooled_alpha,
        threshold=threshold,
        sizes=sizes,
    )
    out_dir = Path(out_dir)
    names = slugs([m.model for m in read])
    analysis["options"]["ceilings"] = dict(ceilings or {})
    for m in read:
        analysis["models"][m.model] |= _page_details(m, registry, include_diagonal)
        analysis["models"][m.model]["files"] = _files(names[m.model])
    write_json(analysis, out_dir / "analysis.json")
    for m in read:
        write_pgf_csv(m, out_dir / f"pgf_{names[m.model]}.csv")
    return render_folder(out_dir, labels=labels, study_dir=study_dir)


def load_labels(labels: str | Path | None):
    """:func:`tasktransfer.tasks.load_registry`, with a bad file as an ``InputError``."""
    from tasktransfer.tasks import load_registry

    try:
        return load_registry(labels)
    except (ValueError, OSError) as err:  # a bad or missing labels file is the user's to fix
        raise InputError(f"--labels {labels}: {err}") from err


def _page_details(m, registry, include_diagonal: bool) -> dict:
    """What the page shows beyond ``analyze``: abbreviations, per-run Δ/Θ, accuracies.

    Computed here, once, so that rendering (possibly later, by ``tasktransfer report``)
    only reads ``analysis.json`` and never needs the tables or the labels file again.
    """
    from tasktransfer.analysis import transferability
    from tasktransfer.report.plots import abbreviations

    per_run = transferability(m.pgf, include_diagonal=include_diagonal)
    return {
        "abbrev": abbreviations(m.tasks, registry),
        "transferability_runs": {k: v.tolist() for k, v in per_run.items()},
        "accuracy": None
        if m.acc is None
        else {"finetuned": m.acc.tolist(), "zero_shot": m.acc0.tolist()},
    }


def _files(slug: str) -> dict[str, str]:
    return {
        "pgf": f"pgf_{slug}.csv",
        "pgf_mean": f"pgf_mean_{slug}.csv",
        "transferability": f"transferability_{slug}.csv",
        "heatmap": f"heatmap_{slug}.png",
        "graph": f"graph_{slug}.png",
    }


def render_folder(
    out_dir: str | Path,
    *,
    labels: str | Path | None = None,
    study_dir: str | Path | None = None,
) -> Path:
    """Write the tables, ``summary.md``, the PNGs and ``report.html`` from ``analysis.json``.

    Parameters
    ----------
    out_dir : str or Path
        The analysis folder (holding ``analysis.json``).
    labels : str or Path or None, default=None
        Task labels for the PNGs (see :func:`load_labels`).
    study_dir : str or Path or None, default=None
        The study folder the analysis came from: its configuration, environment and
        answer-letter counts are (re)written to ``study.json`` and shown in the page. Without
        it, an existing ``study.json`` in ``out_dir`` is shown. A ``selection.json`` in
        ``out_dir`` (a study with a selection section) adds the selection experiment.

    Returns
    -------
    Path
        The path of ``report.html``.
    """
    from tasktransfer.report.html import render_html
    from tasktransfer.report.plots import graph_png, heatmap_png
    from tasktransfer.report.study import STUDY_FILE, collect_study
    from tasktransfer.report.summary import render_summary

    out_dir = Path(out_dir)
    registry = load_labels(labels)
    source = out_dir / "analysis.json"
    if not source.is_file():
        raise InputError(f"{out_dir} holds no analysis.json; run `tasktransfer analyze` first")
    analysis = json.loads(source.read_text())
    if study_dir is not None:
        write_json(collect_study(study_dir), out_dir / STUDY_FILE)
    study_file = out_dir / STUDY_FILE
    study = json.loads(study_file.read_text()) if study_file.is_file() else None
    # File names are derived again from the labels, never taken from the JSON.
    names = slugs(list(analysis["models"]))
    runs_pgf = {}
    for label, entry in analysis["models"].items():
        files = {k: out_dir / v for k, v in _files(names[label]).items()}
        write_pgf_mean_csv(entry, files["pgf_mean"])
        write_transferability_csv(entry, files["transferability"])
        heatmap_png(label, entry, files["heatmap"], registry=registry)
        graph_png(label, entry, files["graph"], registry=registry)
        runs_pgf[label] = read_pgf_csv(files["pgf"])
    selection_file = out_dir / SELECTION_JSON
    selection = json.loads(selection_file.read_text()) if selection_file.is_file() else None
    summary = render_summary(analysis, selection=selection["targets"] if selection else None)
    write_atomic(out_dir / "summary.md", summary)
    page = render_html(analysis, summary, runs_pgf=runs_pgf, study=study, selection=selection)
    return write_atomic(out_dir / "report.html", page)
