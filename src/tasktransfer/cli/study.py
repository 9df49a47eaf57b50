"""``tasktransfer run`` and ``tasktransfer status``: whole studies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tasktransfer.cli.options import JsonOpt, NoProgressOpt


def run(
    config: Annotated[str, typer.Argument(help="A shipped config name or a YAML file.")],
    overrides: Annotated[
        list[str] | None,
        typer.Argument(help="key=value settings with dotted keys, e.g. finetune.steps=50."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="The study folder.")] = None,
    executor: Annotated[
        str | None, typer.Option(help="local or ray (same as executor.kind=...).")
    ] = None,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (same as executor.address=...).")
    ] = None,
    force: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CELL",
            help="Redo these cells even if done: a name, a glob, or 'all'. Repeatable.",
        ),
    ] = None,
    no_progress: NoProgressOpt = False,
) -> None:
    """Run a transfer study: finetune on each task, evaluate on all, analyse, report.

    Re-running the same command resumes: done cells are skipped, partial ones
    redone.

    Examples:

      tasktransfer run quickstart

      tasktransfer run synthetic-full --out studies/full seeds='[0, 1]' \\
          finetune.steps=200

      tasktransfer run blink-qwen2.5-vl-3b train_data.source=/data/blink-train \\
          --executor ray
    """
    from tasktransfer.study.config import load_study_config
    from tasktransfer.study.runner import run_study

    settings = list(overrides or [])
    if executor is not None:
        settings.append(f"executor.kind={executor}")
    if address is not None:
        settings.append(f"executor.address={address}")
    study = load_study_config(config, settings, output=out)
    outcome = run_study(study, force=force or (), progress=not no_progress)
    typer.echo(
        f"{len(outcome.ran)} cells run, {len(outcome.skipped)} already done; "
        f"results: {outcome.study_dir / 'results.csv'}"
    )
    typer.echo(f"Report: {outcome.report}")


def status(
    study_dir: Annotated[Path, typer.Argument(help="The study folder.")],
    as_json: JsonOpt = False,
) -> None:
    """Show which cells of a study are done, running, failed, stale or pending.

    Example: tasktransfer status studies/quickstart
    """
    from tasktransfer.errors import InputError
    from tasktransfer.study.status import study_status

    if not (study_dir / "plan.json").exists():
        raise InputError(f"{study_dir} is not a study folder (no plan.json); run a study first.")
    states = study_status(study_dir)
    if as_json:
        typer.echo(json.dumps(states, indent=2))
        return
    table = Table(title=str(study_dir))
    for column in ("cell", "state", "detail"):
        table.add_column(column)
    for row in states:
        table.add_row(row["cell"], row["state"], row["detail"])
    counts = {}
    for row in states:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    console = Console()
    console.print(table)
    console.print(", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
