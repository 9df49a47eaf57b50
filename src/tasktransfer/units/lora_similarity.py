"""LoRA-weight similarity: do tasks whose finetuning moves the weights alike transfer alike?

From a study's LoRA adapters (:meth:`tasktransfer.contracts.StudyLayout.adapters`, passed as
``Options.adapters``), the cosine between the weight updates of every two sources, per layer
and over the whole model, averaged over runs (:mod:`tasktransfer.analysis.lora`); and its
correlation with the symmetrised mean PGF, ``(P + Pᵀ) / 2`` off the diagonal, with a
permutation p-value over task labels (:func:`tasktransfer.analysis.lora.mantel_test`; all
relabellings up to 10,000, else 10,000 drawn with the analysis's ``seed``).

Tables alone carry no adapters: the unit then adds nothing. A study whose finetunes are
full (the tiny preset) has no LoRA factors to compare; the unit says so rather than
differencing whole models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasktransfer.analysis.lora import cosine, is_lora_adapter, lora_gram, mantel_test, run_means
from tasktransfer.analysis.tables import ModelRuns
from tasktransfer.contracts.analysis import Analysis, ModelEntry
from tasktransfer.units.base import AnalysisUnit, Contribution, Options, ReportSection, fragment
from tasktransfer.units.text import TOP, fmt, fmt_p, plural

KEY = "lora_similarity"
N_PERMUTATIONS = 10_000
METHODS = ("spearman", "pearson")


def of(entry: ModelEntry) -> dict | None:
    """The model's LoRA-weight similarity, or None when the analysis had no adapters.

    ``tasks`` (sources with a LoRA adapter in every run, in the model's order), ``runs``,
    ``n_adapters``, ``n_full`` (full-finetune folders, not compared), ``skipped`` (why
    nothing was compared, when an adapter could not be read), ``matrix`` (mean
    within-run cosine, task x task), ``across_runs`` (mean cosine between different runs,
    None with one run), ``layers`` and ``per_layer`` (one matrix per layer), ``correlation``
    (per method, :func:`~tasktransfer.analysis.lora.mantel_test`'s result, None with fewer
    than three tasks).
    """
    return entry.sections.get(KEY)


def compute(models: Sequence[ModelRuns], analysis: Analysis, options: Options) -> Contribution:
    """Per model with adapters: the cosine matrices and their correlation with the PGF."""
    out = {}
    for label, entry in analysis.models.items():
        found = {
            key: folder
            for key, folder in options.adapters.get(label, {}).items()
            if key[0] in entry.runs and key[1] in entry.tasks
        }
        if found:
            out[label] = {KEY: _similarity(entry, found, seed=options.seed)}
    return Contribution(models=out)


def _similarity(entry: ModelEntry, adapters: dict, *, seed: int) -> dict:
    lora = {key: folder for key, folder in adapters.items() if is_lora_adapter(folder)}
    # A task counts when every run that finetuned on it left a LoRA adapter: a mean over
    # fewer runs for some tasks than for others would not be one matrix.
    tasks = [
        t
        for t in entry.tasks
        if any(s == t for _, s in lora) and all(k in lora for k in adapters if k[1] == t)
    ]
    runs = [r for r in entry.runs if any((r, t) in lora for t in tasks)]
    keys = [(r, t) for r in runs for t in tasks if (r, t) in lora]
    result = {
        "tasks": tasks,
        "runs": runs,
        "n_adapters": len(keys),
        "n_full": len(adapters) - len(lora),
    }
    if not keys:
        return result
    try:
        layers, gram = lora_gram([lora[k] for k in keys])
    except ValueError as err:
        # One unreadable adapter costs this section, not the whole analysis.
        return {**result, "skipped": str(err)}
    except ImportError:
        # safetensors comes with the model extra; analysing alone does not need it.
        return {**result, "skipped": "reading adapters needs safetensors (pip install safetensors)"}
    run_of = [runs.index(r) for r, _ in keys]
    task_of = [tasks.index(t) for _, t in keys]
    within, across = run_means(cosine(gram.sum(axis=0)), run_of, task_of, n_tasks=len(tasks))
    per_layer = [run_means(c, run_of, task_of, n_tasks=len(tasks))[0] for c in cosine(gram)]
    result.update(
        matrix=_json(within),
        across_runs=_json(across) if len(runs) > 1 else None,
        layers=layers,
        per_layer=[_json(m) for m in per_layer],
        correlation=_correlation(entry, tasks, within, seed=seed),
    )
    return result


def _correlation(entry: ModelEntry, tasks: list[str], within: np.ndarray, *, seed: int):
    """Spearman and Pearson with the symmetrised mean PGF, over the tasks with an update."""
    index = [entry.tasks.index(t) for t in tasks]
    pgf = np.array(entry.pgf_mean, dtype=float)[np.ix_(index, index)]
    symmetric = (pgf + pgf.T) / 2
    # A task whose update is zero in every run has no cosine; it leaves the test, and so
    # does a task never finetuned in a run with another (the one lacking the most pairs).
    keep = [i for i in range(len(tasks)) if np.isfinite(within[i, i])]
    while not np.isfinite(within[np.ix_(keep, keep)]).all():
        keep.pop(int(np.isnan(within[np.ix_(keep, keep)]).sum(axis=1).argmax()))
    if len(keep) < 3:
        return None
    x, y = within[np.ix_(keep, keep)], symmetric[np.ix_(keep, keep)]
    found = {
        method: mantel_test(x, y, method=method, n_permutations=N_PERMUTATIONS, seed=seed)
        for method in METHODS
    }
    return {"tasks": [tasks[i] for i in keep], **found}


def _json(matrix: np.ndarray) -> list[list[float]]:
    return np.asarray(matrix, dtype=float).tolist()


def _pairs(found: dict) -> list[tuple[float, str, str]]:
    """Every pair of tasks with its mean within-run cosine, most alike first."""
    tasks, matrix = found["tasks"], found["matrix"]
    pairs = [
        (matrix[i][j], tasks[i], tasks[j])
        for i in range(len(tasks))
        for j in range(i + 1, len(tasks))
        if matrix[i][j] is not None and np.isfinite(matrix[i][j])
    ]
    return sorted(pairs, reverse=True)


def model_findings(label: str, entry: ModelEntry, analysis: Analysis) -> list[str]:
    found = of(entry)
    if found is None:
        return []
    if not found["n_adapters"]:
        full = f" ({plural(found['n_full'], 'full finetune')})" if found["n_full"] else ""
        return [f"**LoRA-weight similarity.** No LoRA adapters in this study{full}."]
    if "skipped" in found:
        return [f"**LoRA-weight similarity.** Not computed: {found['skipped']}."]
    pairs = _pairs(found)
    text = (
        f"**LoRA-weight similarity** (cosine of the weight updates, mean over "
        f"{plural(len(found['runs']), 'run')}): "
    )
    if pairs:
        top = "; ".join(f"{a}–{b} {fmt(v)}" for v, a, b in pairs[:TOP])
        text += f"most alike {top}"
        if len(pairs) > TOP:
            v, a, b = pairs[-1]
            text += f"; least alike {a}–{b} {fmt(v)}"
        text += "."
    else:
        text += "no two sources to compare."
    across = found["across_runs"]
    same = [across[i][i] for i in range(len(found["tasks"]))] if across else []
    same = [v for v in same if v is not None and np.isfinite(v)]
    if same:
        text += (
            f" One task's adapters from different seeds agree at {fmt(float(np.mean(same)))} "
            "on average (adapters of one run share their random LoRA initialisation)."
        )
    correlation = found["correlation"]
    if correlation is None:
        text += " Too few tasks (fewer than three) to correlate with the PGF."
    else:
        s = correlation["spearman"]
        how = "all relabellings" if s["exact"] else f"{s['permutations'] - 1:,} relabellings"
        text += (
            f" Against the symmetrised mean PGF over {s['n_pairs']} pairs: Spearman "
            f"{fmt(s['r'])} (permutation p {fmt_p(s['p'])}, {how} of the tasks), Pearson "
            f"{fmt(correlation['pearson']['r'])} (p {fmt_p(correlation['pearson']['p'])})."
        )
    return [text]


def model_section(
    label: str, entry: ModelEntry, analysis: Analysis, prefix: str
) -> ReportSection | None:
    found = of(entry)
    if found is None:
        return None
    if not found["n_adapters"]:
        html = fragment(
            "<p>No LoRA adapters in this study{% if n %} ({{ n }} full finetune(s): whole "
            "models, no low-rank updates to compare){% endif %}.</p>",
            n=found["n_full"],
        )
        return ReportSection("LoRA-weight similarity", html)
    if "skipped" in found:
        html = fragment("<p>Not computed: {{ reason }}.</p>", reason=found["skipped"])
        return ReportSection("LoRA-weight similarity", html)
    div = f"{prefix}-lora"
    html = fragment(
        """<p class="hint">Cosine between the weight updates (scale · B·A of every adapted
module) of two sources' LoRA adapters, in the same run, averaged over runs; the menu shows
one layer at a time. Hover a cell for the similarity across runs and the symmetrised mean
PGF.</p>
<div class="figure" id="{{ div }}" data-rows="{{ n }}"></div>""",
        div=div,
        n=len(found["tasks"]),
    )
    return ReportSection(
        "LoRA-weight similarity", html, figures={div: heatmap_figure(label, entry)}
    )


def heatmap_figure(label: str, entry: ModelEntry) -> dict:
    """The task x task cosine matrix, with a menu over the whole model and each layer."""
    import plotly.graph_objects as go

    from tasktransfer.report.figures import layout, task_axis, text

    found = of(entry)
    tasks, n = found["tasks"], len(found["tasks"])
    index = [entry.tasks.index(t) for t in tasks]
    abbrev = [entry.abbrev[i] for i in index]
    pgf = np.array(entry.pgf_mean, dtype=float)[np.ix_(index, index)]
    symmetric = (pgf + pgf.T) / 2
    across = found["across_runs"]
    hover = [
        [
            "<br>".join(
                [
                    f"<b>{text(tasks[i])}</b> · <b>{text(tasks[j])}</b>",
                    f"whole model: cosine, same run {fmt(found['matrix'][i][j])}",
                    *([f"whole model: cosine, across runs {fmt(across[i][j])}"] if across else []),
                    f"symmetrised mean PGF: {fmt(_finite(symmetric[i, j]))}",
                ]
            )
            for j in range(n)
        ]
        for i in range(n)
    ]
    views = [("whole model", found["matrix"])] + list(
        zip(found["layers"], found["per_layer"], strict=True)
    )
    figure = go.Figure(
        go.Heatmap(
            z=found["matrix"],
            x=list(range(n)),
            y=list(range(n)),
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            colorscale="Viridis",
            # One colour scale for every view: a layer's cosines may be negative.
            zmin=min(0.0, *(_smallest(matrix) for _, matrix in views)),
            zmax=1.0,
            xgap=1,
            ygap=1,
            texttemplate="%{z:.2f}",
            textfont={"size": 10},
            colorbar={"title": {"text": "cosine", "side": "right"}, "thickness": 14},
        ),
        layout=layout(
            # The title on top, the layer menu under it, above the matrix.
            title={
                "text": f"{text(label)}: LoRA-weight similarity",
                "x": 0.02,
                "y": 0.98,
                "yanchor": "top",
            },
            xaxis={**task_axis(abbrev, "source"), "side": "bottom"},
            yaxis={**task_axis(abbrev, "source"), "autorange": "reversed"},
            height=max(420, 160 + 38 * n),
            width=max(460, 170 + 40 * n),
            margin={"l": 70, "r": 20, "t": 110, "b": 60},
            updatemenus=[
                {
                    "buttons": [
                        {"label": text(name), "method": "restyle", "args": [{"z": [matrix]}]}
                        for name, matrix in views
                    ],
                    "x": 0.0,
                    "xanchor": "left",
                    "y": 1.03,
                    "yanchor": "bottom",
                }
            ],
        ),
    )
    return figure.to_plotly_json()


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _smallest(matrix) -> float:
    values = [v for row in matrix for v in row if v is not None and np.isfinite(v)]
    return min(values, default=0.0)


UNIT = AnalysisUnit(
    KEY, compute=compute, model_findings=model_findings, model_section=model_section
)
