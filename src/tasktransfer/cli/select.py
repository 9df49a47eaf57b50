"""``tasktransfer select``: recommend a training mixture for target tasks from a PGF matrix.

Imports only the analysis and data layers (never torch), inside the command body.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from tasktransfer.cli.analyze import _pairs, _show
from tasktransfer.cli.options import ModelLabelOpt, ReferenceDirOpt


def select(
    target: Annotated[
        list[str],
        typer.Option(
            "--target",
            metavar="TASK",
            help="Task to train for (name or abbreviation); repeat for several targets.",
            show_default=False,
        ),
    ],
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="Where the PGF comes from: a study folder, a results table, a published PGF "
            "table, or sachdeva2026:3B|7B|32B.",
            show_default=False,
        ),
    ],
    budget: Annotated[
        int, typer.Option(help="Total number of training examples.", show_default=False)
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Mixture file (YAML) to write.", show_default=False)
    ],
    rule: Annotated[
        str,
        typer.Option(
            help="threshold: sources above --threshold, examples in proportion to PGF; "
            "topk: the --k best, equal shares; optimal: maximise the predicted gain summed "
            "over the targets (MILP).",
        ),
    ] = "threshold",
    threshold: Annotated[
        float, typer.Option(help="threshold rule: smallest mean PGF (exclusive).")
    ] = 0.0,
    k: Annotated[int, typer.Option("--k", help="topk rule: number of sources.")] = 3,
    cap: Annotated[
        int | None,
        typer.Option(
            help="Examples per source the PGF was measured with: the predicted gain grows "
            "linearly up to it and not beyond. Default: the budget.",
        ),
    ] = None,
    include_target: Annotated[
        bool, typer.Option("--include-target", help="Allow the targets' own data.")
    ] = False,
    available: Annotated[
        list[str] | None,
        typer.Option(
            "--available",
            metavar="TASK=N",
            help="Examples available of a task, TASK=N (0 rules it out); repeatable. "
            "Unlisted tasks are unlimited.",
        ),
    ] = None,
    model: ModelLabelOpt = None,
    reference_dir: ReferenceDirOpt = None,
) -> None:
    """Recommend a training mixture (task -> examples) for target tasks from transfer results.

    Prints each chosen source with the PGF behind it (mean ± std and range over
    runs) and writes the mixture file that finetune and run accept.

    Example:

      tasktransfer select --target Relative_Depth --from sachdeva2026:7B \\
          --budget 1000 --rule optimal --out mix.yaml
    """
    from tasktransfer.analysis.selection import load_pgf, select_sources
    from tasktransfer.data.mixture import mixture_from_selection, write_mixture
    from tasktransfer.tasks import REGISTRY

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = load_pgf(source, model=model, reference_dir=reference_dir)
    _show(caught)
    targets = [REGISTRY.resolve(t).name for t in target]
    counts = {REGISTRY.resolve(t).name: n for t, n in _pairs(available, "--available", int).items()}
    selection = select_sources(
        runs.pgf,
        runs.tasks,
        targets,
        budget,
        rule=rule,
        threshold=threshold,
        k=k,
        cap=cap,
        available=counts,
        include_target=include_target,
    )
    _print(selection, runs)
    if not selection.mixture:
        typer.secho("Nothing recommended; no mixture written.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    mixture = mixture_from_selection(
        selection,
        pgf_source=source,
        model=runs.model,
        threshold=threshold,
        k=k,
        include_target=include_target,
        available=counts,
    )
    write_mixture(mixture, out)
    typer.echo(f"Wrote {out}")


def _print(selection, runs) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"{selection.rule} mixture for {', '.join(selection.targets)} "
        f"({runs.model}, {len(runs.runs)} run(s))"
    )
    table.add_column("source")
    table.add_column("examples", justify="right")
    table.add_column("score", justify="right")
    for t in selection.targets:
        table.add_column(f"PGF -> {t}\nmean ± std [min, max]", justify="right")
    by_pair = {(e.source, e.target): e for e in selection.evidence}
    for task, n in selection.mixture.items():
        cells = []
        for t in selection.targets:
            e = by_pair[task, t]
            flag = " [yellow]crosses 0[/yellow]" if e.crosses_zero else ""
            cells.append(f"{e.mean:+.3f} ± {e.std:.3f} [{e.min:+.3f}, {e.max:+.3f}]{flag}")
        table.add_row(task, str(n), f"{selection.scores[task]:+.3f}", *cells)
    console.print(table)
    console.print(
        f"Predicted gain (PGF summed over targets): {selection.predicted_gain:.3f} "
        f"(linear up to {selection.cap} examples per source)"
    )
    for note in selection.notes:
        typer.secho(f"Warning: {note}", fg=typer.colors.YELLOW, err=True)
