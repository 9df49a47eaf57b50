"""The task registry: one record per perception task.

Each task is one :class:`Task` in :data:`BLINK_TASKS` (BLINK's image tasks),
:data:`VSIBENCH_TASKS` (VSI-Bench's video tasks) or :data:`SYNTHETIC_VIDEO_TASKS` (the
offline video suite); adding a task is adding one record.
Perceptual level and granularity come from Sachdeva et al. (2026) where the paper states
them (``"paper"``) and were chosen by us otherwise (``"inferred"``); every label carries
its provenance so that a reader can tell the two apart. A user who disagrees with a label,
or who studies tasks outside BLINK, passes a YAML file to :func:`load_registry`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from tasktransfer.errors import InputError

Level = Literal["low", "mid", "high"]
Granularity = Literal["pixel", "patch", "crop", "image"]
Provenance = Literal["paper", "inferred", "user"]
AnswerType = Literal["choice", "number"]
Modality = Literal["image", "video"]

LEVELS: tuple[str, ...] = ("low", "mid", "high")
GRANULARITIES: tuple[str, ...] = ("pixel", "patch", "crop", "image")
ANSWER_TYPES: tuple[str, ...] = ("choice", "number")
MODALITIES: tuple[str, ...] = ("image", "video")
NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_-]*"
ABBREV_PATTERN = r"[A-Za-z0-9]{1,4}"


class UnknownTaskError(KeyError):
    """A task name that is not in the registry; the message suggests near names."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the sentence.
        return str(self.args[0])


@dataclass(frozen=True)
class Task:
    """One perception task: multiple choice or numeric, on images or on a video.

    Attributes
    ----------
    name : str
        BLINK config name, e.g. ``"Relative_Depth"``.
    abbrev : str
        Two-letter abbreviation used in plots, e.g. ``"RD"``.
    images : int
        Images per question: 1 to 4 for an image task, 0 to 4 for a video task (whose
        frames come with the video).
    choices : int
        Number of answer options: 2 to 4 (the most a question has) for a multiple-choice
        task, 0 for a numeric one.
    level : {"low", "mid", "high"}
        Perceptual level.
    granularity : {"pixel", "patch", "crop", "image"}
        Spatial granularity the answer depends on.
    provenance : dict of str to {"paper", "inferred", "user"}
        Where the ``level`` and ``granularity`` labels come from.
    version : int
        Bumped whenever a label changes, so that old outputs can be told apart.
    answer_type : {"choice", "number"}, default="choice"
        Answered by an option letter, or by a number scored by mean relative accuracy.
    modality : {"image", "video"}, default="image"
        Whether each question carries a video.
    """

    name: str
    abbrev: str
    images: int
    choices: int
    level: Level
    granularity: Granularity
    provenance: Mapping[str, Provenance] = field(default_factory=dict)
    version: int = 1
    answer_type: AnswerType = "choice"
    modality: Modality = "image"

    def __post_init__(self) -> None:
        # Names and abbreviations become folder and mixture names: only safe characters.
        if not re.fullmatch(NAME_PATTERN, str(self.name)):
            raise ValueError(
                f"task name {self.name!r}: use letters, digits, _ and - (a letter first)"
            )
        if not re.fullmatch(ABBREV_PATTERN, str(self.abbrev)):
            raise ValueError(
                f"task {self.name!r}: abbrev {self.abbrev!r} is not 1 to 4 letters or digits"
            )
        if self.answer_type not in ANSWER_TYPES:
            raise ValueError(
                f"task {self.name!r}: answer_type must be one of {ANSWER_TYPES}, "
                f"got {self.answer_type!r}"
            )
        if self.modality not in MODALITIES:
            raise ValueError(
                f"task {self.name!r}: modality must be one of {MODALITIES}, got {self.modality!r}"
            )
        fewest_images = 0 if self.modality == "video" else 1
        choice_range = (2, 4) if self.answer_type == "choice" else (0, 0)
        for field_name, low, high in (("images", fewest_images, 4), ("choices", *choice_range)):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(
                    f"task {self.name!r}: {field_name} must be a whole number from {low} to "
                    f"{high}, got {value!r}"
                )
        if self.level not in LEVELS:
            raise ValueError(
                f"task {self.name!r}: level must be one of {LEVELS}, got {self.level!r}"
            )
        if self.granularity not in GRANULARITIES:
            raise ValueError(
                f"task {self.name!r}: granularity must be one of {GRANULARITIES}, "
                f"got {self.granularity!r}"
            )

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


def _video_task(name, abbrev, choices, level, granularity):
    # Video questions carry no still images; their frames come with the video. Their labels
    # are our reading (the paper labels BLINK's tasks only).
    return Task(
        name=name,
        abbrev=abbrev,
        images=0,
        choices=choices,
        level=level,
        granularity=granularity,
        provenance={"level": "inferred", "granularity": "inferred"},
        answer_type="choice" if choices else "number",
        modality="video",
    )


# VSI-Bench's eight tasks (Yang et al., "Thinking in Space", 2025; ``nyu-visionx/VSI-Bench``),
# in the order of its result tables. Numeric tasks are scored by mean relative accuracy;
# the multiple-choice ones have up to four options (relative direction: 2 to 4).
VSIBENCH_TASKS: tuple[Task, ...] = (
    _video_task("VSI_Object_Count", "VOC", 0, "mid", "image"),
    _video_task("VSI_Abs_Distance", "VAD", 0, "high", "crop"),
    _video_task("VSI_Object_Size", "VOS", 0, "high", "crop"),
    _video_task("VSI_Room_Size", "VRS", 0, "high", "image"),
    _video_task("VSI_Rel_Distance", "VRDi", 4, "high", "crop"),
    _video_task("VSI_Rel_Direction", "VRDr", 4, "high", "crop"),
    _video_task("VSI_Route_Plan", "VRP", 4, "high", "image"),
    _video_task("VSI_Appearance_Order", "VAO", 4, "mid", "image"),
)

# The offline synthetic video suite (:mod:`tasktransfer.data.synthetic`), CPU-sized
# analogues of four VSI-Bench tasks.
SYNTHETIC_VIDEO_TASKS: tuple[Task, ...] = (
    _video_task("Video_Counting", "VCN", 0, "mid", "image"),
    _video_task("Video_Appearance_Order", "VAPO", 4, "mid", "image"),
    _video_task("Video_Relative_Direction", "VDIR", 4, "high", "crop"),
    _video_task("Video_Relative_Distance", "VDIS", 0, "high", "crop"),
)


class Registry(Mapping[str, Task]):
    """An ordered, read-only mapping of task name to :class:`Task`.

    Indexing takes a task name; :meth:`resolve` takes a name or an abbreviation. Both raise
    :class:`UnknownTaskError` with near names for a miss.
    """

    def __init__(self, tasks: Iterable[Task]):
        self._tasks: dict[str, Task] = {}
        self._abbrevs: dict[str, Task] = {}  # lower-case abbreviation -> task
        for task in tasks:
            if task.name in self._tasks:
                raise ValueError(f"task {task.name!r} is registered twice")
            other = self._abbrevs.get(task.abbrev.lower())
            if other is not None:
                raise ValueError(
                    f"abbreviation {task.abbrev!r} is used by both {other.name!r} and {task.name!r}"
                )
            self._abbrevs[task.abbrev.lower()] = task
            self._tasks[task.name] = task
        # A name that reads as another task's abbreviation would resolve two ways.
        for name in self._tasks:
            other = self._abbrevs.get(name.lower())
            if other is not None and other.name != name:
                raise ValueError(f"task name {name!r} is the abbreviation of {other.name!r}")

    def __getitem__(self, name: str) -> Task:
        try:
            return self._tasks[name]
        except KeyError:
            raise UnknownTaskError(unknown_task_message(name, self._tasks)) from None

    def __iter__(self):
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    def resolve(self, name_or_abbrev: str) -> Task:
        """A task by its name or its abbreviation (the abbreviation in any case).

        This is the one place a user's spelling of a task becomes a task: configs, mixture
        files, loaders and the CLI all resolve through it.

        Examples
        --------
        >>> REGISTRY.resolve("RD").name, REGISTRY.resolve("cn").name
        ('Relative_Depth', 'Counting')
        """
        task = self._tasks.get(name_or_abbrev) or self._abbrevs.get(str(name_or_abbrev).lower())
        if task is None:
            raise UnknownTaskError(unknown_task_message(name_or_abbrev, self._tasks))
        return task


def unknown_task_message(name: str, known: Iterable[str]) -> str:
    """``Unknown task 'Countng'. Did you mean: Counting?`` (or the list of known tasks)."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return f"Unknown task {name!r}. Did you mean: {', '.join(close)}?"
    return f"Unknown task {name!r}. Known tasks: {', '.join(known)}."


REGISTRY = Registry(BLINK_TASKS + VSIBENCH_TASKS + SYNTHETIC_VIDEO_TASKS)


def registry_in(context: Mapping[str, Any] | None) -> Registry:
    """The registry a validation context carries under ``"registry"``, else :data:`REGISTRY`.

    Pydantic models that check task names (study configs, mixture files) read their
    registry from the context they are validated with, so a study's own tasks are known.
    """
    return (context or {}).get("registry", REGISTRY)


_TASK_FIELDS = ("abbrev", "images", "choices", "level", "granularity")
# A new task may also say how it is answered and whether it has videos (default: BLINK's).
_OPTIONAL_TASK_FIELDS = ("answer_type", "modality")
# A BLINK task's data has a fixed shape; a file may relabel it, not reshape it.
_LABEL_FIELDS = ("abbrev", "level", "granularity")


def load_registry(path: str | Path | None = None, *, base: Registry = REGISTRY) -> Registry:
    """The registry with the tasks and labels of a YAML file applied on top of ``base``.

        The file maps task names to fields. A name in ``base`` may change its labels
        (``abbrev``, ``level``, ``granularity``); a new name adds a task and gives every field::

            Counting: {level: low}
            My_Task: {abbrev: MT, images: 1, choices: 3, level: mid, granularity: crop}
            My_Count: {abbrev: MC, images: 0, choices: 0, level: mid, granularity: image,
                       answer_type: number, modality: video}

        Labels set by the file get provenance ``"user"``. Task names take letters, digits,
        ``_`` and ``-`` (they name folders); abbreviations 1 to 4 letters or digits. A new task
    may set ``answer_type`` (``choice`` or ``number``) and ``modality`` (``image`` or
    ``video``); they default to ``choice`` and ``image``.

        Parameters
        ----------
        path : str or Path or None
            The YAML file; ``None`` returns ``base`` unchanged.
        base : Registry, default=REGISTRY

        Returns
        -------
        Registry

        Raises
        ------
        InputError
            No such file, not YAML, or a task or field that is not allowed; the message names
            the file.
    """
    if path is None:
        return base
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no tasks file {str(path)!r} (relative paths are read from {Path.cwd()})")
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a YAML file of tasks ({err})") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: expected a mapping of task name to fields, got {type(data).__name__}"
        )
    tasks = dict(base.items())
    for name, fields in data.items():
        where = f"{path}: task {name!r}"
        if not isinstance(fields, dict):
            raise InputError(f"{where}: expected a mapping of fields, got {fields!r}")
        allowed = _LABEL_FIELDS if name in tasks else _TASK_FIELDS + _OPTIONAL_TASK_FIELDS
        unknown = sorted(set(fields) - set(allowed))
        if unknown:
            what = "a registered task's labels" if name in tasks else "a task's fields"
            raise InputError(f"{where}: cannot set {unknown}; {what} are {allowed}")
        provenance = {k: "user" for k in ("level", "granularity") if k in fields}
        try:
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
                    raise ValueError(f"a new task needs every field; missing {missing}")
                tasks[name] = Task(name=str(name), **fields, provenance=provenance)
        except ValueError as err:
            raise InputError(f"{where}: {err}") from None
    try:
        return Registry(tasks.values())
    except ValueError as err:
        raise InputError(f"{path}: {err}") from None
