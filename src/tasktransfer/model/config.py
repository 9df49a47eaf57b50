"""Typed settings of the model layer: what to load, and how to finetune it.

Public API
----------
ModelConfig
    What to load: ``name`` (``"tiny"``, a local folder or a hub id), dtype, device, the per-image
    pixel limit, ``trust_remote_code``, attention implementation.
FinetuneConfig
    The finetuning recipe's knobs. Its defaults are the ones that make the offline tiny model
    learn the synthetic tasks (see ``bench/tiny_transfer_calibration.py``); for hub models use
    :meth:`FinetuneConfig.for_hub`, LoRA on the language model only.

Both are pydantic models with ``extra="forbid"``: a misspelt key fails instead of being ignored.

Examples
--------
>>> ModelConfig().name
'tiny'
>>> FinetuneConfig(lora_rank=8).lora_rank
8
>>> FinetuneConfig(lora_rnak=8)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for FinetuneConfig
...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ModelConfig(BaseModel):
    """What to load and how.

    Attributes
    ----------
    name : str, default="tiny"
        ``"tiny"`` (the offline tiny LLaVA, built and cached on first use), a local folder saved
        with ``save_pretrained``, or a hub id such as ``"Qwen/Qwen2.5-VL-3B-Instruct"``.
    dtype : str or None, default=None
        ``"bfloat16"``, ``"float16"`` or ``"float32"``; None means bf16 on CUDA, fp32 on CPU.
    device : str or None, default=None
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; None means CUDA when available.
    image_max_pixels : int or None, default=None
        Each image is downscaled (aspect kept) to at most this many pixels before the
        processor sees it, in training and evaluation alike. None keeps the processor's own
        limits.
    trust_remote_code : bool, default=False
        Allow a hub repository's own Python code to run. Off unless you trust the repository.
    attn_implementation : str, default="sdpa"
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "tiny"
    dtype: Literal["bfloat16", "float16", "float32"] | None = None
    device: str | None = None
    image_max_pixels: int | None = Field(default=None, gt=0)
    trust_remote_code: bool = False
    attn_implementation: str = "sdpa"


class FinetuneConfig(BaseModel):
    """Knobs of the finetuning recipe (:func:`tasktransfer.model.finetune`).

    The defaults are meant for the offline tiny model: full finetuning, lr 1e-3, 400 steps of
    16 (full finetuning because LoRA from a tiny base failed to learn new visual features, see
    ``notes/tiny-models.md``). Not yet calibrated: ``bench/tiny_transfer_calibration.py``
    measures whether they raise in-task accuracy by 15 points; so far they do not on
    Relative_Depth. Hub models should start from :meth:`for_hub`
    (LoRA rank 16 on the language model only, lr 1e-4, one epoch).

    Attributes
    ----------
    method : {"lora", "full"}, default="full"
        ``"full"`` trains every parameter selected by the ``tune_*`` flags' modules and the
        language model; ``"lora"`` adds adapters to the targeted linear layers.
    lora_rank, lora_alpha, lora_dropout : int, float, float
        LoRA rank (higher: more capacity and memory), scale numerator, dropout on the inputs.
    tune_language_model : bool, default=True
        Adapt the language model (matched by the architecture's regex).
    tune_vision_tower : bool
        Also adapt the vision tower. Off for hub models, so that image features can be shared
        between adapters at evaluation.
    tune_projector : bool
        Also adapt the projector (LLaVA) or merger (Qwen2.5-VL).
    learning_rate : float
    weight_decay : float, default=0.0
    warmup_steps : int, default=0
        Linear warm-up; the rate is then constant.
    steps : int or None
        Optimizer steps. Exactly one of ``steps`` and ``epochs`` is set.
    epochs : float or None
        Passes over the training examples (rounded up to whole optimizer steps).
    batch_size : int
        Examples per forward pass.
    grad_accum : int, default=1
        Forward passes per optimizer step (effective batch = batch_size * grad_accum).
    grad_checkpointing : bool, default=False
        Recompute activations in the backward pass: less memory, about 30 % slower.
    max_grad_norm : float or None, default=1.0
        Gradient clipping; None disables it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["lora", "full"] = "full"
    lora_rank: int = Field(default=16, gt=0)
    lora_alpha: float = Field(default=32.0, gt=0)
    lora_dropout: float = Field(default=0.0, ge=0, lt=1)
    tune_language_model: bool = True
    tune_vision_tower: bool = True
    tune_projector: bool = True
    learning_rate: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)
    warmup_steps: int = Field(default=0, ge=0)
    steps: int | None = Field(default=400, gt=0)
    epochs: float | None = Field(default=None, gt=0)
    batch_size: int = Field(default=16, gt=0)
    grad_accum: int = Field(default=1, gt=0)
    grad_checkpointing: bool = False
    max_grad_norm: float | None = Field(default=1.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _epochs_replace_steps(cls, data):
        # Giving epochs alone means "train by epochs": drop the default step count.
        if isinstance(data, dict) and data.get("epochs") is not None and "steps" not in data:
            data = {**data, "steps": None}
        return data

    @model_validator(mode="after")
    def _one_budget(self) -> FinetuneConfig:
        if (self.steps is None) == (self.epochs is None):
            raise ValueError(
                f"give exactly one of steps and epochs; got steps={self.steps}, "
                f"epochs={self.epochs}"
            )
        if not (self.tune_language_model or self.tune_vision_tower or self.tune_projector):
            raise ValueError("nothing to train: every tune_* flag is False")
        return self

    @staticmethod
    def hub_defaults(overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The hub-model settings with ``overrides`` on top, not yet validated.

        A step count given without epochs replaces the default of one epoch (one budget
        replaces the other), so ``{"steps": 10}`` means 10 steps, not a conflict.

        Examples
        --------
        >>> FinetuneConfig.hub_defaults({"steps": 10})["epochs"] is None
        True
        """
        base = dict(
            method="lora",
            lora_rank=16,
            lora_alpha=32.0,
            lora_dropout=0.05,
            tune_vision_tower=False,
            tune_projector=False,
            learning_rate=1e-4,
            steps=None,
            epochs=1.0,
            batch_size=8,
        )
        if "steps" in overrides and "epochs" not in overrides:
            base["epochs"] = None
        return {**base, **overrides}

    @classmethod
    def for_hub(cls, **overrides) -> FinetuneConfig:
        """Defaults for hub models: LoRA r16 on the language model only, lr 1e-4, batch 8.

        Examples
        --------
        >>> FinetuneConfig.for_hub().tune_vision_tower
        False
        >>> FinetuneConfig.for_hub(steps=10).steps
        10
        """
        return cls(**cls.hub_defaults(overrides))
