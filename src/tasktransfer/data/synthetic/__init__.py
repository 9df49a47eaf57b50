"""The offline synthetic perception suite: 13 generators that mirror BLINK's tasks.

Every question is a function of (task, split, seed, index): the same arguments give the
same bytes, and the split is part of the seed. Splits rarely share a scene: the simplest
scenes can coincide by chance, and at the defaults at most 4 of 200 ``test`` questions per
task repeat one of the 500 ``train`` scenes (measured; tests/data keeps that bound). Each
example keeps its latent scene in ``Example.meta``. See ``docs/synthetic-suite.md`` for the
tasks and the skill matrix.

Examples
--------
>>> from tasktransfer.data.synthetic import generate
>>> sorted(e.answer for e in generate("Relative_Depth", "val", 4))  # balanced letters
['(A)', '(A)', '(B)', '(B)']
"""

from __future__ import annotations

from tasktransfer.data.example import Example
from tasktransfer.data.synthetic import tasks as _tasks  # noqa: F401  (registers generators)
from tasktransfer.data.synthetic.core import (
    SPLITS,
    TASKS,
    Scene,
    SyntheticTask,
    get_synthetic_task,
    make_example,
    register,
)
from tasktransfer.data.synthetic.generic import KINDS as GENERIC_KINDS
from tasktransfer.data.synthetic.generic import generic_examples
from tasktransfer.data.synthetic.skills import SKILLS, expected_transfer, skill_matrix

# Examples per split when a caller gives no limit.
DEFAULT_SIZES: dict[str, int] = {"train": 500, "val": 200, "test": 200}


def generate(
    task: str,
    split: str,
    n: int | None = None,
    *,
    seed: int = 0,
    start: int = 0,
    difficulty: float | None = None,
    image_size: int = 64,
) -> list[Example]:
    """Questions ``start`` .. ``start + n - 1`` of a synthetic task.

    Parameters
    ----------
    task : str
        A task name or abbreviation (see :data:`TASKS`).
    split : {"train", "val", "test"}
    n : int or None
        How many; default :data:`DEFAULT_SIZES` of the split.
    seed : int, default=0
        Selects the instance of the suite.
    start : int, default=0
        Index of the first question.
    difficulty : float or None
        In [0, 1]; None uses the task's default (``TASKS[task].difficulty``).
    image_size : int, default=64

    Returns
    -------
    list of Example
    """
    n = DEFAULT_SIZES.get(split, 0) if n is None else n
    return [
        make_example(task, split, i, seed=seed, difficulty=difficulty, image_size=image_size)
        for i in range(start, start + n)
    ]


__all__ = [
    "DEFAULT_SIZES",
    "GENERIC_KINDS",
    "SKILLS",
    "SPLITS",
    "TASKS",
    "Scene",
    "SyntheticTask",
    "expected_transfer",
    "generate",
    "generic_examples",
    "get_synthetic_task",
    "make_example",
    "register",
    "skill_matrix",
]
