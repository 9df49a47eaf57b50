"""Executors: run a study's pending cells locally (in this process, or side by side in worker
processes) or as Ray tasks.

Both call :func:`tasktransfer.study.cells.run_cell` and report each cell through the same
callbacks, so the study runner does not care which one runs. A failed cell never stops the
others; failures are returned by cell name.

``executor.gpus_per_cell`` of 2 or more makes a cell bigger than one GPU: its finetune runs
in that many processes on one machine, one per GPU (``finetune(..., processes=N)``, through
accelerate: DDP, or FSDP / DeepSpeed ZeRO-3 by ``finetune.distributed``), with the same
effective batch as one process; its evaluation then runs in the cell's own process. Ray
reserves the GPUs of the whole cell (``num_gpus``) and the launched processes see only
those. A fraction below 2 (0.5, 1) keeps the finetune in the cell's process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tasktransfer.study.cells import Cell, run_cell
from tasktransfer.study.config import StudyConfig

OnStart = Callable[[Cell], None]
OnFinish = Callable[[Cell, BaseException | None], None]


def run_local(
    cells: Sequence[Cell],
    config: StudyConfig,
    study_dir: Path,
    on_start: OnStart,
    on_finish: OnFinish,
) -> dict[str, BaseException]:
    """Run cells in this process one after another, or ``executor.workers`` side by side.

    With several workers each cell runs in a worker process (started fresh, so no torch
    state is shared) whose output is discarded, as Ray's workers' is: the study's progress
    bar and each cell's ``failed.json`` say what happened. On Linux a worker dies with
    the study's process (:func:`start_worker`), so a killed study leaves no cell running
    that the resumed one would redo in the same folder at the same time.
    """
    failures: dict[str, BaseException] = {}
    finish = _recording(on_finish, failures)
    if config.executor.workers == 1:
        for cell in cells:
            on_start(cell)
            try:
                run_cell(cell, config, study_dir)
            except Exception as err:
                finish(cell, err)
            else:
                finish(cell, None)
        return failures
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        config.executor.workers,
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(),),
    ) as pool:
        pending = {}
        for cell in cells:
            on_start(cell)
            pending[pool.submit(run_cell, cell, config, study_dir.resolve())] = cell
        for future in as_completed(pending):
            finish(pending[future], future.exception())
    return failures


def _recording(on_finish: OnFinish, failures: dict[str, BaseException]) -> OnFinish:
    """``on_finish``, also keeping each failed cell's error in ``failures`` by its name."""

    def finish(cell: Cell, err: BaseException | None) -> None:
        if err is not None:  # recorded in the cell's failed.json; the others go on
            failures[cell.name] = err
        on_finish(cell, err)

    return finish


def start_worker(parent: int) -> None:
    """Set up a local worker process: end it with ``parent``, and silence it.

    A worker outlives a parent killed by SIGKILL and would finish its cell while the
    resumed study redoes that cell in the same folder; Linux's parent-death signal ends it
    with the parent (elsewhere a worker still outlives a killed study). The workers' bars
    and logs would interleave with the study's own bar, so their output is discarded.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1  # <linux/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # open for the life of the worker


def run_ray(
    cells: Sequence[Cell],
    config: StudyConfig,
    study_dir: Path,
    on_start: OnStart,
    on_finish: OnFinish,
) -> dict[str, BaseException]:
    """Run each cell as a Ray task with the CPU/GPU request of ``config.executor``.

    Joins ``config.executor.address`` when given, else starts a local Ray cluster. A cell
    that raises is retried ``max_retries`` times (its folder is cleared on each try).
    Workers load models and never build them: the runner builds the tiny base first, in
    ``$TASKTRANSFER_CACHE``, which workers on other machines must share (or have built there
    with ``tasktransfer model tiny-base``).
    """
    import ray

    settings = config.executor
    if not ray.is_initialized():
        # Workers see the driver's TASKTRANSFER_* settings (cache and reference folders).
        env = {k: v for k, v in os.environ.items() if k.startswith("TASKTRANSFER_")}
        ray.init(
            address=settings.address,
            runtime_env={"env_vars": env},
            include_dashboard=False,
            log_to_driver=False,
        )
    remote_cell = ray.remote(
        num_cpus=settings.cpus_per_cell,
        num_gpus=settings.gpus_per_cell,
        max_retries=settings.max_retries,
        retry_exceptions=True,
    )(run_cell)
    pending = {}
    for cell in cells:
        on_start(cell)
        pending[remote_cell.remote(cell, config, study_dir.resolve())] = cell
    failures: dict[str, BaseException] = {}
    finish = _recording(on_finish, failures)
    while pending:
        [ref], _ = ray.wait(list(pending), num_returns=1)
        cell = pending.pop(ref)
        try:
            ray.get(ref)
        except Exception as err:
            finish(cell, err)
        else:
            finish(cell, None)
    return failures


EXECUTORS = {"local": run_local, "ray": run_ray}
