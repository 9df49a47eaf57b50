"""``tasktransfer report``: (re)write ``report.html`` of an analysis or a study folder.

Imports only the report layer (never torch), inside the command body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tasktransfer.cli.options import LabelsOpt
from tasktransfer.errors import InputError


def report(
    folder: Annotated[
        Path,
        typer.Argument(
            help="An analysis folder (holding analysis.json) or a study folder (holding "
            "results.csv; its analysis/ subfolder is written first if missing).",
            show_default=False,
        ),
    ],
    labels: LabelsOpt = None,
) -> None:
    """Write report.html, the self-contained interactive report, from an analysis or a study.

    The page inlines plotly.js, so it opens offline. From a study folder it also
    shows the answer letters per (source, target), the configuration and the
    environment.

    Examples:

      tasktransfer report studies/quickstart

      tasktransfer report out/
    """
    from rich.console import Console

    from tasktransfer.report import analyze_to_folder, render_folder

    with Console(stderr=True).status("Rendering the report..."):
        if (folder / "analysis.json").is_file():
            page = render_folder(folder)  # shows its study.json, if any
        elif (folder / "results.csv").is_file():
            out = folder / "analysis"
            if (out / "analysis.json").is_file():
                page = render_folder(out, study_dir=folder)
            else:
                page = analyze_to_folder(
                    [folder / "results.csv"], out, labels=labels, study_dir=folder
                )
        else:
            raise InputError(
                f"{folder} holds neither analysis.json nor results.csv; give an analysis "
                "folder (tasktransfer analyze --out) or a study folder (tasktransfer run)"
            )
    typer.echo(f"Report: {page} ({page.stat().st_size / 1e6:.1f} MB, opens offline)")
