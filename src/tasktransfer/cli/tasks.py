"""``tasktransfer tasks ls``: show the task registry."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from tasktransfer.cli.options import JsonOpt, LabelsOpt

app = typer.Typer(no_args_is_help=True)


@app.command("ls")
def list_(labels: LabelsOpt = None, as_json: JsonOpt = False) -> None:
    """List the registered tasks, their modality and answer type, and their labels.

    Example: tasktransfer tasks ls --labels my_labels.yaml
    """
    from tasktransfer.tasks import load_registry

    registry = load_registry(labels)
    if as_json:
        rows = [
            {
                "name": t.name,
                "abbrev": t.abbrev,
                "images": t.images,
                "choices": t.choices,
                "level": t.level,
                "granularity": t.granularity,
                "provenance": dict(t.provenance),
                "version": t.version,
                "answer_type": t.answer_type,
                "modality": t.modality,
            }
            for t in registry.values()
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(registry)} tasks")
    for column in ("name", "abbrev", "modality", "answer", "images", "choices", "level"):
        table.add_column(column)
    table.add_column("granularity")
    for t in registry.values():
        table.add_row(
            t.name,
            t.abbrev,
            t.modality,
            t.answer_type,
            str(t.images),
            str(t.choices),
            f"{t.level} ({t.provenance.get('level', '?')})",
            f"{t.granularity} ({t.provenance.get('granularity', '?')})",
        )
    Console().print(table)
