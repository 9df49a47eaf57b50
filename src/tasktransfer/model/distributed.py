"""Finetuning across processes and GPUs: the accelerate setup and the launcher.

Public API
----------
make_accelerator(config, *, cpu, project_dir) -> accelerate.Accelerator
    The ``Accelerator`` of one finetune run: gradient accumulation, the trackers of
    ``report_to`` and, in a launched run, the sharding plugin of ``distributed``. What needs
    a GPU or a missing package fails here, before any model loads.
check_shares(processes, batch_size, n_examples)
    Refuse batches that would leave a process without an example.
quantization_config(config) -> transformers.BitsAndBytesConfig or None
    The 4-bit NF4 load of ``quantize="4bit"`` (QLoRA).
launch_finetune(processes, model, examples, out_dir, **kwargs) -> Path
    :func:`tasktransfer.model.finetune` in ``processes`` processes on this machine (one per
    GPU; gloo on the CPU); what ``finetune(..., processes=N)`` calls.

The launcher is ``torch.distributed.run`` (what ``accelerate launch --multi_gpu`` runs): the
accelerate settings come from :class:`FinetuneConfig` in code, not from launch flags, and
``accelerate launch --cpu`` would start a single process. Each launched process runs
``python -m tasktransfer.model.distributed JOB``, which reads the pickled arguments in JOB
and calls ``finetune``.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasktransfer.errors import InputError
from tasktransfer.model.config import FinetuneConfig, ModelConfig


def make_accelerator(config: FinetuneConfig, *, cpu: bool, project_dir: Path):
    """The ``accelerate.Accelerator`` of a finetune run with ``config``.

    Parameters
    ----------
    config : FinetuneConfig
    cpu : bool
        Run on the CPU; several launched CPU processes then talk through gloo.
    project_dir : Path
        Where TensorBoard and MLflow write.

    Raises
    ------
    InputError
        For sharding or 4-bit loading on the CPU, or a package they or a tracker need.
    """
    from accelerate import Accelerator

    if config.distributed != "ddp" and cpu:
        raise InputError(
            f"distributed={config.distributed!r} needs CUDA GPUs; use 'ddp' on the CPU"
        )
    if config.quantize is not None and (cpu or not _installed("bitsandbytes")):
        raise InputError(
            "quantize='4bit' needs a CUDA GPU and bitsandbytes (pip install bitsandbytes); "
            "on the CPU, leave quantize unset"
        )
    _check_trackers(config.report_to)
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1  # one process ignores `distributed`
    return Accelerator(
        cpu=cpu,
        gradient_accumulation_steps=config.grad_accum,
        log_with=list(config.report_to) or None,
        project_dir=project_dir,
        **(_sharding_plugin(config) if launched else {}),
    )


def check_shares(processes: int, batch_size: int, n_examples: int) -> None:
    """Refuse a batch too small to give every process an example (DDP needs all of them)."""
    smallest = min(batch_size, n_examples % batch_size or batch_size)  # an epoch's last batch
    if smallest < processes:
        raise InputError(
            f"{processes} processes need at least {processes} examples in every batch, but a "
            f"batch has {smallest} (batch_size {batch_size}, {n_examples} examples); raise "
            "batch_size or use fewer processes"
        )


def quantization_config(config: FinetuneConfig):
    """QLoRA's load: NF4 weights, double quantisation, bf16 compute; None unless 4-bit."""
    if config.quantize is None:
        return None
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


def launch_finetune(
    processes: int, model: ModelConfig, examples: Sequence, out_dir: str | Path, **kwargs: Any
) -> Path:
    """Run :func:`tasktransfer.model.finetune` in ``processes`` processes and wait for them.

    Parameters
    ----------
    processes : int
        Processes on this machine, one per GPU (on the CPU, gloo processes), which together
        train one adapter with ``batch_size * grad_accum`` examples per step, as one would.
    model, examples, out_dir, **kwargs
        As for ``finetune``; launched processes show no progress bar.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    RuntimeError
        When a launched process fails; its traceback is in the output above.
    """
    import torch

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    job = out_dir.parent / f".{out_dir.name}.job-{os.getpid()}.pkl"
    arguments = {"model": model, "examples": list(examples), "out_dir": out_dir, **kwargs}
    with open(job, "wb") as file:
        pickle.dump({**arguments, "progress": False}, file)
    command = [
        sys.executable, "-m", "torch.distributed.run",
        "--standalone",  # a free local port, so that cells can run side by side
        f"--nproc-per-node={processes}",
        "-m", __name__, str(job),
    ]  # fmt: skip
    # The caller's CPU threads shared out (torchrun would give each process one).
    threads = str(max(1, torch.get_num_threads() // processes))
    try:
        done = subprocess.run(command, env={**os.environ, "OMP_NUM_THREADS": threads})
    finally:
        job.unlink()
    if done.returncode != 0:
        raise RuntimeError(
            f"the {processes}-process finetune into {out_dir} failed (exit {done.returncode}); "
            "the processes' output above says why"
        )
    return out_dir


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _check_trackers(names: Sequence[str]) -> None:
    """Fail before training when a tracker's package is missing (accelerate would skip it)."""
    from accelerate.tracking import get_available_trackers

    available = {str(tracker) for tracker in get_available_trackers()}
    for name in names:
        if name not in available:
            raise InputError(
                f"finetune.report_to names {name!r}, but its package is not installed: "
                f"pip install {name}, or remove it from report_to"
            )


def _sharding_plugin(config: FinetuneConfig) -> dict[str, Any]:
    """The accelerate plugin of ``config.distributed``; none for DDP (accelerate's default).

    Both shard whole decoder and vision blocks and gather a full state dict for saving.
    Untested without GPUs.
    """
    if config.distributed == "fsdp":
        from accelerate import FullyShardedDataParallelPlugin

        plugin = FullyShardedDataParallelPlugin(
            fsdp_version=2,
            auto_wrap_policy="transformer_based_wrap",  # the model's _no_split_modules
            state_dict_type="FULL_STATE_DICT",
        )
        return {"fsdp_plugin": plugin}
    if config.distributed == "deepspeed-zero3":
        if not _installed("deepspeed"):
            raise InputError(
                "distributed='deepspeed-zero3' needs DeepSpeed: pip install deepspeed, or use "
                "distributed='fsdp'"
            )
        from accelerate import DeepSpeedPlugin

        world = int(os.environ["WORLD_SIZE"])
        plugin = DeepSpeedPlugin(
            hf_ds_config={
                "zero_optimization": {
                    "stage": 3,
                    "stage3_gather_16bit_weights_on_model_save": True,  # full state dict
                },
                # No dataloader is prepared, so DeepSpeed is told the per-process batch.
                "train_micro_batch_size_per_gpu": max(1, config.batch_size // world),
                "gradient_accumulation_steps": config.grad_accum,
                "gradient_clipping": config.max_grad_norm or 0.0,
                "bf16": {"enabled": "auto"},  # from mixed_precision below
            }
        )
        # DeepSpeed runs the bf16 model itself, with fp32 master weights for the trained ones.
        return {"deepspeed_plugin": plugin, "mixed_precision": "bf16"}
    return {}


def _main(job: str) -> None:
    from tasktransfer.model.finetune import finetune

    with open(job, "rb") as file:
        arguments = pickle.load(file)
    finetune(
        arguments.pop("model"), arguments.pop("examples"), arguments.pop("out_dir"), **arguments
    )


if __name__ == "__main__":
    _main(sys.argv[1])
