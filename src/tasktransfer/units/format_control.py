"""Format-controlled PGF: the transfer left once each model state's letter prior is removed.

From the option scores a study's ``predictions.jsonl`` records (likelihood mode), every
(run, source, target) accuracy and every zero-shot accuracy is recomputed with its own letter
prior removed (:mod:`tasktransfer.analysis.format_control`); the PGF, Δ±/Θ± and cliques are
then computed from those accuracies exactly as from the raw ones, and reported beside them.
Per cell, ``prior_explained`` is the run-mean of ``raw PGF - controlled PGF``: the part of
the raw transfer that a shift of letter preference explains. The findings name the raw
graph edges and cliques that do not survive the control, and the transfer cells whose mean
exceeds run-to-run noise (:mod:`tasktransfer.analysis.noise`), raw and controlled.

Published tables and generation-mode predictions (no scores) cannot give the control; the
summary says so. Numeric targets (answers scored by closeness, no letters) have no letter
prior: their cells stay uncontrolled (``numeric`` names them) and out of the comparisons.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.format_control import TIE_RULE, controlled_tensors
from tasktransfer.analysis.metrics import (
    TRANSFERABILITY_METRICS,
    UndefinedPGFWarning,
    finite_mean,
    mean_std,
    pgf,
    transferability,
)
from tasktransfer.analysis.noise import run_noise
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units import cliques as cliques_unit
from tasktransfer.units import transferability as transferability_unit
from tasktransfer.units.base import (
    AnalysisUnit,
    Contribution,
    Options,
    ReportSection,
    answered_models,
    fragment,
)
from tasktransfer.units.text import fmt, plural

KEY = "format_control"
MEAN, STD, RUNS = "pgf_mean_controlled", "pgf_std_controlled", "pgf_runs_controlled"
TRANSFER, CLIQUES, EXPLAINED = "transferability_controlled", "cliques_controlled", "prior_explained"
TITLE = "Format-controlled PGF"
NEEDS = (
    "The format control needs per-question option scores (a study folder's "
    "predictions.jsonl in likelihood mode); a table of counts or of PGF alone cannot give it."
)


def of(entry: ModelEntry) -> dict | None:
    """The control's settings and summary (``mean_pgf``, ``in_task_gain``, each
    ``_controlled`` too), or ``{"skipped": reason}``; None without predictions."""
    return entry.sections.get(KEY)


def controlled(entry: ModelEntry) -> dict | None:
    """``pgf_mean``, ``pgf_std``, ``pgf_runs``, ``transferability``, ``cliques`` and
    ``prior_explained`` of the control (each the raw key's shape), or None."""
    found = of(entry)
    if not found or "skipped" in found:
        return None
    keys = {"pgf_mean": MEAN, "pgf_std": STD, "pgf_runs": RUNS, "transferability": TRANSFER}
    keys |= {"cliques": CLIQUES, "prior_explained": EXPLAINED}
    return {name: entry.sections[key] for name, key in keys.items()}


def cell(entry: ModelEntry, i: int, j: int) -> tuple[float | None, float | None] | None:
    """``(controlled mean PGF, prior explained)`` of cell ``(i, j)``, or None."""
    found = controlled(entry)
    if found is None:
        return None
    return found["pgf_mean"][i][j], found["prior_explained"][i][j]


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model with scored predictions: the controlled PGF, Δ/Θ, cliques and the part of
    each raw PGF the letter prior explains."""
    out, answered = answered_models(models, options, KEY)
    for m, answers in answered:
        acc, acc0, missing = controlled_tensors(m, answers.records)
        if missing:
            why = (
                "the predictions carry no option scores (generation mode)"
                if not np.isfinite(acc).any() and not np.isfinite(acc0).any()
                else f"{plural(missing, 'prediction')} carry no option scores"
            )
            out[m.model] = {KEY: {"skipped": why}}
            continue
        numeric = {p.target for p in answers.records if p.score is not None}
        acc = np.where(np.isfinite(m.acc), acc, np.nan)  # only the cells the table measured
        ceiling = np.array([options.ceilings.get(t, 1.0) for t in m.tasks])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedPGFWarning)
            runs = pgf(acc, acc0, ceiling=ceiling)
        mean, std = mean_std(runs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a cell undefined in every run
            explained = np.nanmean(np.asarray(m.pgf, dtype=float) - runs, axis=0)
        per_run = transferability(runs, include_diagonal=options.include_diagonal, **m.roles)
        averaged = {k: mean_std(v)[0] for k, v in per_run.items()}
        off = ~np.eye(len(m.tasks), dtype=bool)
        raw = transferability_unit.summary_of(analysis.models[m.model])
        out[m.model] = {
            KEY: {
                "method": "letter prior removed per (run, source, target), label-free",
                "ties": TIE_RULE,
                "threshold": options.threshold,
                "summary": {
                    "mean_pgf": raw["mean_pgf"],
                    "mean_pgf_controlled": finite_mean(mean[off]),
                    "in_task_gain": raw["in_task_gain"],
                    "in_task_gain_controlled": finite_mean(np.diag(mean)),
                    "mean_abs_prior_explained": finite_mean(np.abs(explained[off])),
                },
                "beyond_noise": {
                    "alpha": options.alpha,
                    "raw": _beyond_noise(m.pgf, off, m.tasks, options.alpha),
                    "controlled": _beyond_noise(runs, off, m.tasks, options.alpha),
                },
            },
            MEAN: mean.tolist(),
            STD: std.tolist(),
            RUNS: runs.tolist(),
            EXPLAINED: explained.tolist(),
            TRANSFER: {
                t: {k: float(averaged[k][i]) for k in TRANSFERABILITY_METRICS}
                for i, t in enumerate(m.tasks)
            },
            CLIQUES: cliques_unit.square_cliques(m, runs, options),
        }
        if numeric:
            out[m.model][KEY]["numeric"] = [t for t in m.tasks if t in numeric]
    return Contribution(models=out)


def _beyond_noise(pgf_runs, cells, tasks: Sequence[str], alpha: float) -> dict | None:
    """The pooled run-to-run noise of the transfer cells and the cells that exceed it."""
    noise = run_noise(pgf_runs, cells)
    if noise is None:
        return None
    return {
        "sd": noise.sd,
        "df": noise.df,
        "n_cells": noise.n_cells,
        "cells": [
            {
                "source": tasks[i],
                "target": tasks[j],
                "mean": float(noise.mean[i, j]),
                "q": float(noise.q[i, j]),
            }
            for i, j in noise.exceeding(alpha)
        ],
    }


def lost_edges(entry: ModelEntry, threshold: float) -> list[tuple[int, int]]:
    """Graph edges (``|raw mean PGF| >= threshold``, off the diagonal) whose controlled value
    falls below the threshold or flips sign."""
    found = controlled(entry)
    raw = np.array(entry.pgf_mean, dtype=float)
    ctrl = np.array(found["pgf_mean"], dtype=float)
    edge = _edges(entry, threshold)
    survives = np.isfinite(ctrl) & (np.abs(ctrl) >= threshold) & (np.sign(ctrl) == np.sign(raw))
    return [(int(i), int(j)) for i, j in np.argwhere(edge & ~survives)]


def _edges(entry: ModelEntry, threshold: float) -> np.ndarray:
    """The raw graph's edges that the control applies to (not into a numeric target)."""
    raw = np.array(entry.pgf_mean, dtype=float)
    edge = np.isfinite(raw) & (np.abs(raw) >= threshold) & ~np.eye(len(raw), dtype=bool)
    numeric = of(entry).get("numeric", [])
    edge[:, [entry.tasks.index(t) for t in numeric]] = False
    return edge


def lost_cliques(entry: ModelEntry) -> dict[str, list[list[str]]]:
    """Per sign, the raw cliques that are not cliques (nor inside one) under the control."""
    found, raw = controlled(entry), cliques_unit.of(entry)
    out = {}
    for sign, _ in cliques_unit.SIGNS:
        kept = [set(c) for c in found["cliques"][sign]]
        out[sign] = [c for c in raw[sign] if not any(set(c) <= k for k in kept)]
    return out


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    if found is None:
        return [f"**Format control.** {NEEDS}"]
    if "skipped" in found:
        return [f"**Format control.** Not computed: {found['skipped']}."]
    s, tasks = found["summary"], entry.tasks
    line = (
        f"**Format control.** With each model state's letter prior removed, the mean "
        f"transfer PGF is {fmt(s['mean_pgf_controlled'])} (raw {fmt(s['mean_pgf'])}) and the "
        f"in-task gain {fmt(s['in_task_gain_controlled'])} (raw {fmt(s['in_task_gain'])}); "
        f"the letter prior explains a mean |PGF| of {fmt(s['mean_abs_prior_explained'])} "
        "per transfer cell."
    )
    if found.get("numeric"):
        line += (
            f" Numeric targets ({', '.join(found['numeric'])}) have no letters, hence no "
            "letter prior: their cells are not controlled and are left out here."
        )
    threshold = found["threshold"]
    raw = np.array(entry.pgf_mean, dtype=float)
    n_edges = int(_edges(entry, threshold).sum())
    lost = lost_edges(entry, threshold)
    ctrl = controlled(entry)["pgf_mean"]
    if lost:
        named = ", ".join(
            f"{tasks[i]} → {tasks[j]} ({fmt(raw[i, j])} raw, {fmt(ctrl[i][j])} controlled)"
            for i, j in lost
        )
        line += (
            f" {len(lost)} of {plural(n_edges, 'graph edge')} (|PGF| ≥ {fmt(threshold)}) do "
            f"not survive the control: {named}."
        )
    elif n_edges:
        line += f" Every one of the {plural(n_edges, 'graph edge')} survives the control."
    gone = lost_cliques(entry)
    for sign, _ in cliques_unit.SIGNS:
        if gone[sign]:
            named = "; ".join("{" + ", ".join(c) + "}" for c in gone[sign])
            line += f" The {sign} clique(s) {named} do not survive the control."
    return [line, _noise_finding(found.get("beyond_noise"), entry.runs)]


def _noise_finding(noise: dict | None, runs: Sequence[str]) -> str:
    """Which transfer cells exceed run-to-run noise, controlled, with the raw count beside."""
    head = "**Beyond run-to-run noise.**"
    if noise is None or noise["controlled"] is None:
        return (
            f"{head} Not measurable with {plural(len(runs), 'run')}: the noise is the spread "
            "of a cell across runs, which takes at least two runs with some spread."
        )
    ctrl, raw, alpha = noise["controlled"], noise["raw"], noise["alpha"]
    how = (
        f"each transfer cell's spread over {len(runs)} runs, pooled over "
        f"{ctrl['n_cells']} cells (sd {fmt(ctrl['sd'])}, {ctrl['df']} df); two-sided t-test "
        f"of the cell's mean against 0, Benjamini-Hochberg q < {fmt(alpha)}"
    )
    if ctrl["cells"]:
        named = "; ".join(
            f"{c['source']} → {c['target']} {fmt(c['mean'])} (q {fmt(c['q'])})"
            for c in ctrl["cells"]
        )
        n = len(ctrl["cells"])
        line = f"{head} After the format control, {plural(n, 'transfer cell')} "
        line += f"{'exceeds' if n == 1 else 'exceed'} the noise of the runs ({how}): {named}."
    else:
        line = f"{head} After the format control, no transfer cell exceeds the noise of the "
        line += f"runs ({how}): every off-diagonal effect here is within run-to-run noise."
    n_raw = 0 if raw is None else len(raw["cells"])
    raw_only = (
        set()
        if raw is None
        else {(c["source"], c["target"]) for c in raw["cells"]}
        - {(c["source"], c["target"]) for c in ctrl["cells"]}
    )
    line += f" Raw, {plural(n_raw, 'cell')} {'exceeds' if n_raw == 1 else 'exceed'} it"
    if raw_only:
        line += "; of those, " + ", ".join(f"{s} → {t}" for s, t in sorted(raw_only))
        line += f" {'does' if len(raw_only) == 1 else 'do'} not after the control"
    return line + "."


def model_section(label: str, entry: ModelEntry, analysis: Analysis, prefix: str) -> ReportSection:
    found = of(entry)
    if found is None or "skipped" in found:
        reason = NEEDS if found is None else f"Not computed: {found['skipped']}."
        return ReportSection(TITLE, fragment('<p class="hint">{{ r }}</p>', r=reason))
    div = f"{prefix}-controlled"
    html = fragment(
        """<p class="hint">Each accuracy recomputed with the model state's own letter prior
removed (the mean log-probability of each letter over the target's questions; {{ ties }}).
Left: the raw mean PGF; middle: the controlled one, on the same colour scale; right: the part
of the raw PGF the letter prior explains (raw − controlled).</p>
<div class="figure" id="{{ div }}" data-rows="{{ n }}"></div>""",
        ties=found["ties"],
        div=div,
        n=len(entry.rows),
    )
    return ReportSection(TITLE, html, figures={div: controlled_figure(label, entry)})


def controlled_figure(label: str, entry: ModelEntry) -> dict:
    """Raw, controlled and prior-explained mean PGF side by side."""
    from plotly.subplots import make_subplots

    from tasktransfer.report.figures import layout, limit, matrix_axes, pgf_heatmap, text

    found, rows, columns = controlled(entry), entry.rows, entry.columns
    panels = [
        ("raw", entry.pgf_mean),
        ("controlled", found["pgf_mean"]),
        ("prior explained", found["prior_explained"]),
    ]
    largest = max(limit(entry.pgf_mean), limit(found["pgf_mean"]))
    figure = make_subplots(rows=1, cols=3, subplot_titles=[name for name, _ in panels])
    marks: dict[str, list] = {"shapes": [], "annotations": []}
    for k, (name, matrix) in enumerate(panels):
        hover = [
            [
                f"<b>{text(entry.tasks[i])}</b> → <b>{text(entry.tasks[j])}</b><br>"
                f"{name} {fmt(matrix[i][j])}"
                for j in columns
            ]
            for i in rows
        ]
        trace = pgf_heatmap(
            entry.rectangle(matrix),
            hover,
            largest=largest if k < 2 else limit(matrix),
            showscale=k == 1,
        )
        figure.add_trace(trace, row=1, col=k + 1)
        axes = matrix_axes(entry, axis="" if k == 0 else str(k + 1))
        for key in marks:  # the divider of each panel's targets-only columns
            marks[key] += axes.pop(key, [])
        figure.update_layout(axes)
    # The subplot titles are annotations already: the dividers' labels join them.
    figure.update_layout(shapes=marks["shapes"])
    for note in marks["annotations"]:
        figure.add_annotation(note)
    figure.update_layout(
        layout(
            title={"text": f"{text(label)}: mean PGF, raw and format-controlled", "x": 0.02},
            height=max(380, 140 + 38 * len(rows)),
            width=max(1100, 3 * (150 + 40 * len(columns))),
            margin={"l": 70, "r": 20, "t": 70, "b": 60},
        )
    )
    return figure.to_plotly_json()


UNIT = AnalysisUnit(
    "format_control", compute=compute, model_findings=model_findings, model_section=model_section
)
