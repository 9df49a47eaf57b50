"""``tasktransfer analyze`` and ``tasktransfer export``: the analysis layer from the shell.

Both import only the analysis and report layers (never torch), inside the command body.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Literal

import typer

from tasktransfer.cli.options import CeilingOpt, LabelsOpt, ModelLabelOpt, ReferenceDirOpt
from tasktransfer.errors import InputError

ModelLabelsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        metavar="LABEL",
        help="Model label of each input, in input order (give one per input). Default: the "
        "table's model column, else the file name.",
    ),
]


def analyze(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Results tables (columns model, run, source, target, n_correct, n_total), "
            "published PGF tables (seed, ft_task, task, perfection_gap_factor), "
            "sachdeva2026:3B|7B|32B, or one study folder (its results table, predictions "
            "and LoRA adapters).",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output folder.", show_default=False)],
    model: ModelLabelsOpt = None,
    reference_dir: ReferenceDirOpt = None,
    labels: LabelsOpt = None,
    include_diagonal: Annotated[
        bool, typer.Option("--include-diagonal", help="Count the in-task gain in Δ and Θ.")
    ] = False,
    tau: Annotated[float, typer.Option(help="Clique margin: mean PGF beyond ±tau.")] = 0.0,
    alpha: Annotated[
        float, typer.Option(help="Significance level of persona and clique-edge tests.")
    ] = 0.05,
    persona_test: Annotated[
        Literal["run", "paper"],
        typer.Option(
            "--persona-test",
            help="Per-model persona test: 'run' (sign-flip over runs, the run as the unit) "
            "or 'paper' (the paper's Wilcoxon over (task, run) pairs).",
        ),
    ] = "run",
    pooled_alpha: Annotated[
        float, typer.Option(help="Significance level of the pooled persona tests.")
    ] = 0.01,
    threshold: Annotated[
        float, typer.Option(help="Transfer graph: smallest |mean PGF| drawn.")
    ] = 0.25,
    ceiling: CeilingOpt = None,
    size: Annotated[
        list[str] | None,
        typer.Option(
            "--size",
            metavar="LABEL=SIZE",
            help="Model size LABEL=SIZE (e.g. tiny=0.01 or mymodel=7B), for labels that do "
            "not name their size; repeatable.",
        ),
    ] = None,
    skills: Annotated[
        str | None,
        typer.Option(
            "--skills",
            metavar="synthetic",
            help="The tasks' declared skills, for ground-truth recovery: 'synthetic' (the "
            "synthetic suite's generators). Default: a study folder's own, when its "
            "config.yaml evaluates on the synthetic suite; none for tables alone.",
        ),
    ] = None,
) -> None:
    """Analyse transfer results: PGF, transferability, personas, cliques, graph, scale.

    Writes into --out: analysis.json, summary.md, report.html, and per model
    pgf_<model>.csv, pgf_mean_<model>.csv, transferability_<model>.csv,
    heatmap_<model>.png and graph_<model>.png.

    Examples:

      tasktransfer analyze studies/quickstart/results.csv --out out/

      tasktransfer analyze studies/quickstart --out out/

      tasktransfer analyze sachdeva2026:3B sachdeva2026:7B sachdeva2026:32B \\
          --out out/
    """
    from rich.console import Console

    from tasktransfer.report import analyze_to_folder

    if skills not in (None, "synthetic"):
        raise InputError(f"--skills takes 'synthetic'; got {skills!r}")
    declared = None
    if skills == "synthetic":
        from tasktransfer.analysis.recovery import synthetic_skills

        declared = synthetic_skills()
    inputs, study_dir = _study_inputs(inputs)
    console = Console(stderr=True)
    with warnings.catch_warnings(record=True) as caught, console.status("Analysing..."):
        warnings.simplefilter("always")
        report = analyze_to_folder(
            inputs,
            out,
            models=model or None,
            labels=labels,
            reference_dir=reference_dir,
            ceilings=_pairs(ceiling, "--ceiling", float),
            sizes=_pairs(size, "--size", _size),
            include_diagonal=include_diagonal,
            tau=tau,
            alpha=alpha,
            persona_test=persona_test,
            pooled_alpha=pooled_alpha,
            threshold=threshold,
            study_dir=study_dir,
            skills=declared,
        )
    _show(caught)
    typer.echo(f"Wrote {out / 'analysis.json'}, {out / 'summary.md'} and the tables and figures.")
    typer.echo(f"Report: {report}")


def export(
    results: Annotated[
        Path, typer.Argument(help="A results table of counts (or a PGF table).", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.", show_default=False)],
    model: ModelLabelOpt = None,
    labels: LabelsOpt = None,
    ceiling: CeilingOpt = None,
) -> None:
    """Write a results table in the published PGF format.

    The columns are seed, ft_task, task, perfection_gap_factor.

    Example:

      tasktransfer export studies/tiny/results.csv --model tiny --out pgf_tiny.csv
    """
    from tasktransfer.analysis import read_table
    from tasktransfer.report import write_pgf_csv
    from tasktransfer.tasks import load_registry

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tables = read_table(
            results,
            registry=load_registry(labels),
            ceilings=_pairs(ceiling, "--ceiling", float),
        )
    _show(caught)
    found = [t.model for t in tables]
    chosen = [t for t in tables if model in (None, t.model)]
    if model is not None and not chosen:
        raise InputError(f"{results}: no model {model!r}; the table holds {', '.join(found)}")
    if len(chosen) > 1:
        raise InputError(
            f"{results} holds {len(found)} models ({', '.join(found)}); choose one with --model"
        )
    write_pgf_csv(chosen[0], out)
    typer.echo(f"Wrote {out} ({chosen[0].model}, {len(chosen[0].runs)} runs)")


def _study_inputs(inputs: list[str]) -> tuple[list[str], Path | None]:
    """A study folder given as the input becomes its table, and the study it came from."""
    from tasktransfer.contracts import StudyLayout

    if not any(Path(item).is_dir() for item in inputs):
        return inputs, None
    if len(inputs) > 1:
        raise InputError(
            "a study folder is analysed on its own; to compare it with other tables, give "
            "its results.csv instead"
        )
    layout = StudyLayout(Path(inputs[0]))
    if not layout.is_study():
        raise InputError(f"{layout.root} is not a study folder: it holds no results.csv")
    # A study with mixtures is analysed on its tasks' rows, as `tasktransfer run` does.
    table = layout.task_results if layout.task_results.is_file() else layout.results
    return [str(table)], layout.root


def _pairs(items, option, convert):
    """``["A=1", "B=2"]`` -> ``{"A": convert("1"), ...}``; a malformed item is an InputError."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"{option} expects KEY=VALUE; got {item!r}")
        try:
            out[key.strip()] = convert(value.strip())
        except ValueError:
            raise InputError(f"{option} {item!r}: cannot read the value {value!r}") from None
    return out


def _size(text: str) -> float:
    """``"7B"`` -> 7.0, ``"500M"`` -> 0.5, ``"0.01"`` -> 0.01 (billions)."""
    from tasktransfer.analysis import parse_size

    parsed = parse_size(text)
    return parsed if parsed is not None else float(text)


def _show(caught) -> None:
    # A warning is one line for a person, not a source location.
    for w in caught:
        typer.secho(f"Warning: {w.message}", fg=typer.colors.YELLOW, err=True)
