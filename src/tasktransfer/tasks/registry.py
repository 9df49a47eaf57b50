"""The task registry: one record per perception task.

Each task is one :class:`Task` in :data:`BLINK_TASKS`; adding a task is adding one record.
Perceptual level and granularity come from Sachdeva et al. (2026) where the paper states
them (``"paper"``) and were chosen by us otherwise (``"inferred"``); every label carries
its provenance so that a reader can tell the two apart. A user who disagrees with a label,
or who studies tasks outside BLINK, passes a YAML file to :func:`load_registry`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import yaml

Level = Literal["low", "mid", "high"]
Granularity = Literal["pixel", "patch", "crop", "image"]
Provenance = Literal["paper", "inferred", "user"]

LEVELS: tuple[str, ...] = ("low", "mid", "high")
GRANULARITIES: tuple[str, ...] = ("pixel", "patch", "crop", "image")


class UnknownTaskError(KeyError):
    """A task name that is not in the registry; the message suggests near names."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the sentence.
        return str(self.args[0])


@dataclass(frozen=True)
class Task:
    """One multiple-choice perception task.

    Attributes
    ----------
    name : str
        BLINK config name, e.g. ``"Relative_Depth"``.
    abbrev : str
        Two-letter abbreviation used in plots, e.g. ``"RD"``.
    images : int
        Images per question (1 to 4).
    choices : int
        Number of answer options (2 to 4).
    level : {"low", "mid", "high"}
        Perceptual level.
    granularity : {"pixel", "patch", "crop", "image"}
        Spatial granularity the answer depends on.
    provenance : dict of str to {"paper", "inferred", "user"}
        Where the ``level`` and ``granularity`` labels come from.
    version : int
        Bumped whenever a label changes, so that old outputs can be told apart.
    """

    name: str
    abbrev: str
    images: int
    choices: int
    level: Level
    granularity: Granularity
    provenance: Mapping[str, Provenance] = field(default_factory=dict)
    version: int = 1

    @property
    def letters(self) -> tuple[str, ...]:
        """The option letters of this task, ``("A", "B", ...)``."""
        return tuple("ABCD"[: self.choices])


def _task(name, abbrev, images, choices, level, level_src, granularity, granularity_src):
    return Task(
        name=name,
        abbrev=abbrev,
        images=images,
        choices=choices,
        level=level,
        granularity=granularity,
        provenance={"level": level_src, "granularity": granularity_src},
    )


# In the authors' heatmap order (BLINK minus IQ_Test). Images and choices per question are
# BLINK's; labels marked "paper" are stated by Sachdeva et al., the others are our reading of
# what each task needs (pixel: a marked point; patch: an image patch; crop: an object or box;
# image: the whole image).
BLINK_TASKS: tuple[Task, ...] = (
    _task("Visual_Similarity", "VS", 3, 2, "high", "inferred", "image", "inferred"),
    _task("Art_Style", "AS", 3, 2, "high", "inferred", "image", "paper"),
    _task("Visual_Correspondence", "VC", 2, 4, "low", "paper", "pixel", "inferred"),
    _task("Relative_Depth", "RD", 1, 2, "low", "paper", "pixel", "paper"),
    _task("Relative_Reflectance", "RR", 1, 3, "low", "paper", "pixel", "inferred"),
    _task("Spatial_Relation", "SR", 1, 2, "mid", "inferred", "crop", "inferred"),
    _task("Jigsaw", "JG", 3, 2, "mid", "inferred", "patch", "inferred"),
    _task("Counting", "CN", 1, 4, "mid", "inferred", "image", "paper"),
    _task("Functional_Correspondence", "FC", 2, 4, "high", "inferred", "pixel", "paper"),
    _task("Semantic_Correspondence", "SC", 2, 4, "high", "inferred", "pixel", "inferred"),
    _task("Multi-view_Reasoning", "MR", 2, 2, "high", "inferred", "image", "inferred"),
    _task("Object_Localization", "OL", 1, 2, "mid", "inferred", "crop", "inferred"),
    _task("Forensic_Detection", "FD", 4, 4, "high", "inferred", "image", "paper"),
)


class Registry(Mapping[str, Task]):
    """An ordered, read-only mapping of task name to :class:`Task`.

    Lookups of unknown names raise :class:`UnknownTaskError` with suggestions.
    """

    def __init__(self, tasks: Iterable[Task]):
        self._tasks: dict[str, Task] = {}
        abbrevs: dict[str, str] = {}
        for task in tasks:
            if task.name in self._tasks:
                raise ValueError(f"task {task.name!r} is registered twice")
            if task.abbrev in abbrevs:
                raise ValueError(
                    f"abbreviation {task.abbrev!r} is used by both "
                    f"{abbrevs[task.abbrev]!r} and {task.name!r}"
                )
            abbrevs[task.abbrev] = task.name
            self._tasks[task.name] = task

    def __getitem__(self, name: str) -> Task:
        try:
            return self._tasks[name]
        except KeyError:
            raise UnknownTaskError(unknown_task_message(name, self._tasks)) from None

    def __iter__(self):
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    def by_abbrev(self, abbrev: str) -> Task:
        """The task whose abbreviation is ``abbrev`` (case-insensitive)."""
        for task in self._tasks.values():
            if task.abbrev.lower() == abbrev.lower():
                return task
        raise UnknownTaskError(
            unknown_task_message(abbrev, [t.abbrev for t in self._tasks.values()])
        )

    def resolve(self, name_or_abbrev: str) -> Task:
        """A task by its name or its abbreviation."""
        if name_or_abbrev in self._tasks:
            return self._tasks[name_or_abbrev]
        if len(name_or_abbrev) == 2:
            return self.by_abbrev(name_or_abbrev)
        return self[name_or_abbrev]


def unknown_task_message(name: str, known: Iterable[str]) -> str:
    """``Unknown task 'Countng'. Did you mean: Counting?`` (or the list of known tasks)."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return f"Unknown task {name!r}. Did you mean: {', '.join(close)}?"
    return f"Unknown task {name!r}. Known tasks: {', '.join(known)}."


REGISTRY = Registry(BLINK_TASKS)


def get_task(name: str) -> Task:
    """The registered task called ``name`` (or with that abbreviation).

    Examples
    --------
    >>> get_task("Counting").choices
    4
    >>> get_task("RD").name
    'Relative_Depth'
    """
    return REGISTRY.resolve(name)


_TASK_FIELDS = ("abbrev", "images", "choices", "level", "granularity")


def load_registry(path: str | Path | None = None, *, base: Registry = REGISTRY) -> Registry:
    """The registry with the labels of a YAML file applied on top of ``base``.

    The file maps task names to the fields to change; a name not in ``base`` adds a task and
    must give every field::

        Counting: {level: low}
        My_Task: {abbrev: MT, images: 1, choices: 3, level: mid, granularity: crop}

    Labels set by the file get provenance ``"user"``.

    Parameters
    ----------
    path : str or Path or None
        The YAML file; ``None`` returns ``base`` unchanged.
    base : Registry, default=REGISTRY

    Returns
    -------
    Registry
    """
    if path is None:
        return base
    path = Path(path)
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of task name to fields, got {type(data)}")
    tasks = dict(base.items())
    for name, fields in data.items():
        where = f"{path}: task {name!r}"
        if not isinstance(fields, dict):
            raise ValueError(f"{where}: expected a mapping of fields, got {fields!r}")
        unknown = set(fields) - set(_TASK_FIELDS)
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}; known: {_TASK_FIELDS}")
        if fields.get("level", LEVELS[0]) not in LEVELS:
            raise ValueError(f"{where}: level must be one of {LEVELS}, got {fields['level']!r}")
        granularity = fields.get("granularity", GRANULARITIES[0])
        if granularity not in GRANULARITIES:
            raise ValueError(
                f"{where}: granularity must be one of {GRANULARITIES}, got {granularity!r}"
            )
        provenance = {k: "user" for k in ("level", "granularity") if k in fields}
        if name in tasks:
            old = tasks[name]
            tasks[name] = replace(
                old,
                **fields,
                provenance={**old.provenance, **provenance},
                version=old.version + 1,
            )
        else:
            missing = [f for f in _TASK_FIELDS if f not in fields]
            if missing:
                raise ValueError(f"{where}: a new task needs every field; missing {missing}")
            tasks[name] = Task(name=name, **fields, provenance=provenance)
    return Registry(tasks.values())
