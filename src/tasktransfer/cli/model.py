"""``tasktransfer model tiny-base`` and ``tasktransfer finetune``: the model layer's commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import typer

from tasktransfer.cli.options import (
    DATA,
    SETTINGS,
    DataOpt,
    DeviceOpt,
    DtypeOpt,
    ImageMaxPixelsOpt,
    LabelsOpt,
    LimitOpt,
    ModelOpt,
    NoProgressOpt,
    OverwriteOpt,
    RunOpt,
    SetOpt,
    SplitOpt,
    TrustRemoteCodeOpt,
    invalid_settings,
    settings,
)

app = typer.Typer(no_args_is_help=True)


@app.command("tiny-base")
def tiny_base(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write a copy here instead of building the cached base."),
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Build the offline tiny model's base on generic synthetic questions (about a CPU minute).

    The base is a tiny LLaVA (CLIP vision tower + Qwen2 language model)
    trained by full finetuning, deterministically, on colours, shapes,
    positions, sizes, counts and lettered markers (not the 13 study tasks).
    Without --out it is built once into the cache ($TASKTRANSFER_CACHE, default
    ~/.cache/tasktransfer) that `--model tiny` loads from; `run`, `finetune` and
    `evaluate` build it there themselves when it is missing. With --out, a copy
    is written where you want it.

    Examples:

      tasktransfer model tiny-base

      tasktransfer model tiny-base --out models/tiny-base
    """
    from tasktransfer.errors import InputError
    from tasktransfer.model import build_tiny_base, ensure_tiny_base

    if out is None:
        typer.echo(f"tiny base ready in {ensure_tiny_base()}")
        return
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out} exists and is not empty; pass --overwrite")
    build_tiny_base(out)
    typer.echo(f"tiny base written to {out}")


def finetune(
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for the adapter and its metadata.", show_default=False),
    ],
    task: Annotated[
        str | None,
        typer.Option(
            "--task", help="Task to finetune on (name or abbreviation).", rich_help_panel=DATA
        ),
    ] = None,
    mixture: Annotated[
        Path | None,
        typer.Option(
            "--mixture",
            help="Mixture file (task -> examples, as `tasktransfer select` writes) to "
            "finetune on instead of --task; sampled by the run's seed.",
            rich_help_panel=DATA,
        ),
    ] = None,
    data: DataOpt = "synthetic",
    split: SplitOpt = "train",
    limit: LimitOpt = None,
    run: RunOpt = "seed_0",
    labels: LabelsOpt = None,
    seed: Annotated[
        int | None, typer.Option(help="Training seed (default: N of --run seed_N, else 0).")
    ] = None,
    method: Annotated[
        Literal["lora", "full"] | None,
        typer.Option(help="LoRA adapters or full finetuning.", rich_help_panel=SETTINGS),
    ] = None,
    lr: Annotated[
        float | None, typer.Option("--lr", help="Learning rate.", rich_help_panel=SETTINGS)
    ] = None,
    steps: Annotated[
        int | None, typer.Option(help="Optimizer steps.", rich_help_panel=SETTINGS)
    ] = None,
    epochs: Annotated[
        float | None,
        typer.Option(
            help="Passes over the examples, instead of --steps.", rich_help_panel=SETTINGS
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Examples per forward pass.", rich_help_panel=SETTINGS)
    ] = None,
    set_: SetOpt = None,
    model: ModelOpt = "tiny",
    dtype: DtypeOpt = None,
    device: DeviceOpt = None,
    image_max_pixels: ImageMaxPixelsOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
    overwrite: OverwriteOpt = False,
    no_progress: NoProgressOpt = False,
) -> None:
    """Finetune a model on one task or a mixture of tasks and save the adapter.

    Give exactly one of --task (its whole split, or --limit examples) and
    --mixture (a file of task -> example counts, drawn by the run's seed).

    Settings start from the model's finetune preset: `tiny` (full finetuning,
    lr 5e-4, 600 steps) for --model tiny, `hub-lora` (LoRA r16 on the language
    model, lr 1e-4, one epoch) otherwise. The flags override them, and
    --set KEY=VALUE overrides any of them last (an unknown KEY lists them all).

    Examples:

      tasktransfer finetune --task Counting --run seed_0 --out adapters/counting

      tasktransfer finetune --mixture mix.yaml --run seed_1 --out adapters/mix

      tasktransfer finetune --model Qwen/Qwen2.5-VL-3B-Instruct \\
          --data /data/blink-train --task Counting --lr 2e-4 \\
          --set lora_rank=8 --set grad_accum=4 --out adapters/qwen-counting
    """
    from tasktransfer.errors import InputError
    from tasktransfer.model import FinetuneConfig, ModelConfig, prepare_models
    from tasktransfer.model import finetune as run_finetune
    from tasktransfer.tasks import load_registry

    if (task is None) == (mixture is None):
        raise InputError("give exactly one of --task and --mixture")
    if mixture is not None and limit is not None:
        raise InputError("--limit applies to --task; the mixture file gives the counts")
    if seed is None:
        match = re.fullmatch(r"seed_(\d+)", run)
        seed = int(match.group(1)) if match else 0
    given = settings(
        {
            "model": dict(
                name=model, dtype=dtype, device=device, image_max_pixels=image_max_pixels,
                trust_remote_code=trust_remote_code or None,
            ),
            "finetune": dict(
                method=method, learning_rate=lr, steps=steps, epochs=epochs,
                batch_size=batch_size,
            ),
        },
        set_,
        section="finetune",
    )  # fmt: skip
    overrides = given["finetune"]
    with invalid_settings("model", list(ModelConfig.model_fields)):
        model_config = ModelConfig(**given["model"])
    with invalid_settings("finetune", list(FinetuneConfig.model_fields)):
        config = FinetuneConfig.from_preset(model_config.preset, **overrides)
    registry = load_registry(labels)
    if task is not None:
        examples, what = _task_examples(task, data, split, limit, registry)
    else:
        examples, what = _mixture_examples(mixture, data, split, seed, registry)
    prepare_models([model_config], progress=not no_progress)
    path = run_finetune(
        model_config,
        examples,
        out,
        config=config,
        seed=seed,
        overwrite=overwrite,
        progress=not no_progress,
        extra_meta={"run": run, **what, "data_source": data, "split": split},
    )
    typer.echo(f"{config.method} finetune written to {path}")


def _task_examples(task: str, data: str, split: str, limit: int | None, registry):
    """One task's training examples and the ``meta.json`` fields that name it."""
    from tasktransfer.data import load_examples

    name = registry.resolve(task).name
    examples = load_examples(
        data, [name], split, limit=limit, require_answers=True, registry=registry
    )
    return examples[name], {"task": name}


def _mixture_examples(path: Path, data: str, split: str, seed: int, registry):
    """A mixture file's sampled examples and the ``meta.json`` fields that record it."""
    from tasktransfer.data.mixture import read_mixture, sample_mixture

    mixture = read_mixture(path, registry=registry)
    examples = sample_mixture(data, mixture.mixture, split, seed=seed, registry=registry)
    what = {"mixture": mixture.mixture, "mixture_file": str(path)}
    if mixture.provenance is not None:
        what["provenance"] = mixture.provenance.model_dump(mode="json")
    return examples, what
