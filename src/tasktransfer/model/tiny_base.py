"""Build the offline tiny model's base: an explicit step, taken once before any worker loads it.

Loading never trains: :func:`tasktransfer.model.load_model` raises when the base is missing.
``tasktransfer model tiny-base`` builds it, and so do ``run`` (before any cell or worker
starts), ``finetune`` and ``evaluate``, through :func:`prepare_models`. The base is trained
with the finetuning recipe, so this module sits above :mod:`.finetune` and :mod:`.load`;
:mod:`.tiny` holds only what loading needs (the recipe and the cache folder).

Public API
----------
build_tiny_base(out_dir, *, recipe=None, progress=True) -> Path
    Trains the tiny LLaVA (full finetuning, deterministic) on generic synthetic questions that
    are not the 13 study tasks (:func:`tasktransfer.data.synthetic.generic_examples`) and saves
    model + processor with ``save_pretrained`` (safetensors).
ensure_tiny_base(*, recipe=None, progress=True) -> Path
    The cached base (:func:`~tasktransfer.model.tiny.tiny_base_path`), built when missing.
prepare_models(models, *, progress=True) -> None
    Builds what loading ``models`` needs and lacks: the tiny base for the tiny model, nothing
    for a folder or a hub id.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tasktransfer.model.config import TINY, FinetuneConfig, ModelConfig
from tasktransfer.model.threads import torch_threads
from tasktransfer.model.tiny import TINY_BASE_RECIPE, build_tiny_llava, is_built, tiny_base_path

log = logging.getLogger(__name__)


def prepare_models(models: Iterable[ModelConfig | str], *, progress: bool = True) -> None:
    """Build what loading ``models`` needs and is not there yet.

    Call it once in the driver, before cells or workers load the models: then every worker
    finds the tiny base built instead of building its own copy.

    Parameters
    ----------
    models : iterable of ModelConfig or str
    progress : bool, default=True
        Show the build's progress bar.
    """
    names = {model if isinstance(model, str) else model.name for model in models}
    if TINY in names:
        ensure_tiny_base(progress=progress)


def ensure_tiny_base(*, recipe: dict | None = None, progress: bool = True) -> Path:
    """The cached tiny base for ``recipe``, built first when it is missing.

    Safe when several processes call it at once (two studies, a study and a ``finetune``):
    a file lock beside the folder lets one of them build while the others wait, and they
    then find the base built. A killed build leaves no folder behind, only its lock file
    (released by the operating system) and a temporary sibling.

    Parameters
    ----------
    recipe : dict or None
        Defaults to :data:`~tasktransfer.model.tiny.TINY_BASE_RECIPE`.
    progress : bool, default=True
        Show the build's progress bar.

    Returns
    -------
    Path
        The base's folder, the one ``load_model("tiny")`` loads for this recipe.
    """
    from filelock import FileLock

    path = tiny_base_path(recipe)
    if is_built(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(path.name + ".lock")):
        if not is_built(path):  # whoever held the lock before us may have built it
            log.info("building the tiny base in %s (once; about a minute)", path)
            build_tiny_base(path, recipe=recipe, progress=progress)
    return path


def build_tiny_base(
    out_dir: str | Path, *, recipe: dict | None = None, progress: bool = True
) -> Path:
    """Train the tiny LLaVA base on generic synthetic questions and save it to ``out_dir``.

    Full finetuning from random weights (seed ``recipe["init_seed"]``) with the finetuning
    recipe (:func:`tasktransfer.model.finetune`, the ``tiny`` preset), so the base and every
    later finetune share one loop and one prompt format: ``steps`` on the ``kinds`` of
    :func:`~tasktransfer.data.synthetic.generic_examples` (see
    :data:`~tasktransfer.model.tiny.TINY_BASE_RECIPE`). Deterministic for a given recipe:
    trained on one torch thread, whatever the machine has.

    Parameters
    ----------
    out_dir : str or Path
        Destination; written atomically (a temporary sibling folder renamed at the end).
    recipe : dict or None
        Defaults to :data:`~tasktransfer.model.tiny.TINY_BASE_RECIPE`.
    progress : bool, default=True
        Show a progress bar.

    Returns
    -------
    Path
        ``out_dir``, a folder that :func:`tasktransfer.model.load_model` loads.
    """
    from tasktransfer.data.synthetic import generic_examples

    recipe = TINY_BASE_RECIPE if recipe is None else recipe
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    steps, batch = recipe["steps"], recipe["batch_size"]
    examples = generic_examples(
        steps * batch,
        seed=recipe["data_seed"],
        image_size=recipe["image_size"],
        kinds=tuple(recipe["kinds"]),
    )
    config = FinetuneConfig.from_preset(
        TINY, learning_rate=recipe["learning_rate"], steps=steps, batch_size=batch
    )
    # One torch thread: float sums depend on how many threads split them, so the same recipe
    # gives different weights at 1 and 2 threads; at one, every machine builds the same base.
    with torch_threads(1):
        _train_base(recipe, examples, config, out_dir, progress)
    return out_dir


def _train_base(recipe, examples, config, out_dir: Path, progress: bool) -> None:
    """Random init (saved with ``save_pretrained``), then the full-finetuning recipe."""
    from tasktransfer.model.finetune import finetune

    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".tiny-init-") as work:
        model, processor = build_tiny_llava(seed=recipe["init_seed"])
        init = Path(work) / "init"
        model.save_pretrained(init)
        processor.save_pretrained(init)
        # finetune() writes into a temporary sibling of out_dir and renames it at the end.
        finetune(
            str(init),
            examples,
            out_dir,
            config=config,
            seed=recipe["init_seed"],
            overwrite=True,
            progress=progress,
            extra_meta={"tiny_base_recipe": recipe},
        )
