"""Run a whole study: check inputs, plan cells, skip done ones, execute, collect, analyse.

:func:`run_study` is what ``tasktransfer run`` calls. It is safe to call again on the same
folder after a crash or a kill: done cells are skipped, partial ones redone.
"""

from __future__ import annotations

import fnmatch
import logging
import platform
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import yaml

import tasktransfer
from tasktransfer.contracts import StudyLayout
from tasktransfer.contracts.analysis import AnalysisLayout
from tasktransfer.errors import InputError, TaskTransferError
from tasktransfer.files import write_atomic, write_json_atomic
from tasktransfer.model import prepare_models
from tasktransfer.study.cells import Cell, plan_cells
from tasktransfer.study.config import DataConfig, StudyConfig
from tasktransfer.study.executors import EXECUTORS
from tasktransfer.study.store import DONE, cell_state, write_study_tables, write_task_results

log = logging.getLogger(__name__)


class StudyFailed(TaskTransferError):
    """Some cells failed; the others are done and kept."""


@dataclass
class StudyOutcome:
    """What a call of :func:`run_study` did."""

    study_dir: Path
    cells: list[Cell]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    report: Path | None = None


def plan_study(config: StudyConfig) -> list[Cell]:
    """Load (and so check) every task's data, then plan the study's cells.

    Fails early, before any cell runs, when the hub or a training folder is unreachable, or
    when a cross-fit fold leaves a source too few training questions
    (:func:`~tasktransfer.study.crossfit.check_training_sizes`). Each task's examples are
    read once; a mixture's fingerprint is derived from those of its tasks' pools, its
    counts and the run's seed, which fix what the cell will sample (see
    :func:`mixture_fingerprint`), so planning samples no mixture.
    """
    from tasktransfer.data import fingerprint

    roles = {"eval_data": config.eval_data, "target_data": config.target_data}
    if config.protocol.kind == "standard":
        roles["train_data"] = config.train_data
    elif config.train_data is not None:
        log.warning("protocol crossfit trains on eval_data's questions: train_data is not read")
    for role, data in roles.items():
        if data is not None and data.source is None:
            raise InputError(
                f"{role}.source is not set: give the folder of your {role} examples, e.g. "
                f"`tasktransfer run CONFIG {role}.source=/path/to/folder` (one parquet or "
                "JSONL file per task and split, in the BLINK schema)."
            )

    with _loading(config.target_data or config.eval_data, "the evaluation data"):
        evaluation = config.load_evaluation()
    eval_fingerprint = fingerprint([ex for task in config.evaluated for ex in evaluation[task]])
    train_fingerprints, fold_fingerprints = {}, {}
    if config.protocol.kind == "crossfit":
        fold_fingerprints = _fold_fingerprints(config, evaluation)
    else:
        with _loading(config.train_data, "train_data"):
            train = config.train_data.load(config.tasks)
        train_fingerprints = {task: fingerprint(train[task]) for task in config.tasks}
    pools = _mixture_pools(config)
    mixture_fingerprints = {
        (label, seed): mixture_fingerprint(pools, mixture.mixture, seed=seed)
        for label, mixture in config.mixtures.items()
        for seed in config.seeds
    }
    return plan_cells(
        config,
        eval_fingerprint=eval_fingerprint,
        train_fingerprints=train_fingerprints,
        mixture_fingerprints=mixture_fingerprints,
        fold_fingerprints=fold_fingerprints,
    )


def _fold_fingerprints(config: StudyConfig, evaluation: dict) -> dict[tuple[str, int], str]:
    """Fingerprint of each (source, fold)'s training questions, once their sizes are checked."""
    from tasktransfer.data import fingerprint
    from tasktransfer.study.crossfit import check_training_sizes, split_fold

    folds = config.protocol.folds
    check_training_sizes(evaluation, config.tasks, folds=folds, min_train=config.protocol.min_train)
    return {
        (source, fold): fingerprint(split_fold(evaluation[source], fold, folds)[0])
        for source in config.tasks
        for fold in range(folds)
    }


def _mixture_pools(config: StudyConfig) -> dict[str, str]:
    """Fingerprint of the whole training pool of every task some mixture draws from.

    The pool is the split without the study's ``limit``, since a mixture samples from all
    of it (:func:`tasktransfer.data.mixture.sample_mixture`).
    """
    from tasktransfer.data import fingerprint

    tasks = list(dict.fromkeys(t for m in config.mixtures.values() for t in m.mixture))
    if not tasks:
        return {}
    pool = config.train_data.model_copy(update={"limit": None})
    with _loading(pool, "the mixtures' training data"):
        examples = pool.load(tasks)
    return {task: fingerprint(examples[task]) for task in tasks}


def mixture_fingerprint(pools: dict[str, str], counts: dict[str, int], *, seed: int) -> str:
    """What fixes a mixture's examples: its tasks' pools, its counts and the run's seed.

    Examples
    --------
    >>> a = mixture_fingerprint({"Counting": "f1"}, {"Counting": 5}, seed=0)
    >>> a == mixture_fingerprint({"Counting": "f1"}, {"Counting": 5}, seed=1)
    False
    >>> a == mixture_fingerprint({"Counting": "f2"}, {"Counting": 5}, seed=0)
    False
    """
    from tasktransfer.study.cells import content_key

    return content_key(
        {"pools": {t: pools[t] for t in counts}, "counts": dict(counts), "seed": seed}
    )


@contextmanager
def _loading(data: DataConfig, role: str) -> Iterator[None]:
    """Turn a failure to read ``data`` (hub unreachable, dataset missing) into an InputError."""
    try:
        yield
    except TaskTransferError:
        raise
    except Exception as err:
        raise InputError(
            f"Cannot load {role} from {data.source!r} (split {data.split!r}): {err}. "
            "For a hub dataset, log in and check the network (HF_HUB_OFFLINE must be "
            "unset); for a folder, check the path."
        ) from err


def environment() -> dict:
    """Package versions, Python, platform, device and git commit, for the study record."""
    from importlib import metadata

    versions = {}
    for package in ("torch", "transformers", "peft", "datasets", "ray", "numpy", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    device = "cpu"
    if "torch" in sys.modules and sys.modules["torch"].cuda.is_available():
        device = sys.modules["torch"].cuda.get_device_name(0)
    return {
        "tasktransfer": tasktransfer.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": commit,
        "device": device,
        "packages": versions,
    }


def select_forced(cells: Sequence[Cell], patterns: Sequence[str]) -> set[str]:
    """Names of the cells matched by ``--force`` patterns (``all`` or fnmatch globs)."""
    if "all" in patterns:
        return {cell.name for cell in cells}
    forced = set()
    for pattern in patterns:
        matched = {cell.name for cell in cells if fnmatch.fnmatchcase(cell.name, pattern)}
        if not matched:
            names = ", ".join(cell.name for cell in cells[:5])
            raise InputError(f"--force {pattern!r} matches no cell; cells look like: {names}, ...")
        forced |= matched
    return forced


class StudyPart(Protocol):
    """A feature that plugs into the steps of :func:`run_study` (mixtures, selection)."""

    def prepare(self, config: StudyConfig, layout: StudyLayout) -> StudyConfig:
        """Before planning: the configuration the cells are planned from."""

    def before_analysis(self, config: StudyConfig, layout: StudyLayout, table: Path) -> Path:
        """After every cell is done: write the part's tables; return the table to analyse."""


class MixturesPart:
    """Mixture sources: their rows stay in ``results.csv``; the transfer matrix is task by task."""

    def prepare(self, config: StudyConfig, layout: StudyLayout) -> StudyConfig:
        return config

    def before_analysis(self, config: StudyConfig, layout: StudyLayout, table: Path) -> Path:
        if not config.mixtures:
            return table
        return write_task_results(layout, exclude=config.mixtures)


class SelectionPart:
    """The selection experiment: its mixtures are planned before the cells, compared after."""

    def __init__(self) -> None:
        self.plan = None

    def prepare(self, config: StudyConfig, layout: StudyLayout) -> StudyConfig:
        if config.selection is None:
            return config
        from tasktransfer.study.selection import plan_json, plan_selection, with_selection

        # config.yaml keeps the section; the mixtures it expands into are planned each run.
        self.plan = plan_selection(config)
        write_json_atomic(layout.selection_plan, plan_json(self.plan))
        return with_selection(config, self.plan)

    def before_analysis(self, config: StudyConfig, layout: StudyLayout, table: Path) -> Path:
        if self.plan is not None:
            from tasktransfer.study.selection import write_selection

            # Written before the report, which shows it (see tasktransfer.report).
            write_selection(layout.results, self.plan, layout.analysis)
        else:  # a section since removed must not leave its table in the report
            out = AnalysisLayout(layout.analysis)
            for path in (out.selection_csv, out.selection_json):
                path.unlink(missing_ok=True)
        return table


def run_study(
    config: StudyConfig,
    *,
    force: Sequence[str] = (),
    progress: bool = True,
    analyse: bool = True,
) -> StudyOutcome:
    """Run every cell of ``config`` that is not done, then write results and the report.

    The steps: prepare (record the configuration; each part may extend it), plan the
    cells, execute those not done, collect the done cells' rows into ``results.csv``,
    analyse. Mixtures and the selection experiment are :class:`StudyPart` s.

    Parameters
    ----------
    config : StudyConfig
    force : sequence of str, default=()
        Cell names or globs (``tiny/seed_0/*``) to redo even when done; ``all`` redoes all.
    progress : bool, default=True
        Show a rich progress bar.
    analyse : bool, default=True
        Run the analysis and write the report once every cell is done.

    Returns
    -------
    StudyOutcome

    Raises
    ------
    StudyFailed
        When some cells failed; every other cell's results are kept.
    """
    layout = StudyLayout(Path(config.output))
    layout.root.mkdir(parents=True, exist_ok=True)
    write_atomic(layout.config, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    parts: list[StudyPart] = [MixturesPart(), SelectionPart()]
    for part in parts:
        config = part.prepare(config, layout)
    cells = plan_study(config)
    write_json_atomic(layout.plan, [_plan_entry(c, layout) for c in cells])
    outcome = StudyOutcome(layout.root, cells)
    forced = select_forced(cells, force)
    todo = []
    for cell in cells:
        if cell.name not in forced and cell_state(cell.files(layout), cell.key) == DONE:
            outcome.skipped.append(cell.name)
        else:
            todo.append(cell)
    write_json_atomic(layout.environment, environment())
    prepare_models([cell.model for cell in todo], progress=progress)  # before any worker starts
    failures = _execute(todo, config, layout, outcome, progress=progress)
    write_tables(config, layout, cells)
    if failures:
        lines = "\n".join(f"  {name}: {err!r}" for name, err in failures.items())
        raise StudyFailed(
            f"{len(failures)} of {len(cells)} cells failed (see failed.json in each cell "
            f"folder); the others are kept. Re-run the same command to retry:\n{lines}"
        )
    if analyse:
        from tasktransfer.report import analyze_to_folder

        table = layout.results
        for part in parts:
            table = part.before_analysis(config, layout, table)
        outcome.report = analyze_to_folder(
            [table], layout.analysis, labels=config.tasks_file, study_dir=layout.root
        )
    return outcome


def _plan_entry(cell: Cell, layout: StudyLayout) -> dict[str, str | int]:
    folder = cell.files(layout).folder
    entry = {"cell": cell.name, "key": cell.key, "folder": str(folder.relative_to(layout.root))}
    return entry if cell.fold is None else {**entry, "fold": cell.fold}


def write_tables(config: StudyConfig, layout: StudyLayout, cells: Sequence[Cell]) -> int:
    """``results.csv`` and ``predictions.jsonl`` (and ``results-folds.csv``) from the done cells.

    A cross-fit study's fold cells are grouped by (model, run, source), whose rows
    :func:`~tasktransfer.study.crossfit.summed_rows` sums over the folds.
    """
    from tasktransfer.study.crossfit import summed_rows

    groups: dict[tuple[str, str, str], list] = {}
    for cell in cells:
        if cell.fold is not None:
            groups.setdefault((cell.model_slug, cell.run, cell.source_label), []).append(
                cell.files(layout)
            )
    return write_study_tables(
        layout,
        [cell.files(layout) for cell in cells],
        fold_groups=list(groups.values()),
        sum_folds=partial(summed_rows, evaluation=config.evaluation, targets=config.evaluated),
    )


def _execute(
    todo: Sequence[Cell],
    config: StudyConfig,
    layout: StudyLayout,
    outcome: StudyOutcome,
    *,
    progress: bool,
) -> dict[str, BaseException]:
    """Run the pending cells on the configured executor; ``results.csv`` grows cell by cell."""
    from tasktransfer.study.progress import CellProgress

    with CellProgress(total=len(outcome.cells), done=len(outcome.skipped), enabled=progress) as bar:

        def on_finish(cell: Cell, error: BaseException | None) -> None:
            bar.finish(cell, error)
            if error is None:
                outcome.ran.append(cell.name)
                write_tables(config, layout, outcome.cells)

        return EXECUTORS[config.executor.kind](
            todo, config, layout.root, on_start=bar.start, on_finish=on_finish
        )
