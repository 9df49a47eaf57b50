"""The study progress bar: cells done of total, the current cell, elapsed time and ETA."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tasktransfer.study.cells import Cell


class CellProgress:
    """A context manager around a rich progress bar that executors report cells to."""

    def __init__(self, *, total: int, done: int, enabled: bool = True):
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self._task = self._progress.add_task("cells", total=total, completed=done)
        self._running: list[str] = []
        self._console = self._progress.console

    def __enter__(self) -> CellProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)

    def start(self, cell: Cell) -> None:
        self._running.append(cell.name)
        self._describe()

    def finish(self, cell: Cell, error: BaseException | None) -> None:
        self._running.remove(cell.name)
        self._progress.advance(self._task)
        if error is not None:
            self._console.print(f"[red]cell {cell.name} failed: {error!r}")
        self._describe()

    def _describe(self) -> None:
        running = self._running
        if not running:
            text = "cells"
        elif len(running) == 1:
            text = running[0]
        else:
            text = f"{running[0]} (+{len(running) - 1} more)"
        self._progress.update(self._task, description=text)
