"""Builders: BLINK-schema training sets rebuilt from the datasets BLINK was made from.

BLINK has no train split. A builder reads the *train* split of a task's source dataset,
already downloaded by the user, and writes ``<out>/<Task>/train.parquet`` (the folder
loader reads it: ``--data <out>``) with a ``train.manifest.json`` beside it (source,
split, source ids per row, builder version, seed, skipped candidates, dedup report,
licence). ``tasktransfer data build TASK --from PATH --out DIR [--n N] [--seed S]`` is
the command; :func:`build` is the library call. Sources per task, their question formats
and overlap risks: ``docs/training-data.md``.

How to add a builder (one module, nothing else)
-----------------------------------------------
Write ``data/builders/<task_in_snake_case>.py`` ending in ``BUILDER = Builder(...)``
(:class:`~tasktransfer.data.builders.base.Builder`). Modules in this package are
discovered: every module other than ``base`` must define ``BUILDER``. The module gives

- ``check_layout(source_dir)``: :func:`~tasktransfer.data.builders.base.require_files`
  for the files the source must hold; raise :class:`~tasktransfer.errors.InputError`
  naming the file;
- ``candidates(source_dir)``: every usable item, in a fixed order, as
  :class:`~tasktransfer.data.builders.base.Candidate` (``answers`` = the answer indices
  the item can be built with; the framework picks one to balance the letters). Bad
  annotations raise ``InputError`` naming the file, row and field;
- ``render(candidate, answer, rng)``: a
  :class:`~tasktransfer.data.builders.base.BuiltQuestion` whose right option is
  ``answer``, or ``None`` to skip the item (counted in the manifest). Open images with
  :func:`~tasktransfer.data.builders.base.load_image` and draw every mark with
  :mod:`tasktransfer.data.marks` (``photo_style``, ``point``, ``box``, ``fits``). Use
  only ``rng`` for randomness. Option strings are BLINK's (``"A is closer"``); question
  texts paraphrase BLINK's wording pattern.

The test, ``tests/data/builders/test_<task>.py``, writes a tiny fixture in the source's
own annotation format (say which published format it follows) and checks it with
``tests/data/builders/conftest.py::assert_valid_build``.

Tasks without a builder are in :data:`UNSUPPORTED`: :func:`get_builder` refuses them with
the source and what a user would have to supply.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tasktransfer.data.builders.base import Build, Builder, build_examples, write_build
from tasktransfer.errors import InputError


@dataclass(frozen=True)
class Unsupported:
    """A task with no builder: its source and what a user would have to supply."""

    source: str
    supply: str


UNSUPPORTED: dict[str, Unsupported] = {
    "Functional_Correspondence": Unsupported(
        source="FunKPoint (Lai et al., ICCV 2021), which is not openly downloadable",
        supply="FunKPoint's keypoint annotations (on request from its authors) and the "
        "ImageNet images they name",
    ),
    "Multi-view_Reasoning": Unsupported(
        source="Wild6D object-orbit videos (not confirmed)",
        supply="frame pairs with per-frame camera poses (Wild6D, Objectron or CO3D) and a "
        "left/right convention calibrated on BLINK val",
    ),
    "Forensic_Detection": Unsupported(
        source="photos BLINK collected by web search, with no public source dataset",
        supply="groups of one real photo and three images generated from its caption "
        "(which needs a text-to-image model)",
    ),
}


@cache
def builders() -> dict[str, Builder]:
    """Task name -> builder, from every module of this package but ``base``."""
    found: dict[str, Builder] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        builder = getattr(module, "BUILDER", None)
        if not isinstance(builder, Builder):
            raise TypeError(f"{module.__name__} defines no BUILDER = Builder(...)")
        if builder.task in found:
            raise TypeError(f"two builders for {builder.task}: {module.__name__} and another")
        found[builder.task] = builder
    return found


def get_builder(task: str) -> Builder:
    """The builder of ``task`` (a name or abbreviation); a task without one is refused.

    Raises
    ------
    UnknownTaskError
        For a name that is no task.
    InputError
        For a task in :data:`UNSUPPORTED`, naming its source and what to supply; for any
        other task without a builder, listing the tasks that have one.
    """
    from tasktransfer.tasks import REGISTRY

    name = REGISTRY.resolve(task).name
    if name in UNSUPPORTED:
        gap = UNSUPPORTED[name]
        raise InputError(
            f"{name} has no builder: BLINK built it from {gap.source}; to train on it, "
            f"supply {gap.supply} as BLINK-schema rows yourself (<task>/train.parquet)"
        )
    found = builders()
    if name not in found:
        raise InputError(f"{name} has no builder; builders exist for: {', '.join(sorted(found))}")
    return found[name]


def build(
    task: str,
    source_dir: Path | str,
    out_dir: Path | str,
    *,
    n: int | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Build:
    """Build ``task``'s training rows from ``source_dir`` and write them under ``out_dir``.

    Writes ``<out_dir>/<Task>/train.parquet`` and ``train.manifest.json``; returns the
    :class:`~tasktransfer.data.builders.base.Build`. See
    :func:`~tasktransfer.data.builders.base.build_examples` for ``n``, ``seed`` and
    ``progress``.
    """
    result = build_examples(get_builder(task), source_dir, n=n, seed=seed, progress=progress)
    write_build(out_dir, result)
    return result


__all__ = ["UNSUPPORTED", "Unsupported", "build", "builders", "get_builder"]
