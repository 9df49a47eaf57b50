"""Study configuration: a YAML file validated by pydantic, with ``key=value`` overrides.

A study names its model(s), tasks, seeds, data, finetune and evaluation settings, executor
and output folder. :func:`load_study_config` resolves a shipped config by name (see
:func:`shipped_configs`) or reads a YAML path, applies dotted overrides such as
``finetune.steps=50``, and reports every invalid field at once, naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tasktransfer.contracts import ZERO_SHOT
from tasktransfer.data import Example, load_examples
from tasktransfer.data.mixture import MixtureFile, read_mixture, sample_mixture, task_names
from tasktransfer.data.video import FrameSampling
from tasktransfer.errors import InputError
from tasktransfer.model import EvalConfig, FinetuneConfig, ModelConfig
from tasktransfer.model.config import DEFAULT_PRESET
from tasktransfer.overrides import apply_overrides, describe_errors
from tasktransfer.tasks import REGISTRY, Registry, UnknownTaskError, load_registry, registry_in

SYNTHETIC = "synthetic"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Strict):
    """Where a study's examples come from.

    Task names resolve through the registry this section was validated with (a study's:
    see :attr:`StudyConfig.registry`), and :meth:`load` and :meth:`sample` read with it.
    """

    source: str | None = Field(
        SYNTHETIC,
        description="'synthetic', a local folder in the BLINK schema, or a hub dataset id.",
    )
    split: str = Field(description="Split to read, e.g. 'train' or 'val'.")
    limit: int | None = Field(None, ge=1, description="At most this many examples per task.")
    difficulty: float | dict[str, float] | None = Field(
        None,
        description="Synthetic source only: one difficulty in [0, 1] for every task, or "
        "task -> difficulty; None uses each task's default (docs/synthetic-suite.md).",
    )
    frames: FrameSampling | None = Field(
        None,
        description="Video tasks: how frames are taken (num_frames, fps_cap, max_pixels), from "
        "VSI-Bench's files or from the frames a clip holds (the synthetic suite's 8); None: "
        "8 frames from a file, a clip's frames as they are.",
    )
    _registry: Registry = PrivateAttr(REGISTRY)

    @field_validator("difficulty")
    @classmethod
    def _difficulty_in_range(cls, difficulty: Any, info: ValidationInfo) -> Any:
        values = difficulty.values() if isinstance(difficulty, dict) else [difficulty]
        wrong = [v for v in values if v is not None and not 0 <= v <= 1]
        if wrong:
            raise ValueError(f"difficulty must be in [0, 1], got {wrong[0]}")
        if isinstance(difficulty, dict):
            return dict(zip(task_names(difficulty, info), difficulty.values(), strict=True))
        return difficulty

    @model_validator(mode="after")
    def _keep_the_registry(self, info: ValidationInfo) -> DataConfig:
        self._registry = registry_in(info.context)
        return self

    @model_validator(mode="after")
    def _difficulty_is_synthetic(self) -> DataConfig:
        if self.difficulty is not None and self.source != SYNTHETIC:
            raise ValueError(
                f"difficulty sets the synthetic suite's generators; source {self.source!r} is "
                "read as it is"
            )
        return self

    def load(self, tasks: Sequence[str]) -> dict[str, list[Example]]:
        """The examples of ``tasks``: :func:`~tasktransfer.data.load_examples` with these fields."""
        return load_examples(
            self.source,
            tasks,
            self.split,
            limit=self.limit,
            difficulty=self.difficulty,
            registry=self._registry,
            sampling=self.frames,
        )

    def sample(self, mixture: dict[str, int], *, seed: int) -> list[Example]:
        """A mixture's examples (:func:`~tasktransfer.data.mixture.sample_mixture`)."""
        return sample_mixture(
            self.source,
            mixture,
            self.split,
            seed=seed,
            difficulty=self.difficulty,
            registry=self._registry,
        )


class ExecutorConfig(_Strict):
    """How cells run: locally (one after another, or ``workers`` side by side), or as Ray tasks."""

    kind: Literal["local", "ray"] = "local"
    address: str | None = Field(None, description="Ray cluster to join; None starts a local one.")
    cpus_per_cell: int = Field(
        1,
        ge=1,
        description="CPU threads per cell: Ray's request and the torch threads, unless the "
        "model pins its own (the tiny model runs on one).",
    )
    workers: int = Field(
        1,
        ge=1,
        description="local: cells run side by side in this many worker processes (Ray "
        "places cells by cpus_per_cell and gpus_per_cell instead).",
    )
    gpus_per_cell: float = Field(
        0,
        ge=0,
        description="GPUs per cell: the Ray resource request; 2 or more also finetunes the "
        "cell in that many processes (one per GPU, through accelerate); a fraction shares a "
        "GPU within one process.",
    )
    max_retries: int = Field(1, ge=0, description="Ray retries of a failed cell.")


class ProtocolConfig(_Strict):
    """Which questions a finetune trains on and which it is evaluated on.

    ``standard``: each source trains on ``train_data`` and every cell is evaluated on
    ``eval_data``. ``crossfit``: each task's evaluation split is cut into ``folds`` folds by
    a stable hash of the question ``idx`` (:func:`tasktransfer.study.crossfit.fold_of`);
    for each fold, a cell finetunes on the source's evaluation questions outside the fold
    and answers every target's questions inside it, so a target's counts summed over the
    folds cover its whole split and no question is answered by a model trained on it.
    ``train_data`` is not read. Zero-shot is evaluated once on the whole split.
    """

    kind: Literal["standard", "crossfit"] = "standard"
    folds: int = Field(2, ge=2, description="crossfit: folds per task (K).")
    min_train: int = Field(
        20,
        ge=1,
        description="crossfit: the fewest training questions a (source, fold) may have; "
        "the study refuses to run below it.",
    )


class SelectionConfig(_Strict):
    """The selection experiment: per target, direct, PGF-guided and random mixtures.

    Each target gets mixtures ``direct-<abbrev>`` (``budget`` examples of the target),
    ``guided-<abbrev>`` (the rule's recommendation from the ``pgf_from`` matrix, among the
    study's tasks) and ``random-<abbrev>-<i>`` (as many random sources as the guided one,
    with its counts), added to the study's mixtures when it runs (see
    :mod:`tasktransfer.study.selection`).
    """

    targets: list[str] = Field(min_length=1, description="Tasks to choose training data for.")
    budget: int = Field(ge=1, description="Examples per mixture.")
    pgf_from: str = Field(
        description="The PGF matrix to select from: a study folder, results table, published "
        "table or alias (as `tasktransfer select --from`). Measure it on an evaluation split "
        "DISJOINT from this study's eval_data, or the guided choice has seen the test. "
        "Read when the study runs, so a config may name a study that is still to be run."
    )
    rule: Literal["threshold", "topk", "optimal"] = "threshold"
    threshold: float = Field(0.0, ge=0, description="threshold rule: smallest mean PGF.")
    k: int = Field(3, ge=1, description="topk rule: number of sources.")
    cap: int | None = Field(
        None, ge=1, description="Examples per source the PGF was measured with (default budget)."
    )
    model: str | None = Field(None, description="pgf_from's model when it holds several.")
    random_mixtures: int = Field(3, ge=1, description="Random mixtures per target.")
    include_target: bool = Field(False, description="Let the guided mixture use the target.")

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, targets: list[str], info: ValidationInfo) -> list[str]:
        return task_names(targets, info)


class StudyConfig(_Strict):
    """One transfer study. Every field has a YAML key of the same name.

    Tasks are named or abbreviated, in ``tasks``, mixtures, ``selection.targets`` and
    difficulty keys alike, and resolve through :attr:`registry`: the built-in tasks plus
    those of ``tasks_file``. Validate with :meth:`model_validate` or the constructor (they
    read ``tasks_file`` first); other pydantic entry points know the built-in tasks only.

    The ``finetune`` section overrides the models' finetune preset (``ModelConfig.preset``:
    ``tiny`` for the tiny model, ``hub-lora`` for any other). One finetune serves every model
    of a study, so when the models' presets differ it starts from ``hub-lora``, the library
    default: a hub model never falls back to full finetuning by omission.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    models: list[ModelConfig] = Field(min_length=1)
    tasks_file: Path | None = Field(
        None,
        description="A tasks YAML (as `tasktransfer tasks ls --labels` reads) that adds tasks "
        "or relabels built-in ones; relative to the working directory, recorded absolute.",
    )
    tasks: list[str] = Field(min_length=1, description="The sources: finetuned on, and evaluated.")
    targets: list[str] | None = Field(
        None,
        description="Tasks evaluated beside the tasks and never finetuned on (a rectangular "
        "study); None evaluates the tasks only. Listing a task here as well changes nothing.",
    )
    seeds: list[int] = Field(min_length=1, description="One run per seed, labelled seed_<n>.")
    eval_data: DataConfig
    target_data: DataConfig | None = Field(
        None,
        description="Where the targets that are not tasks are read (e.g. video targets from "
        "another dataset than the image sources); None reads them from eval_data.",
    )
    train_data: DataConfig | None = Field(
        None, description="The sources' training examples (protocol standard only)."
    )
    protocol: ProtocolConfig = ProtocolConfig()
    finetune: FinetuneConfig = FinetuneConfig()
    evaluation: EvalConfig = EvalConfig()
    executor: ExecutorConfig = ExecutorConfig()
    output: Path = Field(Path("studies/study"), description="The study folder.")
    mixtures: dict[str, MixtureFile] = Field(
        default_factory=dict,
        description="Extra finetune sources: label -> task -> examples (inline), or label -> "
        "a mixture file's path (relative to the working directory). Each is sampled from "
        "train_data by the run's seed (train_data.limit does not apply) and its rows carry "
        "the label as their source.",
    )
    selection: SelectionConfig | None = Field(
        None, description="The selection experiment; its mixtures join `mixtures` at run time."
    )
    _registry: Registry = PrivateAttr(REGISTRY)

    @model_validator(mode="before")
    @classmethod
    def _finetune_defaults_for_the_models(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("finetune", {}), dict):
            return data
        presets = set()
        for model in data.get("models") or []:
            try:
                presets.add(ModelConfig.model_validate(model).preset)
            except ValidationError:
                pass  # reported by the models field itself
        preset = presets.pop() if len(presets) == 1 else DEFAULT_PRESET
        return {**data, "finetune": FinetuneConfig.preset_values(preset, data.get("finetune", {}))}

    @classmethod
    def model_validate(cls, obj: Any, *, context: dict[str, Any] | None = None, **kwargs):
        """Validate ``obj`` with the registry of its ``tasks_file`` in the context."""
        return super().model_validate(obj, context=_study_context(obj, context), **kwargs)

    def __init__(self, /, **data: Any) -> None:
        # As BaseModel.__init__, with the study's registry in the validation context.
        self.__pydantic_validator__.validate_python(
            data, self_instance=self, context=_study_context(data, None)
        )

    @property
    def registry(self) -> Registry:
        """The tasks this study knows: the built-in ones plus ``tasks_file``'s."""
        return self._registry

    @field_validator("tasks_file")
    @classmethod
    def _absolute_tasks_file(cls, path: Path | None) -> Path | None:
        # Recorded absolute, so the study folder's config.yaml and every worker read the
        # file that was validated, whatever their working directory.
        return None if path is None else path.resolve()

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, tasks: list[str], info: ValidationInfo) -> list[str]:
        return task_names(tasks, info)

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, targets: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return None if targets is None else task_names(targets, info)

    @field_validator("mixtures", mode="before")
    @classmethod
    def _read_mixtures(cls, mixtures: Any, info: ValidationInfo) -> Any:
        # A path is read here, so the resolved config.yaml records the counts themselves.
        if not isinstance(mixtures, dict):
            return mixtures
        out = {}
        for label, value in mixtures.items():
            if isinstance(value, (str, Path)):
                if not Path(value).is_file():
                    raise ValueError(f"mixture {label!r}: no mixture file {str(value)!r}")
                value = read_mixture(value, registry=registry_in(info.context))
            elif isinstance(value, dict) and "mixture" not in value:
                value = {"mixture": value}  # inline counts
            out[label] = value
        return out

    @field_validator("mixtures")
    @classmethod
    def _mixture_labels(
        cls, mixtures: dict[str, MixtureFile], info: ValidationInfo
    ) -> dict[str, MixtureFile]:
        for label in mixtures:
            # A label names a cell folder: no leading dot, so never "." or ".." or hidden.
            if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", label):
                raise ValueError(
                    f"mixture label {label!r}: use letters, digits, _ . - (not first: .)"
                )
            if label == ZERO_SHOT or _is_task(label, registry_in(info.context)):
                raise ValueError(
                    f"mixture label {label!r} is taken by a task or the zero-shot baseline; "
                    "results rows would not tell them apart"
                )
        return mixtures

    @model_validator(mode="after")
    def _keep_the_registry(self, info: ValidationInfo) -> StudyConfig:
        self._registry = registry_in(info.context)
        return self

    @model_validator(mode="after")
    def _selection_targets_are_tasks(self) -> StudyConfig:
        if self.selection is not None:
            missing = [t for t in self.selection.targets if t not in self.tasks]
            if missing:
                raise ValueError(
                    f"selection.targets {missing} are not among the study's tasks {self.tasks}: "
                    "the experiment evaluates each target"
                )
        return self

    @model_validator(mode="after")
    def _data_for_the_protocol(self) -> StudyConfig:
        if self.protocol.kind == "standard" and self.train_data is None:
            raise ValueError(
                "train_data is required under protocol standard (it holds the sources' "
                "training examples); protocol.kind=crossfit trains on eval_data instead"
            )
        if self.protocol.kind == "crossfit" and (self.mixtures or self.selection):
            raise ValueError(
                "mixtures and selection sample train_data, which protocol crossfit does not "
                "read: run them under protocol standard"
            )
        if self.target_data is not None and not self.extra_targets:
            raise ValueError(
                "target_data reads the targets that are not tasks, and targets lists none: "
                "drop target_data or add such targets"
            )
        return self

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct, got {seeds}")
        return seeds

    @property
    def runs(self) -> list[str]:
        """Run labels, one per seed."""
        return [run_label(seed) for seed in self.seeds]

    @property
    def extra_targets(self) -> list[str]:
        """The targets that are not tasks, in ``targets`` order."""
        return [t for t in self.targets or () if t not in self.tasks]

    @property
    def evaluated(self) -> list[str]:
        """Every task a cell is evaluated on: the tasks, then the other targets."""
        return [*self.tasks, *self.extra_targets]

    def load_evaluation(self) -> dict[str, list[Example]]:
        """The evaluation examples of every evaluated task, in :attr:`evaluated` order.

        The tasks are read from ``eval_data``; the other targets from ``target_data``,
        or ``eval_data`` when it is not set.
        """
        if self.target_data is None:
            return self.eval_data.load(self.evaluated)
        return {**self.eval_data.load(self.tasks), **self.target_data.load(self.extra_targets)}


def _is_task(name: str, registry: Registry) -> bool:
    try:
        registry.resolve(name)
    except UnknownTaskError:
        return False
    return True


def _study_context(data: Any, context: dict[str, Any] | None) -> dict[str, Any]:
    """The validation context of a study: ``context`` with the study's registry.

    The registry is the context's (the built-in one by default) plus the tasks of
    ``data["tasks_file"]``; pydantic hands the context to every nested model, so the
    study's tasks, difficulty keys, selection targets and mixtures all resolve through it.
    A tasks file that cannot be read fails as a ``ValidationError`` at ``tasks_file``.
    """
    registry = registry_in(context)
    path = data.get("tasks_file") if isinstance(data, dict) else None
    if path is not None:
        try:
            registry = load_registry(path, base=registry)
        except (OSError, TypeError, ValueError) as err:
            raise ValidationError.from_exception_data(
                "StudyConfig",
                [{"type": "value_error", "loc": ("tasks_file",), "input": path,
                  "ctx": {"error": err}}],
            ) from None  # fmt: skip
    return {**(context or {}), "registry": registry}


def run_label(seed: int) -> str:
    """``seed_3`` for seed 3."""
    return f"seed_{seed}"


def shipped_configs() -> dict[str, Path]:
    """The configs shipped with the package, by name (``quickstart``, ``synthetic-full``, ...)."""
    folder = resources.files("tasktransfer.study") / "configs"
    return {Path(p.name).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml")}


def resolve_config_path(name_or_path: str | Path) -> Path:
    """A shipped config's file for its name, else ``name_or_path`` as a file path."""
    shipped = shipped_configs()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    path = Path(name_or_path)
    if not path.is_file():
        raise InputError(
            f"No study config {str(name_or_path)!r}: not a file and not a shipped config "
            f"({', '.join(sorted(shipped))})."
        )
    return path


def load_study_config(
    name_or_path: str | Path,
    overrides: Sequence[str] = (),
    *,
    output: Path | None = None,
) -> StudyConfig:
    """Read, override and validate a study config.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped config name (see :func:`shipped_configs`) or a YAML file.
    overrides : sequence of str, default=()
        ``key=value`` strings with dotted keys, applied in order.
    output : Path or None, default=None
        Overrides the ``output`` field.

    Returns
    -------
    StudyConfig

    Raises
    ------
    InputError
        Listing every invalid field with its location in the file.
    """
    path = resolve_config_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise InputError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of settings, got {type(data).__name__}.")
    data = apply_overrides(data, overrides)
    if output is not None:
        data["output"] = str(output)
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as err:
        problems = describe_errors(err.errors())
        raise InputError(f"{path}: invalid study config:\n{problems}") from None
