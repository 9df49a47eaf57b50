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
from pathlib import Path

import yaml

import tasktransfer
from tasktransfer.errors import InputError, TaskTransferError
from tasktransfer.files import write_atomic, write_json_atomic
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

    Fails early, before any cell runs, when the hub or a training folder is unreachable.
    """
    from tasktransfer.data import fingerprint

    for role, data in (("eval_data", config.eval_data), ("train_data", config.train_data)):
        if data.source is None:
            raise InputError(
                f"{role}.source is not set: give the folder of your {role} examples, e.g. "
                f"`tasktransfer run CONFIG {role}.source=/path/to/folder` (one parquet or "
                "JSONL file per task and split, in the BLINK schema)."
            )

    with _loading(config.eval_data, "eval_data"):
        evaluation = config.eval_data.load(config.tasks)
    eval_fingerprint = fingerprint([ex for task in config.tasks for ex in evaluation[task]])
    with _loading(config.train_data, "train_data"):
        train = config.train_data.load(config.tasks)
    train_fingerprints = {task: fingerprint(train[task]) for task in config.tasks}
    # A mixture's examples depend on the run's seed: one fingerprint per (mixture, seed).
    mixture_fingerprints = {}
    for label, mixture in config.mixtures.items():
        for seed in config.seeds:
            with _loading(config.train_data, f"mixture {label!r}"):
                examples = config.train_data.sample(mixture.mixture, seed=seed)
            mixture_fingerprints[(label, seed)] = fingerprint(examples)
    return plan_cells(
        config,
        eval_fingerprint=eval_fingerprint,
        train_fingerprints=train_fingerprints,
        mixture_fingerprints=mixture_fingerprints,
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


def run_study(
    config: StudyConfig,
    *,
    force: Sequence[str] = (),
    progress: bool = True,
    analyse: bool = True,
) -> StudyOutcome:
    """Run every cell of ``config`` that is not done, then write results and the report.

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
    study_dir = Path(config.output)
    study_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(
        study_dir / "config.yaml", yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    )
    selection = None
    if config.selection is not None:
        from tasktransfer.study.selection import plan_json, plan_selection, with_selection

        # config.yaml keeps the section; the mixtures it expands into are planned each run.
        selection = plan_selection(config)
        write_json_atomic(study_dir / "selection_plan.json", plan_json(selection))
        config = with_selection(config, selection)
    cells = plan_study(config)
    write_json_atomic(
        study_dir / "plan.json",
        [
            {
                "cell": c.name,
                "key": c.key,
                "folder": str(c.folder(study_dir).relative_to(study_dir)),
            }
            for c in cells
        ],
    )
    forced = select_forced(cells, force)
    outcome = StudyOutcome(study_dir, cells)
    todo = []
    for cell in cells:
        if cell.name not in forced and cell_state(cell.folder(study_dir), cell.key) == DONE:
            outcome.skipped.append(cell.name)
        else:
            todo.append(cell)
    write_json_atomic(study_dir / "environment.json", environment())
    folders = [cell.folder(study_dir) for cell in cells]

    from tasktransfer.study.progress import CellProgress

    with CellProgress(total=len(cells), done=len(outcome.skipped), enabled=progress) as bar:

        def on_finish(cell: Cell, error: BaseException | None) -> None:
            bar.finish(cell, error)
            if error is None:
                outcome.ran.append(cell.name)
                write_study_tables(study_dir, folders)  # results.csv grows cell by cell

        failures = EXECUTORS[config.executor.kind](
            todo, config, study_dir, on_start=bar.start, on_finish=on_finish
        )
    write_study_tables(study_dir, folders)
    if failures:
        lines = "\n".join(f"  {name}: {err!r}" for name, err in failures.items())
        raise StudyFailed(
            f"{len(failures)} of {len(cells)} cells failed (see failed.json in each cell "
            f"folder); the others are kept. Re-run the same command to retry:\n{lines}"
        )
    if analyse:
        from tasktransfer.report import analyze_to_folder
        from tasktransfer.report.files import SELECTION_CSV, SELECTION_JSON

        table = study_dir / "results.csv"
        if config.mixtures:
            # The transfer matrix is task by task: mixture rows stay in results.csv only.
            table = write_task_results(study_dir, exclude=config.mixtures)
        if selection is not None:
            from tasktransfer.study.selection import write_selection

            # Written before the report, which shows it (see tasktransfer.report).
            write_selection(study_dir / "results.csv", selection, study_dir / "analysis")
        else:  # a section since removed must not leave its table in the report
            for name in (SELECTION_CSV, SELECTION_JSON):
                (study_dir / "analysis" / name).unlink(missing_ok=True)
        outcome.report = analyze_to_folder([table], study_dir / "analysis", study_dir=study_dir)
    return outcome
