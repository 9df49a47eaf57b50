"""``load_examples``: examples per task from the synthetic suite, a folder or the hub.

Every path ends in :func:`~tasktransfer.data.validate.validate_examples`, so a study never
sees an example it cannot use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from tasktransfer.data.example import Example
from tasktransfer.data.validate import DataError, validate_examples
from tasktransfer.data.video import FrameSampling, resample
from tasktransfer.errors import InputError
from tasktransfer.tasks import REGISTRY, Registry

log = logging.getLogger(__name__)

SYNTHETIC = "synthetic"
BLINK = "BLINK-Benchmark/BLINK"
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def load_examples(
    source: str,
    tasks: Sequence[str],
    split: str,
    *,
    limit: int | None = None,
    seed: int = 0,
    require_answers: bool = False,
    image_size: int = 64,
    difficulty: float | Mapping[str, float] | None = None,
    registry: Registry = REGISTRY,
    sampling: FrameSampling | None = None,
) -> dict[str, list[Example]]:
    """Validated examples of each task in ``tasks`` for one split.

    Parameters
    ----------
    source : str
        ``"synthetic"`` (the offline suite, generated on the fly; splits ``train``,
        ``val``, ``test``), a local folder (see :mod:`tasktransfer.data.folder`), or a hub
        dataset id with one config per task, such as ``"BLINK-Benchmark/BLINK"`` (splits
        ``val``, ``test``). VSI-Bench's tasks (``VSI_*``) read ``"nyu-visionx/VSI-Bench"``
        or a local copy of it (split ``test``; see :mod:`tasktransfer.data.vsibench`).
    tasks : sequence of str
        Task names or abbreviations.
    split : str
    limit : int or None
        At most this many examples per task. Synthetic: the first ``limit`` questions
        (default :data:`~tasktransfer.data.synthetic.DEFAULT_SIZES`); folder or hub: a
        subsample drawn with ``seed``, kept in file order.
    seed : int, default=0
        Synthetic: which instance of the suite; folder or hub: the subsample.
    require_answers : bool, default=False
        Refuse hidden answers, for data that will be scored.
    image_size : int, default=64
        Synthetic only: image side in pixels (at least 64).
    difficulty : float or mapping of str to float or None
        Synthetic only: one difficulty for every task, or per task (by name or
        abbreviation); None uses each task's default.
    registry : Registry, default=REGISTRY
        The tasks that exist (a study's may add its own, see
        :func:`~tasktransfer.tasks.load_registry`).
    sampling : FrameSampling or None
        How videos are sampled: VSI-Bench's files (default ``FrameSampling()``, 8 frames);
        for other sources, the frames an example holds (a synthetic clip's 8) are taken
        again by the same rule (default: kept as they are).

    Returns
    -------
    dict of str to list of Example
        By task name, in the order of ``tasks``.

    Raises
    ------
    UnknownTaskError
        A task the registry does not know.
    InputError
        Unknown source, a task the source lacks, empty split, or an example that breaks the schema
        (:class:`~tasktransfer.data.validate.DataError` names task, split and idx).

    Examples
    --------
    >>> data = load_examples("synthetic", ["Counting"], "val", limit=2)
    >>> [(e.idx, len(e.images), len(e.choices)) for e in data["Counting"]]
    [('val_Counting_0', 1, 4), ('val_Counting_1', 1, 4)]
    >>> list(load_examples("synthetic", ["RD"], "val", limit=1))
    ['Relative_Depth']
    """
    if isinstance(tasks, str):
        tasks = [tasks]
    if limit is not None and limit < 1:
        raise InputError(f"limit must be a positive number of examples, got {limit}")
    if isinstance(difficulty, Mapping):
        difficulty = {registry.resolve(t).name: d for t, d in difficulty.items()}
    out: dict[str, list[Example]] = {}
    for task in [registry.resolve(t).name for t in tasks]:
        if source == SYNTHETIC:
            examples = _synthetic(task, split, limit, seed, image_size, difficulty)
        else:
            examples = _read(source, task, split, sampling)
        validate_examples(
            examples,
            source=source,
            task=task,
            split=split,
            require_answers=require_answers,
            registry=registry,
        )
        if source != SYNTHETIC:
            examples = subsample(examples, limit, seed=seed)
        if sampling is not None and not _is_vsibench(source, task):
            examples = [
                replace(e, video=resample(e.video, sampling)) if e.video else e for e in examples
            ]
        out[task] = examples
    return out


def _synthetic(task, split, limit, seed, image_size, difficulty) -> list[Example]:
    from tasktransfer.data.synthetic import SPLITS, TASKS, VIDEO_TASKS, generate

    if task not in TASKS and task not in VIDEO_TASKS:  # registered, but not generated
        raise DataError(
            f"synthetic: the suite has no generator for task {task!r} (it generates "
            f"{', '.join([*TASKS, *VIDEO_TASKS])}); give that task's data as a folder"
        )
    if split not in SPLITS:
        raise DataError(f"synthetic: unknown split {split!r}; known: {', '.join(SPLITS)}")
    if isinstance(difficulty, Mapping):
        difficulty = difficulty.get(task)
    return generate(task, split, limit, seed=seed, difficulty=difficulty, image_size=image_size)


def _is_vsibench(source: str, task: str) -> bool:
    """Whether ``task`` is read from VSI-Bench's own layout (hub or local copy).

    A VSI-Bench task in a folder in the BLINK schema (as write_folder writes one) is not.
    """
    from tasktransfer.data import vsibench

    if task not in vsibench.TASKS or (Path(source) / task).is_dir():
        return False
    return Path(source).is_dir() or bool(_HUB_ID.match(source))


def _read(source: str, task: str, split: str, sampling: FrameSampling | None) -> list[Example]:
    from tasktransfer.data import vsibench

    if _is_vsibench(source, task):
        return vsibench.read_vsibench(source, task, split, sampling=sampling)
    if Path(source).is_dir():
        from tasktransfer.data.folder import read_folder

        return read_folder(source, task, split)
    if _HUB_ID.match(source):
        from tasktransfer.data.hub import read_hub

        return read_hub(source, task, split)
    raise InputError(
        f"unknown data source {source!r}: expected {SYNTHETIC!r}, an existing folder, "
        f"or a hub dataset id such as {BLINK!r}"
    )


def default_tasks(source: str, registry: Registry = REGISTRY) -> list[str]:
    """The tasks a command reads from ``source`` when it is not told which.

    The synthetic suite's image tasks for ``"synthetic"`` (its video tasks are asked for by
    name); VSI-Bench's eight for its hub id or a local copy; a folder's task folders; for
    another hub dataset, the registry's image tasks (BLINK's).

    Examples
    --------
    >>> default_tasks("synthetic")[:2]
    ['Art_Style', 'Counting']
    >>> default_tasks("nyu-visionx/VSI-Bench")[0]
    'VSI_Object_Count'
    """
    from tasktransfer.data import vsibench

    if source == SYNTHETIC:
        from tasktransfer.data.synthetic import TASKS

        return [name for name in TASKS if registry[name].modality == "image"]
    if source == vsibench.VSIBENCH or vsibench.is_vsibench_folder(source):
        return list(vsibench.TASKS)
    if Path(source).is_dir():
        from tasktransfer.data.folder import folder_tasks

        return folder_tasks(Path(source))
    return [task.name for task in registry.values() if task.modality == "image"]


def subsample(examples: Sequence[Example], limit: int | None, *, seed: int) -> list[Example]:
    """``limit`` examples drawn without replacement with ``seed``, in their original order.

    Examples
    --------
    >>> from tasktransfer.data.synthetic import generate
    >>> pool = generate("Counting", "val", 6)
    >>> [e.idx[-1] for e in subsample(pool, 3, seed=1)] == [e.idx[-1] for e in
    ...     subsample(pool, 3, seed=1)]
    True
    """
    if limit is None or limit >= len(examples):
        return list(examples)
    keep = np.sort(np.random.default_rng(seed).choice(len(examples), size=limit, replace=False))
    return [examples[i] for i in keep]


def split_train_eval(
    examples: Sequence[Example], *, eval_fraction: float = 0.5, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """Split one labelled split into disjoint train and eval parts, by ``seed``.

    BLINK has no train split, so training on BLINK itself means carving its labelled
    ``val`` split in two; this logs a warning saying so, because scores on the eval part
    are then not comparable with published BLINK val scores.

    Parameters
    ----------
    examples : sequence of Example
    eval_fraction : float, default=0.5
        Share of the examples (rounded, at least one each side) that goes to eval.
    seed : int, default=0

    Returns
    -------
    train, eval : list of Example
        Disjoint, each in the original order.
    """
    if not 0.0 < eval_fraction < 1.0:
        raise InputError(f"eval_fraction must be in (0, 1), got {eval_fraction}")
    if len(examples) < 2:
        raise InputError(f"need at least 2 examples to split, got {len(examples)}")
    log.warning(
        "BLINK has no train split: splitting %d labelled examples into train and eval parts "
        "(seed %d); eval scores are on part of the split, not the whole",
        len(examples),
        seed,
    )
    n_eval = min(len(examples) - 1, max(1, round(eval_fraction * len(examples))))
    order = np.random.default_rng(seed).permutation(len(examples))
    in_eval = np.zeros(len(examples), dtype=bool)
    in_eval[order[:n_eval]] = True
    train = [e for e, e_eval in zip(examples, in_eval, strict=True) if not e_eval]
    return train, [e for e, e_eval in zip(examples, in_eval, strict=True) if e_eval]
