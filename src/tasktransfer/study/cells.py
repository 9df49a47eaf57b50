"""Cells: the units of work of a study, their content keys, and how one cell runs.

Per (model, run) there is one zero-shot cell that evaluates the base model on every target;
per (model, run, source) one finetune cell that finetunes on the source and evaluates the
adapter on every target (under the cross-fit protocol, one per fold: see
:mod:`tasktransfer.study.crossfit`). The sources are the study's tasks, then its mixtures
(labelled task -> count mixtures, sampled from the training data by the run's seed); the
targets are the tasks and the config's other ``targets``. A cell's key
hashes everything its result depends on (model settings, seed, source, mixture counts, data
fingerprints, finetune and evaluation settings, package version), so a resumed study
redoes exactly the cells whose inputs changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tasktransfer
from tasktransfer.contracts import ZERO_SHOT, CellLayout, ResultRow, StudyLayout
from tasktransfer.contracts.layout import fold_label
from tasktransfer.data import Example
from tasktransfer.errors import InputError
from tasktransfer.files import slugs, write_json_atomic
from tasktransfer.model import ModelConfig
from tasktransfer.model.threads import torch_threads
from tasktransfer.study.config import StudyConfig, run_label
from tasktransfer.study.store import write_done


@dataclass(frozen=True)
class Cell:
    """One unit of work: a zero-shot evaluation (``source=None``) or a finetune + evaluation.

    A finetune cell's ``source`` is a task name, or a mixture label with its counts in
    ``mixture`` (task -> examples). A cross-fit cell has its ``fold``: it trains on the
    source's evaluation questions outside that fold and answers the targets' inside it.
    """

    model: ModelConfig
    seed: int
    source: str | None
    key: str
    model_slug: str  # the model's folder name, unique within the study
    mixture: dict[str, int] | None = field(default=None, compare=False)  # compared via key
    fold: int | None = None

    @property
    def run(self) -> str:
        return run_label(self.seed)

    @property
    def source_label(self) -> str:
        """The ``source`` column of this cell's rows: the task, mixture label or ``zero-shot``."""
        return self.source or ZERO_SHOT

    @property
    def name(self) -> str:
        """``<model>/<run>/<source>[/fold_<k>]``, the name ``--force`` and ``status`` use."""
        name = f"{model_label(self.model)}/{self.run}/{self.source_label}"
        return name if self.fold is None else f"{name}/{fold_label(self.fold)}"

    def files(self, layout: StudyLayout) -> CellLayout:
        """This cell's folder in the study of ``layout``."""
        return layout.cell(self.model_slug, self.run, self.source_label, fold=self.fold)


def model_label(model: ModelConfig) -> str:
    """The ``model`` column of the results table: the model's name as configured."""
    return model.name


def content_key(parts: dict[str, Any]) -> str:
    """SHA-256 of the parts as canonical JSON."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def plan_cells(
    config: StudyConfig,
    *,
    eval_fingerprint: str,
    train_fingerprints: dict[str, str],
    mixture_fingerprints: dict[tuple[str, int], str] | None = None,
    fold_fingerprints: dict[tuple[str, int], str] | None = None,
) -> list[Cell]:
    """Every cell of the study in a stable order: per (model, run), zero-shot, tasks, mixtures.

    Parameters
    ----------
    config : StudyConfig
    eval_fingerprint : str
        Fingerprint of the evaluation examples of every evaluated task.
    train_fingerprints : dict of str to str
        Fingerprint of each source task's training examples (protocol standard).
    mixture_fingerprints : dict of (str, int) to str or None, default=None
        Fingerprint of each (mixture label, seed)'s sampled training examples; needed when
        ``config.mixtures`` is not empty.
    fold_fingerprints : dict of (str, int) to str or None, default=None
        Fingerprint of each (source, fold)'s training questions; needed under protocol
        crossfit, which plans one cell per fold of each source, in fold order.
    """
    shared = {
        "version": tasktransfer.__version__,
        "tasks": config.tasks,
        "eval_data": eval_fingerprint,
        "evaluation": config.evaluation.model_dump(mode="json"),
    }
    if config.extra_targets:  # only then: a square study's keys stay as they were
        shared["targets"] = config.extra_targets
    folder_names = slugs([model_label(model) for model in config.models])
    if len(set(folder_names)) < len(config.models):
        raise InputError("models are listed twice: give each model of a study once")
    crossfit = config.protocol.kind == "crossfit"
    cells = []
    for model in config.models:
        slug = folder_names[model_label(model)]
        for seed in config.seeds:
            base = {**shared, "model": model.model_dump(mode="json"), "seed": seed}
            cells.append(Cell(model, seed, None, content_key(base), slug))
            finetune = {**base, "finetune": config.finetune.model_dump(mode="json")}
            for source in config.tasks:
                if not crossfit:
                    key = content_key(
                        {**finetune, "source": source, "train_data": train_fingerprints[source]}
                    )
                    cells.append(Cell(model, seed, source, key, slug))
                    continue
                for fold in range(config.protocol.folds):
                    key = content_key(
                        {
                            **finetune,
                            "source": source,
                            "folds": config.protocol.folds,  # min_train changes no result
                            "fold": fold,
                            "train_data": (fold_fingerprints or {})[(source, fold)],
                        }
                    )
                    cells.append(Cell(model, seed, source, key, slug, fold=fold))
            for label, mixture in config.mixtures.items():
                key = content_key(
                    {
                        **finetune,
                        "source": label,
                        "mixture": mixture.mixture,
                        "train_data": (mixture_fingerprints or {})[(label, seed)],
                    }
                )
                cells.append(Cell(model, seed, label, key, slug, mixture=mixture.mixture))
    return cells


def run_cell(cell: Cell, config: StudyConfig, study_dir: Path) -> list[ResultRow]:
    """Run one cell into its folder and return its results rows.

    The folder is cleared first (a partial earlier attempt is redone from scratch);
    ``done.json`` is written last. On an exception ``failed.json`` records it and the
    exception propagates.
    """
    files = cell.files(StudyLayout(study_dir))
    shutil.rmtree(files.folder, ignore_errors=True)
    files.folder.mkdir(parents=True)
    write_json_atomic(
        files.running,
        {"cell": cell.name, "pid": os.getpid(), "host": socket.gethostname(), "at": time.time()},
    )
    try:
        rows, predictions, timing = _finetune_and_evaluate(cell, config, files)
    except BaseException as err:
        write_json_atomic(
            files.failed,
            {"cell": cell.name, "error": repr(err), "traceback": traceback.format_exc()},
        )
        raise
    finally:
        files.running.unlink(missing_ok=True)
    write_done(
        files, name=cell.name, key=cell.key, rows=rows, predictions=predictions, timing=timing
    )
    return rows


def _finetune_and_evaluate(cell: Cell, config: StudyConfig, files: CellLayout):
    # Heavy imports here: planning a study or reading its status needs no torch.
    from tasktransfer.model import evaluate, finetune
    from tasktransfer.model.finetune import checkpoint_dir

    timing: dict[str, float] = {}
    adapters: dict[str, Path | None] = {cell.source_label: None}
    # Label -> (source, step) of each evaluated state; the final one's rows have no step.
    states: dict[str, tuple[str, float | None]] = {cell.source_label: (cell.source_label, None)}
    targets = train = None
    if cell.fold is not None:  # cross-fit: the source's other folds are its training data
        targets, train = _fold_data(cell, config)
    # The same thread count under every executor keeps CPU results identical; a model that
    # pins its own count (the tiny model: one) uses that inside finetune and evaluate.
    with torch_threads(config.executor.cpus_per_cell):
        if cell.source is not None:
            started = time.perf_counter()
            meta = {}
            if cell.mixture is not None:
                train = config.train_data.sample(cell.mixture, seed=cell.seed)
                meta = {"mixture": cell.mixture}
            elif train is None:
                train = config.train_data.load([cell.source])[cell.source]
            write_json_atomic(files.train_questions, question_ids(train))
            adapters[cell.source_label] = adapter = finetune(
                cell.model,
                train,
                files.adapter,
                config=config.finetune,
                seed=cell.seed,
                extra_meta={"source": cell.source, **meta},
                processes=max(1, int(config.executor.gpus_per_cell)),  # one process per GPU
            )
            timing["finetune_s"] = time.perf_counter() - started
            # Every checkpoint joins the same evaluation: one base load, shared image features.
            for fraction in config.finetune.checkpoints or ():
                if fraction < 1.0:
                    label = f"{cell.source_label}@{fraction:g}"
                    adapters[label] = checkpoint_dir(adapter, fraction)
                    states[label] = (cell.source_label, fraction)
        started = time.perf_counter()
        if targets is None:
            targets = config.load_evaluation()
        result = evaluate(cell.model, targets, adapters=adapters, config=config.evaluation)
        timing["evaluate_s"] = time.perf_counter() - started
    identity = {"model": model_label(cell.model), "run": cell.run, "states": states}
    rows = [replace(row, fold=cell.fold) for row in result.results(**identity)]
    predictions = [replace(p, fold=cell.fold) for p in result.records(**identity)]
    return rows, predictions, timing


def _fold_data(cell: Cell, config: StudyConfig) -> tuple[dict[str, list[Example]], list[Example]]:
    """A cross-fit cell's targets (each one's questions in the fold) and training questions."""
    from tasktransfer.study.crossfit import split_fold

    folds = config.protocol.folds
    evaluation = config.load_evaluation()
    train, _ = split_fold(evaluation[cell.source], cell.fold, folds)
    held_out = {task: split_fold(ex, cell.fold, folds)[1] for task, ex in evaluation.items()}
    # A small target may have no question in this fold; the other folds cover it.
    return {task: ex for task, ex in held_out.items() if ex}, train


def question_ids(examples: Iterable[Example]) -> dict[str, list[str]]:
    """Task -> the ``idx`` of each example, in order: what a cell trained on."""
    out: dict[str, list[str]] = {}
    for example in examples:
        out.setdefault(example.sub_task, []).append(example.idx)
    return out
