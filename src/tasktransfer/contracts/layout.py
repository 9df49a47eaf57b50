"""Where a study keeps its files: the one place that names them.

A study folder::

    config.yaml              the resolved configuration
    environment.json         package versions, git commit, device
    plan.json                every cell: {"cell": "<model>/<run>/<source>", "key", "folder"}
                             (cross-fit finetunes: "<model>/<run>/<source>/fold_<k>", "fold")
    selection_plan.json      the selection section's mixtures and arms (studies with one)
    cells/<model>/<run>/<source>/    (cross-fit finetunes: one more level, fold_<k>/)
        running.json         written when the cell starts (pid, host, time)
        failed.json          written when the cell raised (error, traceback)
        adapter/             the finetuned adapter (finetune cells)
        train_questions.json the training questions' ids, task -> [idx] (finetune cells)
        predictions.jsonl    one line per evaluated question
        done.json            written LAST, atomically: the cell's key and rows
    results.csv              every done cell's rows (:mod:`tasktransfer.contracts.results`);
                             cross-fit: each source's rows summed over its folds, once all
                             of them are done
    results-folds.csv        cross-fit studies: the finetune cells' rows per fold
    task_results.csv         results.csv without the mixture sources (studies with mixtures)
    predictions.jsonl        every done cell's predictions
    analysis/                what ``tasktransfer analyze`` writes, and report.html

``cells/`` is the study's own working area: the analysis and the report read the tables at
the top of the folder, never a cell's files, except the adapters, which the LoRA-weight
similarity compares (found through ``plan.json``, :meth:`StudyLayout.adapters`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tasktransfer.contracts.results import ZERO_SHOT


@dataclass(frozen=True)
class CellLayout:
    """The files of one cell's folder."""

    folder: Path

    @property
    def running(self) -> Path:
        return self.folder / "running.json"

    @property
    def failed(self) -> Path:
        return self.folder / "failed.json"

    @property
    def done(self) -> Path:
        return self.folder / "done.json"

    @property
    def adapter(self) -> Path:
        return self.folder / "adapter"

    @property
    def predictions(self) -> Path:
        return self.folder / "predictions.jsonl"

    @property
    def train_questions(self) -> Path:
        return self.folder / "train_questions.json"


def fold_label(fold: int) -> str:
    """``fold_1`` for cross-fit fold 1: the folder of its cell, and the end of its name."""
    return f"fold_{fold}"


@dataclass(frozen=True)
class StudyLayout:
    """The files of a study folder.

    Examples
    --------
    >>> layout = StudyLayout(Path("studies/q"))
    >>> layout.results.as_posix(), layout.cell("tiny", "seed_0", "zero-shot").done.as_posix()
    ('studies/q/results.csv', 'studies/q/cells/tiny/seed_0/zero-shot/done.json')
    """

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def environment(self) -> Path:
        return self.root / "environment.json"

    @property
    def plan(self) -> Path:
        return self.root / "plan.json"

    @property
    def selection_plan(self) -> Path:
        return self.root / "selection_plan.json"

    @property
    def results(self) -> Path:
        return self.root / "results.csv"

    @property
    def results_folds(self) -> Path:
        return self.root / "results-folds.csv"

    @property
    def task_results(self) -> Path:
        return self.root / "task_results.csv"

    @property
    def predictions(self) -> Path:
        return self.root / "predictions.jsonl"

    @property
    def analysis(self) -> Path:
        return self.root / "analysis"

    @property
    def cells(self) -> Path:
        return self.root / "cells"

    def cell(
        self, model_slug: str, run: str, source: str, *, fold: int | None = None
    ) -> CellLayout:
        """The folder of the cell of ``model_slug`` (a :func:`~tasktransfer.files.slugs`
        value), ``run`` and ``source`` (a task, mixture label or ``zero-shot``, all checked
        names), and of its cross-fit ``fold`` if it has one."""
        folder = self.cells / model_slug / run / source
        return CellLayout(folder if fold is None else folder / fold_label(fold))

    def adapters(self) -> dict[str, dict[tuple[str, str], Path]]:
        """Per model label, the adapter folder of each planned finetune cell that has one.

        Returns
        -------
        dict of str to dict of (str, str) to Path
            ``{model: {(run, source): folder}}``; empty without ``plan.json``. A folder
            may hold a LoRA adapter or a whole finetuned model (full finetuning). Of a
            cross-fit study's K adapters per (run, source), the one of fold 0.
        """
        if not self.plan.is_file():
            return {}
        out: dict[str, dict[tuple[str, str], Path]] = {}
        for entry in json.loads(self.plan.read_text(encoding="utf-8")):
            fold = entry.get("fold")
            if fold not in (None, 0):
                continue  # one adapter per (run, source): fold 0's
            # A model label may hold "/" (a hub id); run labels, sources, folds never do.
            model, run, source = entry["cell"].rsplit("/", 2 if fold is None else 3)[:3]
            adapter = CellLayout(self.root / entry["folder"]).adapter
            if source != ZERO_SHOT and adapter.is_dir():
                out.setdefault(model, {})[(run, source)] = adapter
        return out

    def is_study(self) -> bool:
        """Whether the folder holds a results table (a study that has run at least once)."""
        return self.results.is_file()
