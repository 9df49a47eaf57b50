"""The finetuning recipe: setup -> train -> save -> cleanup, with the loop written out.

Public API
----------
finetune(model, examples, out_dir, *, config=None, seed=0, overwrite=False,
         progress=True, extra_meta=None, processes=1) -> Path
    Finetune ``model`` (a :class:`ModelConfig`, ``"tiny"``, a folder or a hub id) on
    ``examples`` and write into ``out_dir``:

    - LoRA: ``adapter_model.safetensors`` + ``adapter_config.json`` (PEFT's format, load with
      ``peft.PeftModel.from_pretrained(base, out_dir)``);
    - full: the whole model and processor (``save_pretrained``, safetensors): the folder is a
      model that :func:`tasktransfer.model.load_model` loads;
    - ``finetune_config.json`` (the resolved :class:`FinetuneConfig`), ``meta.json`` (kind,
      model description incl. ``image_max_pixels``, seed, data fingerprint and tasks, adapted
      modules, whether the vision tower was touched, steps, tokens, wall time, versions) and
      ``loss_log.jsonl`` (one line per optimizer step);
    - with ``FinetuneConfig.checkpoints``, the model at each fraction of the steps below 1 in
      ``step-<fraction>/`` (:func:`checkpoint_dir`), written as above with its own
      ``finetune_config.json`` and ``meta.json`` (``steps`` done so far, ``fraction``).

    ``out_dir`` appears only when everything is written (a temporary sibling is renamed).
lr_factor(step, *, warmup, total, schedule) -> float
    The learning rate of an optimizer step as a fraction of the peak (warm-up, then
    constant or cosine).
checkpoint_steps(fractions, total_steps) -> dict of int to list of float
    The optimizer step after which each fraction's checkpoint is saved.
checkpoint_dir(out_dir, fraction) -> Path
    Where the checkpoint at ``fraction`` of the steps is saved.
select_modules(model, arch, config) -> dict of str to list of str
    The adapted linear layers (LoRA) or trained parameters (full), grouped by part
    (``language_model``, ``vision_tower``, ``projector``).

The loss is the next-token loss of the answer letter at the answer position only
(:func:`tasktransfer.model.prompting.answer_log_probs`, whose forward passes
``use_cache=False``: a training pass needs no key/value cache), on the same prompts evaluation
uses. The same seed gives the same adapter bit for bit (CPU; data order, LoRA init and dropout
are all drawn from the seeded generators). A checkpoint save draws no random number and
leaves the model's mode and the optimizer alone, so the final adapter of a checkpointed run is
the unchecked run's, bit for bit.

The loop runs through ``accelerate`` (:mod:`tasktransfer.model.distributed`). In N processes
(``finetune(..., processes=N)``) each takes every N-th example of each batch, gradients are
averaged (DDP, or FSDP / ZeRO-3 by ``FinetuneConfig.distributed``) and the main process
writes: the effective batch stays ``batch_size * grad_accum``, and the adapter is that of one
process to float tolerance (with ``lora_dropout=0``: dropout masks are drawn per process).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import random
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tasktransfer.data import Example
from tasktransfer.errors import InputError
from tasktransfer.files import write_json_atomic
from tasktransfer.model.architectures import Architecture
from tasktransfer.model.config import FinetuneConfig, ModelConfig
from tasktransfer.model.threads import torch_threads

log = logging.getLogger(__name__)

PARTS = ("language_model", "vision_tower", "projector")


def _part(name: str, arch: Architecture) -> str:
    if arch.is_projector(name):
        return "projector"
    if arch.is_vision_tower(name):
        return "vision_tower"
    return "language_model"


def select_modules(model, arch: Architecture, config: FinetuneConfig) -> dict[str, list[str]]:
    """What the recipe trains, grouped by part of the model.

    LoRA: names of ``nn.Linear`` modules; in the language model only those matching the
    architecture's regex (so same-named vision layers are never hit). Full: parameter names.

    Returns
    -------
    dict of str to list of str
        Keys ``language_model``, ``vision_tower``, ``projector``; empty lists for parts not tuned.
    """
    import torch

    wanted = {
        "language_model": config.tune_language_model,
        "vision_tower": config.tune_vision_tower,
        "projector": config.tune_projector,
    }
    selected: dict[str, list[str]] = {part: [] for part in PARTS}
    if config.method == "full":
        for name, _ in model.named_parameters():
            part = _part(name, arch)
            if wanted[part]:
                selected[part].append(name)
        return selected
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        part = _part(name, arch)
        if not wanted[part]:
            continue
        if part == "language_model" and not arch.is_language_model_target(name):
            continue
        if name.endswith("lm_head"):
            continue
        selected[part].append(name)
    return selected


def lr_factor(step: int, *, warmup: int, total: int, schedule: str) -> float:
    """The learning rate of optimizer step ``step`` (from 0) as a fraction of the peak.

    A linear warm-up over ``warmup`` steps (the first step already at ``1 / warmup``), then
    the peak held (``"constant"``) or decayed along a half cosine that would reach 0 one
    step after the last (``"cosine"``).

    Examples
    --------
    >>> [lr_factor(s, warmup=2, total=6, schedule="constant") for s in range(4)]
    [0.5, 1.0, 1.0, 1.0]
    >>> [round(lr_factor(s, warmup=0, total=4, schedule="cosine"), 3) for s in range(4)]
    [1.0, 0.854, 0.5, 0.146]
    """
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def checkpoint_steps(fractions: Sequence[float] | None, total_steps: int) -> dict[int, list[float]]:
    """The optimizer step after which the checkpoint of each fraction below 1 is saved.

    Step ``max(1, round(fraction * total_steps))``; 1.0 is the final state, saved as the
    run's own output.

    Examples
    --------
    >>> checkpoint_steps([0.25, 0.5, 0.75, 1.0], 10)
    {2: [0.25], 5: [0.5], 8: [0.75]}
    >>> checkpoint_steps(None, 10)
    {}
    """
    steps: dict[int, list[float]] = {}
    for fraction in fractions or ():
        if fraction < 1.0:
            steps.setdefault(max(1, round(fraction * total_steps)), []).append(fraction)
    return steps


def checkpoint_dir(out_dir: str | Path, fraction: float) -> Path:
    """The folder of the checkpoint at ``fraction`` of the steps: ``<out_dir>/step-<fraction>``.

    Examples
    --------
    >>> checkpoint_dir("adapter", 0.25).as_posix()
    'adapter/step-0.25'
    """
    return Path(out_dir) / f"step-{fraction:g}"


class FinetuneRecipe:
    """One finetuning run. Call ``setup``, ``train``, ``save``, ``cleanup`` in that order."""

    def __init__(self, model, examples, out_dir, *, config, seed, overwrite, progress, extra_meta):
        self.model_config: ModelConfig = model
        self.examples = list(examples)
        self.out_dir = Path(out_dir)
        self.config = config
        self.seed = seed
        self.overwrite = overwrite
        self.progress = progress
        self.extra_meta = dict(extra_meta or {})
        self.tmp_dir = self.out_dir.parent / f".{self.out_dir.name}.tmp-{os.getpid()}"

    # -- setup ---------------------------------------------------------------------------
    def setup(self) -> None:
        self._setup_accelerator()
        self._check_inputs()
        _seed_everything(self.seed)
        self._setup_model()
        self._setup_optimizer()
        self.loss_log = None
        if self.accelerator.is_main_process:
            self.tmp_dir.mkdir(parents=True)
            self.loss_log = open(self.tmp_dir / "loss_log.jsonl", "w")  # noqa: SIM115
            # Trackers take scalars as hyperparameters (TensorBoard refuses None and lists).
            dump = self.config.model_dump().items()
            hparams = {k: v for k, v in dump if isinstance(v, int | float | str)}
            self.accelerator.init_trackers("tasktransfer", config=hparams)

    def _setup_accelerator(self) -> None:
        import torch

        from tasktransfer.model.distributed import make_accelerator

        device = self.model_config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        cpu = torch.device(device).type == "cpu"
        # TensorBoard and MLflow write into the temporary folder, so into out_dir at the end.
        self.accelerator = make_accelerator(self.config, cpu=cpu, project_dir=self.tmp_dir)
        if self.accelerator.num_processes > 1 and not cpu:
            # One GPU per process; the launcher says which through LOCAL_RANK.
            device = str(self.accelerator.device)
            self.model_config = self.model_config.model_copy(update={"device": device})

    def _check_inputs(self) -> None:
        from tasktransfer.model.distributed import check_shares

        if not self.examples:
            raise InputError("finetune() got no training examples")
        hidden = [e.idx for e in self.examples if e.answer_letter is None]
        if hidden:
            raise InputError(f"training examples without an answer (idx {hidden[:5]})")
        if self.out_dir.exists() and any(self.out_dir.iterdir()) and not self.overwrite:
            raise InputError(f"{self.out_dir} exists and is not empty; pass overwrite=True")
        check_shares(self.accelerator.num_processes, self.config.batch_size, len(self.examples))

    def _setup_model(self) -> None:
        from tasktransfer.model.distributed import quantization_config
        from tasktransfer.model.load import load_model

        config = self.config
        loaded = load_model(self.model_config, quantization_config=quantization_config(config))
        self.loaded, self.arch, model = loaded, loaded.arch, loaded.model
        self.selected = select_modules(model, self.arch, config)
        n_selected = sum(len(v) for v in self.selected.values())
        if n_selected == 0:
            raise InputError(
                f"nothing to train in {self.model_config.name}: no module matches the "
                f"{self.arch.model_type} patterns for the tune_* flags given"
            )
        if config.quantize is not None:
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
        if config.method == "lora":
            from peft import LoraConfig, get_peft_model

            targets = [name for names in self.selected.values() for name in names]
            lora = LoraConfig(
                r=config.lora_rank,
                lora_alpha=config.lora_alpha,
                lora_dropout=config.lora_dropout,
                target_modules=targets,
            )
            model = get_peft_model(model, lora)
        else:
            trained = {name for names in self.selected.values() for name in names}
            for name, parameter in model.named_parameters():
                parameter.requires_grad_(name in trained)
        if config.grad_checkpointing:
            model.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False}
            )
        self.model = model.train()
        counts = {part: len(names) for part, names in self.selected.items()}
        log.info(
            "%s finetuning of %s (%s), %s; vision tower touched: %s",
            config.method,
            self.model_config.name,
            self.arch.model_type,
            ", ".join(f"{part}: {n}" for part, n in counts.items()),
            bool(counts["vision_tower"]),
        )

    def _setup_optimizer(self) -> None:
        import torch

        config = self.config
        per_step = config.batch_size * config.grad_accum
        if config.steps is not None:
            self.total_steps = config.steps
        else:
            self.total_steps = max(1, math.ceil(config.epochs * len(self.examples) / per_step))
        self.checkpoints = checkpoint_steps(config.checkpoints, self.total_steps)
        optimizer = torch.optim.AdamW(
            [p for p in self.model.parameters() if p.requires_grad],
            lr=config.learning_rate,
            weight_decay=config.weight_decay,
        )
        # Together, as DeepSpeed and FSDP need: they shard the model and its optimizer state.
        self.model, self.optimizer = self.accelerator.prepare(self.model, optimizer)
        # Not prepared: accelerate would step it once per process per optimizer step.
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            functools.partial(
                lr_factor,
                warmup=config.warmup_steps,
                total=self.total_steps,
                schedule=config.lr_schedule,
            ),
        )

    # -- train ---------------------------------------------------------------------------
    def _batches(self) -> Iterator[tuple[list[Example], int]]:
        """This process's share of batches of a fresh seeded permutation each epoch.

        Every process draws the same permutation and takes every N-th example of each batch
        of ``batch_size``; the last short batch is kept.
        """
        import torch

        generator = torch.Generator().manual_seed(self.seed)
        size, rank = self.config.batch_size, self.accelerator.process_index
        n = self.accelerator.num_processes
        while True:
            order = torch.randperm(len(self.examples), generator=generator).tolist()
            for start in range(0, len(order), size):
                batch = order[start : start + size]
                yield [self.examples[i] for i in batch[rank::n]], len(batch)

    def train(self) -> None:
        import torch
        from rich.progress import Progress

        from tasktransfer.model.prompting import answer_log_probs, encode

        config, accelerator = self.config, self.accelerator
        device, n = self.loaded.device, accelerator.num_processes
        max_pixels = self.model_config.image_max_pixels
        batches = self._batches()
        self.tokens = 0
        self.losses: list[float] = []
        start = time.perf_counter()
        shown = self.progress and accelerator.is_main_process
        with Progress(disable=not shown, transient=True) as bar:
            task = bar.add_task("finetune", total=self.total_steps)
            for step in range(self.total_steps):
                step_loss, correct, seen, tokens = 0.0, 0, 0, 0
                for _ in range(config.grad_accum):
                    examples, batch_size = next(batches)
                    batch = encode(
                        examples, self.loaded.processor, self.arch, image_max_pixels=max_pixels
                    ).to(device)
                    # The mean over this share, weighted so that the average over processes
                    # (DDP averages gradients) is the mean over the whole batch; 1.0 in one.
                    weight = len(examples) * n / batch_size
                    with accelerator.accumulate(self.model):
                        scores = answer_log_probs(self.model, batch)
                        rows = torch.arange(len(examples), device=device)
                        loss = -scores[rows, batch.targets].mean() * weight
                        accelerator.backward(loss)  # divides by grad_accum
                    step_loss += loss.item() / config.grad_accum
                    correct += int((scores.argmax(dim=1) == batch.targets).sum())
                    seen += len(examples)
                    tokens += int(batch.inputs["attention_mask"].sum())
                if config.max_grad_norm is not None:
                    accelerator.clip_grad_norm_(self.model.parameters(), config.max_grad_norm)
                lr = self.scheduler.get_last_lr()[0]  # this step's rate, before it moves on
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
                if n > 1:  # the step's figures over all processes
                    totals = torch.tensor([step_loss, correct, seen, tokens], dtype=torch.float64)
                    totals = accelerator.reduce(totals.to(device), "sum").tolist()
                    step_loss, correct, seen, tokens = totals[0] / n, *totals[1:]
                self.tokens += int(tokens)
                self.losses.append(step_loss)
                record = {
                    "step": step + 1,
                    "loss": step_loss,
                    "accuracy": correct / seen,
                    "lr": lr,
                    "elapsed_s": round(time.perf_counter() - start, 3),
                }
                if self.loss_log is not None:  # the main process
                    self.loss_log.write(json.dumps(record) + "\n")
                    self.loss_log.flush()  # readable while training runs
                accelerator.log({k: record[k] for k in ("loss", "accuracy", "lr")}, step=step + 1)
                for fraction in self.checkpoints.get(step + 1, ()):
                    meta = self._meta(step + 1, time.perf_counter() - start)
                    meta["fraction"] = fraction
                    self._write_state(checkpoint_dir(self.tmp_dir, fraction), meta)
                bar.update(task, advance=1, description=f"finetune loss {step_loss:.3f}")
        self.wall_s = time.perf_counter() - start

    # -- save ----------------------------------------------------------------------------
    def save(self) -> Path:
        accelerator = self.accelerator
        model = accelerator.unwrap_model(self.model).eval()
        if self.config.grad_checkpointing:
            model.gradient_checkpointing_disable()
        if accelerator.is_main_process:
            self.loss_log.close()
            for tracker in accelerator.trackers:  # TensorBoard/MLflow files, before the move
                tracker.finish()
        self._write_state(self.tmp_dir, self._meta(self.total_steps, self.wall_s))
        if accelerator.is_main_process:
            if self.out_dir.exists():
                # Only reached with overwrite=True (checked in setup): swap, then delete the old.
                old = self.out_dir.parent / f".{self.out_dir.name}.old-{os.getpid()}"
                os.replace(self.out_dir, old)
                os.replace(self.tmp_dir, self.out_dir)
                shutil.rmtree(old)
            else:
                os.replace(self.tmp_dir, self.out_dir)
        accelerator.wait_for_everyone()  # the others return once the main process has written
        return self.out_dir

    def _write_state(self, folder: Path, meta: dict[str, Any]) -> None:
        """Write the model as it is now into ``folder`` (the main process writes).

        Nothing here draws a random number or changes the model's mode, so a checkpoint
        written mid-training leaves the run as it was.
        """
        from tasktransfer.model.load import save_processor

        accelerator = self.accelerator
        # Sharded weights (FSDP, ZeRO-3) are gathered by every process together.
        sharded = self.config.distributed != "ddp" and accelerator.num_processes > 1
        state_dict = accelerator.get_state_dict(self.model) if sharded else None
        if not accelerator.is_main_process:
            return
        model = accelerator.unwrap_model(self.model)
        # PEFT writes only the adapter; full finetuning writes a complete model folder.
        model.save_pretrained(folder, state_dict=state_dict, safe_serialization=True)
        if self.config.method == "full":
            save_processor(self.loaded.processor, folder)  # loadable by AutoProcessor too
        write_json_atomic(folder / "finetune_config.json", self.config.model_dump())
        write_json_atomic(folder / "meta.json", meta)

    def _meta(self, steps: int, wall_s: float) -> dict[str, Any]:
        """``meta.json`` of the model after ``steps`` optimizer steps, ``wall_s`` seconds."""
        from tasktransfer.data import fingerprint

        counts = {part: len(names) for part, names in self.selected.items()}
        return {
            "kind": self.config.method,
            "model": self.loaded.describe(),
            "seed": self.seed,
            "data": {
                "n_examples": len(self.examples),
                "fingerprint": fingerprint(self.examples),
                "tasks": sorted({e.sub_task for e in self.examples}),
            },
            "adapted": counts,
            "adapted_modules": self.selected if self.config.method == "lora" else counts,
            "vision_tower_touched": bool(counts["vision_tower"]),
            "steps": steps,
            "processes": self.accelerator.num_processes,
            "final_loss": self.losses[-1],
            "tokens": self.tokens,
            "wall_s": round(wall_s, 3),
            "versions": _versions(),
            **self.extra_meta,
        }

    # -- cleanup -------------------------------------------------------------------------
    def cleanup(self) -> None:
        if getattr(self, "accelerator", None) is not None:
            self.accelerator.end_training()  # trackers, and the process group of a launch
        if getattr(self, "loss_log", None) is not None and not self.loss_log.closed:
            self.loss_log.close()
        if self.tmp_dir.exists():
            shutil.rmtree(self.tmp_dir)


def finetune(
    model: ModelConfig | str,
    examples: Sequence[Example],
    out_dir: str | Path,
    *,
    config: FinetuneConfig | None = None,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
    extra_meta: dict[str, Any] | None = None,
    processes: int = 1,
) -> Path:
    """Finetune ``model`` on ``examples`` and save the result into ``out_dir``.

    Parameters
    ----------
    model : ModelConfig or str
        ``"tiny"``, a local folder, a hub id, or a full :class:`ModelConfig`.
    examples : sequence of Example
        Training questions with answers.
    out_dir : str or Path
        Destination folder (see the module docstring for its contents).
    config : FinetuneConfig or None
        None means the model's preset (``ModelConfig.preset``: ``tiny`` for the tiny model,
        ``hub-lora`` for a folder or hub id).
    seed : int, default=0
        Seeds data order, LoRA initialisation and dropout.
    overwrite : bool, default=False
        Replace a non-empty ``out_dir`` (otherwise an :class:`InputError`).
    progress : bool, default=True
        Show a progress bar.
    extra_meta : dict or None
        Extra JSON-ready keys for ``meta.json``.
    processes : int, default=1
        Train in this many processes on this machine, one per GPU (on the CPU, gloo
        processes), started by :func:`tasktransfer.model.distributed.launch_finetune`. The
        effective batch stays ``batch_size * grad_accum``.

    Returns
    -------
    Path
        ``out_dir``.
    """
    model = ModelConfig(name=model) if isinstance(model, str) else model
    if processes > 1:
        from tasktransfer.model.distributed import launch_finetune

        options = {"config": config, "seed": seed, "overwrite": overwrite, "extra_meta": extra_meta}
        return launch_finetune(processes, model, examples, out_dir, **options)
    recipe = FinetuneRecipe(
        model,
        examples,
        out_dir,
        config=config or FinetuneConfig.from_preset(model.preset),
        seed=seed,
        overwrite=overwrite,
        progress=progress,
        extra_meta=extra_meta,
    )
    try:
        with torch_threads(model.torch_threads):
            recipe.setup()
            recipe.train()
            return recipe.save()
    finally:
        recipe.cleanup()


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    import tasktransfer

    return {
        "tasktransfer": tasktransfer.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
    }
