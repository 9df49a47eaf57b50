"""``tasktransfer model tiny-base`` and ``tasktransfer finetune``: the model layer's commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)

ModelOpt = Annotated[
    str, typer.Option("--model", help="'tiny' (offline default), a model folder, or a hub id.")
]


@app.command("tiny-base")
def tiny_base(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write a copy here instead of building the cached base."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty OUT.")] = False,
) -> None:
    """Build the offline tiny model's base on generic synthetic questions (about a CPU minute).

    The base is a tiny LLaVA (CLIP vision tower + Qwen2 language model) trained by full
    finetuning, deterministically, on colours, shapes, positions, sizes, counts and lettered
    markers (not the 13 study tasks). Without --out it is built once into the cache
    ($TASKTRANSFER_CACHE, default ~/.cache/tasktransfer) that `--model tiny` loads from; `run`,
    `finetune` and `evaluate` build it there themselves when it is missing. With --out, a
    copy is written where you want it.

    Example: tasktransfer model tiny-base

    Example: tasktransfer model tiny-base --out models/tiny-base
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
    out: Annotated[Path, typer.Option("--out", help="Folder for the adapter and its metadata.")],
    task: Annotated[
        str | None, typer.Option("--task", help="Task to finetune on (name or abbrev).")
    ] = None,
    mixture: Annotated[
        Path | None,
        typer.Option(
            "--mixture",
            help="Mixture file (task -> examples, as `tasktransfer select` writes) to "
            "finetune on instead of --task; sampled by the run's seed.",
        ),
    ] = None,
    model: ModelOpt = "tiny",
    data: Annotated[
        str, typer.Option("--data", help="'synthetic', a local folder, or a hub dataset id.")
    ] = "synthetic",
    run: Annotated[
        str, typer.Option("--run", help="Run label; 'seed_N' also sets the seed to N.")
    ] = "seed_0",
    seed: Annotated[int | None, typer.Option(help="Seed (default: from --run, else 0).")] = None,
    split: Annotated[str, typer.Option(help="Split to train on.")] = "train",
    limit: Annotated[
        int | None, typer.Option(help="At most this many examples (--task only).")
    ] = None,
    method: Annotated[str | None, typer.Option(help="'lora' or 'full'.")] = None,
    rank: Annotated[int | None, typer.Option(help="LoRA rank.")] = None,
    alpha: Annotated[float | None, typer.Option(help="LoRA alpha.")] = None,
    dropout: Annotated[float | None, typer.Option(help="LoRA dropout.")] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate.")] = None,
    steps: Annotated[int | None, typer.Option(help="Optimizer steps.")] = None,
    epochs: Annotated[float | None, typer.Option(help="Epochs (instead of --steps).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Examples per forward pass.")] = None,
    grad_accum: Annotated[int | None, typer.Option(help="Forward passes per step.")] = None,
    grad_checkpointing: Annotated[
        bool | None, typer.Option(help="Recompute activations to save memory.")
    ] = None,
    tune_vision_tower: Annotated[
        bool | None, typer.Option(help="Also adapt the vision tower.")
    ] = None,
    tune_projector: Annotated[bool | None, typer.Option(help="Also adapt the projector.")] = None,
    image_max_pixels: Annotated[int | None, typer.Option(help="Per-image pixel limit.")] = None,
    dtype: Annotated[str | None, typer.Option(help="bfloat16, float16 or float32.")] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:1, ...")] = None,
    trust_remote_code: Annotated[
        bool, typer.Option(help="Run the hub repository's own code (only if you trust it).")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty OUT.")] = False,
) -> None:
    """Finetune a model on one task or a mixture of tasks and save the adapter (LoRA by default).

    Give exactly one of --task (its whole split, or --limit examples) and --mixture (a file
    of task -> example counts; the examples are drawn deterministically by the seed).
    Defaults: the model's finetune preset, `tiny` (full finetuning, lr 1e-3, 400 steps) for
    --model tiny, `hub-lora` (LoRA r16 on the language model, lr 1e-4, one epoch) otherwise;
    every option overrides them.

    Example: tasktransfer finetune --model tiny --task Counting --data synthetic
    --run seed_0 --out adapters/counting

    Example: tasktransfer finetune --mixture mixture.yaml --run seed_1 --out adapters/mix
    """
    from tasktransfer.errors import InputError
    from tasktransfer.model import FinetuneConfig, ModelConfig, prepare_models
    from tasktransfer.model import finetune as run_finetune

    if (task is None) == (mixture is None):
        raise InputError("give exactly one of --task and --mixture")
    if mixture is not None and limit is not None:
        raise InputError("--limit applies to --task; the mixture file gives the counts")
    if seed is None:
        match = re.fullmatch(r"seed_(\d+)", run)
        seed = int(match.group(1)) if match else 0
    given = dict(
        method=method, lora_rank=rank, lora_alpha=alpha, lora_dropout=dropout,
        learning_rate=lr, steps=steps, epochs=epochs, batch_size=batch_size,
        grad_accum=grad_accum, grad_checkpointing=grad_checkpointing,
        tune_vision_tower=tune_vision_tower, tune_projector=tune_projector,
    )  # fmt: skip
    overrides = {k: v for k, v in given.items() if v is not None}
    model_config = ModelConfig(
        name=model,
        dtype=dtype,
        device=device,
        image_max_pixels=image_max_pixels,
        trust_remote_code=trust_remote_code,
    )
    config = FinetuneConfig.from_preset(model_config.preset, **overrides)
    if task is not None:
        examples, what = _task_examples(task, data, split, limit)
    else:
        examples, what = _mixture_examples(mixture, data, split, seed)
    prepare_models([model_config])
    path = run_finetune(
        model_config,
        examples,
        out,
        config=config,
        seed=seed,
        overwrite=overwrite,
        extra_meta={"run": run, **what, "data_source": data, "split": split},
    )
    typer.echo(f"{config.method} finetune written to {path}")


def _task_examples(task: str, data: str, split: str, limit: int | None):
    """One task's training examples and the ``meta.json`` fields that name it."""
    from tasktransfer.data import load_examples
    from tasktransfer.tasks import get_task

    name = get_task(task).name
    examples = load_examples(data, [name], split, limit=limit, require_answers=True)
    return examples[name], {"task": name}


def _mixture_examples(path: Path, data: str, split: str, seed: int):
    """A mixture file's sampled examples and the ``meta.json`` fields that record it."""
    from tasktransfer.data.mixture import read_mixture, sample_mixture

    mixture = read_mixture(path)
    examples = sample_mixture(data, mixture.mixture, split, seed=seed)
    what = {"mixture": mixture.mixture, "mixture_file": str(path)}
    if mixture.provenance is not None:
        what["provenance"] = mixture.provenance.model_dump(mode="json")
    return examples, what
