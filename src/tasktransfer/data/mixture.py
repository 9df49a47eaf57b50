"""Training mixtures: a YAML file of task -> number of examples, and its deterministic sample.

The file ``tasktransfer select`` writes, and ``finetune`` and studies read::

    mixture:                 # source task -> examples, in training order
      Counting: 600
      Spatial_Relation: 400
    provenance:              # optional: how the mixture was chosen
      rule: threshold
      targets: [Relative_Depth]
      budget: 1000
      pgf_source: sachdeva2026:7B
      model: qwen-2.5vl-7B-instruct
      ...
      pgf:                   # the evidence: source -> target -> PGF over runs
        Counting: {Relative_Depth: {mean: 0.21, std: 0.05, min: 0.15, max: 0.26, n_runs: 4}}

A hand-written file needs only ``mixture``. Tasks are named or abbreviated (``RD: 100``)
and stored by name. Unknown keys, unknown task names and counts that are not positive
integers are errors naming the file and the field. Task names resolve through the registry
given to :func:`read_mixture` (or, for the models, in the validation context under
``"registry"``; the built-in one otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tasktransfer.data.example import Example
from tasktransfer.data.loaders import load_examples
from tasktransfer.errors import InputError
from tasktransfer.files import write_atomic
from tasktransfer.tasks import REGISTRY, Registry, UnknownTaskError, registry_in


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def task_names(tasks, info: ValidationInfo) -> list[str]:
    """Each of ``tasks`` (names or abbreviations) by name, through the context's registry.

    For pydantic validators: an unknown or repeated task is a ``ValueError``.
    """
    registry = registry_in(info.context)
    try:
        names = [registry.resolve(task).name for task in tasks]
    except UnknownTaskError as err:  # pydantic reports ValueErrors, not KeyErrors
        raise ValueError(str(err)) from None
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"tasks listed twice (by name or abbreviation): {', '.join(twice)}")
    return names


class PGFSpread(_Strict):
    """The PGF of one source on one target over runs (NaN std for a single run)."""

    mean: float
    std: float
    min: float
    max: float
    n_runs: int = Field(ge=1)


class Provenance(_Strict):
    """How a mixture was chosen: the rule, its options, and the PGF behind each source."""

    rule: str = Field(description="The selection rule: threshold, topk or optimal.")
    targets: list[str] = Field(min_length=1)
    budget: int = Field(ge=1, description="Examples asked for.")
    pgf_source: str = Field(description="The study folder, table or alias the PGF came from.")
    model: str = Field(description="The model whose PGF was used.")
    threshold: float | None = None
    k: int | None = None
    cap: int | None = Field(None, description="Examples per source the PGF was measured with.")
    include_target: bool = False
    available: dict[str, int] = Field(default_factory=dict)
    predicted_gain: float | None = None
    pgf: dict[str, dict[str, PGFSpread]] = Field(
        default_factory=dict, description="Source -> target -> PGF over runs."
    )
    notes: list[str] = Field(default_factory=list)
    tasktransfer_version: str | None = None

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, targets: list[str], info: ValidationInfo) -> list[str]:
        return task_names(targets, info)


class MixtureFile(_Strict):
    """A mixture file: ``mixture`` (task -> positive example count) and its ``provenance``."""

    mixture: dict[str, int] = Field(min_length=1)
    provenance: Provenance | None = None

    @field_validator("mixture", mode="before")
    @classmethod
    def _counts(cls, mixture):
        # Strict integers: YAML's 1.5, "10" or true must not become a count silently.
        if isinstance(mixture, Mapping):
            for task, n in mixture.items():
                if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                    raise ValueError(f"{task}: expected a positive integer count, got {n!r}")
        return mixture

    @field_validator("mixture")
    @classmethod
    def _known_tasks(cls, mixture: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        return dict(zip(task_names(mixture, info), mixture.values(), strict=True))


def mixture_from_selection(
    selection,
    *,
    pgf_source: str,
    model: str,
    threshold: float,
    k: int,
    include_target: bool,
    available: Mapping[str, int],
    registry: Registry = REGISTRY,
) -> MixtureFile:
    """The mixture file of a :class:`tasktransfer.analysis.selection.Selection`, with provenance.

    Parameters
    ----------
    selection : Selection
        A non-empty recommendation.
    pgf_source : str
        Where its PGF came from (study folder, table or alias).
    model : str
        The model whose PGF was used.
    threshold, k, include_target, available
        The options the selection was made with; ``threshold`` and ``k`` are recorded only
        for the rule that uses them.
    registry : Registry, default=REGISTRY
        The tasks the selection chose among.
    """
    from tasktransfer import __version__

    pgf: dict[str, dict] = {}
    for e in selection.evidence:
        pgf.setdefault(e.source, {})[e.target] = {
            "mean": e.mean,
            "std": e.std,
            "min": e.min,
            "max": e.max,
            "n_runs": e.n_runs,
        }
    provenance = {
        "rule": selection.rule,
        "targets": list(selection.targets),
        "budget": selection.budget,
        "pgf_source": pgf_source,
        "model": model,
        "threshold": threshold if selection.rule == "threshold" else None,
        "k": k if selection.rule == "topk" else None,
        "cap": selection.cap,
        "include_target": include_target,
        "available": dict(available),
        "predicted_gain": selection.predicted_gain,
        "pgf": pgf,
        "notes": list(selection.notes),
        "tasktransfer_version": __version__,
    }
    return MixtureFile.model_validate(
        {"mixture": selection.mixture, "provenance": provenance}, context={"registry": registry}
    )


def read_mixture(path: str | Path, *, registry: Registry = REGISTRY) -> MixtureFile:
    """Read and validate a mixture file, its tasks resolved through ``registry``.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "mix.yaml"
    >>> _ = path.write_text("mixture: {RD: 100, Counting: 50}")
    >>> read_mixture(path).mixture
    {'Relative_Depth': 100, 'Counting': 50}

    Raises
    ------
    InputError
        Not YAML, or a field that fails validation (every failure is listed).
    FileNotFoundError
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise InputError(f"{path}: not valid YAML ({err})") from None
    try:
        return MixtureFile.model_validate(
            data if data is not None else {}, context={"registry": registry}
        )
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in err.errors()
        )
        raise InputError(f"{path}: invalid mixture file: {problems}") from None


def write_mixture(mixture: MixtureFile, path: str | Path) -> Path:
    """Write ``mixture`` as YAML, atomically (a temporary name, then ``os.replace``)."""
    path = Path(path)
    text = yaml.safe_dump(
        mixture.model_dump(exclude_none=True), sort_keys=False, default_flow_style=False
    )
    return write_atomic(path, text)


def sample_mixture(
    source: str,
    mixture: Mapping[str, int],
    split: str,
    *,
    seed: int,
    difficulty: float | Mapping[str, float] | None = None,
    registry: Registry = REGISTRY,
) -> list[Example]:
    """The examples of a mixture: ``n`` examples of each task, drawn deterministically by seed.

    Each task's examples come from :func:`~tasktransfer.data.loaders.load_examples` with
    ``limit=n``: a subsample drawn with ``seed`` for a folder or the hub, the first ``n``
    questions of the suite instance ``seed`` for the synthetic source. Answers are
    required (these are training examples).

    Parameters
    ----------
    source : str
        ``"synthetic"``, a folder or a hub dataset id, as for ``load_examples``.
    mixture : mapping of str to int
        Task -> number of examples (e.g. ``read_mixture(path).mixture``).
    split : str
    seed : int
    difficulty : float or mapping of str to float or None
        Synthetic only, as for ``load_examples``.
    registry : Registry, default=REGISTRY
        The tasks that exist, as for ``load_examples``.

    Returns
    -------
    list of Example
        Task by task in the mixture's order, each task's examples in source order; shuffle
        before training.

    Raises
    ------
    InputError
        A count that is not a positive integer, or a task with fewer examples than asked.

    Examples
    --------
    >>> batch = sample_mixture("synthetic", {"Counting": 2, "Jigsaw": 1}, "train", seed=0)
    >>> [e.sub_task for e in batch]
    ['Counting', 'Counting', 'Jigsaw']
    """
    out: list[Example] = []
    for task, n in mixture.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InputError(f"mixture: {task} needs a positive integer count, got {n!r}")
        (found,) = load_examples(
            source,
            [task],
            split,
            limit=n,
            seed=seed,
            require_answers=True,
            difficulty=difficulty,
            registry=registry,
        ).values()
        if len(found) < n:
            raise InputError(
                f"mixture asks for {n} examples of {task}, but {source} split {split!r} has "
                f"only {len(found)}"
            )
        out.extend(found)
    return out
