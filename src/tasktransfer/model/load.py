"""Load a VLM and its processor: a hub id, a local folder, or the offline tiny model.

Public API
----------
LoadedModel
    ``.model`` (in eval mode), ``.processor``, ``.arch`` (the :mod:`architectures` row),
    ``.config`` (the :class:`ModelConfig`), ``.source`` (the folder or hub id actually loaded),
    ``.describe()`` (a JSON-ready record of what was loaded, for every output's metadata).
load_model(model) -> LoadedModel
    ``model`` is a :class:`ModelConfig` or just its ``name``.
resolve_source(name) -> str
    ``"tiny"`` -> the cached tiny base folder (never built here: loading does not train); a
    local folder -> itself; otherwise a hub id, checked for shape.
pick_attn_implementation(requested, device, dtype) -> str
    ``"auto"`` -> ``"flash_attention_2"`` where it can run, else ``"sdpa"``; others as given.
save_processor(processor, folder)
    Save a processor so that ``AutoProcessor.from_pretrained(folder)`` loads it too.

Everything goes through ``AutoModelForImageTextToText`` and ``AutoProcessor`` (or the processor
class the architecture row names): safetensors only, ``trust_remote_code`` only when asked,
bf16 on CUDA and fp32 on CPU unless ``dtype`` says otherwise. The weights load straight onto
the device (``device_map``), so a 32B model is never first copied whole into CPU memory.
Attention ``"auto"`` is flash-attention 2 where it can run (``flash_attn`` installed, CUDA, 16
bits), else sdpa: transformers' sdpa path for the Qwen2.5-VL vision tower loops in Python over
the attention windows and images, flash-attention 2 takes them in one varlen call.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasktransfer.errors import InputError
from tasktransfer.files import write_json_atomic
from tasktransfer.model.architectures import Architecture, get_architecture
from tasktransfer.model.config import TINY, ModelConfig
from tasktransfer.model.tiny import is_built, tiny_base_path

# owner/name, as the hub spells repository ids; anything else is not sent anywhere.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class LoadedModel:
    """A model ready for finetuning or evaluation, with what is needed to prompt it."""

    model: Any
    processor: Any
    arch: Architecture
    config: ModelConfig
    source: str
    attn_implementation: str

    @property
    def device(self):
        """The device of the model's parameters."""
        return next(self.model.parameters()).device

    @property
    def dtype(self):
        """The floating dtype of the model's parameters."""
        return next(self.model.parameters()).dtype

    def describe(self) -> dict[str, Any]:
        """What was loaded, JSON-ready: record it beside every output.

        Keys: name, source, model_type, dtype, device, image_max_pixels, attn_implementation
        (the one used: ``"auto"`` resolved), trust_remote_code, n_parameters.
        """
        return {
            "name": self.config.name,
            "source": self.source,
            "model_type": self.arch.model_type,
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": str(self.device),
            "image_max_pixels": self.config.image_max_pixels,
            "attn_implementation": self.attn_implementation,
            "trust_remote_code": self.config.trust_remote_code,
            "n_parameters": sum(p.numel() for p in self.model.parameters()),
        }


def resolve_source(name: str) -> str:
    """The folder or hub id that ``name`` stands for.

    Raises
    ------
    InputError
        When ``name`` is neither ``"tiny"``, an existing folder, nor shaped like a hub id, or
        when it is ``"tiny"`` and the tiny base is not built yet.
    """
    if name == TINY:
        path = tiny_base_path()
        if not is_built(path):
            raise InputError(
                f"the tiny model's base is not built yet ({path}): run `tasktransfer model "
                "tiny-base` (`tasktransfer run`, `finetune` and `evaluate` build it themselves)"
            )
        return str(path)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise InputError(
                f"model folder {path} has no config.json (save it with save_pretrained)"
            )
        return str(path)
    if _HUB_ID.match(name) and not path.exists():
        return name
    raise InputError(
        f"model {name!r} is not 'tiny', an existing folder, or a hub id like "
        "'Qwen/Qwen2.5-VL-3B-Instruct'"
    )


def _import_object(spec: str):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _pick_device_dtype(config: ModelConfig):
    import torch

    device = torch.device(config.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if config.dtype is not None:
        dtype = getattr(torch, config.dtype)
    else:
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    return device, dtype


def load_model(model: ModelConfig | str, *, quantization_config=None) -> LoadedModel:
    """Load model and processor.

    Parameters
    ----------
    model : ModelConfig or str
        A configuration, or a name (``"tiny"``, a folder, a hub id) with default settings.
    quantization_config : transformers.BitsAndBytesConfig or None, default=None
        Quantize the weights while loading (QLoRA finetuning); loaded straight onto the device.

    Returns
    -------
    LoadedModel
        The model is in eval mode on the chosen device.

    Raises
    ------
    InputError
        For a name that is not a model, or ``"tiny"`` before its base is built
        (:func:`tasktransfer.model.tiny_base.prepare_models` builds it).
    tasktransfer.model.architectures.UnsupportedArchitectureError
        For a model type missing from the architecture table.
    """
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    config = ModelConfig(name=model) if isinstance(model, str) else model
    source = resolve_source(config.name)
    remote = config.trust_remote_code
    model_type = AutoConfig.from_pretrained(source, trust_remote_code=remote).model_type
    arch = get_architecture(model_type)
    device, dtype = _pick_device_dtype(config)
    attention = pick_attn_implementation(config.attn_implementation, device, dtype)
    quantized = {} if quantization_config is None else {"quantization_config": quantization_config}
    network = AutoModelForImageTextToText.from_pretrained(
        source,
        dtype=dtype,
        attn_implementation=attention,
        use_safetensors=True,
        trust_remote_code=remote,
        **quantized,
        **_placement(device),
    )
    network.eval()
    processor_class = (
        _import_object(arch.processor_class) if arch.processor_class else AutoProcessor
    )
    processor = processor_class.from_pretrained(source, trust_remote_code=remote)
    return LoadedModel(
        model=network,
        processor=processor,
        arch=arch,
        config=config,
        source=source,
        attn_implementation=attention,
    )


def _placement(device) -> dict[str, Any]:
    """``device_map``, so each tensor is read straight onto ``device``; none under ZeRO-3.

    DeepSpeed ZeRO-3 partitions the weights over the processes while they load, and
    transformers refuses a ``device_map`` beside it.
    """
    from transformers.integrations import is_deepspeed_zero3_enabled

    return {} if is_deepspeed_zero3_enabled() else {"device_map": device}


def pick_attn_implementation(requested: str, device, dtype) -> str:
    """The attention implementation to load with: ``requested``, or for ``"auto"`` the fastest.

    ``"auto"`` is ``"flash_attention_2"`` when the ``flash_attn`` package is installed and the
    model runs on CUDA in 16 bits (flash-attention's only dtypes), else ``"sdpa"``.

    Examples
    --------
    >>> import torch
    >>> pick_attn_implementation("auto", torch.device("cpu"), torch.float32)
    'sdpa'
    >>> pick_attn_implementation("eager", torch.device("cuda"), torch.bfloat16)
    'eager'
    """
    import torch

    if requested != "auto":
        return requested
    flash_ready = (
        device.type == "cuda"
        and dtype in (torch.float16, torch.bfloat16)
        and importlib.util.find_spec("flash_attn") is not None
    )
    return "flash_attention_2" if flash_ready else "sdpa"


def save_processor(processor, folder: str | Path) -> None:
    """Save ``processor`` into ``folder`` so that ``AutoProcessor.from_pretrained`` loads it.

    A processor class of ours (``ImageOnlyQwen2_5_VLProcessor``) is recorded as the
    transformers class it derives from, as the base checkpoint records it, and the image
    processor's settings are also written to ``preprocessor_config.json``, where that class's
    video processor reads its own (a hub Qwen2.5-VL folder has the same file). Our loader
    names its class itself (the architecture row), so it loads the folder either way.
    """
    folder = Path(folder)
    processor.save_pretrained(folder)
    stock = next(c for c in type(processor).__mro__ if c.__module__.startswith("transformers."))
    if stock is type(processor):
        return
    for name in ("processor_config.json", "tokenizer_config.json"):
        path = folder / name
        if path.is_file():
            saved = json.loads(path.read_text())
            write_json_atomic(path, {**saved, "processor_class": stock.__name__})
    processor.image_processor.save_pretrained(folder)
