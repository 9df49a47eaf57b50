"""Typed settings of the model layer: what to load, and how to finetune it.

Public API
----------
ModelConfig
    What to load: ``name`` (``"tiny"``, a local folder or a hub id), dtype, device, the per-image
    pixel cap, ``trust_remote_code``, attention implementation, and the preset the model starts
    from (:attr:`ModelConfig.preset`), which fills the cap and the attention implementation
    when they are not given.
FinetuneConfig
    The finetuning recipe's knobs. Its defaults are the ``hub-lora`` preset, safe for a hub
    model and sized to fit its GPU (``docs/gpu.md``): LoRA on the language model only, lr 1e-4,
    one epoch, an effective batch of 8 as 2 questions x 4 accumulated passes, gradient
    checkpointing on. :meth:`FinetuneConfig.from_preset` starts from a named preset instead.
FINETUNE_PRESETS
    Preset name -> the values it sets over :class:`FinetuneConfig`'s defaults.
MODEL_PRESETS
    Preset name -> the model options it fills: ``image_max_pixels`` and
    ``attn_implementation``.
HUB_IMAGE_MAX_PIXELS
    The ``hub-lora`` pixel cap, 1280 * 28 * 28 = 1,003,520 pixels per image.

Both are pydantic models with ``extra="forbid"``: a misspelt key fails instead of being ignored.

Examples
--------
>>> ModelConfig().name, ModelConfig().preset
('tiny', 'tiny')
>>> hub = ModelConfig(name="Qwen/Qwen2.5-VL-3B-Instruct")
>>> hub.preset, hub.image_max_pixels, hub.attn_implementation
('hub-lora', 1003520, 'auto')
>>> ModelConfig().image_max_pixels is None  # the tiny model's images are 64 px
True
>>> FinetuneConfig.from_preset("tiny").method, FinetuneConfig().method
('full', 'lora')
>>> FinetuneConfig(lora_rnak=8)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for FinetuneConfig
...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The name of the offline tiny model (tasktransfer.model.tiny), the only model known by name.
TINY = "tiny"

DEFAULT_PRESET = "hub-lora"

# Qwen2.5-VL's own unit: 1280 merged 28 x 28 tokens, the max_pixels default of transformers'
# Qwen2VLImageProcessor (the Instruct checkpoints raise theirs to 12,845,056, where a 1920x1080
# image is 2,691 tokens). About 1 MP keeps BLINK's images nearly whole while a four-image
# question stays near 5,100 image tokens; docs/gpu.md sizes a cell from it.
HUB_IMAGE_MAX_PIXELS = 1280 * 28 * 28

# Values over FinetuneConfig's defaults, which are the hub-lora preset itself.
FINETUNE_PRESETS: dict[str, dict[str, Any]] = {
    DEFAULT_PRESET: {},
    # Full finetuning: LoRA from the tiny base failed to learn new visual features, and the
    # tiny model has no pretrained vision tower to protect (docs/tiny-model.md).
    TINY: {
        "method": "full",
        "lora_dropout": 0.0,
        "tune_vision_tower": True,
        "tune_projector": True,
        # At 1e-3 some seeds fell back onto one letter after learning; at 5e-4 a late plateau
        # crossing needs the 600 steps (docs/tiny-model.md).
        "learning_rate": 5e-4,
        "steps": 600,
        "epochs": None,
        "batch_size": 16,
        # The tiny model fits anywhere: one pass per step, nothing recomputed, as before the
        # hub-lora defaults were sized for GPUs.
        "grad_accum": 1,
        "grad_checkpointing": False,
    },
}

# The model options a preset fills when a model's entry leaves them out. "auto" attention is
# flash-attention 2 where it can run, else sdpa (tasktransfer.model.load). The tiny model
# keeps its uncapped images and sdpa, and runs on one torch thread: its CPU float sums
# depend on how many threads split them, and its learning is a plateau crossing that such
# differences move (docs/tiny-model.md), so one thread is what makes it reproducible.
MODEL_PRESETS: dict[str, dict[str, Any]] = {
    DEFAULT_PRESET: {"image_max_pixels": HUB_IMAGE_MAX_PIXELS, "attn_implementation": "auto"},
    TINY: {"image_max_pixels": None, "attn_implementation": "sdpa", "torch_threads": 1},
}


def _preset_of(name: str, finetune_preset: str | None) -> str:
    """``finetune_preset`` if set; else ``"tiny"`` for the tiny model, ``"hub-lora"`` for others."""
    if finetune_preset is not None:
        return finetune_preset
    return TINY if name == TINY else DEFAULT_PRESET


def _with_budget(values: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` over ``values``; a budget (steps or epochs) given alone replaces the other."""
    out = {**values, **overrides}
    for given, other in (("steps", "epochs"), ("epochs", "steps")):
        if overrides.get(given) is not None and other not in overrides:
            out[other] = None
    return out


class ModelConfig(BaseModel):
    """What to load and how.

    Attributes
    ----------
    name : str, default="tiny"
        ``"tiny"`` (the offline tiny LLaVA, whose base ``tasktransfer model tiny-base`` builds
        and caches), a local folder saved with ``save_pretrained``, or a hub id such as
        ``"Qwen/Qwen2.5-VL-3B-Instruct"``.
    dtype : str or None, default=None
        ``"bfloat16"``, ``"float16"`` or ``"float32"``; None means bf16 on CUDA, fp32 on CPU.
    device : str or None, default=None
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; None means CUDA when available.
    image_max_pixels : int or None, default=None
        Each image is downscaled (aspect kept) to at most this many pixels before the
        processor sees it, in training and evaluation alike; an adapter records it, and
        evaluation refuses an adapter trained at another cap
        (``EvalConfig.allow_pixel_cap_mismatch``). None means the preset's
        (:data:`MODEL_PRESETS`): :data:`HUB_IMAGE_MAX_PIXELS` for ``hub-lora``, no cap for
        ``tiny`` (the processor's own limits). To lift the cap of a hub model, give a larger
        value, e.g. 12845056, the limit of Qwen2.5-VL-Instruct's own processor.
    trust_remote_code : bool, default=False
        Allow a hub repository's own Python code to run. Off unless you trust the repository.
    attn_implementation : str or None, default=None
        transformers' ``attn_implementation`` (``"sdpa"``, ``"eager"``,
        ``"flash_attention_2"``...), or ``"auto"``: flash-attention 2 when ``flash_attn`` is
        installed and the model runs on CUDA in 16 bits, else sdpa (the choice is in
        ``LoadedModel.describe()``). None means the preset's: ``"auto"`` for ``hub-lora``,
        ``"sdpa"`` for ``tiny``.
    finetune_preset : str or None, default=None
        A key of :data:`FINETUNE_PRESETS`, e.g. ``"tiny"`` for a folder holding a copy of the
        tiny base. None means the model's own (:attr:`preset`). Left out of dumps when None,
        so the configs and cell keys of models that do not set it stay as they were.
    torch_threads : int or None, default=None
        Torch CPU threads while this model finetunes or evaluates, whatever the caller's
        count. None means the preset's: 1 for ``tiny`` (its results then agree on every
        machine and executor), the caller's for ``hub-lora`` (a GPU's results do not depend
        on it). Left out of dumps when None.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = TINY
    dtype: Literal["bfloat16", "float16", "float32"] | None = None
    device: str | None = None
    image_max_pixels: int | None = Field(default=None, gt=0)
    trust_remote_code: bool = False
    attn_implementation: str | None = None
    finetune_preset: str | None = Field(default=None, exclude_if=lambda preset: preset is None)
    torch_threads: int | None = Field(default=None, ge=1, exclude_if=lambda n: n is None)

    @model_validator(mode="before")
    @classmethod
    def _preset_fills_model_options(cls, data: Any) -> Any:
        # Filled at validation, so dumps (and so cell keys) hold the values actually used.
        if not isinstance(data, dict):
            return data
        preset = _preset_of(data.get("name", TINY), data.get("finetune_preset"))
        filled = MODEL_PRESETS.get(preset, {})  # an unknown preset fails at its own field
        return {**data, **{k: v for k, v in filled.items() if data.get(k) is None}}

    @field_validator("finetune_preset")
    @classmethod
    def _known_preset(cls, preset: str | None) -> str | None:
        if preset is not None and preset not in FINETUNE_PRESETS:
            raise ValueError(
                f"unknown finetune preset {preset!r}; use one of {', '.join(FINETUNE_PRESETS)}"
            )
        return preset

    @property
    def preset(self) -> str:
        """The finetune preset this model starts from.

        ``finetune_preset`` when set; else ``"tiny"`` for the tiny model and ``"hub-lora"``
        (the library default) for any folder or hub id.
        """
        return _preset_of(self.name, self.finetune_preset)


class FinetuneConfig(BaseModel):
    """Knobs of the finetuning recipe (:func:`tasktransfer.model.finetune`).

    The defaults are the ``hub-lora`` preset, the safe start for a pretrained hub model: LoRA
    rank 16 on the language model only (vision tower and projector frozen, so image features
    can be shared between adapters at evaluation), lr 1e-4, one epoch of effective batch 8
    (2 questions per pass x 4 passes per step) with gradient checkpointing: with images
    capped at :data:`HUB_IMAGE_MAX_PIXELS`, 3B trains on a 24 GB GPU and 7B on a 40 GB one
    (estimates in ``docs/gpu.md``; 8 questions per pass would need about 48 GB on 7B). The tiny
    model's preset (:data:`FINETUNE_PRESETS`, ``from_preset("tiny")``) is full finetuning at
    lr 5e-4, 600 steps of 16; ``docs/tiny-model.md`` has what it does and does not learn.

    Attributes
    ----------
    method : {"lora", "full"}, default="lora"
        ``"full"`` trains every parameter selected by the ``tune_*`` flags' modules and the
        language model; ``"lora"`` adds adapters to the targeted linear layers.
    lora_rank, lora_alpha, lora_dropout : int, float, float, default=16, 32.0, 0.05
        LoRA rank (higher: more capacity and memory), scale numerator, dropout on the inputs.
    tune_language_model : bool, default=True
        Adapt the language model (matched by the architecture's regex).
    tune_vision_tower : bool, default=False
        Also adapt the vision tower. Off by default, so that image features can be shared
        between adapters at evaluation.
    tune_projector : bool, default=False
        Also adapt the projector (LLaVA) or merger (Qwen2.5-VL).
    learning_rate : float, default=1e-4
    weight_decay : float, default=0.0
    warmup_steps : int, default=0
        Linear warm-up to ``learning_rate``.
    lr_schedule : {"constant", "cosine"}, default="constant"
        The rate after the warm-up: held, or decayed to 0 along a half cosine by the last
        step. Left out of dumps at "constant", so cell keys stay as they were.
    steps : int or None, default=None
        Optimizer steps. Exactly one of ``steps`` and ``epochs`` is set; giving one alone
        replaces the other's default.
    epochs : float or None, default=1.0
        Passes over the training examples (rounded up to whole optimizer steps).
    batch_size : int, default=2
        Examples per forward pass: activation memory grows with it (``docs/gpu.md``).
    grad_accum : int, default=4
        Forward passes per optimizer step (effective batch = batch_size * grad_accum).
    grad_checkpointing : bool, default=True
        Recompute activations in the backward pass: less memory, about 30 % slower.
    max_grad_norm : float or None, default=1.0
        Gradient clipping; None disables it.
    distributed : {"ddp", "fsdp", "deepspeed-zero3"}, default="ddp"
        How a run in several processes (``executor.gpus_per_cell`` > 1) shares the work:
        ``"ddp"`` copies the model to each GPU (3B/7B); ``"fsdp"`` and ``"deepspeed-zero3"``
        shard weights and optimizer state over the GPUs (32B on 80 GB cards). Sharding needs
        CUDA GPUs; ZeRO-3 needs ``deepspeed``. One process ignores it.
    quantize : {"4bit"} or None, default=None
        QLoRA: load the base in 4-bit NF4 (``bitsandbytes``, CUDA only) and train LoRA in
        bf16 on top, for GPUs too small for the bf16 base.
    report_to : tuple of str, default=()
        Trackers that receive loss, accuracy and learning rate at each step, through
        accelerate: ``"wandb"``, ``"tensorboard"``, ``"mlflow"`` (each needs its package).
        TensorBoard and MLflow files go into the output folder.
    checkpoints : tuple of float or None, default=None
        Also save the model at these fractions of the optimizer steps (each in (0, 1],
        stored sorted and distinct, with 1.0, the final state, always among them), at step
        ``max(1, round(fraction * steps))``, into ``<out_dir>/step-<fraction>/``; a study
        evaluates each on every target (rows with ``step``). Saving changes nothing in
        training: the final model is the same bit for bit. None (left out of dumps, so cell
        keys stay as they were): the final state only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["lora", "full"] = "lora"
    lora_rank: int = Field(default=16, gt=0)
    lora_alpha: float = Field(default=32.0, gt=0)
    lora_dropout: float = Field(default=0.05, ge=0, lt=1)
    tune_language_model: bool = True
    tune_vision_tower: bool = False
    tune_projector: bool = False
    learning_rate: float = Field(default=1e-4, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)
    warmup_steps: int = Field(default=0, ge=0)
    lr_schedule: Literal["constant", "cosine"] = Field(
        default="constant", exclude_if=lambda value: value == "constant"
    )
    steps: int | None = Field(default=None, gt=0)
    epochs: float | None = Field(default=1.0, gt=0)
    batch_size: int = Field(default=2, gt=0)
    grad_accum: int = Field(default=4, gt=0)
    grad_checkpointing: bool = True
    max_grad_norm: float | None = Field(default=1.0, gt=0)
    # Left out of dumps at their defaults, so the cell keys of existing studies stay valid.
    distributed: Literal["ddp", "fsdp", "deepspeed-zero3"] = Field(
        default="ddp", exclude_if=lambda value: value == "ddp"
    )
    quantize: Literal["4bit"] | None = Field(default=None, exclude_if=lambda value: value is None)
    report_to: tuple[Literal["wandb", "tensorboard", "mlflow"], ...] = Field(
        default=(), exclude_if=lambda value: not value
    )

    checkpoints: tuple[float, ...] | None = Field(
        default=None, exclude_if=lambda value: value is None
    )

    @field_validator("checkpoints")
    @classmethod
    def _fractions(cls, fractions: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if fractions is None:
            return None
        bad = [f for f in fractions if not 0 < f <= 1]
        if bad:
            raise ValueError(f"checkpoints are fractions of the steps in (0, 1]; got {bad}")
        return tuple(sorted({*fractions, 1.0}))

    @model_validator(mode="before")
    @classmethod
    def _one_budget_replaces_the_other(cls, data):
        # FinetuneConfig(steps=10) means 10 steps, not a conflict with the default epoch.
        return _with_budget({}, data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _one_budget(self) -> FinetuneConfig:
        if (self.steps is None) == (self.epochs is None):
            raise ValueError(
                f"give exactly one of steps and epochs; got steps={self.steps}, "
                f"epochs={self.epochs}"
            )
        if not (self.tune_language_model or self.tune_vision_tower or self.tune_projector):
            raise ValueError("nothing to train: every tune_* flag is False")
        if self.quantize is not None and self.method != "lora":
            raise ValueError("quantize='4bit' trains LoRA adapters only; set method='lora'")
        return self

    @staticmethod
    def preset_values(preset: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The values of ``preset`` with ``overrides`` on top, not yet validated.

        A step count given without epochs replaces the preset's epochs, and the other way
        round (one budget replaces the other), so ``{"steps": 10}`` means 10 steps, not a
        conflict. A study validates the result with its own error locations.

        Examples
        --------
        >>> FinetuneConfig.preset_values("tiny", {"epochs": 2})["steps"] is None
        True
        """
        if preset not in FINETUNE_PRESETS:
            raise ValueError(
                f"unknown finetune preset {preset!r}; use one of {', '.join(FINETUNE_PRESETS)}"
            )
        return _with_budget(FINETUNE_PRESETS[preset], overrides)

    @classmethod
    def from_preset(cls, preset: str, **overrides) -> FinetuneConfig:
        """The settings of a named preset (:data:`FINETUNE_PRESETS`) with ``overrides``.

        Examples
        --------
        >>> FinetuneConfig.from_preset("hub-lora") == FinetuneConfig()
        True
        >>> FinetuneConfig.from_preset("tiny", steps=10).learning_rate
        0.0005
        """
        return cls(**cls.preset_values(preset, overrides))
