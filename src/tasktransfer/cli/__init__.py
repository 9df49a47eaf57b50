"""The ``tasktransfer`` command: thin typer commands over the library layers.

Each command module imports its heavy dependencies inside the command body, so that
``tasktransfer --help`` stays instant and the analysis commands never import torch.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from tasktransfer.cli import analyze as analyze_cli
from tasktransfer.cli import data as data_cli
from tasktransfer.cli import evaluate as evaluate_cli
from tasktransfer.cli import model as model_cli
from tasktransfer.cli import report as report_cli
from tasktransfer.cli import select as select_cli
from tasktransfer.cli import study as study_cli
from tasktransfer.cli import tasks as tasks_cli
from tasktransfer.cli.quiet import quiet_libraries
from tasktransfer.errors import TaskTransferError
from tasktransfer.tasks import UnknownTaskError

app = typer.Typer(
    name="tasktransfer",
    help="Measure task transfer in vision-language models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Also show the progress bars, logs and warnings of transformers, "
            "datasets, huggingface_hub, accelerate, peft, torch and Ray (hidden by default).",
        ),
    ] = False,
) -> None:
    """Measure task transfer in vision-language models."""
    if not verbose:
        ctx.with_resource(quiet_libraries())


app.add_typer(tasks_cli.app, name="tasks", help="The task registry.")
app.add_typer(data_cli.app, name="data", help="Example data: synthesise, look, count.")
app.command("run")(study_cli.run)
app.command("status")(study_cli.status)
app.command("analyze")(analyze_cli.analyze)
app.command("export")(analyze_cli.export)
app.command("report")(report_cli.report)
app.command("select")(select_cli.select)
app.add_typer(model_cli.app, name="model", help="The offline tiny model.")
app.command("finetune")(model_cli.finetune)
app.command("evaluate")(evaluate_cli.evaluate)


# Errors a user can act on become one line; set TASKTRANSFER_DEBUG=1 for the traceback.
_USER_ERRORS = (TaskTransferError, UnknownTaskError, FileNotFoundError)


def main() -> None:
    """Entry point of the ``tasktransfer`` console script."""
    try:
        app()
    except _USER_ERRORS as err:
        if os.environ.get("TASKTRANSFER_DEBUG"):
            raise
        typer.secho(f"Error: {err}", fg=typer.colors.RED, err=True)
        sys.exit(1)
